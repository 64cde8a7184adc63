"""The matrix view (``render: {view: matrix}``): a layer as the sparse matrix C times the flattened input.

``y = C·x (+ b)``: ``x`` is the input flattened channel by channel and row by row, drawn as a row above C so
each column of C sits under the input cell it multiplies; ``y`` is the output, a column right of C beside the
row it comes from. Row ``r`` of C holds the kernel weights on the input cells output ``r`` reads (blank cells
are zeros); with channels, C has one block of rows per output channel and one block of columns per input
channel (blocks outside a group stay blank). One frame per row: the row, the input entries it multiplies and
the output entry it fills, also shown on the input and output grids on the left.

A transposed convolution is drawn as ``Cᵀ``: the transpose of its forward convolution's matrix, which is shown
small beneath the grids with the current column marked: each column of C is a row of Cᵀ (hence the name).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

import numpy as np

from ..config.model import Config
from ..core.arithmetic import describe, forward_of
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.limits import Footprint
from ..core.options import RenderOptions, Reveal, Style, View
from ..core.scene import CellGroup, CellRef, Links, Point, Primitive, Scene, Text
from ..core.spec import ConvSpec
from ..core.text import text_width
from ..core.theme import Theme
from ..core.words import dims
from ..engine import Role, Trace, simulate
from ..engine.matrix import layer_matrix, layer_taps
from .alt import alt_text
from .geometry import as_rows, output_cell, shade, shape2, tint
from .links import cells_group, per_frame
from .matrices import MAX_MATRIX, block_lines, column_labels, entries, index_labels, light_grid, row_labels, widest
from .panels import (
    CellGrid,
    caption_row,
    caption_text,
    centers_by_channel,
    fills,
    fit_size,
    label,
    lines,
    numbers,
    thick_outline,
)
from .registry import FigureKind, register
from .values import elide, format_value

Z_FILL, Z_TEXT, Z_SHADE, Z_GRID, Z_MARK = 0, 2, 10, 18, 40


def check_matrix_view(config: Config, view: str, shape: tuple[int, int], what: str) -> None:
    """A matrix view draws one convolution whose matrices stay within MAX_MATRIX rows and columns."""
    spec = config.spec
    if config.layers:
        raise SpecError("render.view", f"{view} draws one layer; a layers: config draws its receptive field")
    if spec.is_pool:
        raise SpecError("render.view", f"{view} draws a convolution's weights as a matrix; {spec.op.value} has none "
                                       f"(use view: gather)")
    if spec.ndim == 3:
        raise SpecError("render.view", f"{view} draws 1-D and 2-D layers beside their grids; this layer is 3-D "
                                       f"(view: gather draws it as its depth slices)")
    if view == "matrix" and spec.padding_value != 0:
        raise SpecError("render.view", f"padding_value {spec.padding_value:g} adds a constant to the outputs "
                                       f"(y = C·x + c), so the layer is no matrix product; use view: im2col, whose "
                                       f"patches hold the padding's values, or gather")
    if max(shape) > MAX_MATRIX:
        raise SpecError("render.view", f"{what} would be {shape[0]}×{shape[1]} cells, over the readable limit of "
                                       f"{MAX_MATRIX}×{MAX_MATRIX}; use a smaller input_size or fewer channels")
    if config.render.style not in (Style.AUTO, Style.FLAT):
        raise SpecError("render.style", f"the {view} view is drawn flat; remove style: {config.render.style.value}")


def matrix_shape(spec: ConvSpec) -> tuple[int, int]:
    """C's rows and columns, from the spec alone."""
    return spec.out_channels * math.prod(spec.output_size), spec.in_channels * math.prod(spec.input_size)


@dataclass(slots=True)
class Insets:
    """The small grids beside a matrix: every input and output channel, and where their names go."""

    inputs: dict[int, CellGrid] = field(default_factory=dict)
    outputs: dict[int, CellGrid] = field(default_factory=dict)
    texts: list[Primitive] = field(default_factory=list)
    width: float = 0.0
    bottom: float = 0.0


def place_insets(in_shape: tuple[int, int], out_shape: tuple[int, int], channels: tuple[int, int],
                 names: tuple[str, str], s: float, x: float, y: float, size: float, theme: Theme,
                 max_height: float) -> Insets:
    """Input grids then output grids, each under its name: one under another, or, when that would be taller
    than ``max_height``, the input channels in one row and the output channels in the next."""
    head, gap = 0.8 * s, 0.45 * s
    kinds = (("in", in_shape, channels[0], names[0]), ("out", out_shape, channels[1], names[1]))
    column_height = sum(count * (head + shape[0] * s + gap) for _, shape, count, _ in kinds)
    in_rows = column_height > max_height and max(channels) > 1
    ins = Insets()
    widths = []
    for kind, shape, count, name in kinds:
        x0 = x
        for c in range(count):
            text = name + (f" · ch {c}" if count > 1 else "")
            ins.texts.append(label((x0, y + 0.62 * head), text, size, theme, Z_TEXT))
            grid = CellGrid((x0, y + head), shape, s)
            (ins.inputs if kind == "in" else ins.outputs)[c] = grid
            step = max(shape[1] * s, text_width(text, size, "sans"))
            widths.append(x0 + step - x)
            if in_rows:
                x0 += step + gap
            else:
                y += head + shape[0] * s + gap
        if in_rows:
            y += head + shape[0] * s + gap
    ins.width, ins.bottom = max(widths), y
    return ins


def input_inset(grid: CellGrid, role: np.ndarray, values: np.ndarray | None, theme: Theme,
                size: float) -> list[Primitive]:
    """An input grid: real cells blue, padding and inserted zeros dashed, values written when given."""
    prims = fills(grid, lambda r, c: theme.input if role[r, c] == Role.INPUT else None, Z_FILL)
    if values is not None:
        prims += numbers(grid, values, size, theme.text, Z_TEXT, shown=role != Role.OVERHANG)
    return prims + lines(grid, role == Role.INPUT, theme, Z_GRID)


def output_inset(grid: CellGrid, values: np.ndarray | None, reveal: Callable[[int, int], int], theme: Theme,
                 size: float) -> list[Primitive]:
    """An output grid: cyan cells (from their reveal frame), values written when given."""
    prims: list[Primitive] = []
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            prims += output_cell(grid.cell(r, c), reveal(r, c), theme, Z_FILL)
            if values is not None:
                prims.append(Text(xy=grid.center(r, c), text=format_value(float(values[r, c])), size=size,
                                  color=theme.text, z=Z_TEXT, reveal=reveal(r, c)))
    return prims + lines(grid, np.ones(grid.shape, bool), theme, Z_GRID)


def vector_column(grid: CellGrid, values: np.ndarray, fill: str, theme: Theme, size: float | None,
                  reveal: Callable[[int, int], int] | None = None) -> list[Primitive]:
    """A row or column vector: filled cells with their values."""
    prims: list[Primitive] = []
    for (r, c), v in np.ndenumerate(values):
        rev = reveal(r, c) if reveal else 0
        prims += output_cell(grid.cell(r, c), rev, theme, Z_FILL) if fill == theme.output else \
            fills(CellGrid(grid.corner(r, c), (1, 1), grid.s), lambda *_: fill, Z_FILL)
        if size is not None:
            prims.append(Text(xy=grid.center(r, c), text=format_value(float(v)), size=size, color=theme.text,
                              z=Z_TEXT, reveal=rev))
    return prims + lines(grid, np.ones(grid.shape, bool), theme, Z_GRID)


def heading_lines(texts: list[str], x: float, y: float, size: float, theme: Theme) -> tuple[list[Primitive], float]:
    """Lines of words from ``(x, y)`` down; returns them and the y under them."""
    prims: list[Primitive] = []
    for text in texts:
        prims.append(label((x, y + size), text, size, theme, Z_TEXT))
        y += 1.5 * size
    return prims, y + 0.3 * size


class Foot(Protocol):
    """A matrix view's layout, as far as its foot is concerned: the canvas, its texts and the caption's place."""

    width: int
    height: int
    texts: list[Primitive]
    caption_xy: Point


class GridsMatrixFigure(ABC):
    """What the matrix and im2col figures share (the grids of the layer beside one row per frame of a matrix):
    the sizes from the numbers they write, the reveal order, the foot of the layout, the input and output
    grids' link groups, and the scene. A subclass sets the attributes below and draws the rest."""

    spec: ConvSpec
    options: RenderOptions
    theme: Theme
    trace: Trace
    rows: int
    n_frames: int
    numbers: bool
    s: float
    size: float | None
    small: float
    head: float

    @abstractmethod
    def layout(self) -> Any: ...

    @abstractmethod
    def static(self, lay: Any) -> list[Primitive]: ...

    @abstractmethod
    def frame_fn(self, lay: Any) -> Callable[[int], tuple[Primitive, ...]]: ...

    @abstractmethod
    def regions(self, lay: Any) -> dict[str, object]: ...

    @abstractmethod
    def links(self, lay: Any) -> Links: ...

    @abstractmethod
    def caption(self, row: int) -> str: ...

    def fit_sizes(self, texts: list[str]) -> None:
        """The cell side (the widest value's, or ``scale``), the values' size and the words' sizes, for the
        values ``texts`` and the bias."""
        if self.trace.bias is not None:
            texts = texts + [format_value(float(v)) for v in self.trace.bias]
        self.s = float(self.options.scale or (max(30, 11 * max(len(t) for t in texts)) if self.numbers else 18))
        self.size = fit_size(texts, self.s) if self.numbers else None
        self.small = max(9.0, 0.3 * self.s)
        self.head = max(12.0, 0.42 * self.s)

    def reveal(self, row: int) -> int:
        return row if self.options.reveal is Reveal.PROGRESSIVE else 0

    def finish(self, lay: Foot, heads: list[Primitive], right: float, bottom: float, margin: int) -> None:
        """The caption row under ``bottom``, the canvas (as wide as the headings, the grids up to ``right`` and
        the captions) and the layer's title above everything."""
        s = self.s
        widths = [right + margin, *(margin + text_width(t.text, self.head, "sans") + margin for t in heads)]  # type: ignore[union-attr]
        captions = [self.caption(r) for r in range(self.rows)] if self.options.caption else []
        lay.width, lay.height, lay.caption_xy = caption_row(widths, bottom, captions, margin, s, gap=0.45)
        if self.options.labels:
            lay.texts.append(Text(xy=(lay.width / 2, margin + 0.35 * s), text=describe(self.spec), size=0.4 * s,
                                  color=self.theme.caption, font="sans", z=Z_TEXT))

    def inset_groups(self, insets: Insets) -> list[CellGroup]:
        """The input and output grids as cell groups, input channels first (named by channel when several)."""
        spec = self.spec
        groups = [cells_group("input" + (f" channel {c}" if spec.in_channels > 1 else ""), g.shape, g.cell)
                  for c, g in insets.inputs.items()]
        groups += [cells_group("output" + (f" channel {c}" if spec.out_channels > 1 else ""), g.shape, g.cell)
                   for c, g in insets.outputs.items()]
        return groups

    def scene(self) -> Scene:
        lay = self.layout()
        return Scene(width=lay.width, height=lay.height, background=self.theme.background,
                     static=tuple(self.static(lay)), n_frames=self.n_frames, frame=self.frame_fn(lay),
                     dynamic_z=frozenset({Z_SHADE, Z_MARK}), regions=self.regions(lay),
                     narration=lambda i: self.caption(min(i, self.rows - 1)), links=lambda: self.links(lay))


class GridsMatrixView(FigureKind):
    """What the matrix and im2col kinds share: their figure's scene, and its canvas as their footprint."""

    figure: ClassVar[Callable[[Config], GridsMatrixFigure]]

    def scene(self, config: Config) -> Scene:
        return self.figure(config).scene()

    def footprint(self, config: Config) -> Footprint:
        """The laid-out canvas itself: ``check`` has bounded the matrix to a readable size, so simulating and
        placing it costs a few milliseconds."""
        lay = self.figure(config).layout()
        return replace(super().footprint(config), canvas=(lay.width, lay.height))


@dataclass(slots=True)
class MatrixLayout:
    width: int = 0
    height: int = 0
    matrix: CellGrid | None = None
    x_row: CellGrid | None = None
    y_col: CellGrid | None = None
    b_col: CellGrid | None = None
    forward: CellGrid | None = None
    insets: Insets | None = None
    texts: list[Primitive] = field(default_factory=list)
    caption_xy: Point = (0.0, 0.0)


class MatrixFigure(GridsMatrixFigure):
    """Layout and frames of the matrix view."""

    def __init__(self, config: Config):
        spec = config.spec
        self.spec, self.options, self.theme = spec, config.render, config.render.theme
        self.trace: Trace = simulate(spec, config.input, config.weight, config.bias)
        self.matrix, self.taps = layer_matrix(self.trace), layer_taps(self.trace)
        self.rows, self.cols = self.matrix.shape
        self.nd = spec.ndim
        self.x = self.trace.x.ravel()
        self.y = self.trace.output.ravel()
        self.n_steps = self.rows
        self.n_frames = self.rows + self.options.hold_last
        self.numbers = self.options.numbers
        self.fit_sizes([format_value(float(v)) for v in
                        {*self.matrix[self.taps].tolist(), *self.x.tolist(), *self.y.tolist()}])
        self.forward = self.forward_matrix() if spec.transposed else None

    def forward_matrix(self) -> np.ndarray:
        """The forward convolution's C, cut to the transposed input's size: its transpose is this layer's."""
        fwd = forward_of(self.spec)
        trace = simulate(fwd, np.zeros((fwd.in_channels, *fwd.input_size)), self.trace.weight)
        rows = np.arange(trace.output.size).reshape(trace.output.shape)
        kept = rows[(slice(None), *(slice(0, i) for i in self.spec.input_size))].ravel()
        return layer_taps(trace)[kept]

    # -- words -------------------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return "Cᵀ" if self.spec.transposed else "C"

    def headings(self) -> list[str]:
        spec, name = self.spec, self.name
        plus = " + b" if spec.bias else ""
        lines_ = [f"y = {name}·x{plus}: {name} is {self.rows}×{self.cols}, one row per output cell, one column per "
                  f"input cell"]
        if spec.transposed:
            fwd = forward_of(spec)
            lines_.append(f"Cᵀ is the transpose of the forward convolution's C ({dims(fwd.input_size)} → "
                          f"{dims(fwd.output_size)}, same kernel, stride, padding):")
            lines_.append("each column of C is a row of Cᵀ")
        else:
            lines_.append(f"row r of {name} holds the kernel weights on the input cells output r reads; "
                          f"blank cells are 0")
        return lines_

    def position(self, row: int) -> tuple[int, tuple[int, ...]]:
        co, flat = divmod(row, math.prod(self.spec.output_size))
        return co, tuple(int(v) for v in np.unravel_index(flat, self.spec.output_size))

    def caption(self, row: int) -> str:
        co, pos = self.position(row)
        index = ([co] if self.spec.out_channels > 1 else []) + list(pos)
        terms = []
        for c in np.flatnonzero(self.taps[row]):
            w = format_value(float(self.matrix[row, c]))
            terms.append(f"{'(' + w + ')' if w.startswith('−') else w}·{format_value(float(self.x[c]))}")
        body = elide(terms, " + ") if terms else "0"
        if self.trace.bias is not None:
            body += f" + {format_value(float(self.trace.bias[co]))}"
        return f"y[{','.join(map(str, index))}] = {body} = {format_value(float(self.y[row]))}"

    # -- layout -------------------------------------------------------------------------------------------

    def layout(self) -> MatrixLayout:
        s, spec, th = self.s, self.spec, self.theme
        lay = MatrixLayout()
        margin = round(0.5 * s)
        y = margin + (round(0.9 * s) if self.options.labels else 0)
        heads, y = heading_lines(self.headings(), margin, y, self.head, th)
        lay.texts += heads
        lay.insets = place_insets(shape2(spec.input_size), shape2(spec.output_size),
                                  (spec.in_channels, spec.out_channels), (f"input {dims(spec.input_size)}",
                                                                          f"output {dims(spec.output_size)}"),
                                  s, margin, y, self.head, th, (self.rows + 3) * s)
        lay.texts += lay.insets.texts
        left_bottom = lay.insets.bottom
        if self.forward is not None:
            left_bottom = self.place_forward(lay, margin, left_bottom)
        right = self.place_matrix(lay, margin + lay.insets.width + 1.2 * s, y)
        self.finish(lay, heads, right, max(left_bottom, lay.matrix.bottom + 0.4 * s), margin)  # type: ignore[union-attr]
        return lay

    def place_forward(self, lay: MatrixLayout, x: float, y: float) -> float:
        """The forward convolution's C, small, under the grids; returns the y under it."""
        f = self.forward
        assert f is not None and lay.insets is not None
        cell = max(4.0, min(12.0, 0.45 * self.s, 360 / f.shape[1]))
        text = f"C ({f.shape[0]}×{f.shape[1]}), forward"
        lay.texts.append(label((x, y + 0.62 * 0.8 * self.s), text, self.head, self.theme, Z_TEXT))
        lay.forward = CellGrid((x, y + 0.8 * self.s), f.shape, cell)
        lay.insets.width = max(lay.insets.width, f.shape[1] * cell, text_width(text, self.head, "sans"))
        return lay.forward.bottom + 0.4 * self.s

    def place_matrix(self, lay: MatrixLayout, x: float, y: float) -> float:
        """x above C, C, then (+ b) = y on its right; returns the right edge."""
        s, spec = self.s, self.spec
        rows_text = index_labels(spec.output_size, spec.out_channels)
        block_w = widest([f"out {c}" for c in range(spec.out_channels)], self.small) + 0.3 * s \
            if spec.out_channels > 1 else 0.0
        row_w = max(widest(rows_text, self.small), widest(["x"], self.head)) + 0.3 * s + block_w
        top = y + (0.6 * s if spec.in_channels > 1 else 0) + 0.6 * s
        left = x + row_w
        lay.x_row = CellGrid((left, top), (1, self.cols), s)
        lay.matrix = CellGrid((left, top + 1.4 * s), (self.rows, self.cols), s)
        right = lay.matrix.right
        mid = lay.matrix.origin[1] + self.rows * s / 2
        if self.trace.bias is not None:
            lay.texts.append(Text(xy=(right + 0.45 * s, mid), text="+", size=self.head * 1.4,
                                  color=self.theme.caption, z=Z_TEXT))
            lay.b_col = CellGrid((right + 0.9 * s, lay.matrix.origin[1]), (self.rows, 1), s)
            right = lay.b_col.right
        lay.texts.append(Text(xy=(right + 0.45 * s, mid), text="=", size=self.head * 1.4, color=self.theme.caption,
                              z=Z_TEXT))
        lay.y_col = CellGrid((right + 0.9 * s, lay.matrix.origin[1]), (self.rows, 1), s)
        lay.texts += self.matrix_labels(lay, rows_text, x)
        return lay.y_col.right

    def matrix_labels(self, lay: MatrixLayout, rows_text: list[str], left: float) -> list[Primitive]:
        s, spec, th = self.s, self.spec, self.theme
        m, xr, yc = lay.matrix, lay.x_row, lay.y_col
        assert m is not None and xr is not None and yc is not None
        n_in, n_out = math.prod(spec.input_size), math.prod(spec.output_size)
        prims: list[Primitive] = column_labels(xr, index_labels(spec.input_size, spec.in_channels), self.small, th,
                                               Z_TEXT, 0.15 * s)
        prims += row_labels(m, rows_text, self.small, th, Z_TEXT, 0.15 * s)
        prims.append(Text(xy=(xr.origin[0] - 0.15 * s, xr.center(0, 0)[1]), text="x", size=self.head,
                          color=th.caption, anchor="rm", font="serif", z=Z_TEXT))
        prims.append(Text(xy=(yc.center(0, 0)[0], m.origin[1] - 0.2 * s), text="y", size=self.head,
                          color=th.caption, anchor="ms", font="serif", z=Z_TEXT))
        if lay.b_col is not None:
            prims.append(Text(xy=(lay.b_col.center(0, 0)[0], m.origin[1] - 0.2 * s), text="b", size=self.head,
                              color=th.caption, anchor="ms", font="serif", z=Z_TEXT))
        if spec.in_channels > 1:
            for c in range(spec.in_channels):
                x = xr.origin[0] + (c + 0.5) * n_in * s
                prims.append(Text(xy=(x, xr.origin[1] - 0.75 * s), text=f"in {c}", size=self.small,
                                  color=th.caption, anchor="ms", font="sans", z=Z_TEXT))
        if spec.out_channels > 1:
            for c in range(spec.out_channels):
                y = m.origin[1] + (c + 0.5) * n_out * s
                prims.append(Text(xy=(left, y), text=f"out {c}",
                                  size=self.small, color=th.caption, anchor="lm", font="sans", z=Z_TEXT))
        return prims

    # -- static and frames ---------------------------------------------------------------------------------

    def static(self, lay: MatrixLayout) -> list[Primitive]:
        th, spec = self.theme, self.spec
        m, xr, yc = lay.matrix, lay.x_row, lay.y_col
        assert m is not None and xr is not None and yc is not None and lay.insets is not None
        kernel = tint(th.shade, th.shade_alpha, th.background)
        prims: list[Primitive] = list(lay.texts)
        prims += entries(m, self.matrix, self.taps, kernel, th, self.size, Z_FILL)
        prims += light_grid(m, th, Z_GRID)
        prims += block_lines(m, math.prod(spec.output_size), math.prod(spec.input_size), th, Z_GRID)
        prims += vector_column(xr, self.x[None, :], th.input, th, self.size)
        prims += vector_column(yc, self.y[:, None], th.output, th, self.size, lambda r, c: self.reveal(r))
        if lay.b_col is not None:
            b = np.repeat(self.trace.bias, math.prod(spec.output_size))[:, None]  # type: ignore[arg-type]
            prims += vector_column(lay.b_col, b, kernel, th, self.size)
        in_role = np.zeros(shape2(spec.input_size), np.int8)  # the input itself: every cell real
        for c, grid in lay.insets.inputs.items():
            values = as_rows(self.trace.x[c], self.nd) if self.numbers else None
            prims += input_inset(grid, in_role, values, th, self.size or 0)
        n_out = math.prod(spec.output_size)
        ow = shape2(spec.output_size)[1]
        for c, grid in lay.insets.outputs.items():
            values = as_rows(self.trace.output[c], self.nd) if self.numbers else None
            prims += output_inset(grid, values, lambda r, q, c=c: self.reveal(c * n_out + r * ow + q), th,
                                  self.size or 0)
        if lay.forward is not None and self.forward is not None:
            prims += entries(lay.forward, np.zeros(self.forward.shape), self.forward, kernel, th, None, Z_FILL)
            prims += light_grid(lay.forward, th, Z_GRID)
        return prims

    def frame_fn(self, lay: MatrixLayout) -> Callable[[int], tuple[Primitive, ...]]:
        th, s, spec = self.theme, self.s, self.spec
        m, xr, yc, insets = lay.matrix, lay.x_row, lay.y_col, lay.insets
        assert m is not None and xr is not None and yc is not None and insets is not None
        n_in = math.prod(spec.input_size)

        def frame(i: int) -> tuple[Primitive, ...]:
            row = min(i, self.rows - 1)
            box, out = m.box(row, 0, 1, self.cols), yc.cell(row, 0)
            prims: list[Primitive] = [shade(box, th, Z_SHADE), *thick_outline(box, th, s, Z_MARK),
                                      shade(out, th, Z_SHADE), *thick_outline(out, th, s, Z_MARK)]
            for c in np.flatnonzero(self.taps[row]):
                prims.append(shade(xr.cell(0, int(c)), th, Z_SHADE))
                ci, flat = divmod(int(c), n_in)
                r, q = self.grid_rc(flat, spec.input_size)
                prims.append(shade(insets.inputs[ci].cell(r, q), th, Z_SHADE))
            co, pos = self.position(row)
            r, q = self.grid_rc(int(np.ravel_multi_index(pos, spec.output_size)), spec.output_size)
            prims += [shade(insets.outputs[co].cell(r, q), th, Z_SHADE),
                      *thick_outline(insets.outputs[co].cell(r, q), th, s, Z_MARK)]
            if lay.forward is not None:
                box = lay.forward.box(0, row, lay.forward.shape[0], 1)
                prims += [shade(box, th, Z_SHADE), *thick_outline(box, th, lay.forward.s * 0.6, Z_MARK)]
            if self.options.caption:
                prims.append(caption_text(lay.caption_xy, self.caption(row), s, th, Z_MARK))
            return tuple(prims)

        return frame

    def grid_rc(self, flat: int, size: tuple[int, ...]) -> tuple[int, int]:
        idx = np.unravel_index(flat, size)
        return (0, int(idx[0])) if len(size) == 1 else (int(idx[0]), int(idx[1]))

    def links(self, lay: MatrixLayout) -> Links:
        """The input and output grids, x, C, y (and b) as cell groups: x[c] is input cell c; y[r] reads row r's
        taps of C, the x entries they multiply (and b[r]); an output cell is y's entry; frame r computes y[r]."""
        m, xr, yc, insets = lay.matrix, lay.x_row, lay.y_col, lay.insets
        assert m is not None and xr is not None and yc is not None and insets is not None
        spec = self.spec
        groups = self.inset_groups(insets)
        g_x, g_m, g_y = len(groups), len(groups) + 1, len(groups) + 2
        groups += [cells_group("x", xr.shape, xr.cell), cells_group(self.name, m.shape, m.cell),
                   cells_group("y", yc.shape, yc.cell)]
        if lay.b_col is not None:
            groups.append(cells_group("b", lay.b_col.shape, lay.b_col.cell))
        n_in, n_out = math.prod(spec.input_size), math.prod(spec.output_size)
        reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
        for c in range(self.cols):  # x is the input, flattened
            ci, flat = divmod(c, n_in)
            r, q = self.grid_rc(flat, spec.input_size)
            reads.append(((g_x, c), ((ci, r * insets.inputs[ci].shape[1] + q),)))
        writes = []
        for row in range(self.rows):
            taps = [int(c) for c in np.flatnonzero(self.taps[row])]
            read = [(g_m, row * self.cols + c) for c in taps] + [(g_x, c) for c in taps]
            if lay.b_col is not None:
                read.append((g_y + 1, row))
            reads.append(((g_y, row), tuple(read)))
            co, flat = divmod(row, n_out)
            r, q = self.grid_rc(flat, spec.output_size)
            out = (spec.in_channels + co, r * insets.outputs[co].shape[1] + q)
            reads.append((out, ((g_y, row),)))
            writes.append(((g_y, row), out))
        return Links(groups=tuple(groups), reads=tuple(reads), writes=per_frame(writes, self.n_frames))

    def regions(self, lay: MatrixLayout) -> dict[str, object]:
        """Cell centres per grid, the matrix, and per frame the entries read (x columns) and written (y row)."""
        assert lay.matrix is not None and lay.x_row is not None and lay.y_col is not None and lay.insets is not None
        return {"input_centers": centers_by_channel(lay.insets.inputs),
                "output_centers": centers_by_channel(lay.insets.outputs), "matrix_centers": lay.matrix.centers(),
                "x_centers": lay.x_row.centers()[0], "y_centers": lay.y_col.centers()[:, 0], "matrix": self.matrix,
                "taps": self.taps, "trace": self.trace, "named_planes": True,
                "reads": tuple({"x": np.flatnonzero(self.taps[r])} for r in range(self.rows)),
                "writes": tuple({"y": np.array([r])} for r in range(self.rows))}


class MatrixView(GridsMatrixView):
    """``view: matrix``: one frame per row of C."""

    name = "matrix"
    figure = MatrixFigure

    def applies(self, config: Config) -> bool:
        return config.render.view is View.MATRIX

    def check(self, config: Config) -> None:
        check_matrix_view(config, "matrix", matrix_shape(config.spec) if not config.layers else (0, 0),
                          "the matrix C" if not config.spec.transposed else "the matrix Cᵀ")

    def steps(self, config: Config) -> int:
        return matrix_shape(config.spec)[0]

    def info_lines(self, config: Config) -> list[str]:
        rows, cols = matrix_shape(config.spec)
        name = "Cᵀ" if config.spec.transposed else "C"
        return layer_info_lines(config.spec, f"{rows} (matrix view: one per row of the {rows}×{cols} {name})")

    def alt_text(self, config: Config) -> str:
        rows, cols = matrix_shape(config.spec)
        name = "Cᵀ, the transpose of the forward convolution's matrix," if config.spec.transposed else "C"
        return f"{alt_text(config.spec)}; drawn as the {rows}×{cols} matrix {name} times the flattened input"


register(MatrixView(), precedence=21)
