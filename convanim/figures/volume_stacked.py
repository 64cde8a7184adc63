"""The stacked style of the 3-D figure: every volume a column of sheared sheets (depth 0 on top), the kernel a box.

Input columns (one per channel drawn) on the left, output columns on the right, each headed by its name and
size; each input sheet is labelled with its depth in the input (``d 2``), or ``pad`` / ``zeros``. A frame
shades the footprint on every sheet the kernel taps, joins the footprint's corners from the first tapped sheet to
the last (the box), and joins the box to the current output voxel with conv_arithmetic's four lines.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.scene import Point, Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..engine import Role
from .geometry import (
    Plane,
    Z,
    edges_over_padding,
    extent,
    grid_lines,
    grid_width,
    output_cell,
    role_fill,
    runs,
    shade,
    shear,
)
from .volume_common import VolumeFigure, window_of

Key = tuple[str, int, int]  # ("in" | "out", channel, depth slice)


class VolumeStacked(VolumeFigure):
    """Columns of sheared sheets."""

    def scene(self) -> Scene:
        s = self.s = self.cell_size()
        self.size = self.text_size(s)
        sheets, headers, dots, width, height = self.place()
        self.captions_ = self.captions()
        caption_y = height - self.margin - (0.45 * s if self.captions_ else 0)
        if self.captions_:
            width = max(width, round(max(text_width(c, 0.42 * s, "serif") for c in self.captions_) + 2 * self.margin))
        static = self.sheets_static(sheets) + self.texts(sheets, headers, dots, width)
        static += self.title_texts(width, self.margin, s)
        regions = {"input_centers": {(c, d): pl.centers(self.role.shape[1:]) for (k, c, d), pl in sheets.items()
                                     if k == "in"},
                   "output_centers": {(c, d): pl.centers(self.out_shape[1:]) for (k, c, d), pl in sheets.items()
                                      if k == "out"},
                   "input_role": self.role, "frame_steps": self.chans.steps, "trace": self.trace,
                   "named_planes": True}
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(sheets, (width / 2, caption_y)),
                     dynamic_z=frozenset({Z.SHADE, Z.LINES, Z.MARK}), regions=regions, narration=self.narration,
                     links=self.links(sheets))

    def cell_size(self) -> float:
        """Pixels per cell: conv_arithmetic's 30 at most, less so the tallest column stays about 640 px high."""
        if self.options.scale:
            return float(self.options.scale)
        (dp, hp, wp), (do, ho, wo) = self.role.shape, self.out_shape
        tall = max(dp * (hp * 0.36 + wp * 0.3 + 0.4), do * (ho * 0.36 + wo * 0.3 + 0.4))
        return float(max(10, min(26, round(640 / tall))))

    def column(self, shape: tuple[int, int, int], x: float, y: float) -> tuple[list[Plane], float, float]:
        """The sheets of one volume from depth 0 down, the first's box at (x, y); its width and height."""
        u, v = shear(self.s, flat=True)
        ex0, ey0, ex1, ey1 = extent(u, v, shape[1], shape[2])
        pitch = (ey1 - ey0) + round(0.4 * self.s)
        planes = [Plane((round(x - ex0), round(y - ey0 + d * pitch)), u, v) for d in range(shape[0])]
        return planes, ex1 - ex0, shape[0] * pitch - round(0.4 * self.s)

    def place(self) -> tuple[dict[Key, Plane], dict[tuple[str, int], Point], list[Point], int, int]:
        """Every sheet placed: input columns, then output columns, headed, centred on each other in height."""
        s, size = self.s, self.size
        self.margin = round(0.5 * s)
        slice_w = max(text_width(self.slice_name(d), size, "sans") for d in range(self.role.shape[0]))
        slice_w = max(slice_w, text_width(f"d {self.out_shape[0] - 1}", size, "sans")) + 0.5 * s
        head_h = round(1.6 * size)
        columns = [("in", c, self.role.shape) for c in self.chans.inputs] + \
                  [("out", c, self.out_shape) for c in self.chans.outputs]
        tall = max(self.column(shape, 0, 0)[2] for _, _, shape in columns)
        sheets: dict[Key, Plane] = {}
        headers: dict[tuple[str, int], Point] = {}
        dots: list[Point] = []
        x, top = self.margin + slice_w, self.margin + head_h + self.title_height(s)
        for n, (kind, c, shape) in enumerate(columns):
            if n and kind == "out" and columns[n - 1][0] == "in":
                x += 2.0 * s  # room for the connectors
            if c is None:
                dots.append((x + 0.6 * s, top + tall / 2))
                x += 1.2 * s + 0.6 * s
                continue
            _, w, h = self.column(shape, 0, 0)
            planes, w, h = self.column(shape, x, top + (tall - h) / 2)
            sheets.update({(kind, c, d): pl for d, pl in enumerate(planes)})
            head_w = text_width(self.heading(kind, c), size, "sans")
            headers[(kind, c)] = (x + w / 2, top + (tall - h) / 2 - 0.9 * size)
            x += max(w, head_w) + 0.8 * s
        width = round(max(x - 0.8 * s + slice_w, self.title_width(s)) + self.margin)  # depth labels on the right
        caption_h = round(0.9 * s) if self.captions() else 0
        return sheets, headers, dots, width, round(top + tall + caption_h + self.margin)

    def sheets_static(self, sheets: dict[Key, Plane]) -> list[Primitive]:
        th, s = self.theme, self.s
        static: list[Primitive] = []
        out_role = np.zeros(self.out_shape[1:], np.int8)
        for (kind, c, d), plane in sheets.items():
            if kind == "in":
                role = self.role[d]
                static += [Polygon(points=plane.cell(r, q), fill=fill, z=Z.FILL)
                           for (r, q), rl in np.ndenumerate(role) if (fill := role_fill(th, rl)) is not None]
                static += grid_lines(plane, role, th, s, Z.GRID, lambda rl: rl == Role.INPUT)
                continue
            for (r, q), _ in np.ndenumerate(out_role):
                static += output_cell(plane.cell(r, q), self.reveal_of(c, (d, r, q)), th, Z.OUTPUT)
            static += grid_lines(plane, out_role, th, s, Z.OUTPUT + 1, lambda rl: rl == 0)
        return static + self.spines(sheets)

    def spines(self, sheets: dict[Key, Plane]) -> list[Primitive]:
        """Each volume's outline at its left and right corners (which no sheet covers), faint and behind the
        sheets: the stack reads as one block."""
        out: list[Primitive] = []
        for (kind, c, d), top in sheets.items():
            if d != 0:
                continue
            depth, rows, cols = self.role.shape if kind == "in" else self.out_shape
            bottom = sheets[(kind, c, depth - 1)]
            z = Z.SHEET if kind == "in" else Z.OUTPUT - 3
            for a, b in ((0, 0), (rows, cols)):
                (xa, ya), (xb, yb) = top.at(a, b), bottom.at(a, b)
                out.append(Segment(start=(xa + 0.5, ya), end=(xb + 0.5, yb), color=self.theme.grid, width=1.0,
                                   alpha=0.35, z=z, antialias=False))
        return out

    def texts(self, sheets: dict[Key, Plane], headers: dict[tuple[str, int], Point], dots: list[Point],
              width: int) -> list[Primitive]:
        th, s, size = self.theme, self.s, self.size
        out: list[Primitive] = []
        # depth labels left of the first input column and right of the last output column (clear of connectors)
        ends = {"in": min(c for k, c in headers if k == "in"), "out": max(c for k, c in headers if k == "out")}
        for (kind, c, d), plane in sheets.items():
            if c != ends[kind]:
                continue
            if kind == "in":
                x, y = plane.at(0, 0)  # the sheet's leftmost corner
                out.append(Text(xy=(x - 0.35 * s, y), text=self.slice_name(d), size=size, color=th.caption,
                                anchor="rm", font="sans", z=Z.OUTPUT + 2))
            else:
                x, y = plane.at(*self.out_shape[1:])  # its rightmost corner
                out.append(Text(xy=(x + 0.35 * s, y), text=f"d {d}", size=size, color=th.caption, anchor="lm",
                                font="sans", z=Z.OUTPUT + 2))
        for (kind, c), xy in headers.items():
            out.append(Text(xy=xy, text=self.heading(kind, c), size=size, color=self.heading_color(kind, c),
                            font="sans", z=Z.OUTPUT + 2))
        out += [Text(xy=xy, text="⋯", size=1.4 * size, color=th.caption, font="sans", z=Z.TEXT) for xy in dots]
        return out

    def frame_fn(self, sheets: dict[Key, Plane], caption_xy: Point) -> Callable[[int], tuple[Primitive, ...]]:
        th = self.theme
        corners = ((0, 0), (0, 1), (1, 0), (1, 1))

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            win = window_of(step)
            (_, r0, c0), (_, er, ec) = win.origin, win.extent
            depths = sorted(win.slices)
            prims: list[Primitive] = []
            read = [ci for ci in step.in_channels if ("in", ci, depths[0]) in sheets]
            for ci in read:
                for d in depths:
                    prims += self.footprint(sheets[("in", ci, d)], win.slices[d], self.role[d])
                first, last = sheets[("in", ci, depths[0])], sheets[("in", ci, depths[-1])]
                if last is not first:  # the box's four edges through the sheets it spans, each one pixel column
                    for a, b in corners:
                        (xa, ya), (xb, yb) = first.at(r0 + a * er, c0 + b * ec), last.at(r0 + a * er, c0 + b * ec)
                        prims.append(Segment(start=(xa + 0.5, ya), end=(xb + 0.5, yb), color=th.connector, width=1.0,
                                             z=Z.LINES, antialias=False))
            d, pr, pc = step.position
            outp = sheets[("out", step.channel, d)]
            top = sheets[("in", read[0], depths[0])]
            prims += [Segment(start=top.at(r0 + a * er, c0 + b * ec), end=outp.at(pr + a, pc + b), color=th.connector,
                              width=1.0, z=Z.LINES, antialias=False) for a, b in corners]
            prims.append(shade(outp.cell(pr, pc), th, Z.MARK))
            if self.captions_:
                prims.append(Text(xy=caption_xy, text=self.captions_[min(i, len(self.captions_) - 1)],
                                  size=0.42 * self.s, color=th.caption, font="serif", z=Z.MARK))
            return tuple(prims)

        return frame

    def footprint(self, plane: Plane, taps: list[tuple[int, int]], role: np.ndarray) -> list[Primitive]:
        """The taps of one sheet shaded (merged into runs of cells) and a solid grid over the padding they cover."""
        th = self.theme
        rows, cols = sorted({r for r, _ in taps}), sorted({c for _, c in taps})
        prims: list[Primitive] = []
        if len(taps) == len(rows) * len(cols):
            for a, b in runs(rows):
                for c, e in runs(cols):
                    prims.append(shade(plane.box(a, c, b - a, e - c), th, Z.SHADE))
        else:
            prims += [shade(plane.cell(r, c), th, Z.SHADE) for r, c in taps]
        grid_w = grid_width(th, self.s)
        return prims + [Segment(start=plane.at(e0, f0), end=plane.at(e1, f1), color=th.grid, width=grid_w, z=Z.SHADE)
                        for e0, f0, e1, f1, _ in edges_over_padding(taps, role == Role.INPUT)]
