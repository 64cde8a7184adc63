"""The receptive-field figure of a ``layers:`` stack: one plane per layer, the field of one top cell shaded on each.

2-D stacks are conv_arithmetic's sheared planes, the input at the bottom and the last layer's output on top,
each plane with the dashed padding the next layer adds; four lines join the field's corners from plane to
plane. 1-D stacks are rows of cells (WaveNet's figure): each cell sits over the centre of its own field and
lines join every cell of the field to the cells it reads. An element-wise step (ReLU, batch norm, ...) is its
own thin plane or row in a lighter tint: it keeps the field. One frame per output cell of the last layer.
3-D stacks (``receptive_volumes``) and ``numbers: true`` (``receptive_values``) have their own layouts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np

from ..core.options import RenderOptions, Style
from ..core.scene import Point, Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..core.words import dims
from ..engine import Role
from ..engine.receptive import Layer, field, layer_fields, layer_name, reads, show
from .geometry import DEFAULT_SCALE, Plane, Z, corners, grid_lines, grid_width, lift, runs, shade, shear, tint

Frame = Callable[[int], tuple[Primitive, ...]]
THIN = 0.45  # an element-wise step's plane (or row) is this thin: its rows squeezed


def pads(specs: Sequence[Layer], p: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Padding drawn around plane ``p``: the padding of the layer that reads it (none on top)."""
    nd = specs[0].ndim
    if p == len(specs) or specs[p].is_elementwise or specs[p].transposed:  # type: ignore[union-attr]
        return (0,) * nd, (0,) * nd
    return specs[p].pad_before, specs[p].pad_after  # type: ignore[union-attr]


def plane_size(specs: Sequence[Layer], p: int) -> tuple[int, ...]:
    """The size of plane ``p`` (0: the input)."""
    return specs[0].input_size if p == 0 else specs[p - 1].output_size


def short_name(spec: Layer) -> str:
    """``kernel 3×3 · stride 2`` for a plane's label (describe() without the sizes), or ``ReLU``."""
    return layer_name(spec)


class Stack:
    """What the stack figures share: the fields, labels and padded roles of every plane."""

    def __init__(self, specs: tuple[Layer, ...], options: RenderOptions):
        self.specs, self.options, self.theme = specs, options, options.theme
        self.n_steps = math.prod(specs[-1].output_size)
        self.n_frames = self.n_steps + options.hold_last
        self.fields = layer_fields(specs)
        self.n_planes = len(specs) + 1

    def thin(self, p: int) -> bool:
        """Plane ``p`` is the output of an element-wise step (drawn thin, in a lighter tint)."""
        return p > 0 and self.specs[p - 1].is_elementwise

    def position(self, frame: int) -> tuple[int, ...]:
        i = min(frame, self.n_steps - 1)
        return tuple(int(v) for v in np.unravel_index(i, self.specs[-1].output_size))

    def fill(self, p: int) -> str:
        if self.thin(p):
            return tint(self.theme.output, 0.45, self.theme.background)
        return self.theme.input if p == 0 else self.theme.output

    def label(self, p: int) -> tuple[str, str]:
        f = self.fields[p]
        size = dims(f.output_size)
        if p == 0:
            return f"input {size}", ""
        if self.thin(p):
            return f"{p}: {short_name(self.specs[p - 1])}", ""
        return f"{p}: {short_name(self.specs[p - 1])} → {size}", f"field {show(f.size)} · jump {show(f.jump)}"

    def role(self, p: int) -> np.ndarray:
        before, after = pads(self.specs, p)
        size = plane_size(self.specs, p)
        if len(size) == 1:
            size, before, after = (1, *size), (0, *before), (0, *after)
        role = np.full((size[0] + before[0] + after[0], size[1] + before[1] + after[1]), Role.PADDING, np.int8)
        role[before[0]:before[0] + size[0], before[1]:before[1] + size[1]] = Role.INPUT
        return role

    def text_size(self, s: float) -> float:
        return max(11.0, 0.4 * s)

    def label_texts(self, p: int, x: float, y: float, size: float, z: int) -> list[Primitive]:
        """Plane ``p``'s label (and its field line below) right-aligned at (x, y)."""
        top, bottom = self.label(p)
        th = self.theme
        out: list[Primitive] = [Text(xy=(x, y - (0.55 * size if bottom else 0)), text=top, size=size,
                                     color=th.caption, anchor="rm", font="sans", z=z)]
        if bottom:
            out.append(Text(xy=(x, y + 0.65 * size), text=bottom, size=0.9 * size, color=th.caption, anchor="rm",
                            font="sans", z=z))
        return out

    def title(self, width: int, y: float, size: float) -> list[Primitive]:
        if not self.options.labels:
            return []
        return [Text(xy=(width / 2, y), text=f"receptive field of {len(self.specs)} layers", size=size,
                     color=self.theme.caption, font="sans", z=0)]

    def label_width(self, size: float) -> float:
        return max(max(text_width(a, size, "sans"), text_width(b, 0.9 * size, "sans"))
                   for a, b in map(self.label, range(self.n_planes)))


class Planes(Stack):
    """2-D: sheared planes stacked bottom (input) to top (last output)."""

    def scene(self) -> Scene:
        roles = [self.role(p) for p in range(self.n_planes)]
        s = self.cell_size(roles)
        planes, width, height, margin, title_h = self.place(roles, s)
        size = self.text_size(s)
        static: list[Primitive] = []
        for p, (plane, role) in enumerate(zip(planes, roles)):
            static += self.plane_static(p, plane, role, s)
            static += self.label_texts(p, plane.origin[0] - 0.4 * s, plane.origin[1], size, Z.PLANE * p + 3)
        static += self.title(width, margin + title_h / 2, size)
        dynamic = frozenset(Z.PLANE * p + o for p in range(self.n_planes) for o in (10, 20))
        regions = {"plane_centers": [pl.centers(r.shape) for pl, r in zip(planes, roles)],
                   "plane_pad": [pads(self.specs, p)[0] for p in range(self.n_planes)], "plane_role": roles,
                   "fields": self.fields}
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(planes), dynamic_z=dynamic, regions=regions)

    def cell_size(self, roles: list[np.ndarray]) -> float:
        biggest = max(max(r.shape) for r in roles)
        total = sum(sum(r.shape) for r in roles)
        return float(self.options.scale or max(12, min(DEFAULT_SCALE[Style.STACKED], round(720 / (0.62 * total + 1)),
                                                       round(520 / (1.7 * biggest)))))

    def place(self, roles: list[np.ndarray], s: float) -> tuple[list[Plane], int, int, int, int]:
        """Each plane lifted just over the one below, then moved onto a canvas with room for the labels."""
        u, v0 = shear(s)
        planes: list[Plane] = []
        for p, role in enumerate(roles):
            h, w = role.shape
            v = (round(v0[0] * THIN), round(v0[1] * THIN)) if self.thin(p) else v0  # an element-wise step: thin
            plane = Plane((-(w * u[0] + h * v[0]) / 2, 0.0), u, v)  # centred on x = 0
            if planes:
                gap = 0.3 * s if self.thin(p) or self.thin(p - 1) else 0.45 * s
                dy = lift(corners(planes[-1], *roles[p - 1].shape), corners(plane, h, w), gap)
                plane = Plane((plane.origin[0], dy), u, v)
            planes.append(plane)
        margin = round(0.5 * s)
        label_w = self.label_width(self.text_size(s))
        pts = [pt for p, r in zip(planes, roles) for pt in corners(p, *r.shape)]
        x0 = min(min(pt[0] for pt in pts), min(pl.origin[0] - label_w - 0.4 * s for pl in planes))
        x1 = max(pt[0] for pt in pts)
        y0, y1 = min(pt[1] for pt in pts), max(pt[1] for pt in pts)
        title_h = round(1.0 * s) if self.options.labels else 0
        planes = [pl.moved(margin - x0, margin + title_h - y0) for pl in planes]
        return planes, round(x1 - x0 + 2 * margin), round(y1 - y0 + 2 * margin + title_h), margin, title_h

    def plane_static(self, p: int, plane: Plane, role: np.ndarray, s: float) -> list[Primitive]:
        z = Z.PLANE * p
        prims: list[Primitive] = [Polygon(points=plane.cell(r, c), fill=self.fill(p), z=z)
                                  for (r, c), rl in np.ndenumerate(role) if rl == Role.INPUT]
        return prims + grid_lines(plane, role, self.theme, s, z + 2, lambda rl: rl == Role.INPUT)

    def frame_fn(self, planes: list[Plane]) -> Frame:
        th = self.theme
        plane_pads = [pads(self.specs, p)[0] for p in range(self.n_planes)]

        def frame(i: int) -> tuple[Primitive, ...]:
            prims: list[Primitive] = []
            boxes = []
            for p, f in enumerate(field(self.specs, self.position(i))):
                plane, (pr, pc) = planes[p], plane_pads[p]
                rows = [r + pr for r in f.padded[0]]
                cols = [c + pc for c in f.padded[1]]
                for a, b in runs(rows):
                    for c, d in runs(cols):
                        prims.append(shade(plane.box(a, c, b - a, d - c), th, Z.PLANE * p + 10))
                boxes.append((min(rows), max(rows) + 1, min(cols), max(cols) + 1))
            for p in range(self.n_planes - 1):
                (a0, a1, b0, b1), (c0, c1, d0, d1) = boxes[p], boxes[p + 1]
                for rr, cc in ((0, 0), (0, 1), (1, 0), (1, 1)):
                    prims.append(Segment(start=planes[p].at((a0, a1)[rr], (b0, b1)[cc]),
                                         end=planes[p + 1].at((c0, c1)[rr], (d0, d1)[cc]), color=th.connector,
                                         width=1.0, z=Z.PLANE * p + 20, antialias=False))
            return tuple(prims)

        return frame


class Strips(Stack):
    """1-D: rows of cells, input at the bottom; every cell sits over the centre of its own field."""

    def scene(self) -> Scene:
        n = self.n_planes
        self.plane_pads = [pads(self.specs, p) for p in range(n)]
        self.anchors = self.row_anchors()
        self.lo = min(float(a) - self.plane_pads[p][0][0] * float(f.jump[0])
                      for p, (f, a) in enumerate(zip(self.fields, self.anchors)))
        hi = max(float(a) + (f.output_size[0] - 1 + self.plane_pads[p][1][0]) * float(f.jump[0])
                 for p, (f, a) in enumerate(zip(self.fields, self.anchors)))
        span = hi - self.lo + 1
        s = self.s = float(self.options.scale or max(14, min(DEFAULT_SCALE[Style.STRIP], round(760 / span))))
        size = self.text_size(s)
        margin = round(0.5 * s)
        self.title_h = round(1.0 * s) if self.options.labels else 0
        self.pitch, self.margin = round(2.2 * s), margin
        self.tops = self.row_tops()
        self.left = margin + self.label_width(size) + 0.6 * s
        width = round(self.left + span * s + margin)
        height = round(self.tops[0] + s + margin)
        static: list[Primitive] = []
        for p in range(n):
            static += self.row_static(p)
            static += self.label_texts(p, self.left - 0.6 * s, self.y_of(p) + self.h(p) / 2, size, 3)
        static += self.title(width, margin + self.title_h / 2, size)
        regions = {"plane_centers": [self.centers(p) for p in range(n)],
                   "plane_pad": [(0, self.plane_pads[p][0][0]) for p in range(n)], "fields": self.fields}
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(), dynamic_z=frozenset({10, 20}), regions=regions)

    def row_anchors(self) -> list[Fraction]:
        """Where cell 0 of every row sits, in input cells: over its window, at the point that splits it as the
        padding splits (the centre for padding on both sides alike or none; the newest input it reads for a
        causal layer, padded before only). With padding that keeps the size, output n sits over input n."""
        anchors = [Fraction(0)]
        for n, spec in enumerate(self.specs):
            f_in, f_out = self.fields[n], self.fields[n + 1]
            if spec.is_elementwise:
                anchors.append(anchors[-1])
            elif spec.transposed or spec.is_adaptive or spec.pad_before[0] == spec.pad_after[0]:
                anchors.append(anchors[-1] + Fraction(f_out.start[0]) - Fraction(f_in.start[0]))  # the centre
            else:
                before, after, k_eff = spec.pad_before[0], spec.pad_after[0], spec.effective_kernel[0]
                split = Fraction(before * (k_eff - 1), before + after)
                anchors.append(anchors[-1] + (split - before) * Fraction(f_in.jump[0]))
        return anchors

    def h(self, p: int) -> float:
        """The height of plane ``p``'s row (an element-wise step's row is thin)."""
        return self.s * THIN if self.thin(p) else self.s

    def row_tops(self) -> list[float]:
        """The top of every plane's row, the last layer's at the top; an element-wise step sits closer."""
        top = self.margin + self.title_h
        if not any(self.thin(p) for p in range(self.n_planes)):
            return [top + (self.n_planes - 1 - p) * self.pitch for p in range(self.n_planes)]
        tops = [0.0] * self.n_planes
        for p in reversed(range(self.n_planes)):
            tops[p] = top
            top += self.h(p) + (0.8 * self.s if self.thin(p) or (p and self.thin(p - 1)) else self.pitch - self.s)
        return tops

    def y_of(self, p: int) -> float:
        """The top of plane ``p``'s row."""
        return self.tops[p]

    def x_of(self, p: int, pos: int) -> float:
        """The centre of plane ``p``'s cell at position ``pos``."""
        f = self.fields[p]
        return self.left + (float(self.anchors[p]) + pos * float(f.jump[0]) - self.lo + 0.5) * self.s

    def cell(self, p: int, pos: int) -> tuple[Point, ...]:
        s = self.s
        half = s * min(1.0, float(self.fields[p].jump[0])) / 2
        x, y, h = self.x_of(p, pos), self.y_of(p), self.h(p)
        return ((x - half, y), (x + half, y), (x + half, y + h), (x - half, y + h))

    def row_static(self, p: int) -> list[Primitive]:
        th, s = self.theme, self.s
        gw = grid_width(th, s)
        size_p = plane_size(self.specs, p)[0]
        (before,), (after,) = self.plane_pads[p]
        prims: list[Primitive] = []
        for pos in range(-before, size_p + after):
            real = 0 <= pos < size_p
            pts = self.cell(p, pos)
            if real:
                prims.append(Polygon(points=pts, fill=self.fill(p), z=0))
            for a, b in zip(pts, pts[1:] + pts[:1]):
                prims.append(Segment(start=a, end=b, color=th.grid, width=gw, z=2,
                                     dash=None if real else (0.2 * s, 0.13 * s)))
        return prims

    def centers(self, p: int) -> np.ndarray:
        (before,), (after,) = self.plane_pads[p]
        positions = range(-before, plane_size(self.specs, p)[0] + after)
        return np.array([[(self.x_of(p, pos), self.y_of(p) + self.h(p) / 2) for pos in positions]])

    def frame_fn(self) -> Frame:
        th = self.theme

        def frame(i: int) -> tuple[Primitive, ...]:
            fields = field(self.specs, self.position(i))
            prims: list[Primitive] = [shade(self.cell(p, pos), th, 10)
                                      for p, f in enumerate(fields) for pos in f.padded[0]]
            for p in range(1, self.n_planes):
                spec = self.specs[p - 1]
                for o in fields[p].cells[0]:
                    top = (self.x_of(p, o), self.y_of(p) + self.h(p))
                    for pos in reads(spec, 0, o):
                        prims.append(Segment(start=(self.x_of(p - 1, pos), self.y_of(p - 1)), end=top,
                                             color=th.connector, width=1.0, z=20))
            return tuple(prims)

        return frame
