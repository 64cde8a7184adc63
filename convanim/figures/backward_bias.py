"""The bias gradient (``render: {pass: backward, wrt: bias}``): one frame per output channel.

The bias is added to every output cell of its channel, so its gradient is the sum of that channel's
``∂L/∂y``: each frame shades the whole ``∂L/∂y`` plane, writes the sum in the caption and fills ``∂L/∂b[c]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..config.model import Config
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.limits import Footprint
from ..core.options import Wrt
from ..core.scene import CellRef, Links, Primitive, Scene, Text
from ..core.text import text_width
from ..core.words import dims
from ..engine.backward import bias_gradient
from .alt import alt_text
from .backward import check_grid, gradient_arrays, is_backward, lowered
from .backward_scatter import sum_text
from .backward_weight import check_params
from .geometry import as_rows, output_cell, shade
from .links import cells_group, per_frame
from .panels import CellGrid, fills, fit_size, label, lines, numbers, thick_outline
from .registry import FigureKind, register
from .values import format_value

Z_FILL, Z_SHADE, Z_TEXT, Z_GRID, Z_MARK = 0, 10, 15, 18, 40


class BiasFigure:
    """∂L/∂y planes on the left, the ∂L/∂b column on the right, one frame per output channel."""

    def __init__(self, config: Config):
        self.spec, self.options, self.theme = config.spec, config.render, config.render.theme
        self.g = np.asarray(config.grad_output, dtype=np.float64)
        self.grad = bias_gradient(self.g)
        self.nd = self.spec.ndim
        self.n_steps = self.spec.out_channels
        self.n_frames = self.n_steps + self.options.hold_last
        texts = sorted({format_value(float(v)) for v in np.unique(np.concatenate([self.g.ravel(), self.grad]))})
        default = max(44, 12 * max(len(t) for t in texts)) if self.options.numbers else 30
        self.s = float(self.options.scale or default)
        self.text_size = fit_size(texts, self.s)
        self.head = max(11.0, 0.36 * self.s)

    def caption(self, c: int) -> str:
        terms = [format_value(float(v)) for v in self.g[c].ravel()]
        name = "∂L/∂b" + (f"[{c}]" if self.spec.out_channels > 1 else "")
        return f"{name} = {sum_text(terms)} = {format_value(float(self.grad[c]))}"

    def scene(self) -> Scene:
        s, th, spec = self.s, self.theme, self.spec
        margin, head, gap = round(0.5 * s), round(0.8 * s), round(0.45 * s)
        many = spec.out_channels > 1
        shape = as_rows(np.zeros(spec.output_size), self.nd).shape
        names = [f"∂L/∂y {dims(spec.output_size)}" + (f" · ch {c}" if many else "") for c in range(spec.out_channels)]
        texts: list[Primitive] = []
        grads: dict[int, CellGrid] = {}
        y = float(margin)
        for c in range(spec.out_channels):
            texts.append(label((margin, y + 0.62 * head), names[c], self.head, th, Z_TEXT))
            grads[c] = CellGrid((margin, y + head), shape, s)
            y += head + shape[0] * s + gap
        x = margin + max(shape[1] * s, max(text_width(t, self.head, "sans") for t in names)) + round(1.2 * s)
        b_name = f"∂L/∂b ({spec.out_channels})" if many else "∂L/∂b"
        texts.append(label((x, margin + 0.62 * head), b_name, self.head, th, Z_TEXT))
        column = CellGrid((x, margin + head), (spec.out_channels, 1), s)
        note = "the bias is added to every output cell of its channel: ∂L/∂b sums that channel's ∂L/∂y"
        bottom = max(y, column.bottom + gap) + 0.2 * s
        texts.append(label((margin, bottom + 0.45 * s), note, self.head, th, Z_TEXT))
        bottom += 0.6 * s
        widths = [x + max(s, text_width(b_name, self.head, "sans")) + margin,
                  2 * margin + text_width(note, self.head, "sans")]
        caption_y = bottom + 0.55 * s
        if self.options.caption:
            widths.append(max(text_width(self.caption(c), 0.42 * s, "serif") for c in range(self.n_steps))
                          + 2 * margin)
            bottom += 0.9 * s
        width, height = round(max(widths)), round(bottom + margin)
        static = list(texts)
        for c, grid in grads.items():
            static += fills(grid, lambda r, q: th.input, Z_FILL)
            if self.options.numbers:
                static += numbers(grid, as_rows(self.g[c], self.nd), self.text_size, th.text, Z_TEXT)
            static += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        static += lines(column, np.ones(column.shape, bool), th, Z_GRID)
        for c in range(spec.out_channels):
            static += output_cell(column.cell(c, 0), c, th, Z_FILL)
            if self.options.numbers:
                static.append(Text(xy=column.center(c, 0), text=format_value(float(self.grad[c])),
                                   size=self.text_size, color=th.text, z=Z_TEXT, reveal=c))
        return Scene(width=width, height=height, background=th.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(grads, column, (width / 2, caption_y)),
                     dynamic_z=frozenset({Z_SHADE, Z_MARK}), regions={
                         "input_centers": {c: g.centers() for c, g in grads.items()},
                         "output_centers": column.centers(), "named_planes": True, "grad": self.grad},
                     narration=lambda i: self.caption(min(i, self.n_steps - 1)),
                     links=lambda: self.links(grads, column))

    def frame_fn(self, grads: dict[int, CellGrid], column: CellGrid,
                 caption_xy: tuple[float, float]) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s

        def frame(i: int) -> tuple[Primitive, ...]:
            c = min(i, self.n_steps - 1)
            grid = grads[c]
            box = grid.box(0, 0, *grid.shape)
            cell = column.cell(c, 0)
            prims: list[Primitive] = [shade(box, th, Z_SHADE), *thick_outline(box, th, s, Z_MARK),
                                      shade(cell, th, Z_SHADE), *thick_outline(cell, th, s, Z_MARK)]
            if self.options.caption:
                prims.append(Text(xy=caption_xy, text=self.caption(c), size=0.42 * s, color=th.caption,
                                  font="serif", z=Z_MARK))
            return tuple(prims)

        return frame

    def links(self, grads: dict[int, CellGrid], column: CellGrid) -> Links:
        many = self.spec.out_channels > 1
        groups = [cells_group("∂L/∂y" + (f" channel {c}" if many else ""), g.shape, g.cell) for c, g in grads.items()]
        groups.append(cells_group("∂L/∂b", column.shape, column.cell))
        b = len(grads)
        reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
        for c, grid in grads.items():
            reads.append(((b, c), tuple((c, n) for n in range(grid.shape[0] * grid.shape[1]))))
        return Links(groups=tuple(groups), reads=tuple(reads),
                     writes=per_frame([((b, c),) for c in range(self.n_steps)], self.n_frames))


class BackwardBias(FigureKind):
    """``pass: backward, wrt: bias``: one frame per output channel."""

    name = "backward_bias"

    def applies(self, config: Config) -> bool:
        return is_backward(config, Wrt.BIAS)

    def check(self, config: Config) -> None:
        check_params(config, "bias gradient")
        if not config.spec.bias:
            raise SpecError("render.wrt", "this layer has no bias (set bias: true, or use wrt: input or weight)")
        check_grid(config.spec.output_size, "∂L/∂y")

    def steps(self, config: Config) -> int:
        return config.spec.out_channels

    def footprint(self, config: Config) -> Footprint:
        """∂L/∂y and the forward layer's arrays checked first; ``check`` bounds ∂L/∂y to 24×24 cells and 4
        channels and the figure simulates nothing (sums of ∂L/∂y), so its scene is built for its canvas."""
        frames = self.steps(config) + config.render.hold_last
        arrays = gradient_arrays(config, frames, forward=False)
        built = BiasFigure(config).scene()
        return Footprint(frames=frames, arrays=arrays,
                         canvas=(built.width, built.height), layers=3, canvas_key="grad_output")

    def scene(self, config: Config) -> Scene:
        return BiasFigure(config).scene()

    def info_lines(self, config: Config) -> list[str]:
        return layer_info_lines(config.spec, f"{self.steps(config)} (bias gradient: one per output channel)")

    def alt_text(self, config: Config) -> str:
        return f"Bias gradient of this {lowered(alt_text(config.spec))}; each the sum of its channel's output gradient"


register(BackwardBias(), precedence=8)
