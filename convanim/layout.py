"""layout(): a Trace and RenderOptions -> Scene: where every cell is and what it shows on every frame.

Three styles. ``stacked`` is conv_arithmetic's look: the drawn input plane below, the output plane above,
both sheared, the kernel footprint shaded and four lines joining it to the current output cell. ``flat``
puts the padded input left and the output right with values in the cells. ``strip`` draws a 1-D signal as a
row of cells, the kernel sliding beneath it and the output row below. Pure geometry: no pixels here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .arithmetic import describe
from .engine import Role, Step, Trace
from .options import Compare, RenderOptions, Reveal, Style
from .scene import Point, Polygon, Primitive, Scene, Segment, Text
from .spec import Op, SpecError
from .style import Theme

# Drawing order. Static layers sit between the dynamic ones (renderers cache the static bands).
Z_FILL, Z_GRID, Z_SHADE, Z_LINES, Z_TEXT, Z_TOPGRID, Z_OUTPUT, Z_MARK = 0, 5, 10, 20, 15, 18, 30, 40
DEFAULT_SCALE = {Style.STACKED: 30, Style.FLAT: 40, Style.STRIP: 40}  # stacked: conv_arithmetic's size
MAX_CAPTION_TERMS = 9


def format_value(v: float) -> str:
    """A cell value as drawn: integers without decimals, others to two decimals, a true minus sign."""
    if math.isinf(v):
        text = "∞"
    elif abs(v - round(v)) < 1e-9 and abs(v) < 1e12:
        text = str(abs(int(round(v))))
    else:
        text = f"{abs(v):.2f}".rstrip("0").rstrip(".")
    if text == "0":
        return "0"
    return ("−" + text) if v < 0 else text


def caption_of(trace: Trace, step: Step) -> str:
    """The step's equation, e.g. ``y[0,1] = 3·0 + 3·1 + 2·2 + ... = 17``."""
    spec = trace.spec
    where = ",".join(map(str, ((step.channel,) if spec.out_channels > 1 else ()) + step.position))
    head = f"y[{where}] = "
    if spec.op is Op.MAX_POOL:
        counted = step.roles != Role.OVERHANG
        terms = [format_value(v) for v in step.inputs[0][counted]]
        return head + f"max({_elide(terms, ', ')}) = {format_value(step.value)}"
    if spec.op is Op.AVG_POOL:
        counted = step.weights[0] > 0  # type: ignore[index]
        terms = [format_value(v) for v in step.inputs[0][counted]]
        return head + f"({_elide(terms, ' + ')}) / {step.divisor} = {format_value(step.value)}"
    terms = []
    for xs, ws in zip(step.inputs, step.weights):  # type: ignore[arg-type]
        for xv, wv in zip(xs, ws):
            w = format_value(wv)
            terms.append(f"{format_value(xv)}·{'(' + w + ')' if wv < 0 else w}")
    body = _elide(terms, " + ")
    if spec.bias:
        body += f" + {format_value(step.bias)}"
    return head + f"{body} = {format_value(step.value)}"


def _elide(terms: list[str], sep: str) -> str:
    if len(terms) <= MAX_CAPTION_TERMS:
        return sep.join(terms)
    return sep.join(terms[:3]) + sep + "..." + sep + sep.join(terms[-2:])


@dataclass(frozen=True, slots=True)
class _Plane:
    """A grid of cells: corner(r, c) = origin + c*u + r*v (u, v in pixels; a shear for stacked)."""

    origin: Point
    u: Point
    v: Point

    def at(self, r: float, c: float) -> Point:
        return (self.origin[0] + c * self.u[0] + r * self.v[0], self.origin[1] + c * self.u[1] + r * self.v[1])

    def cell(self, r: int, c: int, inset: float = 0.0) -> tuple[Point, ...]:
        a, b = inset, 1 - inset
        return (self.at(r + a, c + a), self.at(r + a, c + b), self.at(r + b, c + b), self.at(r + b, c + a))

    def centers(self, shape: tuple[int, int]) -> np.ndarray:
        r, c = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
        return np.stack([self.origin[0] + c * self.u[0] + r * self.v[0],
                         self.origin[1] + c * self.u[1] + r * self.v[1]], axis=-1)


def _edges(role: np.ndarray, solid_if: Callable[[np.ndarray], np.ndarray]) -> Iterable[tuple[int, int, int, int, bool]]:
    """Every cell edge of a 2-D grid once, as (r0, c0, r1, c1, solid): solid when a cell beside it is."""
    h, w = role.shape
    solid = solid_if(role)
    for r in range(h + 1):
        for c in range(w):
            up = solid[r - 1, c] if r > 0 else False
            down = solid[r, c] if r < h else False
            yield r, c, r, c + 1, bool(up or down)
    for c in range(w + 1):
        for r in range(h):
            left = solid[r, c - 1] if c > 0 else False
            right = solid[r, c] if c < w else False
            yield r, c, r + 1, c, bool(left or right)


def _merged(edges: Iterable[tuple[int, int, int, int, bool]]) -> list[tuple[int, int, int, int, bool]]:
    """Unit cell edges (r0, c0, r1, c1, flag) joined into the longest straight runs with the same flag."""
    runs: dict[tuple[bool, int, bool], list[int]] = {}
    for r0, c0, r1, _c1, flag in edges:
        horizontal = r0 == r1
        runs.setdefault((horizontal, r0 if horizontal else c0, flag), []).append(c0 if horizontal else r0)
    out = []
    for (horizontal, line, flag), starts in sorted(runs.items()):
        starts.sort()
        a = prev = starts[0]
        for x in starts[1:] + [None]:
            if x is not None and x == prev + 1:
                prev = x
                continue
            out.append((line, a, line, prev + 1, flag) if horizontal else (a, line, prev + 1, line, flag))
            if x is not None:
                a = prev = x
    return out


def _grid_lines(plane: _Plane, role: np.ndarray, theme: Theme, s: float, z: int,
                solid_if: Callable[[np.ndarray], np.ndarray]) -> list[Primitive]:
    """The grid: each line split into runs of solid edges (beside a solid cell) and dashed ones.

    One segment per run (not per cell edge) keeps the static layer cheap to draw; the dash period is a
    third of a cell, so every cell edge starts with a dash at its corner.
    """
    width = max(1.0, theme.grid_width * s)
    out: list[Primitive] = []
    for r0, c0, r1, c1, solid in _merged(_edges(role, solid_if)):
        p = math.dist(plane.at(0, 0), plane.at(0, 1) if r0 == r1 else plane.at(1, 0)) / 3
        out.append(Segment(start=plane.at(r0, c0), end=plane.at(r1, c1), color=theme.grid, width=width, z=z,
                           dash=None if solid else (0.6 * p, 0.4 * p)))
    return out


def output_cell(cell: tuple[Point, ...], reveal: int, theme: Theme, z: int) -> list[Polygon]:
    """An output cell: filled from frame ``reveal`` on, over the pending colour until then."""
    fills = [Polygon(points=cell, fill=theme.output, z=z, reveal=reveal)]
    if reveal:
        fills.append(Polygon(points=cell, fill=theme.pending, z=z - 1))
    return fills


def kernel_cell(row: _Plane, c: int, weight: float | None, theme: Theme, grid_w: float, size: float,
                z: int) -> list[Primitive]:
    """One cell of a strip's kernel row under tap column ``c``: shaded, outlined, with its weight."""
    cell = row.cell(0, c)
    prims: list[Primitive] = [Polygon(points=cell, fill=theme.shade, alpha=theme.shade_alpha, z=z)]
    prims += [Segment(start=a, end=b, color=theme.grid, width=grid_w, z=z) for a, b in zip(cell, cell[1:] + cell[:1])]
    if weight is not None:
        prims.append(Text(xy=row.at(0.5, c + 0.5), text=format_value(weight), size=size, color=theme.text, z=z))
    return prims


def _as_2d(trace: Trace) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The drawn grid's role and channel-0 values as 2-D arrays, and the output's 2-D shape."""
    role = trace.grid.role
    values = trace.grid.values[0]
    out = trace.spec.output_size
    if trace.spec.ndim == 1:
        return role[None, :], values[None, :], (1, out[0])
    return role, values, (out[0], out[1])


def _rc(point: Iterable[int], ndim: int) -> tuple[int, int]:
    p = tuple(int(v) for v in point)
    return (0, p[0]) if ndim == 1 else (p[0], p[1])


class Layout:
    """Builds a scene for one trace; the public entry point is ``layout()``."""

    def __init__(self, trace: Trace, options: RenderOptions):
        self.trace, self.options, self.theme = trace, options, options.theme
        self.spec = trace.spec
        self.style = options.resolved_style(self.spec.ndim)
        self.steps = trace.steps
        self.n_steps = len(self.steps)
        self.role, self.values, self.out_shape = _as_2d(trace)
        # The longest number drawn in a cell sets the text size (and, by default, the cell size).
        shown = np.concatenate([self.values[self.role != Role.OVERHANG].ravel(), trace.output.ravel()])
        self.longest = max(len(format_value(float(v))) for v in np.unique(shown))
        default = DEFAULT_SCALE[self.style]
        if self.style is not Style.STACKED:
            default = max(default, 12 * self.longest)
        self.s = float(options.scale or default)
        self.text_size = min(0.42 * self.s, 0.85 * self.s / (0.62 * self.longest))

    # -- shared pieces --------------------------------------------------------------------------------
    def step_of(self, frame: int) -> Step:
        return self.steps[min(frame, self.n_steps - 1)]

    def reveal_of(self, pos: tuple[int, int]) -> int:
        """The frame from which output cell ``pos`` is shown (0 unless reveal is progressive)."""
        if self.options.reveal is Reveal.ALL:
            return 0
        return pos[0] * self.out_shape[1] + pos[1]

    def output_value(self, r: int, c: int) -> float:
        out = self.trace.output[0]
        return float(out[c] if self.spec.ndim == 1 else out[r, c])

    def shade(self, cell: tuple[Point, ...], z: int) -> Polygon:
        return Polygon(points=cell, fill=self.theme.shade, alpha=self.theme.shade_alpha, z=z)

    def input_fill(self, role: int) -> str:
        return self.theme.input if role == Role.INPUT else self.theme.padding

    def text_width(self, captions: list[str], margin: float) -> int:
        """The canvas width the label line and the longest caption need (DejaVu's average advance)."""
        widths = [0.58 * 0.4 * self.s * len(line) for line in self.label_lines()]
        widths += [0.52 * 0.42 * self.s * max(map(len, captions))] if captions else []
        return round(max(widths, default=0) + 2 * margin)

    def label_lines(self) -> list[str]:
        return [describe(self.spec)] if self.options.labels else []

    # -- stacked: conv_arithmetic's two sheared planes ------------------------------------------------
    def stacked(self) -> Scene:
        s, th = self.s, self.theme
        u, v = (s, -round(s / 2)), (round(0.7 * s), round(0.65 * s))
        h, w = self.role.shape
        ho, wo = self.out_shape
        margin = round(0.4 * s)

        def extent(rows: int, cols: int) -> tuple[float, float, float, float]:
            xs = [0, cols * u[0], rows * v[0], cols * u[0] + rows * v[0]]
            ys = [0, cols * u[1], rows * v[1], cols * u[1] + rows * v[1]]
            return min(xs), min(ys), max(xs), max(ys)

        ix0, iy0, ix1, iy1 = extent(h, w)
        ox0, oy0, ox1, oy1 = extent(ho, wo)
        label_h = round(0.8 * s) if self.options.labels else 0
        width = max(round(max(ix1 - ix0, ox1 - ox0) + 2 * margin), self.text_width([], margin))
        out_origin = (round((width - (ox1 - ox0)) / 2 - ox0), round(margin + label_h - oy0))
        gap = round(-0.3 * s)  # the planes overlap a little in height, as conv_arithmetic's
        in_top = out_origin[1] + oy1 + gap
        in_origin = (round((width - (ix1 - ix0)) / 2 - ix0), round(in_top - iy0))
        height = round(in_origin[1] + iy1 + margin)
        inp, outp = _Plane(in_origin, u, v), _Plane(out_origin, u, v)

        static: list[Primitive] = []
        for r in range(h):
            for c in range(w):
                if self.role[r, c] == Role.INPUT:
                    static.append(Polygon(points=inp.cell(r, c), fill=th.input, z=Z_FILL))
        static += _grid_lines(inp, self.role, th, s, Z_GRID, lambda role: role == Role.INPUT)
        for r in range(ho):
            for c in range(wo):
                static += output_cell(outp.cell(r, c), self.reveal_of((r, c)), th, Z_OUTPUT)
        static += _grid_lines(outp, np.zeros((ho, wo), np.int8), th, s, Z_OUTPUT + 1, lambda role: role == 0)
        static += self._labels(width / 2, margin * 0.8)
        grid_w = max(1.0, th.grid_width * s)
        line_w = 1.0  # conv_arithmetic's hairlines: one crisp pixel, whatever the scale
        nd = self.spec.ndim
        solid = self.role == Role.INPUT

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            prims: list[Primitive] = []
            taps = {_rc(t, nd) for t in step.taps}
            r0, c0 = _rc(step.origin, nd)
            er, ec = (1, step.extent[0]) if nd == 1 else step.extent
            if len(taps) == er * ec:  # a solid window: one polygon
                prims.append(self.shade((inp.at(r0, c0), inp.at(r0, c0 + ec), inp.at(r0 + er, c0 + ec),
                                         inp.at(r0 + er, c0)), Z_SHADE))
            else:  # dilated: only the taps
                prims.extend(self.shade(inp.cell(r, c), Z_SHADE) for r, c in sorted(taps))
            # the footprint is drawn with a solid grid, also over dashed padding
            edges = set()
            for r, c in taps:
                edges |= {(r, c, r, c + 1), (r + 1, c, r + 1, c + 1), (r, c, r + 1, c), (r, c + 1, r + 1, c + 1)}
            over_dashes = []
            for e0, f0, e1, f1 in edges:
                beside = [(e0, f0), (e0 - 1, f0)] if e0 == e1 else [(e0, f0), (e0, f0 - 1)]
                if not any(0 <= a < h and 0 <= b < w and solid[a, b] for a, b in beside):
                    over_dashes.append((e0, f0, e1, f1, True))
            for e0, f0, e1, f1, _ in _merged(over_dashes):
                prims.append(Segment(start=inp.at(e0, f0), end=inp.at(e1, f1), color=th.grid, width=grid_w,
                                     z=Z_SHADE))
            pr, pc = _rc(step.position, nd)
            for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
                prims.append(Segment(start=inp.at(r0 + dr * er, c0 + dc * ec), end=outp.at(pr + dr, pc + dc),
                                     color=th.connector, width=line_w, z=Z_LINES, antialias=False))
            prims.append(self.shade(outp.cell(pr, pc), Z_MARK))
            return tuple(prims)

        regions = {"input_centers": inp.centers((h, w)), "output_centers": outp.centers((ho, wo)),
                   "input_role": self.role}
        return Scene(width=width, height=height, background=th.background, static=tuple(static),
                     n_frames=self.n_frames, frame=frame, dynamic_z=frozenset({Z_SHADE, Z_LINES, Z_MARK}),
                     regions=regions)

    # -- flat: values in the cells --------------------------------------------------------------------
    def flat(self) -> Scene:
        s = self.s
        h, w = self.role.shape
        ho, wo = self.out_shape
        margin = round(0.5 * s)
        label_h = round(0.8 * s) if self.options.labels else 0
        caption_h = round(0.9 * s) if self.options.caption else 0
        gap = round(1.5 * s)
        grid_h = max(h, ho) * s
        top = margin + label_h
        captions = [caption_of(self.trace, st) for st in self.steps] if self.options.caption else []
        content = w * s + gap + wo * s
        width = max(round(content + 2 * margin), self.text_width(captions, margin))
        left = round((width - content) / 2)  # the grids are centred under a wider caption
        in_origin = (left, round(top + (grid_h - h * s) / 2))
        out_origin = (round(left + w * s + gap), round(top + (grid_h - ho * s) / 2))
        height = round(top + grid_h + caption_h + margin)
        inp, outp = _Plane(in_origin, (s, 0), (0, s)), _Plane(out_origin, (s, 0), (0, s))
        return self._cells_scene(inp, outp, width, height, captions, (width / 2, top + grid_h + caption_h * 0.6),
                                 label_xy=(width / 2, margin + label_h * 0.4))

    def _cells_scene(self, inp: _Plane, outp: _Plane, width: int, height: int, captions: list[str],
                     caption_xy: Point, label_xy: Point, kernel_row: _Plane | None = None,
                     out_cell: Callable[[int, int], tuple[Point, ...]] | None = None) -> Scene:
        """Axis-aligned grids with numbers (flat and strip share this)."""
        s, th = self.s, self.theme
        h, w = self.role.shape
        ho, wo = self.out_shape
        nd = self.spec.ndim
        numbers = self.options.numbers or self.style is Style.FLAT
        size, sub = self.text_size, 0.26 * s
        out_cell = out_cell or (lambda r, c: outp.cell(r, c))
        static: list[Primitive] = []
        for r in range(h):
            for c in range(w):
                role = self.role[r, c]
                if role == Role.INPUT:
                    static.append(Polygon(points=inp.cell(r, c), fill=th.input, z=Z_FILL))
                if numbers and role != Role.OVERHANG:
                    static.append(Text(xy=inp.at(r + 0.5, c + 0.5), text=format_value(self.values[r, c]),
                                       size=size, color=th.text, z=Z_TEXT))
        static += _grid_lines(inp, self.role, th, s, Z_TOPGRID, lambda role: role == Role.INPUT)
        for r in range(ho):
            for c in range(wo):
                cell = out_cell(r, c)
                rev = self.reveal_of((r, c))
                static += output_cell(cell, rev, th, Z_FILL)
                if numbers:
                    center = ((cell[0][0] + cell[2][0]) / 2, (cell[0][1] + cell[2][1]) / 2)
                    static.append(Text(xy=center, text=format_value(self.output_value(r, c)), size=size,
                                       color=th.text, z=Z_TEXT, reveal=rev))
                for a, b in zip(cell, cell[1:] + cell[:1]):
                    static.append(Segment(start=a, end=b, color=th.grid, width=max(1.0, th.grid_width * s),
                                          z=Z_TOPGRID))
        for line in self.label_lines():
            static.append(Text(xy=label_xy, text=line, size=0.4 * s, color=th.caption, font="sans", z=Z_TEXT))
        grid_w = max(1.0, th.grid_width * s)
        solid = self.role == Role.INPUT
        weights = not self.spec.is_pool and numbers

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            prims: list[Primitive] = []
            taps = [_rc(t, nd) for t in step.taps]
            for n, (r, c) in enumerate(taps):
                prims.append(self.shade(inp.cell(r, c), Z_SHADE))
                if not solid[r, c]:
                    for a, b in zip(inp.cell(r, c), inp.cell(r, c)[1:] + inp.cell(r, c)[:1]):
                        prims.append(Segment(start=a, end=b, color=th.grid, width=grid_w, z=Z_MARK))
                if weights and kernel_row is None:  # a strip shows the weights in its kernel row
                    wv = step.weights[0][n]  # type: ignore[index]
                    prims.append(Text(xy=inp.at(r + 0.93, c + 0.93), text=format_value(wv), size=sub,
                                      color=th.subscript, anchor="rd", z=Z_MARK))
            if kernel_row is not None:
                for n, (_r, c) in enumerate(taps):
                    weight = step.weights[0][n] if weights else None  # type: ignore[index]
                    prims += kernel_cell(kernel_row, c, weight, th, grid_w, size, Z_MARK)
            pr, pc = _rc(step.position, nd)
            prims.append(self.shade(out_cell(pr, pc), Z_SHADE))
            if captions:
                prims.append(Text(xy=caption_xy, text=captions[min(i, self.n_steps - 1)], size=0.42 * s,
                                  color=th.caption, font="serif", z=Z_MARK))
            return tuple(prims)

        out_centers = np.array([[np.mean(out_cell(r, c), axis=0) for c in range(wo)] for r in range(ho)])
        regions = {"input_centers": inp.centers((h, w)), "output_centers": out_centers, "input_role": self.role}
        if kernel_row is not None:
            regions["kernel_centers"] = kernel_row.centers((1, w))
        return Scene(width=width, height=height, background=th.background, static=tuple(static),
                     n_frames=self.n_frames, frame=frame, dynamic_z=frozenset({Z_SHADE, Z_MARK}), regions=regions)

    # -- strip: a 1-D signal --------------------------------------------------------------------------
    def strip(self) -> Scene:
        if self.spec.ndim != 1:
            raise SpecError("render.style", f"strip draws 1-D inputs; this input is {self.spec.ndim}-D "
                                            f"(use stacked or flat)")
        s, th = self.s, self.theme
        w = self.role.shape[1]
        margin = round(0.5 * s)
        kernel_name = "kernel" if not self.spec.is_pool else self.spec.op.value.replace("_", " ")
        if self.spec.flip_kernel:
            kernel_name += " (flipped)"
        names = {"input": "input", "kernel": kernel_name, "output": "output"}
        label_w = round(0.58 * 0.36 * s * max(map(len, names.values())) + 0.4 * s)
        label_h = round(0.8 * s) if self.options.labels else 0
        caption_h = round(0.9 * s) if self.options.caption else 0
        left = margin + label_w
        top = margin + label_h
        rows = {"input": top, "kernel": top + round(1.4 * s), "output": top + round(2.8 * s)}
        inp = _Plane((left, rows["input"]), (s, 0), (0, s))
        kernel_row = _Plane((left, rows["kernel"]), (s, 0), (0, s))
        extent = self.spec.effective_kernel[0]
        starts = self.trace.tap_coords[0][:, 0]
        centers = left + (starts + extent / 2) * s  # each output cell sits under its window's centre

        def out_cell(_r: int, c: int) -> tuple[Point, ...]:
            x0, y0 = centers[c] - s / 2, rows["output"]
            return ((x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s))

        right = max(left + w * s, centers.max() + s / 2)
        captions = [caption_of(self.trace, st) for st in self.steps] if self.options.caption else []
        width = max(round(right + margin), self.text_width(captions, margin))
        height = round(rows["output"] + s + caption_h + margin)
        outp = _Plane((left, rows["output"]), (s, 0), (0, s))
        scene = self._cells_scene(inp, outp, width, height, captions,
                                  (width / 2, rows["output"] + s + caption_h * 0.6),
                                  label_xy=(width / 2, margin + label_h * 0.4), kernel_row=kernel_row,
                                  out_cell=out_cell)
        texts = tuple(Text(xy=(left - 0.3 * s, y + s / 2), text=names[k], size=0.36 * s, color=th.caption,
                           anchor="rm", font="sans", z=Z_TEXT) for k, y in rows.items())
        return Scene(width=scene.width, height=scene.height, background=scene.background,
                     static=scene.static + texts, n_frames=scene.n_frames, frame=scene.frame,
                     dynamic_z=scene.dynamic_z, regions=scene.regions)

    @property
    def n_frames(self) -> int:
        return self.n_steps + self.options.hold_last

    def _labels(self, x: float, y: float) -> list[Primitive]:
        return [Text(xy=(x, y), text=line, size=0.4 * self.s, color=self.theme.caption, font="sans", z=Z_FILL)
                for line in self.label_lines()]


def layout(trace: Trace, options: RenderOptions | None = None) -> Scene:
    """The scene for a trace: static cells, and per frame the footprint, lines and current output cell."""
    options = options or RenderOptions()
    spec = trace.spec
    if options.compare is not Compare.NONE:  # two simulations side by side (layout_compare)
        from .layout_compare import layout_compare

        return layout_compare(trace, options)
    if spec.in_channels > 1 or spec.out_channels > 1:  # planes per channel (layout_multi)
        from .layout_multi import layout_multi

        return layout_multi(trace, options)
    frames = spec.n_steps + options.hold_last
    if frames > options.max_frames:
        raise SpecError("render.max_frames", f"the animation would have {frames} frames, over the limit of "
                                             f"{options.max_frames}; raise it with render: {{max_frames: {frames}}}")
    lay = Layout(trace, options)
    if lay.style is Style.STACKED:
        return lay.stacked()
    if lay.style is Style.FLAT:
        return lay.flat()
    return lay.strip()
