"""The strip style for several channels: a (C, width) signal as one row per channel, each with its kernel row."""

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
    format_value,
    kernel_cell,
    output_cell,
)
from .layout_multi import Z_SHEET, MultiLayout, partial_text, sum_line
from .layout_stack import corners, sheet
from .scene import Point, Polygon, Primitive, Scene, Segment, Text


def strip(lay: MultiLayout) -> Scene:
    """Per input channel a row and its kernel row (partial sum at its end), then one row per output channel."""
    th, s, opts = lay.theme, lay.s, lay.options
    w = lay.role.shape[1]
    wo = lay.out_shape[1]
    size = 0.42 * s
    lsize = lay.text_size() * 0.9
    margin = round(0.5 * s)
    title_h = round(0.8 * s) if opts.labels else 0
    label_w = round(max(len(lay.name("out", lay.spec.out_channels - 1, lay.groups - 1)), 6) * 0.6 * lsize
                    + 0.5 * s)
    left = margin + label_w
    y = float(margin + title_h)
    rows: dict[tuple[str, int], float] = {}
    dots: list[float] = []
    for c in lay.chans.inputs:
        if c is None:
            dots.append(y + 0.4 * s)
            y += 1.2 * s
            continue
        rows[("in", c)] = y
        rows[("kernel", c)] = y + 1.15 * s
        y += 2.7 * s
    y += 0.4 * s
    for c in lay.chans.outputs:
        if c is None:
            dots.append(y + 0.4 * s)
            y += 1.2 * s
            continue
        rows[("out", c)] = y
        y += 1.35 * s
    extent = lay.spec.effective_kernel[0]
    starts = lay.trace.tap_coords[0][:, 0]
    centers = left + (starts + extent / 2) * s
    sum_x = max(left + w * s, centers.max() + s / 2) + 0.4 * s
    lines = [sum_line(lay.trace, lay.steps[i], lay.chans.inputs) for i in lay.chans.steps] if lay.numbers \
        else []
    width = round(sum_x + (5.5 * size if lay.numbers else 0) + margin)
    if lines:
        width = max(width, round(max(map(len, lines)) * 0.5 * size * 1.1 + 2 * margin))
    caption_y = y + 0.2 * s
    height = round(caption_y + (0.9 * s if lines else 0) + margin)
    grid_w = max(1.0, th.grid_width * s)

    def out_cell(y0: float, q: int) -> tuple[Point, ...]:
        x0 = centers[q] - s / 2
        return ((x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s))

    static: list[Primitive] = []
    planes: dict[tuple[str, int], _Plane] = {}
    values = lay.trace.grid.values
    for (kind, c), y0 in rows.items():
        plane = _Plane((left, y0), (s, 0), (0, s))
        planes[(kind, c)] = plane
        if kind == "kernel":
            static.append(Text(xy=(left - 0.3 * s, y0 + s / 2), text="kernel", size=0.85 * lsize,
                               color=th.caption, anchor="rm", font="sans", z=Z_TEXT))
            continue
        group = lay.in_group(c) if kind == "in" else lay.out_group(c)
        if kind == "in":
            if lay.groups > 1:
                static += sheet(corners(plane, 2.15, w, 0.15), lay.hue(group), th, Z_SHEET, max(1.5, 0.05 * s))
            for q in range(w):
                rl = lay.role[0, q]
                if rl == Role.INPUT:
                    static.append(Polygon(points=plane.cell(0, q), fill=th.input, z=Z_FILL))
                if lay.numbers and rl != Role.OVERHANG:
                    static.append(Text(xy=plane.at(0.5, q + 0.5), text=format_value(values[c, q]), size=size,
                                       color=th.text, z=Z_TEXT))
            static += _grid_lines(plane, lay.role, th, s, Z_TOPGRID, lambda role: role == Role.INPUT)
        else:
            if lay.groups > 1:
                box = (out_cell(y0, 0)[0], out_cell(y0, wo - 1)[1], out_cell(y0, wo - 1)[2], out_cell(y0, 0)[3])
                grown = (_grow(box, 0.15 * s))
                static += sheet(grown, lay.hue(group), th, Z_SHEET, max(1.5, 0.05 * s))
            for q in range(wo):
                cell = out_cell(y0, q)
                rev = lay.reveal_of(c, 0, q)
                static += output_cell(cell, rev, th, Z_FILL)
                if lay.numbers:
                    static.append(Text(xy=((cell[0][0] + cell[1][0]) / 2, y0 + s / 2),
                                       text=format_value(lay.value(c, 0, q)), size=size, color=th.text,
                                       z=Z_TEXT, reveal=rev))
                for a, b in zip(cell, cell[1:] + cell[:1]):
                    static.append(Segment(start=a, end=b, color=th.grid, width=grid_w, z=Z_TOPGRID))
        static.append(Text(xy=(left - 0.3 * s, y0 + s / 2), text=lay.name(kind, c, group), size=lsize,
                           color=lay.label_color(group), anchor="rm", font="sans", z=Z_TEXT))
    for yd in dots:
        static.append(Text(xy=(left + w * s / 2, yd), text="⋮", size=1.3 * size, color=th.caption,
                           font="sans", z=Z_TEXT))
    if opts.labels:
        static.append(Text(xy=(width / 2, margin + title_h * 0.4), text=lay.title(), size=0.4 * s,
                           color=th.caption, font="sans", z=Z_TEXT))
    weights = not lay.spec.is_pool and lay.numbers

    def frame(i: int) -> tuple[Primitive, ...]:
        step = lay.step_of(i)
        prims: list[Primitive] = []
        taps, _ = lay.window(step)
        for j, ci in enumerate(step.in_channels):
            plane = planes.get(("in", ci))
            if plane is None:
                continue
            prims += lay.footprint(plane, step, Z_SHADE, Z_MARK, lay.in_group(ci))
            krow = planes[("kernel", ci)]
            for n, (_r, q) in enumerate(taps):
                weight = step.weights[j][n] if weights else None
                prims += kernel_cell(krow, q, weight, th, grid_w, size, Z_MARK)
            if lay.numbers:
                prims.append(Text(xy=(sum_x, krow.origin[1] + s / 2), text=partial_text(lay.trace, step, j),
                                  size=size, color=th.caption, anchor="lm", font="serif", z=Z_MARK))
        cell = out_cell(rows[("out", step.channel)], step.position[0])
        prims.append(Polygon(points=cell, fill=th.shade, alpha=th.shade_alpha, z=Z_SHADE))
        if lines:
            prims.append(Text(xy=(width / 2, caption_y + 0.45 * s), text=lines[min(i, len(lines) - 1)],
                              size=size, color=th.caption, font="serif", z=Z_MARK))
        return tuple(prims)

    regions = {"input_centers": {c: planes[("in", c)].centers((1, w)) for (k, c) in planes if k == "in"},
               "kernel_centers": {c: planes[("kernel", c)].centers((1, w)) for (k, c) in planes if k == "kernel"},
               "output_centers": {c: np.array([[np.mean(out_cell(y0, q), axis=0) for q in range(wo)]])
                                  for (k, c), y0 in rows.items() if k == "out"},
               "input_role": lay.role, "frame_steps": lay.chans.steps,
               "sum_xy": {c: (sum_x, planes[("kernel", c)].origin[1] + s / 2) for (k, c) in planes if k == "kernel"}}
    return Scene(width=width, height=height, background=th.background, static=tuple(static),
                 n_frames=lay.n_frames, frame=frame, dynamic_z=frozenset({Z_SHADE, Z_MARK}), regions=regions)




def _grow(box: tuple[Point, ...], d: float) -> tuple[Point, ...]:
    (x0, y0), (x1, _), (_, y1) = box[0], box[1], box[2]
    return ((x0 - d, y0 - d), (x1 + d, y0 - d), (x1 + d, y1 + d), (x0 - d, y1 + d))

