"""What the backward figures share: which layer carries ∂L/∂y to ∂L/∂x, the words for gradients, and the checks.

The input gradient of a convolution is a transposed convolution of ``∂L/∂y`` with the same weight tensor,
``kernel_size``, ``stride``, ``padding``, ``dilation`` and groups (its ``output_padding`` the rows and columns the
forward division rounded away); the input gradient of a transposed convolution is a convolution.
``gradient_layer`` names that layer, so the backward figures can draw it as the layer it is.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..config.model import Config
from ..core.errors import SpecError
from ..core.limits import Amount, check_arrays, check_frames, spec_arrays
from ..core.options import Compare, Pass, View, Wrt
from ..core.spec import ConvSpec, Op, PaddingMode
from ..core.words import dims
from ..engine.backward import padding_window

MAX_CHANNELS = 4  # input or output channels a backward figure draws
MAX_GRID = (24, 24)  # the drawn input grid, beyond which cells get too small to read
MAX_GRID_1D = 48


def is_backward(config: Config, wrt: Wrt | None = None) -> bool:
    """Whether ``config`` draws the backward pass (of ``wrt``, when given)."""
    render = config.render
    return render.pass_ is Pass.BACKWARD and config.learn is None and (wrt is None or render.wrt is wrt)


def gradient_layer(spec: ConvSpec) -> ConvSpec | None:
    """The one PyTorch layer that maps ``∂L/∂y`` to ``∂L/∂x`` with the same weight tensor, or None (pooling,
    padding other than zeros or not the same on both sides, an ``output_padding`` of at least the stride)."""
    if spec.is_pool:
        return None
    common = dict(input_size=spec.output_size, kernel_size=spec.kernel_size, stride=spec.stride,
                  dilation=spec.dilation, in_channels=spec.out_channels, out_channels=spec.in_channels,
                  groups=spec.groups, flip_kernel=spec.flip_kernel)
    if spec.transposed:  # the input gradient of a transposed convolution is the convolution
        if any(op >= s for op, s in zip(spec.output_padding, spec.stride)):
            return None
        return ConvSpec(padding=spec.padding, **common)  # type: ignore[arg-type]
    if spec.padding_mode is not PaddingMode.ZEROS or spec.pad_before != spec.pad_after:
        return None
    rounded = tuple((i + 2 * p - d * (k - 1) - 1) % s for i, p, d, k, s in
                    zip(spec.input_size, spec.pad_before, spec.dilation, spec.kernel_size, spec.stride))
    return ConvSpec(padding=spec.pad_before, transposed=True, output_padding=rounded, **common)  # type: ignore[arg-type]


def gradient_config(config: Config, layer: ConvSpec) -> Config:
    """The config of ``layer`` on ``∂L/∂y`` with the same weight tensor, drawn forward in the same view."""
    render = replace(config.render, pass_=Pass.FORWARD, wrt=Wrt.INPUT)
    return replace(config, spec=layer, input=config.grad_output, bias=None, render=render, grad_output=None)


def torch_call(spec: ConvSpec) -> str:
    """``F.conv_transpose2d(∂L/∂y, w, stride=2, padding=1)``: the functional call a layer makes on ∂L/∂y."""
    line = spec.torch_line()
    name = line[:line.index("(")]
    fn = "F.conv_transpose" + name[-2:].lower() if name.startswith("nn.ConvTranspose") else "F.conv" + name[-2:]
    args = [a for a in line[len(name) + 1:-1].split(", ") if "=" in a and not a.startswith(("bias=", "kernel_size="))]
    return f"{fn}(∂L/∂y, w{''.join(', ' + a for a in args)})"


def index(values: tuple[int, ...], channel: int | None) -> str:
    """``[0,1,2]``: a cell's index, its channel first when there are several."""
    return "[" + ",".join(map(str, ((channel,) if channel is not None else ()) + tuple(values))) + "]"


def check_backward(config: Config, kind: str) -> None:
    """Options every backward figure refuses: layers, a comparison, channels or a grid too many to read."""
    spec = config.spec
    if config.layers:  # pragma: no cover - load_config refuses pass: backward on layers: configs first
        raise SpecError("render.pass", "the backward pass draws one layer; remove pass from a layers: config")
    if config.render.compare is not Compare.NONE:
        raise SpecError("render.compare", f"compares forward figures; remove it to draw the {kind}")
    if spec.op is Op.LP_POOL:
        raise SpecError("render.pass", "lp_pool's gradient is no fixed share of ∂L/∂y (it depends on x through a "
                                       "power), so it has no backward figure; draw its forward pass: remove pass")
    empty = padding_window(spec)
    if empty is not None:
        axis = ("depth", "row", "column")[empty[0] + 3 - spec.ndim] if spec.ndim > 1 else "cell"
        raise SpecError("render.pass", f"the max-pooling window of output {axis} {empty[1]} lies entirely in the "
                                       f"padding: its output is −∞ and PyTorch sends its gradient to no cell of it; "
                                       f"use less padding or dilation")
    if max(spec.in_channels, spec.out_channels) > MAX_CHANNELS:
        raise SpecError("render.pass", f"the {kind} draws at most {MAX_CHANNELS} input and output channels, got "
                                       f"{spec.in_channels} → {spec.out_channels}")


def check_planar(config: Config, what: str, key: str, instead: str) -> None:
    """The backward figures that lay out grids of cells (shares, weight and bias gradients, learning) draw 1-D
    and 2-D layers; a 3-D layer is refused naming ``key`` and what draws it (``instead``)."""
    if config.spec.ndim == 3:
        raise SpecError(key, f"{what} is drawn for 1-D and 2-D layers; this layer is 3-D ({instead})")


def check_grid(shape: tuple[int, ...], what: str, key: str = "render.pass") -> None:
    """A drawn grid within MAX_GRID (MAX_GRID_1D in 1-D); the error names ``key``."""
    limit = MAX_GRID if len(shape) == 2 else (MAX_GRID_1D,)
    if any(n > m for n, m in zip(shape, limit)):
        raise SpecError(key, f"{what} would be {dims(shape)} cells, over the readable limit of "
                                       f"{dims(limit)}; use a smaller input_size")


def drawn_shape(spec: ConvSpec) -> tuple[int, ...]:
    """The drawn input grid's size from the spec alone (padded; zero-inserted and padded when transposed;
    with the cells a ceil_mode pooling window hangs over)."""
    out = []
    for n in range(spec.ndim):
        i, k, s, d = spec.input_size[n], spec.kernel_size[n], spec.stride[n], spec.dilation[n]
        if spec.transposed:
            q = d * (k - 1) - spec.padding[n]
            out.append((i - 1) * s + 1 + 2 * q + spec.output_padding[n])
            continue
        size = i + spec.pad_before[n] + spec.pad_after[n]
        if spec.is_pool:
            size = max(size, (spec.output_size[n] - 1) * s + d * (k - 1) + 1)
        out.append(size)
    return tuple(out)


def check_view(config: Config, kind: str, views: tuple[View, ...]) -> None:
    if config.render.view not in views:
        names = " or ".join(v.value for v in views) if views else "none"
        raise SpecError("render.view", f"the {kind} is drawn in one way; remove view: {config.render.view.value}"
                        if not views or views == (View.GATHER,) else f"the {kind} takes view: {names}")


def lowered(text: str) -> str:
    """A layer's alt text inside a sentence: "convolution: 5×5 input, ..." (a leading "1-D" stays)."""
    return text if text[:1].isdigit() else text[0].lower() + text[1:]


def gradient_arrays(config: Config, frames: int, *more: Amount, forward: bool = True) -> tuple[Amount, ...]:
    """What a backward figure allocates before it draws: the forward layer's when it simulates it (its input,
    weight, drawn grid, products), ∂L/∂y and ``more`` (the figure's own: shares, products with ∂L/∂y); checked
    against ``render.max_elements``, and ``frames`` against ``render.max_frames``, here: before the figure is
    laid out (``FigureKind.footprint``)."""
    check_frames(frames, config.render.max_frames)
    spec = config.spec
    out = spec.out_channels * math.prod(spec.output_size)
    arrays = (*(spec_arrays(spec) if forward else ()),
              Amount(key="grad_output", what="∂L/∂y (out_channels × output_size)", size=out), *more)
    check_arrays(arrays, config.render.max_elements)
    return arrays


def shares_amount(spec: ConvSpec) -> Amount:
    """The shares ∂L/∂y sends back: one per window tap, per ∂L/∂y cell and input channel it reaches (with their
    targets and sinks)."""
    per = 1 if spec.is_pool else spec.in_channels // spec.groups
    size = spec.out_channels * math.prod(spec.output_size) * per * math.prod(spec.kernel_size)
    return Amount(key="input_size", what="the shares sent back (∂L/∂y cells × window taps × input channels)",
                  size=size)
