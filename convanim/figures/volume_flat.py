"""The flat style of the 3-D figure: the depth slices side by side as numbered grids, the output's slices under them.

Each volume (an input channel, then an output channel) is a band headed by its name: its slices in reading
order, wrapped into rows, each slice labelled with its depth in the input (``d 2``, or ``pad`` / ``zeros``).
A frame shades the kernel's taps on every slice it reaches, writes the weights as subscripts, marks the output
voxel and writes the step's equation at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..core.scene import Point, Polygon, Primitive, Scene, Text
from ..core.text import text_width
from ..engine import Role
from .geometry import Plane, Z, center, flat_plane, grid_lines, grid_width, outline, output_cell, role_fill, shade
from .values import format_value
from .volume_common import VolumeFigure, window_of

MAX_ROW = 1100  # pixels: a band's slices wrap into rows about this wide

Key = tuple[str, int, int]  # ("in" | "out", channel, depth slice)


@dataclass(slots=True)
class Bands:
    """Where every slice grid, slice label and band heading goes."""

    planes: dict[Key, Plane] = field(default_factory=dict)
    labels: list[tuple[Point, str]] = field(default_factory=list)
    headings: list[tuple[Point, str, str]] = field(default_factory=list)
    dots: list[Point] = field(default_factory=list)
    width: float = 0.0
    bottom: float = 0.0


class VolumeFlat(VolumeFigure):
    """Numbered slices in bands."""

    def scene(self) -> Scene:
        s = self.s = self.cell_size()
        self.margin = round(0.5 * s)
        self.captions_ = self.captions()
        bands = self.arrange()
        caption_y = bands.bottom + 0.55 * s
        width = round(max(bands.width + self.margin, *(text_width(c, 0.42 * s, "serif") + 2 * self.margin
                                                       for c in self.captions_ or [""])))
        height = round(bands.bottom + (1.1 * s if self.captions_ else 0) + self.margin)
        static = self.grids(bands) + self.texts(bands) + self.title_texts(width, self.margin, s)
        regions = {"input_centers": {(c, d): p.centers(self.role.shape[1:]) for (k, c, d), p in bands.planes.items()
                                     if k == "in"},
                   "output_centers": {(c, d): p.centers(self.out_shape[1:]) for (k, c, d), p in bands.planes.items()
                                      if k == "out"},
                   "input_role": self.role, "frame_steps": self.chans.steps, "trace": self.trace,
                   "named_planes": True}
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(bands.planes, (width / 2, caption_y)),
                     dynamic_z=frozenset({Z.SHADE, Z.MARK}), regions=regions, narration=self.narration,
                     links=self.links(bands.planes))

    @cached_property
    def shown(self) -> list[float]:
        """Every value written in a cell: the drawn inputs (not the overhang) and the outputs."""
        grid = self.trace.grid.values[[c for c in self.chans.inputs if c is not None]]
        return np.unique(np.concatenate([grid[:, self.role != Role.OVERHANG].ravel(),
                                         self.trace.output.ravel()])).tolist()

    def cell_size(self) -> float:
        """Pixels per cell: 40 as the 2-D flat style, more for long numbers (the widest fits in 85 % of a cell)."""
        if self.options.scale:
            return float(self.options.scale)
        widest = max(text_width(format_value(v), 100.0, "serif") for v in self.shown) / 100
        return float(max(40, math.ceil(14 * widest / 0.85)))  # as the 2-D flat style; numbers at least 14 px

    @cached_property
    def number_size(self) -> float:
        widest = max(text_width(format_value(v), 100.0, "serif") for v in self.shown) / 100
        return min(0.42 * self.s, 0.85 * self.s / widest)

    def arrange(self) -> Bands:
        """Input bands, then output bands, top to bottom; each band's slices wrapped into balanced rows."""
        s = self.s
        bands = Bands()
        y = float(self.margin + self.title_height(s))
        bands.width = self.margin + self.title_width(s)
        volumes = [("in", c, self.role.shape) for c in self.chans.inputs] + \
                  [("out", c, self.out_shape) for c in self.chans.outputs]
        for kind, c, shape in volumes:
            if c is None:
                bands.dots.append((self.margin + 0.6 * s, y + 0.3 * s))
                y += 0.9 * s
                continue
            y = self.band(bands, kind, c, shape, y) + 0.5 * s
        bands.bottom = y - 0.5 * s
        return bands

    def band(self, bands: Bands, kind: str, c: int, shape: tuple[int, ...], y: float) -> float:
        """One volume's heading and slices from height ``y``; returns the band's bottom."""
        s, size = self.s, self.text_size(self.s)
        depth, rows, cols = shape
        gap = round(0.6 * s)
        per_row = max(1, min(depth, int((MAX_ROW + gap) // (cols * s + gap))))
        per_row = math.ceil(depth / math.ceil(depth / per_row))  # balanced rows
        bands.headings.append(((self.margin, y + 0.55 * size), self.heading(kind, c), self.heading_color(kind, c)))
        top = y + 1.3 * size
        label_h = 1.3 * (0.85 * size)
        for d in range(depth):
            row, col = divmod(d, per_row)
            x0 = self.margin + col * (cols * s + gap)
            y0 = top + row * (label_h + rows * s + 0.35 * s) + label_h
            bands.planes[(kind, c, d)] = flat_plane((round(x0), round(y0)), s)
            name = self.slice_name(d) if kind == "in" else f"d {d}"
            bands.labels.append(((x0, y0 - 0.25 * label_h), name))
            bands.width = max(bands.width, x0 + cols * s)
        n_rows = math.ceil(depth / per_row)
        return top + n_rows * (label_h + rows * s) + (n_rows - 1) * 0.35 * s

    def grids(self, bands: Bands) -> list[Primitive]:
        th, s = self.theme, self.s
        static: list[Primitive] = []
        out_role = np.zeros(self.out_shape[1:], np.int8)
        for (kind, c, d), plane in bands.planes.items():
            if kind == "in":
                role, values = self.role[d], self.trace.grid.values[c, d]
                for (r, q), rl in np.ndenumerate(role):
                    if (fill := role_fill(th, rl)) is not None:
                        static.append(Polygon(points=plane.cell(r, q), fill=fill, z=Z.FILL))
                    if rl != Role.OVERHANG:
                        static.append(Text(xy=plane.at(r + 0.5, q + 0.5), text=format_value(values[r, q]),
                                           size=self.number_size, color=th.text, z=Z.TEXT))
                static += grid_lines(plane, role, th, s, Z.TOPGRID, lambda rl: rl == Role.INPUT)
                continue
            for (r, q), _ in np.ndenumerate(out_role):
                cell, rev = plane.cell(r, q), self.reveal_of(c, (d, r, q))
                static += output_cell(cell, rev, th, Z.FILL)
                static.append(Text(xy=center(cell), text=format_value(float(self.trace.output[c, d, r, q])),
                                   size=self.number_size, color=th.text, z=Z.TEXT, reveal=rev))
            static += grid_lines(plane, out_role, th, s, Z.TOPGRID, lambda rl: rl == 0)
        return static

    def texts(self, bands: Bands) -> list[Primitive]:
        th, size = self.theme, self.text_size(self.s)
        out: list[Primitive] = [Text(xy=xy, text=text, size=size, color=color, anchor="lm", font="sans", z=Z.TEXT)
                                for xy, text, color in bands.headings]
        out += [Text(xy=xy, text=text, size=0.85 * size, color=th.caption, anchor="ls", font="sans", z=Z.TEXT)
                for xy, text in bands.labels]
        return out + [Text(xy=xy, text="⋮", size=1.4 * size, color=th.caption, font="sans", z=Z.TEXT)
                      for xy in bands.dots]

    def frame_fn(self, planes: dict[Key, Plane], caption_xy: Point) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s
        grid_w = grid_width(th, s)
        weights = not self.spec.is_pool

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            win = window_of(step)
            prims: list[Primitive] = []
            for j, ci in enumerate(step.in_channels):
                for d, taps in win.slices.items():
                    plane = planes.get(("in", ci, d))
                    if plane is None:
                        continue
                    for n, (r, q) in zip(win.order[d], taps):
                        prims.append(shade(plane.cell(r, q), th, Z.SHADE))
                        if self.role[d, r, q] != Role.INPUT:
                            prims += outline(plane.cell(r, q), th.grid, grid_w, Z.MARK)
                        if weights:
                            prims.append(Text(xy=plane.at(r + 0.93, q + 0.93), text=format_value(step.weights[j][n]),
                                              size=0.26 * s, color=th.subscript, anchor="rd", z=Z.MARK))
            d, pr, pc = step.position
            prims.append(shade(planes[("out", step.channel, d)].cell(pr, pc), th, Z.SHADE))
            if self.captions_:
                prims.append(Text(xy=caption_xy, text=self.captions_[min(i, len(self.captions_) - 1)],
                                  size=0.42 * s, color=th.caption, font="serif", z=Z.MARK))
            return tuple(prims)

        return frame
