"""The input gradient as shares (``render: {pass: backward, view: scatter}``): one frame per output gradient cell.

Each frame takes one ``∂L/∂y`` cell and sends it back over the window it read in the forward pass: times the
kernel onto every tap (the kernel as stored: for a direct convolution these are the stamps of the transposed
convolution, at ``stride`` offsets, ``dilation`` apart), ``÷ divisor`` onto every counted tap of an average
pool, all of it onto the winning cell of a max pool (the first maximum, as PyTorch breaks ties). The grid they
land on is the forward pass's drawn input, so the padding (and a transposed convolution's inserted zeros) get
their share too, drawn dashed with the sum in grey: computed, then discarded. A reflected, replicated or
circular padding cell instead adds its sum to the input cell it copies, in one more frame at the end. The
cells inside are ``∂L/∂x``, equal to ``torch.autograd``'s.

The same figure in gather order (``view: gather`` where no single layer carries ∂L/∂y to ∂L/∂x: pooling, or
padding that is not zeros on both sides alike) takes one frame per ``∂L/∂x`` cell and shows every share that
reaches it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..config.model import Config
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.limits import Footprint
from ..core.options import Reveal, Style, View, Wrt
from ..core.scene import CellRef, Links, Point, Primitive, Scene, Segment
from ..core.spec import Op, PaddingMode
from ..core.text import text_width
from ..core.words import dims
from ..engine import Role, simulate
from ..engine.backward import Spread, spread
from .alt import alt_text
from .backward import (
    check_backward,
    check_grid,
    check_planar,
    check_view,
    drawn_shape,
    gradient_arrays,
    gradient_layer,
    index,
    is_backward,
    lowered,
    shares_amount,
    torch_call,
)
from .footprint import canvas_key
from .geometry import as_rows, edges_over_padding, grid_width, rc, shade, tint
from .links import cells_group, per_frame
from .panels import (
    CellGrid,
    caption_row,
    caption_text,
    centers_by_channel,
    fills,
    fit_size,
    hairlines,
    label,
    lines,
    note_lines,
    numbers,
    signed,
    subscript,
    thick_outline,
)
from .registry import FigureKind, register
from .values import MAX_CAPTION_TERMS, format_value, join_terms

Z_FILL, Z_SHADE, Z_TEXT, Z_SUMS, Z_GRID, Z_LINES, Z_MARK = 0, 10, 15, 16, 18, 20, 40
GATHER = "gather"
SCATTER = "scatter"


@dataclass(slots=True)
class Layout:
    width: int = 0
    height: int = 0
    grads: dict[int, CellGrid] = field(default_factory=dict)  # ∂L/∂y, by output channel
    kernels: list[CellGrid] = field(default_factory=list)  # one per input channel of a group
    canvases: dict[int, CellGrid] = field(default_factory=dict)  # the drawn input, by input channel
    xs: dict[int, CellGrid] = field(default_factory=dict)  # max pooling: the forward input, which decides the winner
    texts: list[Primitive] = field(default_factory=list)
    kernel_heads: list[Point] = field(default_factory=list)
    caption_xy: Point = (0.0, 0.0)


class SpreadFigure:
    """Layout and frames of the input gradient as shares, in scatter (per ∂L/∂y cell) or gather (per ∂L/∂x
    cell) order."""

    def __init__(self, config: Config, order: str):
        spec = config.spec
        self.spec, self.options, self.theme = spec, config.render, config.render.theme
        self.order = order
        self.trace = simulate(spec, config.input, config.weight, config.bias)
        self.sp: Spread = spread(self.trace, config.grad_output)  # type: ignore[arg-type]
        self.nd = spec.ndim
        self.role = as_rows(self.trace.grid.role, self.nd)
        self.sink = self.sp.sink_of_cell()  # (C_in, *grid): the ∂L/∂x cell a drawn cell ends in, -1 discarded
        self.grad_x = self.sp.grad_input
        self.n_x = spec.in_channels * math.prod(spec.input_size)
        self.fold = spec.padding_mode is not PaddingMode.ZEROS and bool(
            np.any((self.sink >= 0) & (self.trace.grid.role != Role.INPUT)[None]))
        if order == SCATTER:
            self.n_steps = self.sp.n_frames + int(self.fold)
        else:
            self.n_steps = self.n_x
        self.n_frames = self.n_steps + self.options.hold_last
        self.cg_in = self.sp.channels.shape[1]
        self.first = self.first_frames()
        texts = self.all_texts()
        default = max(44, 12 * max(len(t) for t in texts)) if self.options.numbers else 30
        self.s = float(self.options.scale or default)
        self.text_size = fit_size(texts, self.s)
        self.small = max(9.0, 0.26 * self.s)
        self.head = max(11.0, 0.36 * self.s)

    # -- values and words ---------------------------------------------------------------------------------

    @property
    def kernel(self) -> np.ndarray | None:
        """(C_out, C_in/groups, *k): the kernel as applied to the drawn grid (None for pooling)."""
        return self.trace.kernel

    def all_texts(self) -> list[str]:
        values = [self.sp.grad_output.ravel(), self.sp.grid.ravel(), self.grad_x.ravel(), self.sp.amounts.ravel()]
        if self.kernel is not None:
            values.append(self.kernel.ravel())
        if self.spec.is_max:
            values.append(self.trace.x.ravel())  # the forward input, drawn beside
        return sorted({format_value(float(v)) for v in np.unique(np.concatenate(values))} | {"+0"})

    def first_frames(self) -> np.ndarray:
        """(C_in, *grid): the first scatter frame that sends a share to each drawn cell (n_frames: none)."""
        n, j, t = np.nonzero(self.received())
        cells = np.ravel_multi_index(tuple(self.sp.targets[n, t].T), self.trace.grid.shape)
        flat = self.sp.channels[n, j] * math.prod(self.trace.grid.shape) + cells
        first = np.full(self.spec.in_channels * math.prod(self.trace.grid.shape), self.sp.n_frames)
        np.minimum.at(first, flat, n)
        return first.reshape(self.spec.in_channels, *self.trace.grid.shape)

    def step_of(self, i: int) -> int:
        return min(i, self.n_steps - 1)

    def dy_of(self, n: int) -> tuple[int, tuple[int, ...]]:
        """The output channel and position of scatter frame ``n``."""
        co, flat = divmod(n, math.prod(self.spec.output_size))
        return co, tuple(int(v) for v in np.unravel_index(flat, self.spec.output_size))

    def x_of(self, m: int) -> tuple[int, tuple[int, ...]]:
        ci, flat = divmod(m, math.prod(self.spec.input_size))
        return ci, tuple(int(v) for v in np.unravel_index(flat, self.spec.input_size))

    def dy_name(self, n: int) -> str:
        co, pos = self.dy_of(n)
        return "∂L/∂y" + index(pos, co if self.spec.out_channels > 1 else None)

    def x_name(self, m: int) -> str:
        ci, pos = self.x_of(m)
        return "∂L/∂x" + index(pos, ci if self.spec.in_channels > 1 else None)

    def is_fold(self, n: int) -> bool:
        return self.order == SCATTER and self.fold and n == self.sp.n_frames

    def caption(self, n: int) -> str:
        if self.order == GATHER:
            return self.gather_caption(n)
        if self.is_fold(n):
            return (f"{self.spec.padding_mode.value} padding: each padding cell adds its sum to the input cell it "
                    f"copies")
        value = format_value(float(self.sp.grad_output.ravel()[n]))
        name = f"{self.dy_name(n)} = {value}"
        if self.spec.is_max:
            winner = int(np.argmax(self.pool_weights()[n]))
            src = self.trace.grid.source[(slice(None), *self.sp.targets[n, winner])]
            xv = format_value(float(self.trace.x[(self.sp.channels[n, 0], *src)]))
            return f"{name}: all of it to x{index(tuple(int(v) for v in src), None)} = {xv}, its window's maximum"
        if self.averages:
            counted = int(np.count_nonzero(self.trace.tap_weights.reshape(-1, math.prod(self.spec.kernel_size))  # type: ignore[union-attr]
                                           [n] != 0))
            divisor = self.divisor(n)
            share = format_value(float(self.sp.grad_output.ravel()[n]) / divisor)
            how = "" if divisor == counted else f" (divisor_override: {format_value(divisor)})"
            return (f"{name}: {value}/{format_value(divisor)} = {share} to each of the {counted} cells its average "
                    f"counted{how}")
        lo, hi = self.sp.targets[n].min(axis=0), self.sp.targets[n].max(axis=0)
        where = [f"{a}–{b}" if a != b else f"{a}" for a, b in zip(lo, hi)]
        at = f"rows {where[0]}, columns {where[1]}" if self.nd == 2 else f"cells {where[0]}"
        return f"{name}: {value}·kernel added back onto {at} of the {self.grid_word()}"

    def gather_caption(self, m: int) -> str:
        terms = [format_value(float(v)) for v in self.shares_of(m)[3]]
        body = sum_text(terms) if terms else "0 (no share comes back to it)"
        return f"{self.x_name(m)} = {body} = {format_value(float(self.grad_x.ravel()[m]))}"

    def shares_of(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every share that ends in ∂L/∂x cell ``m``: (frame, channel slot, tap, amount), frame by frame."""
        hit = np.nonzero((self.sp.sinks == m) & self.received())
        return (*hit, self.sp.amounts[hit])  # type: ignore[return-value]

    @property
    def averages(self) -> bool:
        """Average pooling, adaptive or not: each window spreads its gradient evenly over its counted cells."""
        return self.spec.op in (Op.AVG_POOL, Op.ADAPTIVE_AVG_POOL)

    def divisor(self, n: int) -> float:
        """What average-pooling frame ``n``'s gradient is divided by (its counted cells, or divisor_override)."""
        divisor = np.broadcast_to(self.trace.divisor, self.spec.output_size)  # type: ignore[arg-type]
        return float(divisor.ravel()[n % math.prod(self.spec.output_size)])

    def inside(self, n: int) -> np.ndarray:
        """(taps,) bool: the taps inside frame ``n``'s window (an adaptive window is shorter than the kernel)."""
        valid = self.trace.tap_valid
        if valid is None:
            return np.ones(len(self.sp.targets[n]), bool)
        _, pos = self.dy_of(n)
        return valid[pos].ravel()

    def received(self) -> np.ndarray:
        """(n, m, taps) bool: the taps a window sends something to (max pool: its winner; average: the counted)."""
        if self.spec.op is Op.CONV:
            return np.ones(self.sp.amounts.shape, bool)
        weights = self.pool_weights()
        return weights[:, None, :] != 0

    def pool_weights(self) -> np.ndarray:
        """(n, taps): a pooling window's weight on each tap (max: 1 on the winner)."""
        n_k = math.prod(self.spec.kernel_size)
        if self.averages:
            w = self.trace.tap_weights.reshape(self.spec.out_channels, math.prod(self.spec.output_size), n_k)  # type: ignore[union-attr]
            return w.reshape(-1, n_k)
        flat = self.trace.products.reshape(-1, n_k)
        out = np.zeros_like(flat)
        out[np.arange(len(flat)), np.argmax(flat, axis=1)] = 1.0
        return out

    def grid_word(self) -> str:
        spec = self.spec
        if spec.transposed:
            return "zero-inserted, padded input"
        return "padded input" if self.role.shape != as_rows(np.zeros(spec.input_size), self.nd).shape else "input"

    def names(self) -> tuple[list[str], str, list[str]]:
        spec = self.spec
        many_in, many_out = spec.in_channels > 1, spec.out_channels > 1
        grads = [f"∂L/∂y {dims(spec.output_size)}" + (f" · ch {c}" if many_out else "")
                 for c in range(spec.out_channels)]
        grid = dims(self.trace.grid.shape)
        on = f", on the {self.grid_word()} ({grid})" if self.grid_word() != "input" else ""
        canvases = [f"∂L/∂x {dims(spec.input_size)}{on}" + (f" · ch {c}" if many_in else "")
                    for c in range(spec.in_channels)]
        kernel = f"kernel {dims(spec.kernel_size)} ({'flipped' if self.flipped else 'as stored, not flipped'})"
        return grads, kernel, canvases

    @property
    def flipped(self) -> bool:
        """Whether the kernel as applied to the drawn grid is the stored one flipped (a transposed convolution's,
        or flip_kernel's; both: not)."""
        return self.spec.transposed != self.spec.flip_kernel

    def notes(self) -> list[str]:
        spec = self.spec
        out = []
        layer = gradient_layer(spec)
        if layer is not None:
            out.append(f"∂L/∂x = {torch_call(layer)}, the {'transposed ' if layer.transposed else ''}convolution")
            out.append(f"{layer.torch_line().replace(', bias=False', '')} with the same weight tensor")
        if spec.is_max:
            out.append("max pooling sends each gradient to its window's maximum (the first one, on ties)")
        elif self.averages:
            how = "padding counts in the divisor" if spec.count_include_pad else "only input cells count"
            if spec.divisor_override is not None:
                how = f"divided by divisor_override {spec.divisor_override}"
            elif spec.op is Op.ADAPTIVE_AVG_POOL:
                how = "each window's own size is its divisor"
            out.append(f"average pooling spreads each gradient evenly over its window ({how})")
        dashed = [w for w, role in (("padding", Role.PADDING), ("inserted zeros", Role.INSERTED),
                                    ("cells past the padding", Role.OVERHANG)) if np.any(self.role == role)]
        if dashed:
            fate = "added to the input cell it copies" if self.fold else "discarded"
            out.append(f"dashed: {', '.join(dashed)}; what lands there is {fate}")
        return out

    # -- layout -------------------------------------------------------------------------------------------

    def layout(self) -> Layout:
        return self.layout_2d() if self.nd == 2 else self.layout_1d()

    def layout_2d(self) -> Layout:
        s, spec, th = self.s, self.spec, self.theme
        margin, head, gap = round(0.5 * s), round(0.8 * s), round(0.45 * s)
        top = margin
        grads, kernel, canvases = self.names()
        lay = Layout()
        oh, ow = spec.output_size
        y = top
        lefts = []
        if spec.is_max:
            for c in range(spec.in_channels):
                name = "x, the forward input" + (f" · ch {c}" if spec.in_channels > 1 else "")
                lay.texts.append(label((margin, y + 0.62 * head), name, self.head, th, Z_TEXT))
                lay.xs[c] = CellGrid((margin, y + head), self.role.shape, s)
                y += head + self.role.shape[0] * s + gap
                lefts.append(name)
        for c in range(spec.out_channels):
            lay.texts.append(label((margin, y + 0.62 * head), grads[c], self.head, th, Z_TEXT))
            lay.grads[c] = CellGrid((margin, y + head), (oh, ow), s)
            y += head + oh * s + gap
        lefts += grads
        if self.kernel is not None:
            kh, kw = spec.kernel_size
            for _ in range(self.cg_in):
                if self.single:
                    lay.texts.append(label((margin, y + 0.62 * head), kernel, self.head, th, Z_TEXT))
                else:
                    lay.kernel_heads.append((margin, y + 0.62 * head))
                lay.kernels.append(CellGrid((margin, y + head), (kh, kw), s))
                y += head + kh * s + gap
            lefts.append(kernel if self.single else "kernel: ∂y ch 0 → ∂x ch 0")
        left_w = max(ow * s, *(g.shape[1] * s for g in [*lay.kernels, *lay.xs.values()]),
                     *(text_width(t, self.head, "sans") for t in lefts))
        x = margin + left_w + round(1.6 * s)
        gh, gw = self.role.shape
        per_row = 2 if spec.in_channels > 2 else 1
        pitch = max(gw * s, max(text_width(t, self.head, "sans") for t in canvases)) + round(1.2 * s)
        for c in range(spec.in_channels):
            row, col = divmod(c, per_row)
            x0, y0 = x + col * pitch, top + row * (head + gh * s + gap)
            lay.texts.append(label((x0, y0 + 0.62 * head), canvases[c], self.head, th, Z_TEXT))
            lay.canvases[c] = CellGrid((x0, y0 + head), (gh, gw), s)
        bottom = max(y, max(g.bottom for g in lay.canvases.values()) + gap)
        right = x + (per_row - 1) * pitch + max(gw * s, max(text_width(t, self.head, "sans") for t in canvases))
        self.finish(lay, bottom, right, margin)
        return lay

    @property
    def single(self) -> bool:
        return self.spec.in_channels * self.spec.out_channels == 1

    def layout_1d(self) -> Layout:
        s, spec, th = self.s, self.spec, self.theme
        margin = round(0.5 * s)
        many_in, many_out = spec.in_channels > 1, spec.out_channels > 1
        g_names = ["∂L/∂y" + (f" ch {c}" if many_out else "") for c in range(spec.out_channels)]
        x_names = ["∂L/∂x" + (f" ch {c}" if many_in else "") for c in range(spec.in_channels)]
        k_name = "kernel, flipped" if self.flipped else "kernel"
        label_w = max(text_width(t, self.head, "sans") for t in [*g_names, *x_names, k_name]) + 0.5 * s
        left = margin + label_w
        lay = Layout()
        y = float(margin)
        rows: list[tuple[str, float]] = []
        if spec.is_max:
            for c in range(spec.in_channels):
                lay.xs[c] = CellGrid((left, y), (1, self.role.shape[1]), s)
                rows.append(("x" + (f" ch {c}" if many_in else ""), y))
                y += 1.4 * s
            y += 0.2 * s
        if self.kernel is not None:
            for _ in range(self.cg_in):
                lay.kernels.append(CellGrid((left, y), (1, spec.kernel_size[0]), s))
                rows.append((k_name, y))
                y += 1.4 * s
            y += 0.2 * s
        step = 1 if spec.transposed else spec.stride[0]
        for c in range(spec.out_channels):
            x0 = left + (spec.effective_kernel[0] - 1) / 2 * s  # each ∂L/∂y cell over the middle of its window
            lay.grads[c] = CellGrid((x0, y), (1, spec.output_size[0]), s, pitch=(step * s, s))
            rows.append((g_names[c], y))
            y += 1.4 * s
        y += 1.2 * s  # room for the window's hairlines
        for c in range(spec.in_channels):
            lay.canvases[c] = CellGrid((left, y), (1, self.role.shape[1]), s)
            rows.append((x_names[c], y))
            y += 1.4 * s
        for name, row_y in rows:
            lay.texts.append(label((left - 0.3 * s, row_y + s / 2), name, self.head, th, Z_TEXT, "rm"))
        if not self.single and lay.kernels:
            lay.kernel_heads = [(g.right + 0.3 * s, g.origin[1] + s / 2) for g in lay.kernels]
        right = max(g.right for g in [*lay.grads.values(), *lay.canvases.values(), *lay.kernels, *lay.xs.values()])
        if lay.kernel_heads:
            right = max(right, lay.kernel_heads[0][0] + text_width("∂y ch 0 → ∂x ch 0", self.head, "sans"))
        self.finish(lay, y - 0.15 * s, right, margin)
        return lay

    def finish(self, lay: Layout, bottom: float, right: float, margin: int) -> None:
        """The notes and the caption under the grids; the canvas size."""
        notes, widths, y = note_lines(self.notes(), margin, bottom + 0.2 * self.s, self.s, self.head, self.theme,
                                      Z_TEXT)
        lay.texts += notes
        captions = [self.caption(n) for n in range(self.n_steps)] if self.options.caption else []
        lay.width, lay.height, lay.caption_xy = caption_row([right + margin, *widths], y, captions, margin, self.s)

    # -- static -------------------------------------------------------------------------------------------

    def static(self, lay: Layout) -> list[Primitive]:
        th = self.theme
        prims: list[Primitive] = list(lay.texts)
        for c, grid in lay.grads.items():
            prims += fills(grid, lambda r, q: th.input, Z_FILL)
            if self.options.numbers:
                prims += numbers(grid, as_rows(self.sp.grad_output[c], self.nd), self.text_size, th.text, Z_TEXT)
            prims += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        kernel_fill = tint(th.shade, th.shade_alpha, th.background)
        for j, grid in enumerate(lay.kernels):
            prims += fills(grid, lambda r, q: kernel_fill, Z_FILL)
            if self.options.numbers and self.single:
                prims += numbers(grid, as_rows(self.kernel[0, j], self.nd), self.text_size, th.text, Z_TEXT)  # type: ignore[index]
            prims += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        solid = self.role == Role.INPUT
        muted = tint(th.text, 0.45, th.background)
        for c, grid in lay.canvases.items():
            prims += fills(grid, lambda r, q: th.output if solid[r, q] else th.padding, Z_FILL)
            never = solid & as_rows(self.first[c] >= self.sp.n_frames, self.nd)  # no window sends it anything
            if self.options.numbers and self.order == SCATTER and never.any():
                prims += numbers(grid, np.zeros(grid.shape), self.text_size, muted, Z_TEXT, shown=never)
            prims += lines(grid, solid, th, Z_GRID)
        pale = tint(th.input, 0.45, th.background)
        for c, grid in lay.xs.items():  # the forward input: it decides which cell wins
            prims += fills(grid, lambda r, q: pale if solid[r, q] else th.padding, Z_FILL)
            if self.options.numbers:
                values = as_rows(self.trace.grid.values[c], self.nd)
                prims += numbers(grid, values, self.text_size, th.text, Z_TEXT, shown=solid)
            prims += lines(grid, solid, th, Z_GRID)
        return prims

    # -- frames -------------------------------------------------------------------------------------------

    def frame_fn(self, lay: Layout) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s

        def frame(i: int) -> tuple[Primitive, ...]:
            n = self.step_of(i)
            if self.order == GATHER:
                prims = self.gather_frame(lay, n)
            elif self.is_fold(n):
                prims = self.fold_frame(lay)
            else:
                prims = self.scatter_frame(lay, n)
            if self.options.numbers:
                prims += self.sums_frame(lay, n)
            if self.options.caption:
                prims.append(caption_text(lay.caption_xy, self.caption(n), s, th, Z_MARK))
            return tuple(prims)

        return frame

    def taps_of(self, n: int) -> list[tuple[int, int]]:
        return [rc(t, self.nd) for t in self.sp.targets[n]]

    def scatter_frame(self, lay: Layout, n: int) -> list[Primitive]:
        th, s = self.theme, self.s
        co, pos = self.dy_of(n)
        r, q = rc(pos, self.nd)
        cell = lay.grads[co].cell(r, q)
        prims: list[Primitive] = [shade(cell, th, Z_SHADE), *thick_outline(cell, th, s, Z_MARK)]
        prims += self.kernel_frame(lay, co)
        taps = self.taps_of(n)
        window = [t for t, inside in zip(taps, self.inside(n)) if inside]
        got = self.received()[n]
        for j, ci in enumerate(self.sp.channels[n]):
            grid = lay.canvases[int(ci)]
            prims += [shade(grid.cell(tr, tq), th, Z_SHADE) for tr, tq in window]
            plane = grid.plane()
            width = grid_width(th, s)
            for e0, f0, e1, f1, _ in edges_over_padding(window, self.role == Role.INPUT):
                prims.append(Segment(start=plane.at(e0, f0), end=plane.at(e1, f1), color=th.grid, width=width,
                                     z=Z_MARK))
            if self.spec.is_max:
                win = int(np.argmax(got[j]))
                prims += thick_outline(grid.cell(*taps[win]), th, s, Z_MARK)
                xg = lay.xs[int(ci)]
                prims += [shade(xg.cell(tr, tq), th, Z_SHADE) for tr, tq in window]
                prims += thick_outline(xg.cell(*taps[win]), th, s, Z_MARK)
            if self.options.numbers:
                prims += self.shares_text(grid, [t for t, g in zip(taps, got[j]) if g],
                                          self.sp.amounts[n, j][got[j]])
        if self.nd == 1:
            prims += hairlines(cell, lay.canvases[int(self.sp.channels[n, 0])], window, th, Z_LINES)
        return prims

    def shares_text(self, grid: CellGrid, cells: list[tuple[int, int]], values: np.ndarray) -> list[Primitive]:
        """Each share as a ``+n`` subscript at the bottom-right of the cell it lands on."""
        return [subscript(grid, r, q, signed(v), self.small, self.theme, Z_MARK) for (r, q), v in zip(cells, values)]

    def kernel_frame(self, lay: Layout, co: int) -> list[Primitive]:
        """The kernels output channel ``co`` applies, named and (numbers) written: several channels only."""
        if self.single or self.kernel is None:
            return []
        prims: list[Primitive] = []
        ins = self.trace.in_channels_of(co)
        for j, grid in enumerate(lay.kernels):
            anchor = "lm" if self.nd == 1 else "ls"
            prims.append(label(lay.kernel_heads[j], f"kernel: ∂y ch {co} → ∂x ch {ins[j]}", self.head, self.theme,
                               Z_MARK, anchor))
            if self.options.numbers:
                prims += numbers(grid, as_rows(self.kernel[co, j], self.nd), self.text_size, self.theme.text, Z_MARK)
        return prims

    def fold_frame(self, lay: Layout) -> list[Primitive]:
        """Every padding cell that copies an input cell, and that input cell, shaded."""
        th = self.theme
        prims: list[Primitive] = []
        copies = (self.trace.grid.role != Role.INPUT) & (self.sink[0] >= 0)
        for grid in lay.canvases.values():
            for idx in zip(*np.nonzero(as_rows(copies, self.nd))):
                prims.append(shade(grid.cell(int(idx[0]), int(idx[1])), th, Z_SHADE))
        return prims

    def gather_frame(self, lay: Layout, m: int) -> list[Primitive]:
        th, s = self.theme, self.s
        ci, pos = self.x_of(m)
        grid = lay.canvases[ci]
        prims: list[Primitive] = []
        for idx in zip(*np.nonzero(as_rows(self.sink[ci], self.nd) == m)):
            cell = grid.cell(int(idx[0]), int(idx[1]))
            prims.append(shade(cell, th, Z_SHADE))
            if self.role[idx] == Role.INPUT:
                prims += thick_outline(cell, th, s, Z_MARK)
        frames, _slots, _taps, amounts = self.shares_of(m)
        per_cell: dict[int, float] = {}
        for n, v in zip(frames, amounts):
            per_cell[int(n)] = per_cell.get(int(n), 0.0) + float(v)
        for n, v in per_cell.items():
            co, p = self.dy_of(n)
            r, q = rc(p, self.nd)
            g = lay.grads[co]
            prims.append(shade(g.cell(r, q), th, Z_SHADE))
            if self.options.numbers:
                prims += self.shares_text(g, [(r, q)], np.array([v]))
        return prims

    def sums_frame(self, lay: Layout, n: int) -> list[Primitive]:
        """Scatter: the running sum on every cell a share has reached (grey where it is discarded or folded);
        gather: ∂L/∂x on every cell finished."""
        prims: list[Primitive] = []
        muted = tint(self.theme.text, 0.45, self.theme.background)
        for c, grid in lay.canvases.items():
            if self.order == GATHER:
                done = as_rows((self.sink[c] >= 0) & (self.sink[c] <= n), self.nd) & (self.role == Role.INPUT)
                values = as_rows(self.grad_x.ravel()[np.maximum(self.sink[c], 0)], self.nd)
                prims += numbers(grid, values, self.text_size, self.theme.text, Z_SUMS, shown=done)
                continue
            reached = as_rows(self.first[c] <= n, self.nd)
            sums = as_rows(self.sp.running(min(n, self.sp.n_frames - 1))[c], self.nd)
            if self.is_fold(n):
                sums = np.where(self.role == Role.INPUT, as_rows(self.grad_x.ravel()[np.maximum(self.sink[c], 0)],
                                                                  self.nd), sums)
            for inside in (True, False):
                shown = reached & ((self.role == Role.INPUT) == inside)
                prims += numbers(grid, sums, self.text_size, self.theme.text if inside else muted, Z_SUMS,
                                 shown=shown)
        return prims

    # -- the scene ----------------------------------------------------------------------------------------

    def scene(self) -> Scene:
        lay = self.layout()
        return Scene(width=lay.width, height=lay.height, background=self.theme.background,
                     static=tuple(self.static(lay)), n_frames=self.n_frames, frame=self.frame_fn(lay),
                     dynamic_z=frozenset({Z_SHADE, Z_SUMS, Z_LINES, Z_MARK}), regions=self.regions(lay),
                     narration=lambda i: self.caption(self.step_of(i)), links=lambda: self.links(lay))

    def regions(self, lay: Layout) -> dict[str, object]:
        return {"input_centers": centers_by_channel(lay.grads), "output_centers": centers_by_channel(lay.canvases),
                "kernel_centers": [g.centers() for g in lay.kernels], "canvas_role": self.role, "spread": self.sp,
                "order": self.order, "named_planes": True}

    def links(self, lay: Layout) -> Links:
        """∂L/∂y and the drawn grid (∂L/∂x) as cell groups: a drawn cell reads every ∂L/∂y cell whose window holds
        it (max pooling: the windows it lost too, which decided its 0); a scatter frame computes the cells its
        ∂L/∂y cell sends a share to, a gather frame its ∂L/∂x cell (the fold frame: the input cells padding
        copies)."""
        spec = self.spec
        groups = [cells_group("∂L/∂y" + (f" channel {c}" if spec.out_channels > 1 else ""), g.shape, g.cell)
                  for c, g in lay.grads.items()]
        base = len(groups)
        groups += [cells_group("∂L/∂x" + (f" channel {c}" if spec.in_channels > 1 else ""), g.shape, g.cell)
                   for c, g in lay.canvases.items()]
        cols, g_cols = self.role.shape[1], lay.grads[0].shape[1]
        got = self.received()
        reads: dict[CellRef, list[CellRef]] = {}
        reached: list[list[CellRef]] = []
        for n in range(self.sp.n_frames):
            co, pos = self.dy_of(n)
            r, q = rc(pos, self.nd)
            source = (co, r * g_cols + q)
            taps, inside = self.taps_of(n), self.inside(n)
            for ci in self.sp.channels[n]:  # every cell of its window considered it (a max-pool loser gets 0)
                for (tr, tq), _ in filter(lambda t: t[1], zip(taps, inside)):
                    reads.setdefault((base + int(ci), tr * cols + tq), []).append(source)
            reached.append([(base + int(ci), tr * cols + tq) for j, ci in enumerate(self.sp.channels[n])
                            for (tr, tq), g in zip(taps, got[n, j]) if g])
        writes = self.link_writes(base, reached, reads)
        return Links(groups=tuple(groups), reads=tuple((c, tuple(dict.fromkeys(r))) for c, r in reads.items()),
                     writes=per_frame(writes, self.n_frames))

    def link_writes(self, base: int, reached: list[list[CellRef]],
                    reads: dict[CellRef, list[CellRef]]) -> list[tuple[CellRef, ...]]:
        cols = self.role.shape[1]
        real = {}  # ∂L/∂x index -> its drawn input cell
        copies: dict[int, list[CellRef]] = {}
        for c in range(self.spec.in_channels):
            for idx in zip(*np.nonzero(as_rows(self.sink[c], self.nd) >= 0)):
                cell = (base + c, int(idx[0]) * cols + int(idx[1]))
                m = int(as_rows(self.sink[c], self.nd)[idx])
                if self.role[idx] == Role.INPUT:
                    real[m] = cell
                else:
                    copies.setdefault(m, []).append(cell)
        if self.order == GATHER:
            for m, cell in real.items():  # a cell gathers from its copies' senders too
                reads.setdefault(cell, [])
                for copy in copies.get(m, []):
                    reads[cell] += reads.get(copy, [])
            return [(real[m],) for m in range(self.n_x)]
        writes = [tuple(cells) for cells in reached]
        if self.fold:
            for m, cell in real.items():
                reads.setdefault(cell, []).extend(copies.get(m, []))
            writes.append(tuple(real[m] for m in sorted(copies)))
        return writes


class BackwardScatter(FigureKind):
    """``pass: backward, view: scatter``: one frame per ∂L/∂y cell, its share sent back over its window."""

    name = "backward_scatter"

    def applies(self, config: Config) -> bool:
        return is_backward(config, Wrt.INPUT) and config.render.view is View.SCATTER

    def check(self, config: Config) -> None:
        check_spread(config, "input gradient")

    def steps(self, config: Config) -> int:
        spec = config.spec
        fold = spec.padding_mode is not PaddingMode.ZEROS and not spec.transposed and max(
            max(spec.pad_before), max(spec.pad_after)) > 0
        return spec.n_steps + int(fold)

    def footprint(self, config: Config) -> Footprint:
        return spread_footprint(config, SCATTER, self.steps(config) + config.render.hold_last)

    def scene(self, config: Config) -> Scene:
        return SpreadFigure(config, SCATTER).scene()

    def info_lines(self, config: Config) -> list[str]:
        return spread_info(config, f"{self.steps(config)} (input gradient as shares: one per ∂L/∂y cell)")

    def alt_text(self, config: Config) -> str:
        return spread_alt(config, "each output gradient sent back over the window it read")


def spread_footprint(config: Config, order: str, frames: int) -> Footprint:
    """The shares figure's footprint. Its arrays are checked before anything is made; ``check`` has bounded the
    drawn grid (24×24 cells, 48 in 1-D) and the channels (4), so the figure is then laid out for real (a few
    milliseconds) for its canvas. Static layers: below the shades, between the shades and the sums, and the
    grid lines and notes between the sums and the marks."""
    arrays = gradient_arrays(config, frames, shares_amount(config.spec))
    lay = SpreadFigure(config, order).layout()
    return Footprint(frames=frames, arrays=arrays, canvas=(lay.width, lay.height), layers=3,
                     canvas_key=canvas_key(config.spec))


def sum_text(terms: list[str]) -> str:
    """``2 − 4 + 1``: a sum written out, negative terms as subtractions; long sums keep 3 terms, "...", the last 2."""
    if len(terms) > MAX_CAPTION_TERMS:
        terms = [*terms[:3], "...", *terms[-2:]]
    return join_terms(terms)


def check_spread(config: Config, kind: str) -> None:
    check_backward(config, kind)
    check_view(config, kind, (View.SCATTER, View.GATHER))
    if gradient_layer(config.spec) is not None:  # a 3-D convolution's ∂L/∂x is drawn as the layer computing it
        check_planar(config, f"the {kind} as shares (view: scatter)", "render.view",
                     "use view: gather, which draws ∂L/∂x as the layer that computes it")
    check_shares_planar(config, kind)


def check_shares_planar(config: Config, kind: str) -> None:
    """A layer whose ∂L/∂x is no single layer is drawn as shares, in 1-D and 2-D only."""
    what = config.spec.op.value if config.spec.is_pool else "a layer whose ∂L/∂x is no single PyTorch layer"
    check_planar(config, f"the {kind} of {what} (as shares)", "render.pass", "draw its forward pass: remove pass")
    check_grid(drawn_shape(config.spec), "the drawn input")
    if config.render.style not in (Style.AUTO, Style.FLAT):
        raise SpecError("render.style", f"the {kind} is drawn flat; remove style: {config.render.style.value}")
    if config.render.reveal is not Reveal.ALL:
        raise SpecError("render.reveal", f"the {kind} shows its running sums; remove reveal")


def spread_info(config: Config, frames: str) -> list[str]:
    lines_ = layer_info_lines(config.spec, frames)
    layer = gradient_layer(config.spec)
    if layer is not None:
        lines_.append(f"∂L/∂x = {torch_call(layer)}")
    return lines_


def spread_alt(config: Config, how: str) -> str:
    return f"Input gradient of this {lowered(alt_text(config.spec))}; {how}"


register(BackwardScatter(), precedence=5)
