"""The im2col view (``render: {view: im2col}``): the patch matrix times the flattened kernel, as GEMM libraries
compute a convolution.

im2col copies the window of every output position into one row of the patch matrix P (one column per kernel
tap of every input channel, ``F.unfold``'s order); one matrix product with K, the kernel flattened to one
column per output channel, gives every output at once: ``Y = P·K (+ b)``. K is drawn transposed, one row per
output channel above the columns of P it multiplies, so row ``l`` of Y is row ``l`` of P against each row of
Kᵀ. With groups, K is zero (blank) on the input channels outside an output channel's group. A transposed
convolution's patches come from its zero-inserted, padded input with the kernel flipped (the gather view's
grid). One frame per row of P: the row, its window on the input grids and the outputs it gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..config.model import Config
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.options import View
from ..core.scene import CellRef, Links, Point, Primitive, Text
from ..core.spec import ConvSpec
from ..core.words import dims
from ..engine import Role, Trace, simulate
from ..engine.matrix import kernel_matrix, kernel_taps, patch_matrix
from ..engine.simulate import window_index
from .alt import alt_text
from .geometry import as_rows, rc, shade, shape2, tint
from .links import cells_group, per_frame
from .matrices import block_lines, column_labels, entries, index_labels, light_grid, row_labels, widest
from .matrix import (
    Z_GRID,
    Z_MARK,
    Z_SHADE,
    Z_TEXT,
    GridsMatrixFigure,
    GridsMatrixView,
    Insets,
    check_matrix_view,
    heading_lines,
    input_inset,
    output_inset,
    place_insets,
    vector_column,
)
from .panels import CellGrid, caption_text, centers_by_channel, numbers, thick_outline
from .registry import register
from .values import elide, format_value


def im2col_shape(spec: ConvSpec) -> tuple[int, int]:
    """P's rows (output positions) and columns (kernel taps of every input channel), from the spec alone."""
    return math.prod(spec.output_size), spec.in_channels * math.prod(spec.kernel_size)


@dataclass(slots=True)
class Im2colLayout:
    width: int = 0
    height: int = 0
    patches: CellGrid | None = None
    kernel: CellGrid | None = None  # Kᵀ: one row per output channel
    out: CellGrid | None = None  # Y: one row per output position, one column per output channel
    bias: CellGrid | None = None
    insets: Insets | None = None
    texts: list[Primitive] = field(default_factory=list)
    caption_xy: Point = (0.0, 0.0)


class Im2colFigure(GridsMatrixFigure):
    """Layout and frames of the im2col view."""

    def __init__(self, config: Config):
        spec = config.spec
        self.spec, self.options, self.theme = spec, config.render, config.render.theme
        self.trace: Trace = simulate(spec, config.input, config.weight, config.bias)
        self.p = patch_matrix(self.trace)
        self.k = kernel_matrix(self.trace)
        self.k_taps = kernel_taps(self.trace)
        self.y = self.trace.output.reshape(spec.out_channels, -1).T  # (L, C_out)
        self.rows, self.cols = self.p.shape
        self.nd = spec.ndim
        self.role = as_rows(self.trace.grid.role, self.nd)
        self.n_frames = self.rows + self.options.hold_last
        self.numbers = self.options.numbers
        self.fit_sizes([format_value(float(v)) for v in {*self.p.ravel().tolist(), *self.k.ravel().tolist(),
                                                           *self.y.ravel().tolist()}])

    def headings(self) -> list[str]:
        spec = self.spec
        plus = " + b" if spec.bias else ""
        k = math.prod(spec.kernel_size)
        lines_ = [f"Y = P·K{plus}: im2col copies the window of each of the {self.rows} outputs into a row of P "
                  f"({self.rows}×{self.cols}),",
                  f"one column per kernel tap{' of every input channel' if spec.in_channels > 1 else ''}; "
                  f"K is the kernel flattened, {self.cols}×{spec.out_channels} (drawn as Kᵀ above P)"]
        if spec.groups > 1:
            lines_.append(f"groups={spec.groups}: K is blank (zero) on the {spec.in_channels // spec.groups * k} "
                          f"taps of the input channels outside each output channel's group")
        if spec.transposed:
            lines_.append("a transposed convolution: the patches of its zero-inserted, padded input, the kernel "
                          "flipped")
        return lines_

    def caption(self, row: int) -> str:
        pos = ",".join(map(str, np.unravel_index(row, self.spec.output_size)))
        if self.spec.out_channels == 1:
            terms = []
            for j in np.flatnonzero(self.k_taps[:, 0]):
                w = format_value(float(self.k[j, 0]))
                terms.append(f"{format_value(float(self.p[row, j]))}·{'(' + w + ')' if w.startswith('−') else w}")
            body = elide(terms, " + ")
            if self.trace.bias is not None:
                body += f" + {format_value(float(self.trace.bias[0]))}"
            return f"y[{pos}] = P[{row}]·K = {body} = {format_value(float(self.y[row, 0]))}"
        values = ", ".join(format_value(float(v)) for v in self.y[row])
        return f"y[:,{pos}] = P[{row}]·K{' + b' if self.spec.bias else ''} = ({values})"

    # -- layout -------------------------------------------------------------------------------------------

    def layout(self) -> Im2colLayout:
        s, spec, th = self.s, self.spec, self.theme
        lay = Im2colLayout()
        margin = round(0.5 * s)
        y = margin + (round(0.9 * s) if self.options.labels else 0)
        heads, y = heading_lines(self.headings(), margin, y, self.head, th)
        lay.texts += heads
        if spec.transposed:
            name = f"input {dims(spec.input_size)}, zero-inserted and padded: {dims(self.trace.grid.shape)}"
        elif self.trace.grid.shape != spec.input_size:
            name = f"input {dims(spec.input_size)}, padded: {dims(self.trace.grid.shape)}"
        else:
            name = f"input {dims(spec.input_size)}"
        lay.insets = place_insets(self.role.shape, shape2(spec.output_size), (spec.in_channels, spec.out_channels),
                                  (name, f"output {dims(spec.output_size)}"), s, margin, y, self.head, th,
                                  (self.rows + spec.out_channels + 3) * s)
        lay.texts += lay.insets.texts
        right = self.place_matrices(lay, margin + lay.insets.width + 1.2 * s, y)
        self.finish(lay, heads, right, max(lay.insets.bottom, lay.patches.bottom + 0.4 * s), margin)  # type: ignore[union-attr]
        return lay

    def tap_labels(self) -> list[str]:
        return index_labels(self.spec.kernel_size, self.spec.in_channels)

    def place_matrices(self, lay: Im2colLayout, x: float, y: float) -> float:
        """Kᵀ above P, P, then = Y on its right (the bias row above Y); returns the right edge."""
        s, spec, th = self.s, self.spec, self.theme
        c_out = spec.out_channels
        rows_text = index_labels(spec.output_size, 1)
        k_names = [f"Kᵀ out {o}" if c_out > 1 else "Kᵀ" for o in range(c_out)]
        label_w = max(widest(rows_text, self.small), widest(k_names, self.small), widest(["P"], self.head))
        left = x + label_w + 0.3 * s
        top = y + (0.6 * s if spec.in_channels > 1 else 0) + 0.6 * s
        lay.kernel = CellGrid((left, top), (c_out, self.cols), s)
        lay.patches = CellGrid((left, lay.kernel.bottom + 0.9 * s), (self.rows, self.cols), s)
        mid = lay.patches.origin[1] + self.rows * s / 2
        lay.texts.append(Text(xy=(lay.patches.right + 0.45 * s, mid), text="=", size=self.head * 1.4,
                              color=th.caption, z=Z_TEXT))
        lay.out = CellGrid((lay.patches.right + 0.9 * s, lay.patches.origin[1]), (self.rows, c_out), s)
        if self.trace.bias is not None:
            lay.bias = CellGrid((lay.out.origin[0], lay.kernel.origin[1]), (1, c_out), s)
            lay.texts.append(Text(xy=(lay.out.origin[0] - 0.15 * s, lay.bias.center(0, 0)[1]), text="+b",
                                  size=self.head, color=th.caption, anchor="rm", font="serif", z=Z_TEXT))
        lay.texts += column_labels(lay.kernel, self.tap_labels(), self.small, th, Z_TEXT, 0.15 * s)
        lay.texts += column_labels(lay.out, [f"out {o}" if c_out > 1 else "y" for o in range(c_out)],
                                   self.small if c_out > 1 else self.head, th, Z_TEXT, 0.2 * s)
        lay.texts += row_labels(lay.patches, rows_text, self.small, th, Z_TEXT, 0.15 * s)
        lay.texts += row_labels(lay.kernel, k_names, self.small, th, Z_TEXT, 0.15 * s)
        lay.texts.append(Text(xy=(lay.patches.origin[0] - 0.15 * s, lay.patches.origin[1] - 0.25 * s), text="P",
                              size=self.head, color=th.caption, anchor="rs", font="serif", z=Z_TEXT))
        if spec.in_channels > 1:
            k = math.prod(spec.kernel_size)
            for c in range(spec.in_channels):
                lay.texts.append(Text(xy=(left + (c + 0.5) * k * s, lay.kernel.origin[1] - 0.75 * s), text=f"in {c}",
                                      size=self.small, color=th.caption, anchor="ms", font="sans", z=Z_TEXT))
        return lay.out.right

    # -- static and frames ---------------------------------------------------------------------------------

    def static(self, lay: Im2colLayout) -> list[Primitive]:
        th, spec = self.theme, self.spec
        pm, km, out, insets = lay.patches, lay.kernel, lay.out, lay.insets
        assert pm is not None and km is not None and out is not None and insets is not None
        kernel_fill = tint(th.shade, th.shade_alpha, th.background)
        patch_fill = tint(th.input, 0.55, th.background)
        k = math.prod(spec.kernel_size)
        prims: list[Primitive] = list(lay.texts)
        prims += entries(pm, self.p, self.real_taps(), patch_fill, th, None, 0)
        if self.size is not None:
            prims += numbers(pm, self.p, self.size, th.text, 1)
        prims += light_grid(pm, th, Z_GRID) + block_lines(pm, self.rows, k, th, Z_GRID)
        prims += entries(km, self.k.T, self.k_taps.T, kernel_fill, th, self.size, 0)
        prims += light_grid(km, th, Z_GRID) + block_lines(km, 1, k, th, Z_GRID)
        prims += vector_column(out, self.y, th.output, th, self.size, lambda r, c: self.reveal(r))
        if lay.bias is not None:
            prims += vector_column(lay.bias, self.trace.bias[None, :], kernel_fill, th, self.size)  # type: ignore[index]
        for c, grid in insets.inputs.items():
            values = as_rows(self.trace.grid.values[c], self.nd) if self.numbers else None
            prims += input_inset(grid, self.role, values, th, self.size or 0)
        ow = shape2(spec.output_size)[1]
        for c, grid in insets.outputs.items():
            values = as_rows(self.trace.output[c], self.nd) if self.numbers else None
            prims += output_inset(grid, values, lambda r, q: self.reveal(r * ow + q), th, self.size or 0)
        return prims

    def real_taps(self) -> np.ndarray:
        """(L, C_in·k) bool: the entries of P copied from a real input cell (the rest are padding or zeros)."""
        role = self.trace.grid.role[tuple(window_index(self.trace.tap_coords))]  # (*out, *k)
        real = (role == Role.INPUT).reshape(self.rows, -1)
        return np.tile(real, (1, self.spec.in_channels))

    def frame_fn(self, lay: Im2colLayout) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s
        pm, out, insets = lay.patches, lay.out, lay.insets
        assert pm is not None and out is not None and insets is not None
        steps = self.trace.steps
        per = self.rows

        def frame(i: int) -> tuple[Primitive, ...]:
            row = min(i, self.rows - 1)
            prow, orow = pm.box(row, 0, 1, self.cols), out.box(row, 0, 1, self.spec.out_channels)
            prims: list[Primitive] = [shade(prow, th, Z_SHADE), *thick_outline(prow, th, s, Z_MARK),
                                      shade(orow, th, Z_SHADE), *thick_outline(orow, th, s, Z_MARK)]
            step = steps[row]
            for grid in insets.inputs.values():
                prims += [shade(grid.cell(*rc(t, self.nd)), th, Z_SHADE) for t in step.taps]
            for co, grid in insets.outputs.items():
                cell = grid.cell(*rc(steps[co * per + row].position, self.nd))
                prims += [shade(cell, th, Z_SHADE), *thick_outline(cell, th, s, Z_MARK)]
            if self.options.caption:
                prims.append(caption_text(lay.caption_xy, self.caption(row), s, th, Z_MARK))
            return tuple(prims)

        return frame

    def links(self, lay: Im2colLayout) -> Links:
        """The drawn input and output grids, P (one row per patch), Kᵀ, Y (and b) as cell groups: P[l, j] copies
        the drawn input cell under tap j of window l; Y[l, o] reads row l of P and row o of Kᵀ where K holds a
        weight (and b[o]); output cell (o, l) is Y[l, o]; frame l computes row l of Y."""
        pm, km, out, insets = lay.patches, lay.kernel, lay.out, lay.insets
        assert pm is not None and km is not None and out is not None and insets is not None
        spec, c_out = self.spec, self.spec.out_channels
        groups = self.inset_groups(insets)
        g_p, g_k, g_y = len(groups), len(groups) + 1, len(groups) + 2
        groups += [cells_group("P", pm.shape, pm.cell), cells_group("Kᵀ", km.shape, km.cell),
                   cells_group("Y", out.shape, out.cell)]
        if lay.bias is not None:
            groups.append(cells_group("b", lay.bias.shape, lay.bias.cell))
        k = math.prod(spec.kernel_size)
        in_cols, out_cols = self.role.shape[1], shape2(spec.output_size)[1]
        reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
        writes = []
        for row in range(self.rows):
            taps = [rc(t, self.nd) for t in self.trace.steps[row].taps]
            for j in range(self.cols):
                r, q = taps[j % k]
                reads.append(((g_p, row * self.cols + j), ((j // k, r * in_cols + q),)))
            r, q = rc(self.trace.steps[row].position, self.nd)
            frame: list[CellRef] = []
            for o in range(c_out):
                used = [int(j) for j in np.flatnonzero(self.k_taps[:, o])]
                read = [(g_p, row * self.cols + j) for j in used] + [(g_k, o * self.cols + j) for j in used]
                if lay.bias is not None:
                    read.append((g_y + 1, o))
                y, cell = (g_y, row * c_out + o), (spec.in_channels + o, r * out_cols + q)
                reads += [(y, tuple(read)), (cell, (y,))]
                frame += [y, cell]
            writes.append(tuple(frame))
        return Links(groups=tuple(groups), reads=tuple(reads), writes=per_frame(writes, self.n_frames))

    def regions(self, lay: Im2colLayout) -> dict[str, object]:
        """Cell centres per grid, the matrices, and per frame the P row read and the Y row written."""
        assert lay.patches is not None and lay.kernel is not None and lay.out is not None and lay.insets is not None
        return {"input_centers": centers_by_channel(lay.insets.inputs),
                "output_centers": centers_by_channel(lay.insets.outputs), "input_role": self.role,
                "patches_centers": lay.patches.centers(), "kernel_centers": lay.kernel.centers(),
                "y_centers": lay.out.centers(), "patches": self.p, "kernel": self.k, "trace": self.trace,
                "named_planes": True,
                "reads": tuple({"patches": np.array([r])} for r in range(self.rows)),
                "writes": tuple({"y": np.array([r])} for r in range(self.rows))}


class Im2colView(GridsMatrixView):
    """``view: im2col``: one frame per row of the patch matrix."""

    name = "im2col"
    figure = Im2colFigure

    def applies(self, config: Config) -> bool:
        return config.render.view is View.IM2COL

    def check(self, config: Config) -> None:
        check_matrix_view(config, "im2col", im2col_shape(config.spec) if not config.layers else (0, 0),
                          "the patch matrix")

    def steps(self, config: Config) -> int:
        return im2col_shape(config.spec)[0]

    def info_lines(self, config: Config) -> list[str]:
        rows, cols = im2col_shape(config.spec)
        return layer_info_lines(config.spec, f"{rows} (im2col view: one per row of the {rows}×{cols} patch matrix P; "
                                             f"K is {cols}×{config.spec.out_channels})")

    def alt_text(self, config: Config) -> str:
        rows, cols = im2col_shape(config.spec)
        return (f"{alt_text(config.spec)}; drawn as im2col: the {rows}×{cols} patch matrix times the flattened "
                f"kernel")


register(Im2colView(), precedence=22)
