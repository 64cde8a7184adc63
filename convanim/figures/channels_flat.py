"""The flat style for several channels: numbered input grids with their partial sums, output grids, the sum line.

Input grids go in rows, output grids in columns on the right, in the most compact arrangement (about 3:2);
under each input plane its partial sum ("Σ = 7"), and at the bottom the sum across planes (plus bias).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..core.scene import Point, Polygon, Primitive, Scene, Text
from ..core.text import text_width
from ..engine import Role
from .geometry import Plane, Z, corners, flat_plane, grid_lines, output_cell, rc, role_fill, shade, sheet
from .multichannel import ChannelFigure
from .values import format_value, partial_text, sum_line

PAD = 0.18  # a group's sheet around its grid, in cells


@dataclass(slots=True)
class Arrangement:
    """Where the grids go for one choice of input grids per row and output columns."""

    width: float
    bottom: float
    inputs: dict[int, Point] = field(default_factory=dict)
    outputs: dict[int, Point] = field(default_factory=dict)
    dots: list[Point] = field(default_factory=list)


class ChannelsFlat(ChannelFigure):
    """Numbered grids side by side."""

    def scene(self) -> Scene:
        s = self.s
        self.margin = round(0.5 * s)
        self.title_h = round(0.8 * s) if self.options.labels else 0
        self.label_h, self.sum_h = round(0.75 * s), round(0.9 * s)
        self.gap_x = round(0.7 * s)
        self.top = self.margin + self.title_h
        self.lines = [sum_line(self.trace, self.steps[i], self.chans.inputs) for i in self.chans.steps]
        best = self.arrange(*self.most_compact())
        caption_y = best.bottom + round(0.3 * s)
        width = round(best.width)
        height = round(caption_y + round(0.9 * s) + self.margin)
        inp = {c: flat_plane(o, s) for c, o in best.inputs.items()}
        outp = {c: flat_plane(o, s) for c, o in best.outputs.items()}
        static = self.static(inp, outp, best.dots, width)
        h, w = self.role.shape
        caption_xy = (width / 2, caption_y + 0.45 * s)
        regions = self.regions({**{("in", c): p for c, p in inp.items()}, **{("out", c): p for c, p in outp.items()}},
                               (h, w), self.out_shape, caption_xy=caption_xy,
                               sum_xy={c: p.at(h + PAD + 0.45, w / 2) for c, p in inp.items()})
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(inp, outp, caption_xy),
                     dynamic_z=frozenset({Z.SHADE, Z.MARK}), regions=regions, narration=self.narration,
                     links=self.links(inp, {c: p.cell for c, p in outp.items()}))

    def most_compact(self) -> tuple[int, int]:
        """(input grids per row, output columns) of the most compact arrangement, about 3:2 (fewer rows and
        columns on ties)."""
        s = self.s
        choices = [(per_row, n_cols) for per_row in range(1, min(4, len(self.chans.inputs)) + 1)
                   for n_cols in range(1, min(3, len(self.chans.outputs)) + 1)]

        def score(o: tuple[int, int]) -> tuple[int, int, int]:
            a = self.arrange(*o)
            return round(max(a.width / 1.5, a.bottom + round(1.2 * s)) / s), -o[0], o[1]

        return min(choices, key=score)

    def arrange(self, per_row: int, n_cols: int) -> Arrangement:
        """Input grids in rows of ``per_row`` slots, output grids in ``n_cols`` columns on the right."""
        s, h, w = self.s, *self.role.shape
        ho, wo = self.out_shape
        ins, outs = self.chans.inputs, self.chans.outputs
        label_h, gap_x, top = self.label_h, self.gap_x, self.top
        block_h = label_h + h * s + self.sum_h
        a = Arrangement(width=0.0, bottom=0.0)
        row_w = 0.0
        n_rows = -(-len(ins) // per_row)
        for n in range(n_rows):
            x, y = float(self.margin), top + n * (block_h + round(0.3 * s))
            for c in ins[n * per_row:(n + 1) * per_row]:
                if c is None:  # the ellipsis slot is narrow
                    a.dots.append((x + 0.6 * s, y + label_h + h * s / 2))
                    x += 1.2 * s + gap_x
                    continue
                a.inputs[c] = (x, y + label_h)
                x += w * s + gap_x
            row_w = max(row_w, x - gap_x)
        in_h = n_rows * block_h + (n_rows - 1) * round(0.3 * s)
        out_block = label_h + ho * s + round(0.35 * s)
        per_col = -(-len(outs) // n_cols)
        out_x0 = row_w + round(1.6 * s)
        for n, c in enumerate(outs):
            col, k = divmod(n, per_col)
            x, y = out_x0 + col * (wo * s + gap_x), top + k * out_block
            if c is None:
                a.dots.append((x + wo * s / 2, y + label_h + ho * s / 2))
                continue
            a.outputs[c] = (x, y + label_h)
        text_w = max(text_width(line, 0.42 * s, "serif") for line in self.lines) + 2 * self.margin
        a.width = max(out_x0 + n_cols * (wo * s + gap_x) - gap_x + self.margin, text_w)
        a.bottom = top + max(in_h, per_col * out_block)
        return a

    def static(self, inp: dict[int, Plane], outp: dict[int, Plane], dots: list[Point],
               width: int) -> list[Primitive]:
        th, s = self.theme, self.s
        static: list[Primitive] = []
        for c, plane in inp.items():
            static += self.input_grid(plane, c)
        for c, plane in outp.items():
            static += self.output_grid(plane, c)
        for x, y in dots:
            static.append(Text(xy=(x, y), text="…", size=1.2 * (0.42 * s), color=th.caption, font="sans", z=Z.TEXT))
        if self.options.labels:
            static.append(Text(xy=(width / 2, self.margin + self.title_h * 0.4), text=self.title(), size=0.4 * s,
                               color=th.caption, font="sans", z=Z.TEXT))
        return static

    def input_grid(self, plane: Plane, c: int) -> list[Primitive]:
        th, s = self.theme, self.s
        h, w = self.role.shape
        group = self.in_group(c)
        prims: list[Primitive] = []
        if self.groups > 1:
            prims += sheet(corners(plane, h, w, PAD), self.hue(group), th, Z.SHEET, max(1.5, 0.05 * s))
        values = self.in_values(c)
        for (r, q), rl in np.ndenumerate(self.role):
            if (fill := role_fill(th, rl)) is not None:
                prims.append(Polygon(points=plane.cell(r, q), fill=fill, z=Z.FILL))
            if rl != Role.OVERHANG:
                prims.append(Text(xy=plane.at(r + 0.5, q + 0.5), text=format_value(values[r, q]), size=0.42 * s,
                                  color=th.text, z=Z.TEXT))
        prims += grid_lines(plane, self.role, th, s, Z.TOPGRID, lambda role: role == Role.INPUT)
        return prims + [self.plane_label(plane, self.name("in", c, group), group)]

    def output_grid(self, plane: Plane, c: int) -> list[Primitive]:
        th, s = self.theme, self.s
        ho, wo = self.out_shape
        group = self.out_group(c)
        prims: list[Primitive] = []
        if self.groups > 1:
            prims += sheet(corners(plane, ho, wo, PAD), self.hue(group), th, Z.SHEET, max(1.5, 0.05 * s))
        for r in range(ho):
            for q in range(wo):
                rev = self.reveal_of(c, r, q)
                prims += output_cell(plane.cell(r, q), rev, th, Z.FILL)
                prims.append(Text(xy=plane.at(r + 0.5, q + 0.5), text=format_value(self.value(c, r, q)),
                                  size=0.42 * s, color=th.text, z=Z.TEXT, reveal=rev))
        prims += grid_lines(plane, np.zeros((ho, wo), np.int8), th, s, Z.TOPGRID, lambda role: role == 0)
        return prims + [self.plane_label(plane, self.name("out", c, group), group)]

    def plane_label(self, plane: Plane, text: str, group: int) -> Text:
        return Text(xy=plane.at(-PAD - 0.12, 0), text=text, size=self.text_size() * 0.9,
                    color=self.label_color(group), anchor="ld", font="sans", z=Z.TEXT)

    def frame_fn(self, inp: dict[int, Plane], outp: dict[int, Plane],
                 caption_xy: Point) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s
        h, w = self.role.shape
        weights = not self.spec.is_pool

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            prims: list[Primitive] = []
            taps, _ = self.window(step)
            for j, ci in enumerate(step.in_channels):
                plane = inp.get(ci)
                if plane is None:
                    continue
                prims += self.footprint(plane, step, Z.SHADE, Z.MARK, self.in_group(ci))
                if weights:
                    for n, (r, q) in enumerate(taps):
                        prims.append(Text(xy=plane.at(r + 0.93, q + 0.93), text=format_value(step.weights[j][n]),
                                          size=0.26 * s, color=th.subscript, anchor="rd", z=Z.MARK))
                prims.append(Text(xy=plane.at(h + PAD + 0.45, w / 2), text=partial_text(self.trace, step, j),
                                  size=0.42 * s, color=th.caption, font="serif", z=Z.MARK))
            pr, pc = rc(step.position, self.nd)
            prims.append(shade(outp[step.channel].cell(pr, pc), th, Z.SHADE))
            prims.append(Text(xy=caption_xy, text=self.lines[min(i, len(self.lines) - 1)], size=0.42 * s,
                              color=th.caption, font="serif", z=Z.MARK))
            return tuple(prims)

        return frame
