"""The strip style for several channels: a (C, width) signal as one row per channel, each with its kernel row.

Per input channel a row and its kernel row (with its partial sum at the end), then one row per output channel;
each output cell sits under its window's centre.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.scene import Point, Polygon, Primitive, Scene, Text
from ..core.text import text_width
from ..engine import Role
from .geometry import (
    Plane,
    Z,
    corners,
    flat_plane,
    grid_lines,
    grid_width,
    kernel_cell,
    outline,
    output_cell,
    role_fill,
    shade,
    sheet,
)
from .multichannel import ChannelFigure
from .values import format_value, partial_text, sum_line

Row = tuple[str, int]  # ("in" | "kernel" | "out", channel)


class ChannelsStrip(ChannelFigure):
    """Rows of cells, one per channel (and a kernel row under each input row)."""

    def scene(self) -> Scene:
        s = self.s
        self.size = 0.42 * s
        self.lsize = self.text_size() * 0.9
        self.margin = round(0.5 * s)
        self.title_h = round(0.8 * s) if self.options.labels else 0
        names = [self.name(kind, c, self.in_group(c) if kind == "in" else self.out_group(c))
                 for kind, chans in (("in", self.chans.inputs), ("out", self.chans.outputs)) for c in chans
                 if c is not None]
        label_w = round(max(text_width(n, self.lsize, "sans") for n in [*names, "kernel"]) + 0.5 * s)
        self.left = self.margin + label_w
        rows, dots, y = self.rows()
        self.centers = self.left + self.trace.output_anchors(0) * s
        w = self.role.shape[1]
        sum_x = max(self.left + w * s, self.centers.max() + s / 2) + 0.4 * s
        lines = [sum_line(self.trace, self.steps[i], self.chans.inputs) for i in self.chans.steps] \
            if self.numbers else []
        width = round(sum_x + (5.5 * self.size if self.numbers else 0) + self.margin)
        if lines:
            width = max(width, round(max(text_width(line, self.size, "serif") for line in lines) + 2 * self.margin))
        caption_y = y + 0.2 * s
        height = round(caption_y + (0.9 * s if lines else 0) + self.margin)
        planes = {key: flat_plane((self.left, y0), s) for key, y0 in rows.items()}
        static = self.static(rows, planes, dots, width)
        wo = self.out_shape[1]
        regions = {"input_centers": {c: planes[("in", c)].centers((1, w)) for (k, c) in planes if k == "in"},
                   "kernel_centers": {c: planes[("kernel", c)].centers((1, w)) for (k, c) in planes if k == "kernel"},
                   "output_centers": {c: np.array([[np.mean(self.out_cell(y0, q), axis=0) for q in range(wo)]])
                                      for (k, c), y0 in rows.items() if k == "out"},
                   "input_role": self.role, "frame_steps": self.chans.steps, "trace": self.trace,
                   "sum_xy": {c: (sum_x, planes[("kernel", c)].origin[1] + s / 2)
                              for (k, c) in planes if k == "kernel"}}
        frame = self.frame_fn(rows, planes, lines, sum_x, (width / 2, caption_y + 0.45 * s))
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=frame, dynamic_z=frozenset({Z.SHADE, Z.MARK}), regions=regions,
                     narration=self.narration, links=self.links(
                         {c: p for (k, c), p in planes.items() if k == "in"},
                         {c: self.out_row(y0) for (k, c), y0 in rows.items() if k == "out"}))

    def rows(self) -> tuple[dict[Row, float], list[float], float]:
        """The top of every row, the ellipses' heights, and the bottom of the last row."""
        s = self.s
        y = float(self.margin + self.title_h)
        rows: dict[Row, float] = {}
        dots: list[float] = []
        for c in self.chans.inputs:
            if c is None:
                dots.append(y + 0.4 * s)
                y += 1.2 * s
                continue
            rows[("in", c)] = y
            rows[("kernel", c)] = y + 1.15 * s
            y += 2.7 * s
        y += 0.4 * s
        for c in self.chans.outputs:
            if c is None:
                dots.append(y + 0.4 * s)
                y += 1.2 * s
                continue
            rows[("out", c)] = y
            y += 1.35 * s
        return rows, dots, y

    def out_row(self, y0: float) -> Callable[[int, int], tuple[Point, ...]]:
        """Output cell (0, q) of the row whose top is ``y0``."""
        return lambda _r, q: self.out_cell(y0, q)

    def out_cell(self, y0: float, q: int) -> tuple[Point, ...]:
        s = self.s
        x0 = self.centers[q] - s / 2
        return ((x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s))

    def static(self, rows: dict[Row, float], planes: dict[Row, Plane], dots: list[float],
               width: int) -> list[Primitive]:
        th, s = self.theme, self.s
        static: list[Primitive] = []
        for (kind, c), y0 in rows.items():
            if kind == "kernel":
                static.append(Text(xy=(self.left - 0.3 * s, y0 + s / 2), text="kernel", size=0.85 * self.lsize,
                                   color=th.caption, anchor="rm", font="sans", z=Z.TEXT))
                continue
            group = self.in_group(c) if kind == "in" else self.out_group(c)
            static += self.input_row(planes[(kind, c)], c, group) if kind == "in" else self.output_row(y0, c, group)
            static.append(Text(xy=(self.left - 0.3 * s, y0 + s / 2), text=self.name(kind, c, group),
                               size=self.lsize, color=self.label_color(group), anchor="rm", font="sans", z=Z.TEXT))
        w = self.role.shape[1]
        for yd in dots:
            static.append(Text(xy=(self.left + w * s / 2, yd), text="⋮", size=1.3 * self.size, color=th.caption,
                               font="sans", z=Z.TEXT))
        if self.options.labels:
            static.append(Text(xy=(width / 2, self.margin + self.title_h * 0.4), text=self.title(), size=0.4 * s,
                               color=th.caption, font="sans", z=Z.TEXT))
        return static

    def input_row(self, plane: Plane, c: int, group: int) -> list[Primitive]:
        th, s = self.theme, self.s
        w = self.role.shape[1]
        values = self.trace.grid.values
        prims: list[Primitive] = []
        if self.groups > 1:
            prims += sheet(corners(plane, 2.15, w, 0.15), self.hue(group), th, Z.SHEET, max(1.5, 0.05 * s))
        for q in range(w):
            rl = self.role[0, q]
            if (fill := role_fill(th, rl)) is not None:
                prims.append(Polygon(points=plane.cell(0, q), fill=fill, z=Z.FILL))
            if self.numbers and rl != Role.OVERHANG:
                prims.append(Text(xy=plane.at(0.5, q + 0.5), text=format_value(values[c, q]), size=self.size,
                                  color=th.text, z=Z.TEXT))
        return prims + grid_lines(plane, self.role, th, s, Z.TOPGRID, lambda role: role == Role.INPUT)

    def output_row(self, y0: float, c: int, group: int) -> list[Primitive]:
        th, s = self.theme, self.s
        wo = self.out_shape[1]
        prims: list[Primitive] = []
        if self.groups > 1:
            first, last = self.out_cell(y0, 0), self.out_cell(y0, wo - 1)
            d = 0.15 * s
            (x0, top), (x1, bottom) = first[0], last[2]
            grown = ((x0 - d, top - d), (x1 + d, top - d), (x1 + d, bottom + d), (x0 - d, bottom + d))
            prims += sheet(grown, self.hue(group), th, Z.SHEET, max(1.5, 0.05 * s))
        for q in range(wo):
            cell = self.out_cell(y0, q)
            rev = self.reveal_of(c, 0, q)
            prims += output_cell(cell, rev, th, Z.FILL)
            if self.numbers:
                prims.append(Text(xy=((cell[0][0] + cell[1][0]) / 2, y0 + s / 2),
                                  text=format_value(self.value(c, 0, q)), size=self.size, color=th.text,
                                  z=Z.TEXT, reveal=rev))
            prims += outline(cell, th.grid, grid_width(th, s), Z.TOPGRID)
        return prims

    def frame_fn(self, rows: dict[Row, float], planes: dict[Row, Plane], lines: list[str], sum_x: float,
                 caption_xy: Point) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s
        grid_w = grid_width(th, s)
        weights = not self.spec.is_pool and self.numbers

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            prims: list[Primitive] = []
            taps, _ = self.window(step)
            for j, ci in enumerate(step.in_channels):
                plane = planes.get(("in", ci))
                if plane is None:
                    continue
                prims += self.footprint(plane, step, Z.SHADE, Z.MARK, self.in_group(ci))
                krow = planes[("kernel", ci)]
                for n, (_r, q) in enumerate(taps):
                    text = format_value(step.weights[j][n]) if weights else None  # type: ignore[index]
                    prims += kernel_cell(krow, q, text, th, grid_w, self.size, Z.MARK)
                if self.numbers:
                    prims.append(Text(xy=(sum_x, krow.origin[1] + s / 2), text=partial_text(self.trace, step, j),
                                      size=self.size, color=th.caption, anchor="lm", font="serif", z=Z.MARK))
            prims.append(shade(self.out_cell(rows[("out", step.channel)], step.position[0]), th, Z.SHADE))
            if lines:
                prims.append(Text(xy=caption_xy, text=lines[min(i, len(lines) - 1)], size=self.size,
                                  color=th.caption, font="serif", z=Z.MARK))
            return tuple(prims)

        return frame
