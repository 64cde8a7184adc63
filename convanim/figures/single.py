"""The single-layer figure: one channel in, one channel out, in three styles.

``stacked`` is conv_arithmetic's look: the drawn input plane below, the output plane above, both sheared, the
kernel footprint shaded and four lines joining it to the current output cell. ``flat`` puts the padded input
left and the output right with values in the cells. ``strip`` draws a 1-D signal as a row of cells, the kernel
sliding beneath it and the output row below. Pure geometry: no pixels here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..config.model import Config
from ..core.arithmetic import describe
from ..core.errors import SpecError
from ..core.options import RenderOptions, Reveal, Style
from ..core.scene import Links, Point, Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..engine import Role, Step, Trace, simulate
from .alt import alt_text
from .fit import CellText, caption_width, fit_lines, label_lines, widest_em, word_size
from .geometry import (
    DEFAULT_SCALE,
    Plane,
    Z,
    as_rows,
    center,
    edges_over_padding,
    extent,
    flat_plane,
    grid_lines,
    grid_width,
    kernel_cell,
    outline,
    output_cell,
    rc,
    role_fill,
    shade,
    shape2,
)
from .links import cells_group, plane_group, trace_links
from .registry import FigureKind, register, unshown
from .values import caption_of, format_value


def check_strip(style: Style, ndim: int) -> None:
    """``strip`` draws 1-D inputs only."""
    if style is Style.STRIP and ndim != 1:
        raise SpecError("render.style", f"strip draws 1-D inputs; this input is {ndim}-D (use stacked or flat)")


class LayerFigure:
    """What every style of a one-channel figure shares: the trace, its steps, sizes and text."""

    def __init__(self, trace: Trace, options: RenderOptions):
        self.trace, self.options, self.theme = trace, options, options.theme
        self.spec = trace.spec
        self.nd = self.spec.ndim
        self.style = options.resolved_style(self.nd)
        self.steps = trace.steps
        self.made: dict[int, Step] = {}
        self.n_steps = len(self.steps)
        self.n_frames = self.n_steps + options.hold_last
        self.role = as_rows(trace.grid.role, self.nd)
        self.values = as_rows(trace.grid.values[0], self.nd)
        self.out_shape = shape2(self.spec.output_size)
        # The widest number drawn in a cell and the widest weight (a subscript) set the text sizes and, by
        # default, the cell size: both readable, the weights smaller than the values.
        shown = np.concatenate([self.values[self.role != Role.OVERHANG].ravel(), trace.output.ravel()])
        self.number_em = widest_em(format_value(float(v)) for v in np.unique(shown))
        self.weight_em = None
        weights: list[str] = []  # the weights written as subscripts, each once
        if self.numbers_shown and not self.spec.is_pool:
            kernel = trace.kernel if trace.kernel is not None else np.zeros(1)
            weights = [format_value(float(v)) for v in np.unique(kernel)]
            self.weight_em = widest_em(weights)
        default = float(DEFAULT_SCALE[self.style])
        if self.style is not Style.STACKED:
            default = CellText.cell_for(self.number_em, self.weight_em, default)
        self.s = float(options.scale or default)
        self.shown = shown
        self.solid = self.role == Role.INPUT
        self.cell_text = CellText.of(self.s, self.number_em, self.weight_em)
        # numbers raised where a wide value would meet the weight written in its cell's corner
        self.number_lift = 0.0 if not weights else self.cell_text.lift(
            self.s, (format_value(float(v)) for v in np.unique(self.values[self.role != Role.OVERHANG])), weights)

    @property
    def numbers_shown(self) -> bool:
        return self.options.numbers or self.style is Style.FLAT

    @property
    def text_size(self) -> float:
        """The size of the numbers in cells: the widest fills at most 85 % of a cell."""
        return self.cell_text.number

    def word_size(self, extent: float) -> float:
        """Labels and captions: readable on a figure whose content is ``extent`` pixels across."""
        return word_size(self.s, extent, 0.42)

    def step_of(self, frame: int) -> Step:
        """The step frame ``frame`` shows (built once: the frames, narration and links all ask)."""
        i = min(frame, self.n_steps - 1)
        if i not in self.made:
            self.made[i] = self.steps[i]
        return self.made[i]

    def reveal_of(self, pos: tuple[int, int]) -> int:
        """The frame from which output cell ``pos`` is shown (0 unless reveal is progressive)."""
        if self.options.reveal is Reveal.ALL:
            return 0
        return pos[0] * self.out_shape[1] + pos[1]

    def output_value(self, r: int, c: int) -> float:
        out = self.trace.output[0]
        return float(out[c] if self.nd == 1 else out[r, c])

    def text_width(self, captions: list[str], margin: float, size: float) -> int:
        """The canvas width the label lines and the widest caption need, measured with the real fonts."""
        widths = [text_width(line, size, "sans") for line in self.lines]
        widths += [max(text_width(c, size, "serif") for c in captions)] if captions else []
        return round(max(widths, default=0) + 2 * margin)

    def words(self, content: float, extent: float) -> float:
        """Size the words of a figure whose grids are ``content`` pixels wide and ``extent`` on their longer
        side: the label line wrapped to fit (``self.lines``); returns the size."""
        size = self.word_size(extent)
        self.lines = label_lines(describe(self.spec), size, caption_width(content, size)) if self.options.labels \
            else []
        return size

    lines: list[str] = []

    def labels_height(self, size: float) -> int:
        return round(1.3 * size * len(self.lines) + 0.4 * size) if self.lines else 0

    def labels(self, top: float, width: float, size: float, z: int) -> list[Primitive]:
        return [Text(xy=(width / 2, top + 1.3 * size * (n + 0.5)), text=line, size=size, color=self.theme.caption,
                     font="sans", z=z) for n, line in enumerate(self.lines)]

    def captions(self, content: float, size: float) -> list[str]:
        if not self.options.caption:
            return []
        return fit_lines((caption_of(self.trace, st) for st in self.steps), size, caption_width(content, size))

    def narration(self, frame: int) -> str:
        """What frame ``frame`` shows: the step's equation."""
        return caption_of(self.trace, self.step_of(frame))

    def links(self, inp: Plane, out_cell: Callable[[int, int], tuple[Point, ...]]) -> Callable[[], Links]:
        """The input grid and the output cells, each output cell reading its window's taps."""
        def build() -> Links:
            groups_in = {0: plane_group("input", inp, self.role.shape)}
            groups_out = {0: cells_group("output", self.out_shape, out_cell)}
            return trace_links(self.trace, groups_in, groups_out, range(self.n_steps), self.n_frames, self.step_of)

        return build

    def window(self, step: Step) -> tuple[set[tuple[int, int]], tuple[int, int, int, int]]:
        """The step's taps as (row, column) on the drawn grid, and its window (r0, c0, rows, cols)."""
        taps = {rc(t, self.nd) for t in step.taps}
        r0, c0 = rc(step.origin, self.nd)
        er, ec = (1, step.extent[0]) if self.nd == 1 else step.extent
        return taps, (r0, c0, er, ec)

    def scene(self) -> Scene:
        raise NotImplementedError


class Stacked(LayerFigure):
    """conv_arithmetic's two sheared planes, the output above the input."""

    def scene(self) -> Scene:
        inp, outp, width, height, margin = self.planes()
        static = self.static(inp, outp, width, margin)
        h, w = self.role.shape
        regions = {"input_centers": inp.centers((h, w)), "output_centers": outp.centers(self.out_shape),
                   "input_role": self.role, "trace": self.trace}
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(inp, outp),
                     dynamic_z=frozenset({Z.SHADE, Z.LINES, Z.MARK}), regions=regions,
                     narration=self.narration, links=self.links(inp, outp.cell))

    def planes(self) -> tuple[Plane, Plane, int, int, int]:
        """Both planes placed: the output centred above the input, the canvas size and the margin."""
        s = self.s
        u, v = (s, -round(s / 2)), (round(0.7 * s), round(0.65 * s))
        h, w = self.role.shape
        ix0, iy0, ix1, iy1 = extent(u, v, h, w)
        ox0, oy0, ox1, oy1 = extent(u, v, *self.out_shape)
        margin = round(0.4 * s)
        content = max(ix1 - ix0, ox1 - ox0)
        self.size = self.words(content, max(content, iy1 - iy0 + oy1 - oy0))
        label_h = self.labels_height(self.size)
        width = max(round(content + 2 * margin), self.text_width([], margin, self.size))
        out_origin = (round((width - (ox1 - ox0)) / 2 - ox0), round(margin + label_h - oy0))
        gap = round(-0.3 * s)  # the planes overlap a little in height, as conv_arithmetic's
        in_top = out_origin[1] + oy1 + gap
        in_origin = (round((width - (ix1 - ix0)) / 2 - ix0), round(in_top - iy0))
        height = round(in_origin[1] + iy1 + margin)
        return Plane(in_origin, u, v), Plane(out_origin, u, v), width, height, margin

    def static(self, inp: Plane, outp: Plane, width: int, margin: int) -> list[Primitive]:
        th, s = self.theme, self.s
        h, w = self.role.shape
        ho, wo = self.out_shape
        static: list[Primitive] = [Polygon(points=inp.cell(r, c), fill=fill, z=Z.FILL)
                                   for r in range(h) for c in range(w)
                                   if (fill := role_fill(th, self.role[r, c])) is not None]
        static += grid_lines(inp, self.role, th, s, Z.GRID, lambda role: role == Role.INPUT)
        for r in range(ho):
            for c in range(wo):
                static += output_cell(outp.cell(r, c), self.reveal_of((r, c)), th, Z.OUTPUT)
        static += grid_lines(outp, np.zeros((ho, wo), np.int8), th, s, Z.OUTPUT + 1, lambda role: role == 0)
        static += self.labels(margin * 0.5, width, self.size, Z.FILL)
        return static

    def frame_fn(self, inp: Plane, outp: Plane) -> Callable[[int], tuple[Primitive, ...]]:
        th = self.theme
        grid_w = grid_width(th, self.s)

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            taps, (r0, c0, er, ec) = self.window(step)
            if len(taps) == er * ec:  # a solid window: one polygon
                prims: list[Primitive] = [shade(inp.box(r0, c0, er, ec), th, Z.SHADE)]
            else:  # dilated: only the taps
                prims = [shade(inp.cell(r, c), th, Z.SHADE) for r, c in sorted(taps)]
            # the footprint is drawn with a solid grid, also over dashed padding
            for e0, f0, e1, f1, _ in edges_over_padding(taps, self.solid):
                prims.append(Segment(start=inp.at(e0, f0), end=inp.at(e1, f1), color=th.grid, width=grid_w,
                                     z=Z.SHADE))
            pr, pc = rc(step.position, self.nd)
            for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):  # conv_arithmetic's hairlines: one crisp pixel
                prims.append(Segment(start=inp.at(r0 + dr * er, c0 + dc * ec), end=outp.at(pr + dr, pc + dc),
                                     color=th.connector, width=1.0, z=Z.LINES, antialias=False))
            prims.append(shade(outp.cell(pr, pc), th, Z.MARK))
            return tuple(prims)

        return frame


@dataclass(frozen=True, slots=True, kw_only=True)
class CellsLayout:
    """Where an axis-aligned figure puts things (flat and strip share the drawing)."""

    inp: Plane
    width: int
    height: int
    captions: list[str]
    caption_xy: Point
    label_xy: Point
    out_cell: Callable[[int, int], tuple[Point, ...]]
    kernel_row: Plane | None = None
    word_size: float = 12.0


class Cells(LayerFigure):
    """Axis-aligned grids with numbers: what flat and strip share."""

    def cells_scene(self, lay: CellsLayout) -> Scene:
        lift = self.number_lift if lay.kernel_row is None else 0.0  # a strip writes its weights in a row
        static = self.input_static(lay.inp, lift) + self.output_static(lay.out_cell)
        static += self.labels(lay.label_xy[1], lay.width, lay.word_size, Z.TEXT)
        ho, wo = self.out_shape
        h, w = self.role.shape
        out_centers = np.array([[np.mean(lay.out_cell(r, c), axis=0) for c in range(wo)] for r in range(ho)])
        regions = {"input_centers": lay.inp.centers((h, w)), "output_centers": out_centers,
                   "input_role": self.role, "trace": self.trace}
        if lay.kernel_row is not None:  # a strip: its rows are named input, kernel, output
            regions["kernel_centers"] = lay.kernel_row.centers((1, w))
            regions["named_planes"] = True
        return Scene(width=lay.width, height=lay.height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(lay), dynamic_z=frozenset({Z.SHADE, Z.MARK}),
                     regions=regions, narration=self.narration, links=self.links(lay.inp, lay.out_cell))

    @property
    def numbers(self) -> bool:
        return self.options.numbers or self.style is Style.FLAT

    def input_static(self, inp: Plane, lift: float = 0.0) -> list[Primitive]:
        th = self.theme
        h, w = self.role.shape
        static: list[Primitive] = []
        for r in range(h):
            for c in range(w):
                role = self.role[r, c]
                if (fill := role_fill(th, role)) is not None:
                    static.append(Polygon(points=inp.cell(r, c), fill=fill, z=Z.FILL))
                if self.numbers and role != Role.OVERHANG:
                    x, y = inp.at(r + 0.5, c + 0.5)
                    static.append(Text(xy=(x, y - lift), text=format_value(self.values[r, c]),
                                       size=self.text_size, color=th.text, z=Z.TEXT))
        static += grid_lines(inp, self.role, th, self.s, Z.TOPGRID, lambda role: role == Role.INPUT)
        return static

    def output_static(self, out_cell: Callable[[int, int], tuple[Point, ...]]) -> list[Primitive]:
        th = self.theme
        ho, wo = self.out_shape
        static: list[Primitive] = []
        for r in range(ho):
            for c in range(wo):
                cell = out_cell(r, c)
                rev = self.reveal_of((r, c))
                static += output_cell(cell, rev, th, Z.FILL)
                if self.numbers:
                    static.append(Text(xy=center(cell), text=format_value(self.output_value(r, c)),
                                       size=self.text_size, color=th.text, z=Z.TEXT, reveal=rev))
                static += outline(cell, th.grid, grid_width(th, self.s), Z.TOPGRID)
        return static

    def frame_fn(self, lay: CellsLayout) -> Callable[[int], tuple[Primitive, ...]]:
        th, s, inp = self.theme, self.s, lay.inp
        grid_w = grid_width(th, s)
        weights = not self.spec.is_pool and self.numbers

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            prims: list[Primitive] = []
            taps = [rc(t, self.nd) for t in step.taps]
            for n, (r, c) in enumerate(taps):
                prims.append(shade(inp.cell(r, c), th, Z.SHADE))
                if not self.solid[r, c]:
                    prims += outline(inp.cell(r, c), th.grid, grid_w, Z.MARK)
                if weights and lay.kernel_row is None:  # a strip shows the weights in its kernel row
                    prims.append(Text(xy=inp.at(r + 0.93, c + 0.93), text=format_value(step.weights[0][n]),
                                      size=self.cell_text.subscript, color=th.subscript, anchor="rd", z=Z.MARK))
            if lay.kernel_row is not None:
                for n, (_r, c) in enumerate(taps):
                    text = format_value(step.weights[0][n]) if weights else None  # type: ignore[index]
                    prims += kernel_cell(lay.kernel_row, c, text, th, grid_w, self.text_size, Z.MARK)
            pr, pc = rc(step.position, self.nd)
            prims.append(shade(lay.out_cell(pr, pc), th, Z.SHADE))
            if lay.captions:
                prims.append(Text(xy=lay.caption_xy, text=lay.captions[min(i, self.n_steps - 1)],
                                  size=lay.word_size, color=th.caption, font="serif", z=Z.MARK))
            return tuple(prims)

        return frame


class Flat(Cells):
    """The padded input left, the output right, values in the cells."""

    def scene(self) -> Scene:
        s = self.s
        h, w = self.role.shape
        ho, wo = self.out_shape
        margin = round(0.5 * s)
        gap = round(1.5 * s)
        grid_h = max(h, ho) * s
        content = w * s + gap + wo * s
        size = self.words(content, max(content, grid_h))
        label_h = self.labels_height(size)
        caption_h = round(1.9 * size) if self.options.caption else 0
        top = margin + label_h
        captions = self.captions(content, size)
        width = max(round(content + 2 * margin), self.text_width(captions, margin, size))
        left = round((width - content) / 2)  # the grids are centred under a wider caption
        inp = flat_plane((left, round(top + (grid_h - h * s) / 2)), s)
        outp = flat_plane((round(left + w * s + gap), round(top + (grid_h - ho * s) / 2)), s)
        height = round(top + grid_h + caption_h + margin)
        return self.cells_scene(CellsLayout(
            inp=inp, width=width, height=height, captions=captions, out_cell=outp.cell,
            caption_xy=(width / 2, top + grid_h + caption_h * 0.55), label_xy=(width / 2, margin * 0.5),
            word_size=size))


class Strip(Cells):
    """A 1-D signal: the input row, the kernel row sliding beneath it, the output row under the windows."""

    def scene(self) -> Scene:
        s, th = self.s, self.theme
        w = self.role.shape[1]
        margin = round(0.5 * s)
        names = self.row_names()
        centers0 = self.trace.output_anchors(0) * s
        content = max(w * s, centers0.max() + s / 2)
        size = self.words(content, content)
        name_size = max(0.36 * s, 0.85 * size)
        label_w = round(max(text_width(name, name_size, "sans") for name in names.values()) + 0.4 * s)
        label_h = self.labels_height(size)
        caption_h = round(1.9 * size) if self.options.caption else 0
        left = margin + label_w
        top = margin + label_h
        pitch = round(max(1.4 * s, 1.3 * name_size))  # rows apart: their names never touch
        rows = {"input": top, "kernel": top + pitch, "output": top + 2 * pitch}
        centers = left + self.trace.output_anchors(0) * s  # outputs sit under their windows

        def out_cell(_r: int, c: int) -> tuple[Point, ...]:
            x0, y0 = centers[c] - s / 2, rows["output"]
            return ((x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s))

        right = max(left + w * s, centers.max() + s / 2)
        captions = self.captions(content, size)
        width = max(round(right + margin), self.text_width(captions, margin, size))
        scene = self.cells_scene(CellsLayout(
            inp=flat_plane((left, rows["input"]), s), width=width,
            height=round(rows["output"] + s + caption_h + margin), captions=captions, out_cell=out_cell,
            caption_xy=(width / 2, rows["output"] + s + caption_h * 0.55),
            label_xy=(width / 2, margin * 0.5), kernel_row=flat_plane((left, rows["kernel"]), s), word_size=size))
        texts = tuple(Text(xy=(left - 0.3 * s, y + s / 2), text=names[k], size=name_size, color=th.caption,
                           anchor="rm", font="sans", z=Z.TEXT) for k, y in rows.items())
        return replace(scene, static=scene.static + texts)

    def row_names(self) -> dict[str, str]:
        kernel = "kernel" if not self.spec.is_pool else self.spec.op.value.replace("_", " ")
        if self.spec.flip_kernel:
            kernel += " (flipped)"
        return {"input": "input", "kernel": kernel, "output": "output"}


STYLES: dict[Style, type[LayerFigure]] = {Style.STACKED: Stacked, Style.FLAT: Flat, Style.STRIP: Strip}


def layer_scene(trace: Trace, options: RenderOptions) -> Scene:
    """The scene of a one-channel trace in the style the options resolve to."""
    return STYLES[options.resolved_style(trace.spec.ndim)](trace, options).scene()


def trace_of(config: Config) -> Trace:
    """Simulate a config's (first) layer on its data."""
    return simulate(config.spec, config.input, config.weight, config.bias)


class SingleLayer(FigureKind):
    """One layer with one input and one output channel."""

    name = "layer"

    def applies(self, config: Config) -> bool:
        return True

    def check(self, config: Config) -> None:
        check_strip(config.render.resolved_style(config.spec.ndim), config.spec.ndim)

    def steps(self, config: Config) -> int:
        return config.spec.n_steps

    def ignored(self, config: Config) -> list[tuple[str, str]]:
        stacked = config.render.resolved_style(config.spec.ndim) is Style.STACKED
        return unshown(config, numbers=not stacked, caption=not stacked, what="the stacked style",
                       fix="use style: flat (numbers: true alone picks it)")

    def scene(self, config: Config) -> Scene:
        return layer_scene(trace_of(config), config.render)

    def alt_text(self, config: Config) -> str:
        return alt_text(config.spec)


register(SingleLayer(), precedence=100)
