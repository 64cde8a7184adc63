"""The stacked style for several channels: conv_arithmetic's sheared planes, input channels below the outputs.

The footprint is shaded on every input plane the current output channel reads, the kernel drawn as a column
of lines through those planes, and four lines join the top one to the output cell.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.scene import Point, Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..engine import Role
from .geometry import Plane, Z, clip_outside, corners, grid_lines, lift, output_cell, rc, role_fill, shade, shear, sheet
from .multichannel import ChannelFigure

Slot = tuple[str, int | None, tuple[int, int]]  # ("in" | "out", channel or None for the ellipsis, shape)


class ChannelsStacked(ChannelFigure):
    """Sheared planes, one per channel drawn: inputs at the bottom, outputs on top."""

    def scene(self) -> Scene:
        planes, dots = self.place()
        planes, dots, width, height, margin = self.fit(planes, dots)
        static = self.static(planes, dots, width, margin)
        regions = self.regions(planes, self.role.shape, self.out_shape)
        links = self.links({c: p for (k, c), p in planes.items() if k == "in"},
                           {c: p.cell for (k, c), p in planes.items() if k == "out"})
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(planes),
                     dynamic_z=frozenset({Z.SHADE, Z.LINES, Z.MARK}), regions=regions, narration=self.narration,
                     links=links)

    def slots(self) -> list[Slot]:
        """From the bottom up: input channels (the last at the bottom), then output channels."""
        slots: list[Slot] = [("in", c, self.role.shape) for c in reversed(self.chans.inputs)]
        return slots + [("out", c, self.out_shape) for c in reversed(self.chans.outputs)]

    def place(self) -> tuple[dict[tuple[str, int], Plane], dict[str, Point]]:
        """Each plane lifted just over the one below it (x centred on 0); the ellipses' positions."""
        s = self.s
        u, v = shear(s, flat=True)
        gap = round(0.35 * s)
        slots = self.slots()
        planes: dict[tuple[str, int], Plane] = {}
        dots: dict[str, Point] = {}
        prev: tuple[Point, ...] | None = None
        y_next = 0.0
        for n, (kind, c, (rows, cols)) in enumerate(slots):
            x = -(cols * u[0] + rows * v[0]) / 2
            if c is None:  # the ellipsis: a gap with a vertical "⋮"
                dots[kind] = (0.0, y_next)
                continue
            plane = Plane((x, 0.0), u, v)
            pts = corners(plane, rows, cols, 0.15)
            if prev is not None:
                between = gap * (2.5 if n > 0 and slots[n - 1][1] is None else 1)
                between += round(0.9 * s) if kind == "out" and slots[n - 1][0] == "in" else 0
                plane = Plane((x, lift(prev, pts, between)), u, v)
                pts = corners(plane, rows, cols, 0.15)
            if n + 1 < len(slots) and slots[n + 1][1] is None:
                y_next = min(p[1] for p in pts) - 1.4 * gap
            planes[(kind, c)] = plane
            prev = pts
        return planes, dots

    def fit(self, planes: dict[tuple[str, int], Plane], dots: dict[str, Point]
            ) -> tuple[dict[tuple[str, int], Plane], dict[str, Point], int, int, int]:
        """Planes and ellipses moved onto a canvas with room for the labels at their left; its size."""
        s = self.s
        size = self.text_size()
        label_w = max(text_width(self.name(kind, c, self.in_group(c) if kind == "in" else self.out_group(c)),
                                 size, "sans") for (kind, c) in planes)
        margin = round(0.5 * s)
        pts_all = [p for (kind, _c), pl in planes.items()
                   for p in corners(pl, *(self.role.shape if kind == "in" else self.out_shape), 0.15)]
        x0 = min(min(p[0] for p in pts_all), min(pl.origin[0] for pl in planes.values()) - label_w - 0.5 * s)
        x1, y0, y1 = max(p[0] for p in pts_all), min(p[1] for p in pts_all), max(p[1] for p in pts_all)
        self.title_size, self.title_lines, title_h = self.title_block(x1 - x0, max(x1 - x0, y1 - y0))
        x_mid = (x0 + x1) / 2
        half = max((x1 - x0) / 2, max((text_width(ln, self.title_size, "sans") for ln in self.title_lines),
                                      default=0) / 2)
        x0, x1 = x_mid - half, x_mid + half
        dx, dy = round(margin - x0), round(margin + title_h - y0)
        moved = {k: Plane((round(pl.origin[0] + dx), round(pl.origin[1] + dy)), pl.u, pl.v)
                 for k, pl in planes.items()}
        dots = {k: (x + dx, y + dy) for k, (x, y) in dots.items()}
        return moved, dots, round(x1 - x0 + 2 * margin), round(y1 - y0 + 2 * margin + title_h), margin

    def static(self, planes: dict[tuple[str, int], Plane], dots: dict[str, Point], width: int,
               margin: int) -> list[Primitive]:
        th, s = self.theme, self.s
        size = self.text_size()
        static: list[Primitive] = []
        for (kind, c), plane in planes.items():
            group = self.in_group(c) if kind == "in" else self.out_group(c)
            static += self.input_plane(plane, group) if kind == "in" else self.output_plane(plane, c, group)
            static.append(Text(xy=(plane.origin[0] - 0.5 * s, plane.origin[1]), text=self.name(kind, c, group),
                               size=size, color=self.label_color(group), anchor="rm", font="sans",
                               z=Z.OUTPUT + 2 if kind == "out" else Z.TEXT))
        for x, y in dots.values():
            static.append(Text(xy=(x, y), text="⋮", size=1.4 * size, color=th.caption, font="sans", z=Z.TEXT))
        static += self.title_texts(width, margin * 0.5, self.title_size, self.title_lines, Z.FILL)
        return static

    def input_plane(self, plane: Plane, group: int) -> list[Primitive]:
        th, s = self.theme, self.s
        h, w = self.role.shape
        prims: list[Primitive] = []
        if self.groups > 1:
            prims += sheet(corners(plane, h, w, 0.15), self.hue(group), th, Z.SHEET, max(1.5, 0.06 * s))
        prims += [Polygon(points=plane.cell(r, q), fill=fill, z=Z.FILL)
                  for (r, q), rl in np.ndenumerate(self.role) if (fill := role_fill(th, rl)) is not None]
        return prims + grid_lines(plane, self.role, th, s, Z.GRID, lambda role: role == Role.INPUT)

    def output_plane(self, plane: Plane, c: int, group: int) -> list[Primitive]:
        th, s = self.theme, self.s
        ho, wo = self.out_shape
        prims: list[Primitive] = []
        if self.groups > 1:
            prims += sheet(corners(plane, ho, wo, 0.15), self.hue(group), th, Z.OUTPUT - 3, max(1.5, 0.06 * s))
        for r in range(ho):
            for q in range(wo):
                prims += output_cell(plane.cell(r, q), self.reveal_of(c, r, q), th, Z.OUTPUT)
        return prims + grid_lines(plane, np.zeros((ho, wo), np.int8), th, s, Z.OUTPUT + 1, lambda role: role == 0)

    def frame_fn(self, planes: dict[tuple[str, int], Plane]) -> Callable[[int], tuple[Primitive, ...]]:
        th = self.theme
        corner_offsets = ((0, 0), (0, 1), (1, 0), (1, 1))

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            prims: list[Primitive] = []
            outp = planes[("out", step.channel)]
            pr, pc = rc(step.position, self.nd)
            _taps, (r0, c0, er, ec) = self.window(step)
            read = [planes[("in", ci)] for ci in step.in_channels if ("in", ci) in planes]
            # the lines pass behind the input planes this output does not read (output planes hide them anyway)
            hidden = [corners(p, *self.role.shape) for (k, c), p in planes.items()
                      if k == "in" and c not in step.in_channels]
            for ci in step.in_channels:
                if ("in", ci) in planes:
                    prims += self.footprint(planes[("in", ci)], step, Z.SHADE, Z.SHADE, self.in_group(ci))
            # the kernel as a column through the planes it reads, then conv_arithmetic's four lines up
            for upper, lower in zip(read, read[1:]):  # vertical: centred on a pixel column to stay 1 px wide
                for dr, dc in corner_offsets:
                    (xa, ya), (xb, yb) = lower.at(r0 + dr * er, c0 + dc * ec), upper.at(r0 + dr * er, c0 + dc * ec)
                    prims += [Segment(start=p, end=q, color=th.connector, width=1.0, z=Z.LINES, antialias=False)
                              for p, q in clip_outside((xa + 0.5, ya), (xb + 0.5, yb), hidden)]
            for dr, dc in corner_offsets:
                prims += [Segment(start=p, end=q, color=th.connector, width=1.0, z=Z.LINES, antialias=False)
                          for p, q in clip_outside(read[0].at(r0 + dr * er, c0 + dc * ec), outp.at(pr + dr, pc + dc),
                                                   hidden)]
            prims.append(shade(outp.cell(pr, pc), th, Z.MARK))
            return tuple(prims)

        return frame
