"""The flat style for several channels: numbered input grids with their partial sums, output grids, the sum line."""

from __future__ import annotations

import numpy as np

from .engine import Role
from .layout import (
    Z_FILL,
    Z_MARK,
    Z_SHADE,
    Z_TEXT,
    Z_TOPGRID,
    _grid_lines,
    _Plane,
    _rc,
    format_value,
    output_cell,
)
from .layout_multi import Z_SHEET, MultiLayout, partial_text, sum_line
from .layout_stack import corners, sheet
from .scene import Point, Polygon, Primitive, Scene, Text


def flat(lay: MultiLayout) -> Scene:
    """Input grids in rows, output grids in columns on the right (the most compact about 3:2), the sum line."""
    th, s, opts = lay.theme, lay.s, lay.options
    h, w = lay.role.shape
    ho, wo = lay.out_shape
    size, sub = 0.42 * s, 0.26 * s
    lsize = lay.text_size() * 0.9
    margin = round(0.5 * s)
    title_h = round(0.8 * s) if opts.labels else 0
    label_h, sum_h = round(0.75 * s), round(0.9 * s)
    gap_x = round(0.7 * s)
    top = margin + title_h
    lines = [sum_line(lay.trace, lay.steps[i], lay.chans.inputs) for i in lay.chans.steps]
    text_w = max(map(len, lines)) * 0.5 * size * 1.1 + 2 * margin

    Arrangement = tuple[float, float, dict[int, Point], dict[int, Point], list[Point]]

    def arrange(per_row: int, n_cols: int) -> Arrangement:
        """Input grids in rows of ``per_row`` slots, output grids in ``n_cols`` columns on the right."""
        ins, outs = lay.chans.inputs, lay.chans.outputs
        block_h = label_h + h * s + sum_h
        in_origin: dict[int, Point] = {}
        out_origin: dict[int, Point] = {}
        dots: list[Point] = []
        row_w = 0.0
        n_rows = -(-len(ins) // per_row)
        for n in range(n_rows):
            x, y = float(margin), top + n * (block_h + round(0.3 * s))
            for c in ins[n * per_row:(n + 1) * per_row]:
                if c is None:  # the ellipsis slot is narrow
                    dots.append((x + 0.6 * s, y + label_h + h * s / 2))
                    x += 1.2 * s + gap_x
                    continue
                in_origin[c] = (x, y + label_h)
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
                dots.append((x + wo * s / 2, y + label_h + ho * s / 2))
                continue
            out_origin[c] = (x, y + label_h)
        width = max(out_x0 + n_cols * (wo * s + gap_x) - gap_x + margin, text_w)
        return width, top + max(in_h, per_col * out_block), in_origin, out_origin, dots

    # the most compact arrangement, about 3:2 (fewer rows and columns on ties)
    choices = [(per_row, n_cols) for per_row in range(1, min(4, len(lay.chans.inputs)) + 1)
               for n_cols in range(1, min(3, len(lay.chans.outputs)) + 1)]
    def score(o: tuple[int, int]) -> tuple[int, int, int]:
        w_, h_ = arrange(*o)[:2]
        return round(max(w_ / 1.5, h_ + round(1.2 * s)) / s), -o[0], o[1]

    best = min(choices, key=score)
    width_f, body_bottom, in_origin, out_origin, dots = arrange(*best)
    caption_y = body_bottom + round(0.3 * s)
    width = round(width_f)
    height = round(caption_y + round(0.9 * s) + margin)
    inp = {c: _Plane(o, (s, 0), (0, s)) for c, o in in_origin.items()}
    outp = {c: _Plane(o, (s, 0), (0, s)) for c, o in out_origin.items()}

    static: list[Primitive] = []
    pad = 0.18
    for c, plane in inp.items():
        group = lay.in_group(c)
        if lay.groups > 1:
            static += sheet(corners(plane, h, w, pad), lay.hue(group), th, Z_SHEET, max(1.5, 0.05 * s))
        values = lay.in_values(c)
        for (r, q), rl in np.ndenumerate(lay.role):
            if rl == Role.INPUT:
                static.append(Polygon(points=plane.cell(r, q), fill=th.input, z=Z_FILL))
            if rl != Role.OVERHANG:
                static.append(Text(xy=plane.at(r + 0.5, q + 0.5), text=format_value(values[r, q]), size=size,
                                   color=th.text, z=Z_TEXT))
        static += _grid_lines(plane, lay.role, th, s, Z_TOPGRID, lambda role: role == Role.INPUT)
        static.append(Text(xy=plane.at(-pad - 0.12, 0), text=lay.name("in", c, group), size=lsize,
                           color=lay.label_color(group), anchor="ld", font="sans", z=Z_TEXT))
    for c, plane in outp.items():
        group = lay.out_group(c)
        if lay.groups > 1:
            static += sheet(corners(plane, ho, wo, pad), lay.hue(group), th, Z_SHEET, max(1.5, 0.05 * s))
        for r in range(ho):
            for q in range(wo):
                rev = lay.reveal_of(c, r, q)
                static += output_cell(plane.cell(r, q), rev, th, Z_FILL)
                static.append(Text(xy=plane.at(r + 0.5, q + 0.5), text=format_value(lay.value(c, r, q)),
                                   size=size, color=th.text, z=Z_TEXT, reveal=rev))
        static += _grid_lines(plane, np.zeros((ho, wo), np.int8), th, s, Z_TOPGRID, lambda role: role == 0)
        static.append(Text(xy=plane.at(-pad - 0.12, 0), text=lay.name("out", c, group), size=lsize,
                           color=lay.label_color(group), anchor="ld", font="sans", z=Z_TEXT))
    for x, y in dots:
        static.append(Text(xy=(x, y), text="…", size=1.2 * size, color=th.caption, font="sans", z=Z_TEXT))
    if opts.labels:
        static.append(Text(xy=(width / 2, margin + title_h * 0.4), text=lay.title(), size=0.4 * s,
                           color=th.caption, font="sans", z=Z_TEXT))
    weights = not lay.spec.is_pool
    caption_xy = (width / 2, caption_y + 0.45 * s)

    def frame(i: int) -> tuple[Primitive, ...]:
        step = lay.step_of(i)
        prims: list[Primitive] = []
        taps, _ = lay.window(step)
        for j, ci in enumerate(step.in_channels):
            plane = inp.get(ci)
            if plane is None:
                continue
            prims += lay.footprint(plane, step, Z_SHADE, Z_MARK, lay.in_group(ci))
            if weights:
                for n, (r, q) in enumerate(taps):
                    prims.append(Text(xy=plane.at(r + 0.93, q + 0.93), text=format_value(step.weights[j][n]),
                                      size=sub, color=th.subscript, anchor="rd", z=Z_MARK))
            prims.append(Text(xy=plane.at(h + pad + 0.45, w / 2), text=partial_text(lay.trace, step, j),
                              size=size, color=th.caption, font="serif", z=Z_MARK))
        pr, pc = _rc(step.position, lay.nd)
        prims.append(Polygon(points=outp[step.channel].cell(pr, pc), fill=th.shade, alpha=th.shade_alpha,
                             z=Z_SHADE))
        prims.append(Text(xy=caption_xy, text=lines[min(i, len(lines) - 1)], size=size, color=th.caption,
                          font="serif", z=Z_MARK))
        return tuple(prims)

    regions = lay.regions({**{("in", c): p for c, p in inp.items()}, **{("out", c): p for c, p in outp.items()}},
                            (h, w), (ho, wo), caption_xy=caption_xy,
                            sum_xy={c: p.at(h + pad + 0.45, w / 2) for c, p in inp.items()})
    return Scene(width=width, height=height, background=th.background, static=tuple(static),
                 n_frames=lay.n_frames, frame=frame, dynamic_z=frozenset({Z_SHADE, Z_MARK}), regions=regions)

