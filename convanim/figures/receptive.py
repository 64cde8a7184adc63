"""The receptive-field figure of a ``layers:`` stack: one plane per layer, the field of one top cell shaded on each.

2-D stacks are conv_arithmetic's sheared planes, the input at the bottom and the last layer's output on top,
each plane with the dashed padding the next layer adds; four lines join the field's corners from plane to
plane. 1-D stacks are rows of cells (WaveNet's figure): each cell sits over the centre of its own field and
lines join every cell of the field to the cells it reads. An element-wise step (ReLU, batch norm, ...) is its
own thin plane or row in a lighter tint: it keeps the field. One frame per output cell of the last layer.
3-D stacks (``receptive_volumes``) and ``numbers: true`` (``receptive_values``) have their own layouts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np

from ..core.limits import Amount
from ..core.options import RenderOptions, Style
from ..core.scene import CellGroup, CellRef, Links, Point, Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..core.words import dims
from ..engine import Role
from ..engine.receptive import Layer, field, layer_fields, layer_name, reads, show
from .footprint import LABEL_EMS, thickness
from .geometry import DEFAULT_SCALE, Plane, Z, corners, grid_lines, grid_width, lift, runs, shade, shear, tint
from .links import cells_group, plane_group

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


def feeding(spec: Layer, channel: int) -> range:
    """The input channels of layer ``spec`` that its output ``channel`` reads (its group's; the same channel for
    pooling and element-wise steps)."""
    if spec.is_elementwise or spec.is_pool:  # type: ignore[union-attr]
        return range(channel, channel + 1)
    cg = spec.in_channels // spec.groups  # type: ignore[union-attr]
    g = channel // (spec.out_channels // spec.groups)  # type: ignore[union-attr]
    return range(g * cg, (g + 1) * cg)


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
        bound = "" if all(getattr(v, "denominator", 1) == 1 for v in f.size) else "≈"  # a bound: see info
        return f"{p}: {short_name(self.specs[p - 1])} → {size}", f"field {bound}{show(f.size)} · jump {show(f.jump)}"

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

    def narration(self, frame: int) -> str:
        """What frame ``frame`` shows: which input cells the top cell's field covers."""
        pos = self.position(frame)
        cells = field(self.specs, pos)[0].cells
        count = math.prod(len(c) for c in cells)
        spans = ["–".join(dict.fromkeys((str(min(c)), str(max(c))))) if c else "none" for c in cells]
        axes = {1: ("cells",), 2: ("rows", "columns"), 3: ("depths", "rows", "columns")}[len(cells)]
        where = ", ".join(f"{axis} {span}" for axis, span in zip(axes, spans))
        return (f"layer {len(self.specs)}[{','.join(map(str, pos))}] sees input {where} "
                f"({count} input cell{'s' if count != 1 else ''})")

    def stack_links(self, groups: Callable[[], list[CellGroup]], offsets: Sequence[tuple[int, int]]
                    ) -> Callable[[], Links]:
        """Every plane's cells; a real cell of layer p reads the cells of plane p - 1 under its kernel.
        ``offsets[p]``: the (row, column) of plane p's cell (0, 0) in its drawn grid (its padding before)."""
        nd = self.specs[0].ndim

        def build() -> Links:
            made = groups()
            edges = []
            for p in range(1, self.n_planes):
                spec, below = self.specs[p - 1], made[p - 1].shape
                size = (1, *plane_size(self.specs, p)) if nd == 1 else plane_size(self.specs, p)
                for r, c in np.ndindex(*size):
                    axes = [reads(spec, 0, c)] if nd == 1 else [reads(spec, 0, r), reads(spec, 1, c)]
                    rows = [0] if nd == 1 else [a + offsets[p - 1][0] for a in axes[0]]
                    cols = [b + offsets[p - 1][1] for b in axes[-1]]
                    read = tuple((p - 1, a * below[1] + b) for a in rows for b in cols
                                 if 0 <= a < below[0] and 0 <= b < below[1])
                    cell = (r + offsets[p][0]) * made[p].shape[1] + c + offsets[p][1]
                    edges.append(((p, cell), read))
            top = made[-1].shape[1]
            writes = []
            for i in range(self.n_frames):
                pos = self.position(i)
                writes.append(((self.n_planes - 1, pos[0] if nd == 1 else pos[0] * top + pos[1]),))
            return Links(groups=tuple(made), reads=tuple(edges), writes=tuple(writes))

        return build

    def field_links(self, groups: Callable[[], list[CellGroup]],
                    ref: Callable[[int, int, tuple[int, ...]], CellRef | None],
                    channels: Sequence[Sequence[int]]) -> Callable[[], Links]:
        """Links of a stack drawn by channel and depth slice (3-D stacks, the values layout). ``ref(p, c, index)``:
        the cell of plane ``p``, channel ``c`` at ``index`` of its padded grid (None where nothing is drawn);
        ``channels[p]``: the channels drawn of plane ``p``. A real cell of layer p reads the cells of plane p − 1
        under its kernel (padding included) on every drawn channel that feeds it; frame i computes the top cell
        of every drawn channel at the position it shows."""
        def build() -> Links:
            edges: list[tuple[CellRef, tuple[CellRef, ...]]] = []
            for p in range(1, self.n_planes):
                spec = self.specs[p - 1]
                below, here = pads(self.specs, p - 1)[0], pads(self.specs, p)[0]
                for idx in np.ndindex(*plane_size(self.specs, p)):
                    window = list(itertools.product(*([v + b for v in reads(spec, a, i)]
                                                      for a, (i, b) in enumerate(zip(idx, below)))))
                    at = tuple(i + b for i, b in zip(idx, here))
                    for c in channels[p]:
                        cell = ref(p, c, at)
                        read = (ref(p - 1, ci, w) for ci in feeding(spec, c) if ci in channels[p - 1] for w in window)
                        if cell is not None:
                            edges.append((cell, tuple(r for r in read if r is not None)))
            top = self.n_planes - 1
            writes = tuple(tuple(ref(top, c, self.position(i)) for c in channels[top]) for i in range(self.n_frames))
            return Links(groups=tuple(groups()), reads=tuple(edges), writes=writes)  # type: ignore[arg-type]

        return build

    def group_name(self, p: int) -> str:
        return "input" if p == 0 else f"layer {p}"

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
        links = self.stack_links(lambda: [plane_group(self.group_name(p), pl, r.shape)
                                          for p, (pl, r) in enumerate(zip(planes, roles))],
                                 [pads(self.specs, p)[0] for p in range(self.n_planes)])
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(planes), dynamic_z=dynamic, regions=regions,
                     narration=self.narration, links=links)

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
                # a cell that reads only padding has no field on the planes below it
                boxes.append((min(rows), max(rows) + 1, min(cols), max(cols) + 1) if rows and cols else None)
            for p in range(self.n_planes - 1):
                if boxes[p] is None or boxes[p + 1] is None:
                    continue
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
        links = self.stack_links(self.groups, [(0, self.plane_pads[p][0][0]) for p in range(n)])
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(), dynamic_z=frozenset({10, 20}), regions=regions,
                     narration=self.narration, links=links)

    def groups(self) -> list[CellGroup]:
        """Each row's cells, padding included, as a group."""
        out = []
        for p in range(self.n_planes):
            (before,), (after,) = self.plane_pads[p]
            n = before + plane_size(self.specs, p)[0] + after
            out.append(cells_group(self.group_name(p), (1, n), lambda _r, q, p=p, b=before: self.cell(p, q - b)))
        return out

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


def padded_sizes(specs: Sequence[Layer]) -> list[tuple[int, ...]]:
    """The size of every plane with the padding drawn around it (the roles ``Stack.role`` makes)."""
    out = []
    for p in range(len(specs) + 1):
        before, after = pads(specs, p)
        out.append(tuple(n + b + a for n, b, a in zip(plane_size(specs, p), before, after)))
    return out


def plane_cells(specs: Sequence[Layer]) -> list[Amount]:
    """One array per plane: its cells, padding included (what the layouts draw)."""
    return [Amount(key="layers" if p else "input_size", what=f"plane {p}'s cells (padded)", size=math.prod(size))
            for p, size in enumerate(padded_sizes(specs))]


def stack_canvas(specs: Sequence[Layer], options: RenderOptions) -> tuple[int, int]:
    """The canvas a 1-D or 2-D stack's figure will have, from the sizes alone (``Planes`` and ``Strips``'
    arithmetic)."""
    sizes = padded_sizes(specs)
    title = 1.0 if options.labels else 0.0
    if specs[0].ndim == 1:
        fields = layer_fields(specs)
        pp = [pads(specs, p) for p in range(len(sizes))]
        lo = min(float(f.start[0]) - pp[p][0][0] * float(f.jump[0]) for p, f in enumerate(fields))
        hi = max(float(f.start[0]) + (f.output_size[0] - 1 + pp[p][1][0]) * float(f.jump[0])
                 for p, f in enumerate(fields))
        span = hi - lo + 1
        s = float(options.scale or max(14, min(DEFAULT_SCALE[Style.STRIP], round(760 / span))))
        size = max(11.0, 0.4 * s)
        return round(span * s + 1.6 * s + LABEL_EMS * size), round((len(sizes) - 1) * 2.2 * s + (2 + title) * s)
    shapes = [(n[0], n[1]) for n in sizes]
    biggest = max(max(r) for r in shapes)
    total = sum(sum(r) for r in shapes)
    s = float(options.scale or max(12, min(DEFAULT_SCALE[Style.STACKED], round(720 / (0.62 * total + 1)),
                                         round(520 / (1.7 * biggest)))))
    size = max(11.0, 0.4 * s)
    widths = [(w + 0.7 * h) * s for h, w in shapes]
    top_h, top_w = shapes[-1]
    height = sum(thickness(h, w, s) + 0.45 * s for h, w in shapes[:-1]) + (0.5 * top_w + 0.65 * top_h) * s
    return round(max(widths) + LABEL_EMS * size + s), round(height + (1 + title) * s)
