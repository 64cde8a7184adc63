"""Which steps a figure draws (``render.steps``): a few representative steps instead of all of them.

A kind lays its frames out as a ``FrameGrid`` (``FigureKind.frame_grid``): the single-layer figure's frames
are its output cells, channel by channel, so its grid is ``(channels, rows, columns)``; a kind whose frames
are no grid (the weights of ``wrt: weight``, learning steps) is one axis. A ``StepSelection`` resolves against
that grid to frame numbers (``select``), and ``select_frames`` turns a built scene into the scene of those
frames only: every frame, its narration, the player's links and the progressive reveal renumbered.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..core.errors import SpecError
from ..core.options import StepSelection
from ..core.scene import Links, Primitive, Scene
from ..core.spec import ConvSpec

MAX_SCAN = 64  # border cases are looked for this far from each end of an axis


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameGrid:
    """A kind's frames laid out row-major on ``shape`` (its product is the kind's step count).

    ``rows_axis``: the axis ``rows:`` selects on (None: this figure's frames are no output rows);
    ``borders``: per axis, the indices of each distinct border case (``corners``); None: the two ends."""

    shape: tuple[int, ...]
    rows_axis: int | None = None
    borders: tuple[tuple[int, ...], ...] | None = None


def line(steps: int) -> FrameGrid:
    """Frames that are no grid: one axis."""
    return FrameGrid(shape=(steps,))


def _signature(spec: ConvSpec, axis: int, o: int) -> tuple[int, int]:
    """How many taps of output ``o``'s window (along ``axis``) fall before and after the input's real cells."""
    k, d = spec.kernel_size[axis], spec.dilation[axis]
    n = spec.input_size[axis]
    if spec.transposed:  # the drawn grid: zeros inserted, padding d(k-1) - p each side
        s, lead = 1, d * (k - 1) - spec.pad_before[axis]
        first, last = lead, lead + (n - 1) * spec.stride[axis]
    else:
        s, lead = spec.stride[axis], spec.pad_before[axis]
        first, last = lead, lead + n - 1
    taps = [o * s + j * d for j in range(k)]
    return sum(t < first for t in taps), sum(t > last for t in taps)


def output_borders(spec: ConvSpec) -> tuple[tuple[int, ...], ...]:
    """Per spatial axis of the output: the first index of every distinct border case, and the last index."""
    out = []
    for axis, n in enumerate(spec.output_size):
        if spec.is_adaptive:
            out.append(tuple(sorted({0, n - 1})))
            continue
        scan = sorted(set(range(min(n, MAX_SCAN))) | set(range(max(0, n - MAX_SCAN), n)))
        seen: dict[tuple[int, int], int] = {}
        for o in scan:
            seen.setdefault(_signature(spec, axis, o), o)
        out.append(tuple(sorted(set(seen.values()) | {0, n - 1})))
    return tuple(out)


def output_grid(spec: ConvSpec, channels: int = 1) -> FrameGrid:
    """The frames of a figure that animates the output cells, channel by channel."""
    size = tuple(spec.output_size)
    borders = output_borders(spec)
    if channels > 1:
        return FrameGrid(shape=(channels, *size), rows_axis=1 + len(size) - 2 if len(size) > 1 else None,
                         borders=(tuple(sorted({0, channels - 1})), *borders))
    return FrameGrid(shape=size, rows_axis=len(size) - 2 if len(size) > 1 else None, borders=borders)


def select(selection: StepSelection | None, grid: FrameGrid) -> tuple[int, ...] | None:
    """The frame numbers ``selection`` picks on ``grid`` (None: every frame); SpecError naming
    ``render.steps`` when it picks a step the figure does not have, or none."""
    if selection is None:
        return None
    total = math.prod(grid.shape)
    picked = np.arange(total) if selection.indices is None else np.array(selection.indices)
    if picked.size and picked.max() >= total:
        raise SpecError("render.steps", f"step {int(picked.max())} is past the last step ({total - 1:,}) of this "
                                        f"figure; its steps are 0..{total - 1}")
    if selection.rows is not None:
        picked = _rows(picked, selection.rows, grid)
    if selection.corners:
        picked = picked[np.isin(picked, _corners(grid))]
    if selection.every > 1:
        keep = picked[::selection.every]
        picked = np.union1d(keep, picked[-1:]) if picked.size else keep
    picked = np.unique(picked)
    if picked.size == 0:
        raise SpecError("render.steps", "selects no step of this figure")
    return tuple(int(i) for i in picked)


def _rows(picked: np.ndarray, rows: tuple[int, ...], grid: FrameGrid) -> np.ndarray:
    if grid.rows_axis is None:
        raise SpecError("render.steps.rows", "this figure's frames are not rows of a 2-D output; use a range or "
                                             "a list of steps")
    n = grid.shape[grid.rows_axis]
    if max(rows) >= n:
        raise SpecError("render.steps.rows", f"row {max(rows)} is past the last row ({n - 1}) of the output")
    index = np.unravel_index(picked, grid.shape)[grid.rows_axis]
    return picked[np.isin(index, rows)]


def _corners(grid: FrameGrid) -> np.ndarray:
    borders = grid.borders or tuple(tuple(sorted({0, n - 1})) for n in grid.shape)
    mesh = np.meshgrid(*[np.array(b) for b in borders], indexing="ij")
    return np.ravel_multi_index(tuple(m.ravel() for m in mesh), grid.shape)


def select_frames(scene: Scene, frames: tuple[int, ...]) -> Scene:
    """The scene of ``frames`` only, in order: frames, narration and links renumbered, and a primitive revealed
    at step k shown from the first drawn frame at or after k."""
    def renumber(prim: Primitive) -> Primitive:
        if not prim.reveal:
            return prim
        return replace(prim, reveal=bisect.bisect_left(frames, prim.reveal))

    frame = scene.frame
    narration = scene.narration
    links = scene.links

    def frame_fn(i: int) -> tuple[Primitive, ...]:
        return tuple(renumber(p) for p in frame(frames[i]))

    def links_fn(build: Callable[[], Links]) -> Callable[[], Links]:
        def selected() -> Links:
            built = build()
            return Links(groups=built.groups, reads=built.reads,
                         writes=tuple(built.writes[j] for j in frames if j < len(built.writes)))
        return selected

    return replace(scene, static=tuple(renumber(p) for p in scene.static), frame=frame_fn, n_frames=len(frames),
                   narration=None if narration is None else (lambda i: narration(frames[i])),
                   links=None if links is None else links_fn(links))
