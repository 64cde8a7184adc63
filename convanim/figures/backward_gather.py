"""The input gradient as the layer it is (``render: {pass: backward}``, ``view: gather``, ``matrix`` or ``im2col``).

``∂L/∂x`` of a convolution is the transposed convolution of ``∂L/∂y`` with the same weight tensor, kernel size,
stride, padding, dilation and groups (``output_padding``: what the forward division rounded away); of a
transposed convolution, it is the convolution. So the figure *is* that layer's figure, drawn forward on
``∂L/∂y``, under a heading that names it: the input gradient of conv_arithmetic's ``padding_strides`` is the
``padding_strides_transposed`` picture, cell for cell; in ``view: matrix`` it is ``Cᵀ`` times ``∂L/∂y``. Its
planes are named ``∂L/∂y`` and ``∂L/∂x``, and its equations ``∂L/∂x[...] = ...``.

Where no single PyTorch layer does it (pooling; padding other than zeros, or not alike on both sides), the
gather view is the shares figure in gather order: one frame per ``∂L/∂x`` cell, every share that reaches it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from ..config.model import Config
from ..core.errors import SpecError
from ..core.limits import Amount, Footprint
from ..core.options import Style, View, Wrt
from ..core.scene import CellGroup, Links, Primitive, Scene, Text, shift
from ..core.text import text_width
from ..core.words import dims
from .backward import check_backward, gradient_config, gradient_layer, is_backward
from .backward_scatter import (
    GATHER,
    SpreadFigure,
    check_shares_planar,
    check_spread,
    spread_alt,
    spread_footprint,
    spread_info,
)
from .forward import named_planes
from .geometry import shift_region
from .links import merge
from .registry import FigureKind, kind_of, register

Z_HEADING = 0


def renamed(text: str) -> str:
    """The layer's words in the gradient's: its output ``y[...]`` is ``∂L/∂x[...]``."""
    return "∂L/∂x" + text[1:] if text.startswith("y[") else text


def group_name(name: str) -> str:
    for word, grad in (("input", "∂L/∂y"), ("output", "∂L/∂x")):
        if name.startswith(word):
            return grad + name[len(word):]
    return name


def renamed_links(build: Callable[[], Links], offset: tuple[float, float]) -> Callable[[], Links]:
    def links() -> Links:
        inner = build()
        moved = merge([("", inner, offset)], len(inner.writes))
        return replace(moved, groups=tuple(CellGroup(name=group_name(g.name), shape=g.shape, cells=g.cells)
                                           for g in moved.groups))

    return links


def headings(config: Config, layer_config: Config) -> list[tuple[str, str]]:
    """The lines above the figure: what ∂L/∂x is, and the layer that computes it (font, text)."""
    spec, layer = config.spec, layer_config.spec
    what = "transposed convolution" if layer.transposed else "convolution"
    lines = [("sans", f"∂L/∂x of {spec.torch_line().replace(', bias=False', '')}"),
             ("sans", f"is the {what} of ∂L/∂y with the same weight tensor:"),
             ("mono", layer.torch_line().replace(", bias=False", ""))]
    if layer_config.render.view is View.MATRIX:
        lines.append(("sans", "drawn as that layer's matrix: here x is ∂L/∂y and y is ∂L/∂x"))
    elif layer_config.render.view is View.IM2COL:
        lines.append(("sans", "drawn as that layer's im2col: its input is ∂L/∂y, its output Y is ∂L/∂x"))
    return lines


def wrapped(config: Config, layer_config: Config) -> Scene:
    """The layer's scene on ∂L/∂y under the headings, its planes and equations named as gradients."""
    inner = kind_of(layer_config).scene(layer_config)
    th = config.render.theme
    size = 15.0
    lines = headings(config, layer_config)
    names, reach = named_planes(inner, f"∂L/∂y {dims(layer_config.spec.input_size)}",
                                f"∂L/∂x {dims(layer_config.spec.output_size)}", size * 0.95, th.caption)
    head = round((len(lines) + 0.8) * 1.45 * size)
    dx, dy = -reach + 0.6 * size, float(head)
    static: list[Primitive] = [shift(p, dx, dy) for p in names]
    widths = [dx + inner.width]
    for n, (font, text) in enumerate(lines):
        text_size = size if font == "sans" else 0.85 * size
        static.append(Text(xy=(0.6 * size, (n + 1) * 1.45 * size), text=text, size=text_size, color=th.caption,
                           anchor="ls", font=font, z=Z_HEADING))
        widths.append(1.2 * size + text_width(text, text_size, font))
    headed = {f"input {dims(layer_config.spec.input_size)}": f"∂L/∂y {dims(layer_config.spec.input_size)}",
              f"output {dims(layer_config.spec.output_size)}": f"∂L/∂x {dims(layer_config.spec.output_size)}"}
    static += [rename(shift(p, dx, dy), headed) for p in inner.static]  # a figure naming its own planes (3-D)

    def frame(i: int) -> tuple[Primitive, ...]:
        return tuple(rename(shift(p, dx, dy)) for p in inner.frame(i))

    narration = None if inner.narration is None else (lambda i: renamed(inner.narration(i)))  # type: ignore[misc]
    links = None if inner.links is None else renamed_links(inner.links, (dx, dy))
    regions = {k: shift_region(k, v, dx, dy) for k, v in inner.regions.items()}
    regions["layer"] = layer_config
    return Scene(width=round(max(widths)), height=round(dy + inner.height), background=th.background,
                 static=tuple(static), n_frames=inner.n_frames, frame=frame, dynamic_z=inner.dynamic_z,
                 regions=regions, narration=narration, links=links)


def rename(prim: Primitive, headed: dict[str, str] | None = None) -> Primitive:
    """An equation's ``y[...]`` as ``∂L/∂x[...]``; a plane heading the inner figure wrote (``input 2×3×3``) as the
    gradient it is (``headed``)."""
    if not isinstance(prim, Text):
        return prim
    if headed and prim.text in headed:
        return replace(prim, text=headed[prim.text])
    return replace(prim, text=renamed(prim.text)) if prim.text.startswith("y[") else prim


class BackwardInput(FigureKind):
    """``pass: backward`` (``wrt: input``) in view gather, matrix or im2col: the layer that computes ∂L/∂x."""

    name = "backward_input"

    def applies(self, config: Config) -> bool:
        return is_backward(config, Wrt.INPUT) and config.render.view is not View.SCATTER

    def check(self, config: Config) -> None:
        check_backward(config, "input gradient")
        layer = gradient_layer(config.spec)
        if layer is None:
            view = config.render.view
            check_shares_planar(config, "input gradient")
            if view is not View.GATHER:
                raise SpecError("render.view", f"∂L/∂x of this layer is no single PyTorch layer, so it has no "
                                               f"{view.value} view; use view: gather or scatter")
            check_spread(config, "input gradient")
            return
        kind_of(gradient_config(config, layer))  # the layer's own options checked

    def steps(self, config: Config) -> int:
        layer = gradient_layer(config.spec)
        if layer is None:
            return config.spec.in_channels * math.prod(config.spec.input_size)
        inner = gradient_config(config, layer)
        return kind_of(inner).steps(inner)

    def footprint(self, config: Config) -> Footprint:
        """The gather-order shares figure's (``spread_footprint``), or the gradient layer's own footprint on ∂L/∂y
        under the heading lines, with room for the names ``wrapped`` writes left of stacked planes."""
        layer = gradient_layer(config.spec)
        frames = self.steps(config) + config.render.hold_last
        if layer is None:
            return spread_footprint(config, GATHER, frames)
        inner = gradient_config(config, layer)
        kind = kind_of(inner)
        fp = kind.footprint(inner)
        size = 15.0
        lines = headings(config, inner)
        words = max(1.2 * size + text_width(text, size if font == "sans" else 0.85 * size, font)
                    for font, text in lines)
        left = 0.0
        if kind.name == "layer" and inner.render.resolved_style(layer.ndim) is Style.STACKED:
            left = text_width(f"∂L/∂y {dims(layer.input_size)}", 0.95 * size, "sans")  # names left of the planes
        grad = Amount(key="grad_output", what="∂L/∂y (out_channels × output_size)",
                      size=config.spec.out_channels * math.prod(config.spec.output_size))
        return replace(fp, frames=frames, arrays=(grad, *fp.arrays),
                       canvas=(round(max(fp.canvas[0] + left + 0.6 * size, words)),
                               fp.canvas[1] + round((len(lines) + 0.8) * 1.45 * size)))

    def scene(self, config: Config) -> Scene:
        layer = gradient_layer(config.spec)
        if layer is None:
            return SpreadFigure(config, GATHER).scene()
        return wrapped(config, gradient_config(config, layer))

    def info_lines(self, config: Config) -> list[str]:
        layer = gradient_layer(config.spec)
        if layer is None:
            return spread_info(config, f"{self.steps(config)} (input gradient, gathered: one per ∂L/∂x cell)")
        inner = gradient_config(config, layer)
        return [*spread_info(config, f"{self.steps(config)} (input gradient, drawn as the layer that computes it)"),
                "which is:", *(f"  {line}" for line in kind_of(inner).info_lines(inner))]

    def alt_text(self, config: Config) -> str:
        layer = gradient_layer(config.spec)
        if layer is None:
            return spread_alt(config, "each input cell gathering the output gradients sent to it")
        inner = gradient_config(config, layer)
        return spread_alt(config, f"drawn as the layer that computes it from the output gradient: "
                                  f"{kind_of(inner).alt_text(inner)}")


register(BackwardInput(), precedence=6)
