"""alt_text(spec): a layer figure's alternative text, one sentence a screen reader can say, from its spec alone.

    >>> from convanim.core.spec import ConvSpec
    >>> alt_text(ConvSpec(input_size=2, kernel_size=3, stride=2, transposed=True))
    'Transposed convolution: 2×2 input, 3×3 kernel, stride 2, no padding → 5×5 output'
"""

from __future__ import annotations

from ..core.spec import ConvSpec, Op, PaddingMode
from ..core.words import extent, per_axis


def _channels(n: int, show: bool) -> str:
    return f" with {n} channel{'s' if n != 1 else ''}" if show else ""


def _kind(spec: ConvSpec) -> str:
    if spec.op is Op.CONV:
        kind = "transposed convolution" if spec.transposed else "convolution"
    else:
        kind = "max pooling" if spec.op is Op.MAX_POOL else "average pooling"
    kind = f"1-D {kind}" if spec.ndim == 1 else kind
    return kind[0].upper() + kind[1:]


def _padding(spec: ConvSpec) -> str:
    mode = "" if spec.padding_mode is PaddingMode.ZEROS else f"{spec.padding_mode.value} "
    if spec.padding == "same":
        return f"'same' {mode}padding"
    if spec.padding == "valid":
        return "no padding ('valid')"
    if max(spec.padding) == 0:
        return "no padding"
    text = f"{mode}padding {per_axis(spec.padding)}"
    if spec.op is Op.AVG_POOL and not spec.count_include_pad:
        text += " (left out of the average)"
    return text


def alt_text(spec: ConvSpec) -> str:
    """"Transposed convolution: 2×2 input, 3×3 kernel, stride 2, no padding → 5×5 output"."""
    multi = spec.in_channels > 1 or spec.out_channels > 1
    parts = [
        f"{extent(spec.input_size)} input{_channels(spec.in_channels, multi)}",
        f"{extent(spec.kernel_size)} {'kernel' if spec.op is Op.CONV else 'window'}",
        f"stride {per_axis(spec.stride)}",
        _padding(spec),
    ]
    if max(spec.dilation) > 1:
        parts.append(f"dilation {per_axis(spec.dilation)}")
    if max(spec.output_padding) > 0:
        parts.append(f"output padding {per_axis(spec.output_padding)}")
    if spec.groups > 1:
        parts.append(f"{spec.groups} groups")
    if spec.ceil_mode:
        parts.append("ceil mode")
    if spec.flip_kernel:
        parts.append("flipped kernel (true convolution)")
    if spec.op is Op.CONV and spec.bias:
        parts.append("plus bias")
    out = f"{extent(spec.output_size)} output{_channels(spec.out_channels, multi)}"
    return f"{_kind(spec)}: {', '.join(parts)} → {out}"
