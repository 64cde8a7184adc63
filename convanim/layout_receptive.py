"""layout_layers(): a stack of layers -> Scene: one plane per layer, the field of one top cell shaded on every plane.

2-D stacks are conv_arithmetic's sheared planes, the input at the bottom and the last layer's output on top,
each plane with the dashed padding the next layer adds; four lines join the field's corners from plane to
plane. 1-D stacks are rows of cells (WaveNet's figure): each cell sits over the centre of its own field and
lines join every cell of the field to the cells it reads. One frame per output cell of the last layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .arithmetic import describe
from .engine import Role
from .layout import DEFAULT_SCALE, _grid_lines, _Plane
from .layout_stack import corners, lift, runs, shear
from .options import Compare, RenderOptions, Style
from .receptive import PlaneField, field, layer_fields, reads, show
from .scene import Point, Polygon, Primitive, Scene, Segment, Text
from .spec import ConvSpec, SpecError

Z_PLANE = 50  # plane p draws at Z_PLANE * p + offset: fill 0, grid 2, text 3, shade 10, lines upward 20


def _pads(specs: Sequence[ConvSpec], p: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Padding drawn around plane ``p``: the padding of the layer that reads it (none on top)."""
    nd = specs[0].ndim
    if p == len(specs) or specs[p].transposed:
        return (0,) * nd, (0,) * nd
    return specs[p].pad_before, specs[p].pad_after


def _size(specs: Sequence[ConvSpec], p: int) -> tuple[int, ...]:
    return specs[0].input_size if p == 0 else specs[p - 1].output_size


def short_name(spec: ConvSpec) -> str:
    """``conv 3×3 · stride 2`` for a plane's label (describe() without the sizes)."""
    text = describe(spec)
    parts = text.split(" → ")[0].split(" · ")[1:]
    return " · ".join(parts)


def _check_frames(n_steps: int, options: RenderOptions) -> int:
    frames = n_steps + options.hold_last
    if frames > options.max_frames:
        raise SpecError("render.max_frames", f"the animation would have {frames} frames, over the limit of "
                                             f"{options.max_frames}; raise it with render: {{max_frames: {frames}}}")
    return frames


def layout_layers(specs: Sequence[ConvSpec], options: RenderOptions | None = None) -> Scene:
    """The receptive-field scene of a stack of layers (``Config.layers``)."""
    options = options or RenderOptions()
    specs = tuple(specs)
    if not specs:
        raise SpecError("layers", "expected at least one layer")
    if options.compare is not Compare.NONE:
        raise SpecError("render.compare", "compares one layer's kernel flipped and not; a layers: config draws "
                                          "its receptive field instead (remove compare)")
    n_steps = math.prod(specs[-1].output_size)
    n_frames = _check_frames(n_steps, options)
    if specs[0].ndim == 1:
        return _Strips(specs, options, n_steps, n_frames).scene()
    return _Planes(specs, options, n_steps, n_frames).scene()


class _Stack:
    def __init__(self, specs: tuple[ConvSpec, ...], options: RenderOptions, n_steps: int, n_frames: int):
        self.specs, self.options, self.theme = specs, options, options.theme
        self.n_steps, self.n_frames = n_steps, n_frames
        self.fields = layer_fields(specs)
        self.n_planes = len(specs) + 1

    def position(self, frame: int) -> tuple[int, ...]:
        i = min(frame, self.n_steps - 1)
        return tuple(int(v) for v in np.unravel_index(i, self.specs[-1].output_size))

    def fill(self, p: int) -> str:
        return self.theme.input if p == 0 else self.theme.output

    def label(self, p: int) -> tuple[str, str]:
        f = self.fields[p]
        size = "×".join(map(str, f.output_size))
        if p == 0:
            return f"input {size}", ""
        return f"{p}: {short_name(self.specs[p - 1])} → {size}", f"field {show(f.size)} · jump {show(f.jump)}"

    def role(self, p: int) -> np.ndarray:
        before, after = _pads(self.specs, p)
        size = _size(self.specs, p)
        if len(size) == 1:
            size, before, after = (1, *size), (0, *before), (0, *after)
        role = np.full((size[0] + before[0] + after[0], size[1] + before[1] + after[1]), Role.PADDING, np.int8)
        role[before[0]:before[0] + size[0], before[1]:before[1] + size[1]] = Role.INPUT
        return role

    def text_size(self, s: float) -> float:
        return max(11.0, 0.4 * s)


class _Planes(_Stack):
    """2-D: sheared planes stacked bottom (input) to top (last output)."""

    def scene(self) -> Scene:
        th, opts = self.theme, self.options
        roles = [self.role(p) for p in range(self.n_planes)]
        biggest = max(max(r.shape) for r in roles)
        total = sum(sum(r.shape) for r in roles)
        s = float(opts.scale or max(12, min(DEFAULT_SCALE[Style.STACKED], round(720 / (0.62 * total + 1)),
                                            round(520 / (1.7 * biggest)))))
        u, v = shear(s)
        gap = 0.45 * s
        planes: list[_Plane] = []
        for p, role in enumerate(roles):
            h, w = role.shape
            x = -(w * u[0] + h * v[0]) / 2  # centred on x = 0
            plane = _Plane((x, 0.0), u, v)
            if planes:
                below = corners(planes[-1], *roles[p - 1].shape)
                dy = lift(below, corners(plane, h, w), gap)
                plane = _Plane((x, dy), u, v)
            planes.append(plane)
        size = self.text_size(s)
        labels = [self.label(p) for p in range(self.n_planes)]
        margin = round(0.5 * s)
        label_w = max(max(len(a), len(b)) for a, b in labels) * 0.56 * size
        pts = [pt for p, r in zip(planes, roles) for pt in corners(p, *r.shape)]
        x0 = min(min(pt[0] for pt in pts), min(pl.origin[0] - label_w - 0.4 * s for pl in planes))
        x1 = max(pt[0] for pt in pts)
        y0, y1 = min(pt[1] for pt in pts), max(pt[1] for pt in pts)
        title_h = round(1.0 * s) if opts.labels else 0
        dx, dy = margin - x0, margin + title_h - y0
        planes = [_Plane((pl.origin[0] + dx, pl.origin[1] + dy), u, v) for pl in planes]
        width, height = round(x1 - x0 + 2 * margin), round(y1 - y0 + 2 * margin + title_h)

        static: list[Primitive] = []
        for p, (plane, role) in enumerate(zip(planes, roles)):
            z = Z_PLANE * p
            for (r, c), rl in np.ndenumerate(role):
                if rl == Role.INPUT:
                    static.append(Polygon(points=plane.cell(r, c), fill=self.fill(p), z=z))
            static += _grid_lines(plane, role, th, s, z + 2, lambda rl: rl == Role.INPUT)
            top, bottom = labels[p]
            x, y = plane.origin[0] - 0.4 * s, plane.origin[1]
            static.append(Text(xy=(x, y - (0.55 * size if bottom else 0)), text=top, size=size, color=th.caption,
                               anchor="rm", font="sans", z=z + 3))
            if bottom:
                static.append(Text(xy=(x, y + 0.65 * size), text=bottom, size=0.9 * size, color=th.caption,
                                   anchor="rm", font="sans", z=z + 3))
        if opts.labels:
            static.append(Text(xy=(width / 2, margin + title_h / 2), text=f"receptive field of {len(self.specs)} "
                               f"layers", size=size, color=th.caption, font="sans", z=0))
        pads = [_pads(self.specs, p)[0] for p in range(self.n_planes)]

        def frame(i: int) -> tuple[Primitive, ...]:
            fields = field(self.specs, self.position(i))
            prims: list[Primitive] = []
            boxes = []
            for p, f in enumerate(fields):
                plane, (pr, pc) = planes[p], pads[p]
                rows = [r + pr for r in f.padded[0]]
                cols = [c + pc for c in f.padded[1]]
                for a, b in runs(rows):
                    for c, d in runs(cols):
                        prims.append(Polygon(points=(plane.at(a, c), plane.at(a, d), plane.at(b, d), plane.at(b, c)),
                                             fill=th.shade, alpha=th.shade_alpha, z=Z_PLANE * p + 10))
                boxes.append((min(rows), max(rows) + 1, min(cols), max(cols) + 1))
            for p in range(self.n_planes - 1):
                (a0, a1, b0, b1), (c0, c1, d0, d1) = boxes[p], boxes[p + 1]
                for rr, cc in ((0, 0), (0, 1), (1, 0), (1, 1)):
                    start = planes[p].at((a0, a1)[rr], (b0, b1)[cc])
                    end = planes[p + 1].at((c0, c1)[rr], (d0, d1)[cc])
                    prims.append(Segment(start=start, end=end, color=th.connector, width=1.0,
                                         z=Z_PLANE * p + 20, antialias=False))
            return tuple(prims)

        dynamic = frozenset(Z_PLANE * p + o for p in range(self.n_planes) for o in (10, 20))
        regions = {"plane_centers": [pl.centers(r.shape) for pl, r in zip(planes, roles)],
                   "plane_pad": pads, "plane_role": roles, "fields": self.fields}
        return Scene(width=width, height=height, background=th.background, static=tuple(static),
                     n_frames=self.n_frames, frame=frame, dynamic_z=dynamic, regions=regions)


class _Strips(_Stack):
    """1-D: rows of cells, input at the bottom; every cell sits over the centre of its own field."""

    def scene(self) -> Scene:
        th, opts = self.theme, self.options
        n = self.n_planes
        lo = min(float(f.start[0]) - _pads(self.specs, p)[0][0] * float(f.jump[0]) for p, f in enumerate(self.fields))
        hi = max(float(f.start[0]) + (f.output_size[0] - 1 + _pads(self.specs, p)[1][0]) * float(f.jump[0])
                 for p, f in enumerate(self.fields))
        span = hi - lo + 1
        s = float(opts.scale or max(14, min(DEFAULT_SCALE[Style.STRIP], round(760 / span))))
        size = self.text_size(s)
        labels = [self.label(p) for p in range(n)]
        label_w = max(max(len(a), len(b)) for a, b in labels) * 0.56 * size
        margin = round(0.5 * s)
        title_h = round(1.0 * s) if opts.labels else 0
        pitch = round(2.2 * s)
        left = margin + label_w + 0.6 * s
        width = round(left + span * s + margin)
        height = round(margin + title_h + (n - 1) * pitch + s + margin)

        def y_of(p: int) -> float:  # top of plane p's row
            return margin + title_h + (n - 1 - p) * pitch

        def x_of(p: int, pos: int) -> float:  # centre of plane p's cell at position pos
            f = self.fields[p]
            return left + (float(f.start[0]) + pos * float(f.jump[0]) - lo + 0.5) * s

        def cell(p: int, pos: int) -> tuple[Point, ...]:
            half = s * min(1.0, float(self.fields[p].jump[0])) / 2
            x, y = x_of(p, pos), y_of(p)
            return ((x - half, y), (x + half, y), (x + half, y + s), (x - half, y + s))

        static: list[Primitive] = []
        gw = max(1.0, th.grid_width * s)
        pads = [_pads(self.specs, p) for p in range(n)]
        for p in range(n):
            size_p = _size(self.specs, p)[0]
            (before,), (after,) = pads[p]
            for pos in range(-before, size_p + after):
                real = 0 <= pos < size_p
                pts = cell(p, pos)
                if real:
                    static.append(Polygon(points=pts, fill=self.fill(p), z=0))
                for a, b in zip(pts, pts[1:] + pts[:1]):
                    static.append(Segment(start=a, end=b, color=th.grid, width=gw, z=2,
                                          dash=None if real else (0.2 * s, 0.13 * s)))
            top, bottom = labels[p]
            y = y_of(p) + s / 2
            static.append(Text(xy=(left - 0.6 * s, y - (0.55 * size if bottom else 0)), text=top, size=size,
                               color=th.caption, anchor="rm", font="sans", z=3))
            if bottom:
                static.append(Text(xy=(left - 0.6 * s, y + 0.65 * size), text=bottom, size=0.9 * size,
                                   color=th.caption, anchor="rm", font="sans", z=3))
        if opts.labels:
            static.append(Text(xy=(width / 2, margin + title_h / 2), text=f"receptive field of {len(self.specs)} "
                               f"layers", size=size, color=th.caption, font="sans", z=0))

        def frame(i: int) -> tuple[Primitive, ...]:
            fields: tuple[PlaneField, ...] = field(self.specs, self.position(i))
            prims: list[Primitive] = []
            for p, f in enumerate(fields):
                for pos in f.padded[0]:
                    prims.append(Polygon(points=cell(p, pos), fill=th.shade, alpha=th.shade_alpha, z=10))
            for p in range(1, n):
                spec = self.specs[p - 1]
                for o in fields[p].cells[0]:
                    top = (x_of(p, o), y_of(p) + s)
                    for pos in reads(spec, 0, o):
                        prims.append(Segment(start=(x_of(p - 1, pos), y_of(p - 1)), end=top, color=th.connector,
                                             width=1.0, z=20))
            return tuple(prims)

        def centers(p: int) -> np.ndarray:
            (before,), (after,) = pads[p]
            positions = range(-before, _size(self.specs, p)[0] + after)
            return np.array([[(x_of(p, pos), y_of(p) + s / 2) for pos in positions]])

        regions = {"plane_centers": [centers(p) for p in range(n)],
                   "plane_pad": [(0, pads[p][0][0]) for p in range(n)], "fields": self.fields}
        return Scene(width=width, height=height, background=th.background, static=tuple(static),
                     n_frames=self.n_frames, frame=frame, dynamic_z=frozenset({10, 20}), regions=regions)

