"""Links of the figure kinds: cell groups from planes, and which output cell reads which input cells, per frame.

Every kind fills ``Scene.links`` through these helpers (see ``core.scene.Links``): a layer's output cell reads
its window's taps on every input channel it reads; a stack's cell of layer n reads the cells of layer n - 1
under its kernel. A 3-D volume is one group per depth slice (``volume_links``). Computed only when asked for
(the HTML player), never for pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..core.scene import CellGroup, CellRef, Links, Point
from ..engine import Step, Trace
from .geometry import Plane, rc


def plane_group(name: str, plane: Plane, shape: tuple[int, int]) -> CellGroup:
    """The cells of ``shape`` on ``plane`` as a group."""
    return cells_group(name, shape, plane.cell)


def cells_group(name: str, shape: tuple[int, int], cell: Callable[[int, int], tuple[Point, ...]]) -> CellGroup:
    """A group whose cell (r, c) has the outline ``cell(r, c)``."""
    return CellGroup(name=name, shape=shape, cells=tuple(tuple(cell(r, c)) for r in range(shape[0])
                                                         for c in range(shape[1])))


def per_frame(writes: Sequence[tuple[CellRef, ...]], n_frames: int) -> tuple[tuple[CellRef, ...], ...]:
    """One entry per frame: frames past the steps (``hold_last``) show the last step."""
    out = list(writes[:n_frames])
    return tuple(out + [out[-1] if out else ()] * (n_frames - len(out)))


def trace_links(trace: Trace, inputs: Mapping[int, CellGroup], outputs: Mapping[int, CellGroup],
                frames: Sequence[int], n_frames: int, step_of: Callable[[int], Step] | None = None) -> Links:
    """Links of a layer drawn as input groups (by input channel) and output groups (by output channel): frame
    ``frames[k]`` computes ``step_of(frames[k])`` (default: the trace's step of that number), whose output cell
    reads its taps on every drawn input channel."""
    nd = trace.spec.ndim
    g_in = {c: n for n, c in enumerate(inputs)}
    g_out = {c: len(inputs) + n for n, c in enumerate(outputs)}
    in_cols = next(iter(inputs.values())).shape[1]
    reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
    writes: list[tuple[CellRef, ...]] = []
    for k in frames:
        step = step_of(k) if step_of is not None else trace.steps[k]
        r, c = rc(step.position, nd)
        cell = (g_out[step.channel], r * outputs[step.channel].shape[1] + c)
        taps = [rc(t, nd) for t in step.taps]
        read = tuple((g_in[ci], tr * in_cols + tc) for ci in step.in_channels if ci in g_in for tr, tc in taps)
        reads.append((cell, read))
        writes.append((cell,))
    return Links(groups=(*inputs.values(), *outputs.values()), reads=tuple(reads), writes=per_frame(writes, n_frames))


def volume_links(trace: Trace, inputs: Mapping[tuple[int, int], CellGroup],
                 outputs: Mapping[tuple[int, int], CellGroup], frames: Sequence[int], n_frames: int,
                 step_of: Callable[[int], Step]) -> Links:
    """Links of a 3-D layer drawn as one group per (channel, depth slice): ``inputs`` the drawn input's slices
    (padded, zeros inserted), ``outputs`` the output's. Frame ``frames[k]`` computes the output voxel of
    ``step_of(frames[k])``, which reads its window's taps on every drawn input channel it reads."""
    index = {key: n for n, key in enumerate(inputs)}
    index |= {("out", *key): len(inputs) + n for n, key in enumerate(outputs)}
    reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
    writes: list[tuple[CellRef, ...]] = []
    for k in frames:
        step = step_of(k)
        d, r, c = (int(v) for v in step.position)
        cell = (index[("out", step.channel, d)], r * outputs[(step.channel, d)].shape[1] + c)
        read = tuple((index[(ci, int(td))], int(tr) * inputs[(ci, int(td))].shape[1] + int(tc))
                     for ci in step.in_channels if (ci, 0) in inputs for td, tr, tc in step.taps)
        reads.append((cell, read))
        writes.append((cell,))
    return Links(groups=(*inputs.values(), *outputs.values()), reads=tuple(reads), writes=per_frame(writes, n_frames))


def merge(parts: Sequence[tuple[str, Links, Point]], n_frames: int) -> Links:
    """Several figures' links side by side (group names prefixed, cells moved by each part's offset),
    stepping together frame for frame."""
    groups: list[CellGroup] = []
    reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
    writes: list[list[CellRef]] = [[] for _ in range(n_frames)]
    for prefix, links, (dx, dy) in parts:
        base = len(groups)
        groups += [CellGroup(name=f"{prefix}{g.name}", shape=g.shape,
                             cells=tuple(tuple((x + dx, y + dy) for x, y in cell) for cell in g.cells))
                   for g in links.groups]
        reads += [((base + c[0], c[1]), tuple((base + g, n) for g, n in read)) for c, read in links.reads]
        for i, frame in enumerate(links.writes[:n_frames]):
            writes[i] += [(base + g, n) for g, n in frame]
    return Links(groups=tuple(groups), reads=tuple(reads), writes=tuple(tuple(w) for w in writes))


def paced(links: Links, frames: Sequence[int]) -> Links:
    """The same links stepping at another pace: frame ``i`` computes what frame ``frames[i]`` did."""
    return Links(groups=links.groups, reads=links.reads, writes=tuple(links.writes[f] for f in frames))
