"""The values layout of a ``layers:`` figure (``numbers: true``): every plane's numbers, the field shaded on each.

Each plane (the input, then every layer's output, element-wise steps included) is a block headed by its label
and field numbers, its channels one row each (at most three: the first two, an ellipsis, the last) and, for a
3-D stack, its depth slices side by side. Around a plane sits the padding the next layer adds, with the values
that layer pads with (zeros, reflected copies, ``-∞`` for max pooling). Blocks follow in reading order, wrapped
into rows; an element-wise step's grid is lighter. Every number equals PyTorch's: the planes come from
``engine.stack_values``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..config.model import Config
from ..core.options import RenderOptions
from ..core.scene import CellRef, Links, Polygon, Primitive, Scene, Text
from ..core.text import text_width
from ..engine import Role, drawn_grid
from ..engine.receptive import Layer
from ..engine.receptive import field as field_of
from ..engine.stack import stack_values
from .geometry import Plane, Z, flat_plane, grid_lines, runs, shade
from .links import plane_group
from .receptive import Frame, Stack, pads, plane_size
from .values import format_value
from .volume_common import shown_volumes

MAX_ROW = 1150  # pixels: the blocks wrap into rows about this wide

Key = tuple[int, int, int]  # (plane, channel, depth slice)


@dataclass(slots=True)
class Layout:
    grids: dict[Key, Plane] = field(default_factory=dict)
    texts: list[Text] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


class ValueGrids(Stack):
    """Numbered grids, one block per plane."""

    def __init__(self, specs: tuple[Layer, ...], options: RenderOptions, config: Config):
        super().__init__(specs, options)
        self.planes = stack_values(specs, config.input, config.layer_weights, config.layer_biases)
        self.nd = specs[0].ndim
        self.padded = [self.padded_plane(p) for p in range(self.n_planes)]
        self.channels = [shown_volumes(plane.shape[0]) for plane in self.planes]

    def padded_plane(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """Plane ``p``'s values and roles as (C, D, H, W) with the padding the next layer adds around them."""
        before, after = pads(self.specs, p)
        values = self.planes[p]
        if any(before) or any(after):
            grid = drawn_grid(self.specs[p], values)  # type: ignore[arg-type]
            cut = tuple(slice(0, n + b + a) for n, b, a in zip(plane_size(self.specs, p), before, after))
            values, role = grid.values[(slice(None), *cut)], grid.role[cut]
        else:
            role = np.zeros(values.shape[1:], np.int8)
        while values.ndim < 4:  # 1-D: one row; 1-D and 2-D: one depth slice
            values, role = values[:, None], role[None]
        return values, role

    def cell_size(self) -> float:
        """Pixels per cell: room for the widest number at 14 px at least."""
        if self.options.scale:
            return float(self.options.scale)
        shown = np.unique(np.concatenate([v[[c for c in self.channels[p] if c is not None]].ravel()
                                          for p, (v, _) in enumerate(self.padded)]))
        widest = max(text_width(format_value(float(v)), 100.0, "serif") for v in shown) / 100
        return float(max(36, math.ceil(14 * widest / 0.85)))

    def scene(self) -> Scene:
        s = self.s = self.cell_size()
        self.size = min(16.0, max(12.0, 0.34 * s))
        self.number_size = min(0.42 * s, 0.85 * s / max(
            text_width(format_value(float(v)), 100.0, "serif") / 100 for v in np.unique(np.concatenate(
                [v.ravel() for v, _ in self.padded]))))
        self.margin = round(0.5 * s)
        lay = self.arrange()
        static: list[Primitive] = list(lay.texts)
        for key, plane in lay.grids.items():
            static += self.grid_static(key, plane)
        static += self.title(round(lay.width), self.margin * 0.8, self.size)
        regions = {"plane_centers": [{(c, d): pl.centers(self.padded[p][1].shape[1:]) for (q, c, d), pl in
                                      lay.grids.items() if q == p} for p in range(self.n_planes)],
                   "plane_pad": [pads(self.specs, p)[0] for p in range(self.n_planes)],
                   "planes": self.planes, "fields": self.fields}
        return Scene(width=round(lay.width), height=round(lay.height), background=self.theme.background,
                     static=tuple(static), n_frames=self.n_frames, frame=self.frame_fn(lay.grids),
                     dynamic_z=frozenset({Z.SHADE}), regions=regions, narration=self.narration,
                     links=self.grid_links(lay.grids))

    def grid_links(self, grids: dict[Key, Plane]) -> Callable[[], Links]:
        """One group per drawn grid (plane, channel, depth slice); a cell reads the cells under its kernel on the
        drawn channels of the plane below that feed it."""
        index = {key: n for n, key in enumerate(grids)}

        def name(key: Key) -> str:
            p, c, d = key
            parts = [self.group_name(p)] + ([f"channel {c}"] if self.planes[p].shape[0] > 1 else [])
            return ", ".join(parts + ([f"slice d {d - pads(self.specs, p)[0][0]}"] if self.nd == 3 else []))

        def ref(p: int, c: int, at: tuple[int, ...]) -> CellRef | None:
            d, r, q = (0, 0, *at)[-3:]
            shape = self.padded[p][1].shape
            key = (p, c, d)
            if key not in index or not (0 <= r < shape[1] and 0 <= q < shape[2]):
                return None
            return index[key], r * shape[2] + q

        groups = lambda: [plane_group(name(key), plane, self.padded[key[0]][1].shape[1:])  # noqa: E731
                          for key, plane in grids.items()]
        channels = [[c for c in chans if c is not None] for chans in self.channels]
        return self.field_links(groups, ref, channels)

    def block_size(self, p: int) -> tuple[float, float]:
        """The width and height of plane ``p``'s grids (channels in rows, depth slices side by side)."""
        s = self.s
        _, depth, rows, cols = self.padded[p][0].shape
        n = len(self.channels[p])
        return depth * cols * s + (depth - 1) * 0.4 * s, n * rows * s + (n - 1) * 0.3 * s

    def arrange(self) -> Layout:
        """Blocks in reading order, wrapped into rows; each block's label above its grids."""
        s, size = self.s, self.size
        lay = Layout()
        head_h = 2.9 * size
        label_w = text_width("c 0", 0.85 * size, "sans") + 0.3 * s if any(
            len(ch) > 1 for ch in self.channels) else 0.0
        top = self.margin + (round(1.0 * s) if self.options.labels else 0)
        widths = [max(label_w + self.block_size(p)[0], *(text_width(t, z * size, "sans")
                                                        for t, z in zip(self.label(p), (1.0, 0.9))))
                  for p in range(self.n_planes)]
        starts = row_starts(widths, 1.2 * s)
        x, y, row_h = float(self.margin), float(top), 0.0
        for p, w in enumerate(widths):
            gh = self.block_size(p)[1]
            a, b = self.label(p)
            if p in starts and p:
                x, y, row_h = float(self.margin), y + row_h + 0.9 * s, 0.0
            lay.texts.append(Text(xy=(x, y + 0.7 * size), text=a, size=size, color=self.theme.caption, anchor="lm",
                                  font="sans", z=Z.TEXT))
            if b:
                lay.texts.append(Text(xy=(x, y + 1.85 * size), text=b, size=0.9 * size, color=self.theme.caption,
                                      anchor="lm", font="sans", z=Z.TEXT))
            self.place_grids(lay, p, x + label_w, y + head_h, label_w > 0)
            lay.width = max(lay.width, x + w + self.margin)
            row_h = max(row_h, head_h + gh)
            x += w + 1.2 * s
        lay.height = y + row_h + self.margin
        return lay

    def place_grids(self, lay: Layout, p: int, x: float, y: float, names: bool) -> None:
        s = self.s
        _, depth, rows, cols = self.padded[p][0].shape
        for n, c in enumerate(self.channels[p]):
            y0 = y + n * (rows * s + 0.3 * s)
            if c is None:
                lay.texts.append(Text(xy=(x + cols * s / 2, y0 + rows * s / 2), text="⋮", size=1.3 * self.size,
                                      color=self.theme.caption, font="sans", z=Z.TEXT))
                continue
            if names:
                lay.texts.append(Text(xy=(x - 0.3 * s, y0 + rows * s / 2), text=f"c {c}", size=0.85 * self.size,
                                      color=self.theme.caption, anchor="rm", font="sans", z=Z.TEXT))
            for d in range(depth):
                lay.grids[(p, c, d)] = flat_plane((round(x + d * (cols * s + 0.4 * s)), round(y0)), s)

    def grid_static(self, key: Key, plane: Plane) -> list[Primitive]:
        p, c, d = key
        th, s = self.theme, self.s
        values, role = self.padded[p][0][c, d], self.padded[p][1][d]
        prims: list[Primitive] = []
        for (r, q), rl in np.ndenumerate(role):
            if rl == Role.INPUT:
                prims.append(Polygon(points=plane.cell(r, q), fill=self.fill(p), z=Z.FILL))
            if rl != Role.OVERHANG:
                prims.append(Text(xy=plane.at(r + 0.5, q + 0.5), text=format_value(float(values[r, q])),
                                  size=self.number_size, color=th.text, z=Z.TEXT))
        return prims + grid_lines(plane, role, th, s, Z.TOPGRID, lambda rl: rl == Role.INPUT)

    def frame_fn(self, grids: dict[Key, Plane]) -> Frame:
        th = self.theme

        def frame(i: int) -> tuple[Primitive, ...]:
            prims: list[Primitive] = []
            for p, f in enumerate(field_of(self.specs, self.position(i))):
                before = pads(self.specs, p)[0]
                axes = [[v + b for v in axis] for axis, b in zip(f.padded, before)]
                depths, rows, cols = ([0], [0], axes[0]) if self.nd == 1 else \
                    ([0], axes[0], axes[1]) if self.nd == 2 else (axes[0], axes[1], axes[2])
                for (q, _c, d), plane in grids.items():
                    if q != p or d not in depths:
                        continue
                    for a, b in runs(rows):
                        for e, g in runs(cols):
                            prims.append(shade(plane.box(a, e, b - a, g - e), th, Z.SHADE))
            return tuple(prims)

        return frame


def row_starts(widths: list[float], gap: float) -> set[int]:
    """The blocks that start a row: as few rows as ``MAX_ROW`` allows, of about equal width."""
    total = sum(widths) + gap * (len(widths) - 1)
    rows = math.ceil(total / MAX_ROW)
    limit = total / rows
    while True:
        starts, x = {0}, -gap
        for n, w in enumerate(widths):
            if x + gap + w > limit and x > 0:
                starts.add(n)
                x = -gap
            x += gap + w
        if len(starts) <= rows or limit >= total:
            return starts
        limit *= 1.05
