"""The weight gradient (``render: {pass: backward, wrt: weight}``): one frame per weight.

``∂L/∂w`` is the correlation of the layer's drawn input with ``∂L/∂y``: for one kernel tap (and one pair of
input and output channels), the input cells that tap touched at every output position, each times the output
gradient there, summed. Each frame shades those cells on the drawn input (padding and inserted zeros
included: they hold 0) with the ``∂L/∂y`` value they meet as a subscript, as if ``∂L/∂y``, spread out by the
stride, were the kernel; the ``∂L/∂y`` plane it reads is shaded, the products and their sum are the caption,
and the weight's gradient is filled in. The numbers equal ``torch.autograd``'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..config.model import Config
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.limits import Amount, Footprint
from ..core.options import Reveal, Style, View, Wrt
from ..core.scene import CellRef, Links, Point, Polygon, Primitive, Scene, Text
from ..core.text import text_width
from ..core.words import dims, per_axis
from ..engine import Role, simulate
from ..engine.backward import WeightGradient, weight_gradient
from .alt import alt_text
from .backward import (
    check_backward,
    check_grid,
    check_planar,
    check_view,
    drawn_shape,
    gradient_arrays,
    index,
    is_backward,
    lowered,
)
from .footprint import canvas_key
from .geometry import as_rows, rc, shade, tint
from .links import cells_group, per_frame
from .panels import (
    CellGrid,
    caption_row,
    caption_text,
    fills,
    fit_size,
    label,
    lines,
    note_lines,
    numbers,
    subscript,
    thick_outline,
)
from .registry import FigureKind, register
from .values import elide, format_value

Z_FILL, Z_SHADE, Z_TEXT, Z_GRID, Z_MARK = 0, 10, 15, 18, 40


def check_params(config: Config, kind: str) -> None:
    """The weight and bias gradients: a convolution's, drawn flat, every cell shown."""
    check_backward(config, kind)
    check_view(config, kind, (View.GATHER,))
    spec = config.spec
    if spec.is_pool:
        raise SpecError("render.wrt", f"{spec.op.value} has no weights; use wrt: input")
    check_planar(config, f"the {kind}", "render.pass", "its input gradient is: use wrt: input")
    if config.render.style not in (Style.AUTO, Style.FLAT):
        raise SpecError("render.style", f"the {kind} is drawn flat; remove style: {config.render.style.value}")
    if config.render.reveal is not Reveal.ALL:
        raise SpecError("render.reveal", f"the {kind} fills in one value per frame; remove reveal")


@dataclass(slots=True)
class Layout:
    width: int = 0
    height: int = 0
    inputs: dict[int, CellGrid] = field(default_factory=dict)  # the drawn input, by input channel
    grads: dict[int, CellGrid] = field(default_factory=dict)  # ∂L/∂y, by output channel
    kernels: dict[tuple[int, int], CellGrid] = field(default_factory=dict)  # ∂L/∂w[a, b], PyTorch's layout
    texts: list[Primitive] = field(default_factory=list)
    caption_xy: Point = (0.0, 0.0)


class WeightFigure:
    """Layout and frames of the weight gradient, one frame per weight in PyTorch's layout."""

    def __init__(self, config: Config):
        spec = config.spec
        self.spec, self.options, self.theme = spec, config.render, config.render.theme
        self.trace = simulate(spec, config.input, config.weight, config.bias)
        self.wg: WeightGradient = weight_gradient(self.trace, config.grad_output)  # type: ignore[arg-type]
        self.grad = self.wg.grad
        self.nd = spec.ndim
        self.role = as_rows(self.trace.grid.role, self.nd)
        self.shape = self.grad.shape  # (A, B, *k)
        self.n_steps = self.grad.size
        self.n_frames = self.n_steps + self.options.hold_last
        # applied (co, j, tap...) of every weight, by its flat index in PyTorch's layout
        self.applied = np.stack(np.unravel_index(np.argsort(self.wg.user_index.ravel()), self.wg.user_index.shape), 1)
        values = [self.wg.grad_output.ravel(), self.grad.ravel(), self.trace.grid.values.ravel()]
        texts = sorted({format_value(float(v)) for v in np.unique(np.concatenate(values))})
        default = max(44, 12 * max(len(t) for t in texts)) if self.options.numbers else 30
        self.s = float(self.options.scale or default)
        self.text_size = fit_size(texts, self.s)
        self.small = max(9.0, 0.26 * self.s)
        self.head = max(11.0, 0.36 * self.s)

    # -- words --------------------------------------------------------------------------------------------

    def weight_of(self, f: int) -> tuple[int, ...]:
        return tuple(int(v) for v in np.unravel_index(f, self.shape))

    def terms(self, f: int) -> tuple[list[str], float]:
        co, j, *tap = (int(v) for v in self.applied[f])
        x = self.trace.inputs[(co, j, ..., *tap)].ravel()
        g = self.wg.grad_output[co].ravel()
        out = []
        for xv, gv in zip(x, g):
            gt = format_value(float(gv))
            out.append(f"{format_value(float(xv))}·{'(' + gt + ')' if gt.startswith('−') else gt}")
        return out, float(self.grad.ravel()[f])

    def caption(self, f: int) -> str:
        terms, value = self.terms(f)
        return f"∂L/∂w{index(self.weight_of(f), None)} = {elide(terms, ' + ')} = {format_value(value)}"

    def grid_name(self) -> str:
        spec = self.spec
        shape = dims(self.trace.grid.shape)
        if spec.transposed:
            return f"x {dims(spec.input_size)}, zero-inserted and padded ({shape})"
        return f"x {dims(spec.input_size)}" + (f", padded ({shape})" if self.trace.grid.shape != spec.input_size
                                                else "")

    def kernel_name(self, a: int, b: int) -> str:
        if self.shape[0] * self.shape[1] == 1:
            return f"∂L/∂w {dims(self.spec.kernel_size)}"
        return f"∂L/∂w[{a},{b}]"

    def notes(self) -> list[str]:
        spec = self.spec
        lines_ = ["∂L/∂w is the correlation of the input with ∂L/∂y: each weight sums input · ∂L/∂y over every "
                  "output position"]
        if max(spec.stride) > 1 or max(spec.dilation) > 1:
            lines_.append(f"the ∂L/∂y values sit stride={per_axis(spec.stride)} cells apart on the input"
                          + (", the taps dilation apart" if max(spec.dilation) > 1 else ""))
        if spec.transposed:
            lines_.append("a transposed convolution: the kernel is applied flipped, so ∂L/∂w fills in flipped order")
        return lines_

    # -- layout -------------------------------------------------------------------------------------------

    def layout(self) -> Layout:
        s, spec, th = self.s, self.spec, self.theme
        margin, head, gap = round(0.5 * s), round(0.8 * s), round(0.45 * s)
        lay = Layout()
        gh, gw = self.role.shape
        many_in, many_out = spec.in_channels > 1, spec.out_channels > 1
        names = [self.grid_name() + (f" · ch {c}" if many_in else "") for c in range(spec.in_channels)]
        x, y = float(margin), float(margin)
        for c in range(spec.in_channels):
            lay.texts.append(label((x, y + 0.62 * head), names[c], self.head, th, Z_TEXT))
            lay.inputs[c] = CellGrid((x, y + head), (gh, gw), s)
            y += head + gh * s + gap
        bottom = y
        x += max(gw * s, max(text_width(t, self.head, "sans") for t in names)) + round(1.2 * s)
        oh, ow = as_rows(np.zeros(spec.output_size), self.nd).shape
        g_names = [f"∂L/∂y {dims(spec.output_size)}" + (f" · ch {c}" if many_out else "")
                   for c in range(spec.out_channels)]
        y = float(margin)
        for c in range(spec.out_channels):
            lay.texts.append(label((x, y + 0.62 * head), g_names[c], self.head, th, Z_TEXT))
            lay.grads[c] = CellGrid((x, y + head), (oh, ow), s)
            y += head + oh * s + gap
        bottom = max(bottom, y)
        x += max(ow * s, max(text_width(t, self.head, "sans") for t in g_names)) + round(1.2 * s)
        right = self.place_kernels(lay, x, float(margin))
        bottom = max(bottom, max(g.bottom for g in lay.kernels.values()) + gap)
        self.finish(lay, bottom, right, margin)
        return lay

    def place_kernels(self, lay: Layout, x: float, y: float) -> float:
        """∂L/∂w in PyTorch's layout: a grid of kernels, one row per first axis, one column per second."""
        s, th = self.s, self.theme
        head, gap = round(0.8 * s), round(0.45 * s)
        kh, kw = as_rows(np.zeros(self.spec.kernel_size), self.nd).shape
        names = [self.kernel_name(a, b) for a in range(self.shape[0]) for b in range(self.shape[1])]
        pitch = max(kw * s, max(text_width(t, self.head, "sans") for t in names)) + gap
        for a in range(self.shape[0]):
            for b in range(self.shape[1]):
                x0, y0 = x + b * pitch, y + a * (head + kh * s + gap)
                lay.texts.append(label((x0, y0 + 0.62 * head), self.kernel_name(a, b), self.head, th, Z_TEXT))
                lay.kernels[(a, b)] = CellGrid((x0, y0 + head), (kh, kw), s)
        return x + (self.shape[1] - 1) * pitch + pitch - gap

    def finish(self, lay: Layout, bottom: float, right: float, margin: int) -> None:
        """The notes and the caption under the grids; the canvas size."""
        notes, widths, y = note_lines(self.notes(), margin, bottom + 0.2 * self.s, self.s, self.head, self.theme,
                                      Z_TEXT)
        lay.texts += notes
        captions = [self.caption(f) for f in range(self.n_steps)] if self.options.caption else []
        lay.width, lay.height, lay.caption_xy = caption_row([right + margin, *widths], y, captions, margin, self.s)

    # -- static and frames --------------------------------------------------------------------------------

    def static(self, lay: Layout) -> list[Primitive]:
        th = self.theme
        prims: list[Primitive] = list(lay.texts)
        solid = self.role == Role.INPUT
        for c, grid in lay.inputs.items():
            prims += fills(grid, lambda r, q: th.input if solid[r, q] else th.padding, Z_FILL)
            if self.options.numbers:
                values = as_rows(self.trace.grid.values[c], self.nd)
                prims += numbers(grid, values, self.text_size, th.text, Z_TEXT, shown=solid)
            prims += lines(grid, solid, th, Z_GRID)
        for c, grid in lay.grads.items():
            prims += fills(grid, lambda r, q: th.output, Z_FILL)
            if self.options.numbers:
                prims += numbers(grid, as_rows(self.wg.grad_output[c], self.nd), self.text_size, th.text, Z_TEXT)
            prims += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        pale = tint(th.shade, th.shade_alpha, th.background)
        for grid in lay.kernels.values():
            prims += fills(grid, lambda r, q: pale, Z_FILL)
            prims += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        return prims

    def cells_of(self, f: int) -> tuple[int, int, list[tuple[int, int]]]:
        """Weight ``f``'s output channel, input channel, and the drawn cells its tap touched at every output
        position (row-major, as ∂L/∂y)."""
        co, j, *tap = (int(v) for v in self.applied[f])
        ci = self.trace.in_channels_of(co)[j]
        pos = np.stack([g.ravel() for g in np.meshgrid(*[np.arange(o) for o in self.spec.output_size],
                                                        indexing="ij")], 1)
        cells = [rc([self.trace.tap_coords[n][p[n], tap[n]] for n in range(self.nd)], self.nd) for p in pos]
        return co, ci, cells

    def frame_fn(self, lay: Layout) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s

        def frame(i: int) -> tuple[Primitive, ...]:
            f = min(i, self.n_steps - 1)
            co, ci, cells = self.cells_of(f)
            grid, gy = lay.inputs[ci], lay.grads[co]
            prims: list[Primitive] = [shade(grid.cell(r, q), th, Z_SHADE) for r, q in cells]
            prims += [shade(gy.cell(r, q), th, Z_SHADE) for r, q in np.ndindex(*gy.shape)]
            if self.options.numbers:
                prims += [subscript(grid, r, q, format_value(float(g)), self.small, th, Z_MARK)
                          for (r, q), g in zip(cells, self.wg.grad_output[co].ravel())]
            a, b, *tap = self.weight_of(f)
            kgrid = lay.kernels[(a, b)]
            cell = kgrid.cell(*rc(tap, self.nd))
            prims += [shade(cell, th, Z_SHADE), *thick_outline(cell, th, s, Z_MARK)]
            prims += self.filled(lay, f)
            if self.options.caption:
                prims.append(caption_text(lay.caption_xy, self.caption(f), s, th, Z_MARK))
            return tuple(prims)

        return frame

    def filled(self, lay: Layout, f: int) -> list[Primitive]:
        """The gradients of weights 0..f (numbers: their values; otherwise a fill)."""
        prims: list[Primitive] = []
        for u in range(f + 1):
            a, b, *tap = self.weight_of(u)
            grid = lay.kernels[(a, b)]
            r, q = rc(tap, self.nd)
            prims.append(Polygon(points=grid.cell(r, q), fill=self.theme.output, z=Z_SHADE - 1))
            if self.options.numbers:
                prims.append(Text(xy=grid.center(r, q), text=format_value(float(self.grad.ravel()[u])),
                                  size=self.text_size, color=self.theme.text, z=Z_MARK))
        return prims

    # -- the scene ----------------------------------------------------------------------------------------

    def scene(self) -> Scene:
        lay = self.layout()
        return Scene(width=lay.width, height=lay.height, background=self.theme.background,
                     static=tuple(self.static(lay)), n_frames=self.n_frames, frame=self.frame_fn(lay),
                     dynamic_z=frozenset({Z_SHADE - 1, Z_SHADE, Z_MARK}), regions=self.regions(lay),
                     narration=lambda i: self.caption(min(i, self.n_steps - 1)), links=lambda: self.links(lay))

    def regions(self, lay: Layout) -> dict[str, object]:
        return {"input_centers": {c: g.centers() for c, g in lay.inputs.items()},
                "output_centers": {c: g.centers() for c, g in lay.grads.items()},
                "kernel_centers": {k: g.centers() for k, g in lay.kernels.items()}, "input_role": self.role,
                "weight_gradient": self.wg, "named_planes": True}

    def links(self, lay: Layout) -> Links:
        """The drawn input, ∂L/∂y and ∂L/∂w as cell groups: a weight's gradient reads the input cells its tap
        touched and every ∂L/∂y cell of its output channel; frame f computes weight f."""
        spec = self.spec
        groups = [cells_group("x" + (f" channel {c}" if spec.in_channels > 1 else ""), g.shape, g.cell)
                  for c, g in lay.inputs.items()]
        groups += [cells_group("∂L/∂y" + (f" channel {c}" if spec.out_channels > 1 else ""), g.shape, g.cell)
                   for c, g in lay.grads.items()]
        base = len(groups)
        keys = list(lay.kernels)
        groups += [cells_group(self.kernel_name(*k), lay.kernels[k].shape, lay.kernels[k].cell) for k in keys]
        cols = self.role.shape[1]
        reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
        writes = []
        for f in range(self.n_steps):
            co, ci, cells = self.cells_of(f)
            a, b, *tap = self.weight_of(f)
            r, q = rc(tap, self.nd)
            cell = (base + keys.index((a, b)), r * lay.kernels[(a, b)].shape[1] + q)
            n_out = lay.grads[co].shape[0] * lay.grads[co].shape[1]
            read = [(ci, tr * cols + tq) for tr, tq in cells]
            read += [(spec.in_channels + co, n) for n in range(n_out)]
            reads.append((cell, tuple(dict.fromkeys(read))))
            writes.append((cell,))
        return Links(groups=tuple(groups), reads=tuple(reads), writes=per_frame(writes, self.n_frames))


class BackwardWeight(FigureKind):
    """``pass: backward, wrt: weight``: one frame per weight."""

    name = "backward_weight"

    def applies(self, config: Config) -> bool:
        return is_backward(config, Wrt.WEIGHT)

    def check(self, config: Config) -> None:
        check_params(config, "weight gradient")
        check_grid(drawn_shape(config.spec), "the drawn input")

    def steps(self, config: Config) -> int:
        return math.prod(config.spec.weight_shape() or (0,))

    def footprint(self, config: Config) -> Footprint:
        """Its arrays (the forward layer's, ∂L/∂y, the products input · ∂L/∂y of every weight at every output
        position) checked first; then, the drawn grid and channels bounded by ``check``, the figure laid out."""
        spec = config.spec
        products = Amount(key="input_size", what="the products input · ∂L/∂y (weights × output positions)",
                          size=math.prod(spec.weight_shape() or (0,)) * math.prod(spec.output_size))
        frames = self.steps(config) + config.render.hold_last
        arrays = gradient_arrays(config, frames, products)
        lay = WeightFigure(config).layout()
        return Footprint(frames=frames, arrays=arrays,
                         canvas=(lay.width, lay.height), layers=3, canvas_key=canvas_key(spec))

    def scene(self, config: Config) -> Scene:
        return WeightFigure(config).scene()

    def info_lines(self, config: Config) -> list[str]:
        shape = config.spec.weight_shape() or ()
        return layer_info_lines(config.spec, f"{self.steps(config)} (weight gradient: one per weight of the "
                                             f"{'×'.join(map(str, shape))} weight)")

    def alt_text(self, config: Config) -> str:
        return (f"Weight gradient of this {lowered(alt_text(config.spec))}; each weight's gradient the sum of the "
                f"input under its tap times the output gradient, over every output position")


register(BackwardWeight(), precedence=7)
