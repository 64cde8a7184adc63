"""alt_text(spec): a layer figure's alternative text, one sentence a screen reader can say, from its spec alone.

    >>> from convanim.core.spec import ConvSpec
    >>> alt_text(ConvSpec(input_size=2, kernel_size=3, stride=2, transposed=True))
    'Transposed convolution: 2×2 input, 3×3 kernel, stride 2, no padding → 5×5 output'
"""

from __future__ import annotations

from ..core.spec import ConvSpec, Op, PaddingMode
from ..core.words import extent, per_axis, sides


def _channels(n: int, show: bool) -> str:
    return f" with {n} channel{'s' if n != 1 else ''}" if show else ""


def _kind(spec: ConvSpec) -> str:
    if spec.op is Op.CONV:
        kind = "transposed convolution" if spec.transposed else "convolution"
    elif spec.op is Op.LP_POOL:
        kind = f"LP pooling (p = {spec.norm_type:g})"
    else:
        kind = "max pooling" if spec.is_max else "average pooling"
        kind = f"adaptive {kind}" if spec.is_adaptive else kind
    kind = f"{spec.ndim}-D {kind}" if spec.ndim != 2 else kind
    return kind[0].upper() + kind[1:]


def _padding(spec: ConvSpec) -> str:
    mode = "" if spec.padding_mode is PaddingMode.ZEROS else f"{spec.padding_mode.value} "
    if spec.padding == "same":
        return f"'same' {mode}padding"
    if spec.padding == "valid":
        return "no padding ('valid')"
    if spec.per_side:
        text = f"{mode}padding {sides(spec.padding)} (before, after)"
    elif max(spec.padding) == 0:
        return "no padding"
    else:
        text = f"{mode}padding {per_axis(spec.padding)}"
    if spec.padding_value != 0:
        text += f" filled with {spec.padding_value:g}"
    if spec.op is Op.AVG_POOL and not spec.count_include_pad:
        text += " (left out of the average)"
    return text


def _adaptive_windows(spec: ConvSpec) -> str:
    """``windows of 3 cells on each axis``, ``windows of 2 to 3 by 3 cells``."""
    spans = []
    for n in range(spec.ndim):
        sizes = [e - b for b, e in spec.windows(n)]
        spans.append(str(max(sizes)) if min(sizes) == max(sizes) else f"{min(sizes)} to {max(sizes)}")
    if len(set(spans)) == 1:
        return f"windows of {spans[0]} cells" + (" on each axis" if spec.ndim > 1 else "")
    return f"windows of {' by '.join(spans)} cells"


def alt_text(spec: ConvSpec) -> str:
    """"Transposed convolution: 2×2 input, 3×3 kernel, stride 2, no padding → 5×5 output"."""
    multi = spec.in_channels > 1 or spec.out_channels > 1
    if spec.is_adaptive:
        return (f"{_kind(spec)}: {extent(spec.input_size)} input{_channels(spec.in_channels, multi)}, "
                f"{_adaptive_windows(spec)} → {extent(spec.output_size)} output{_channels(spec.out_channels, multi)}")
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
    if spec.divisor_override is not None:
        parts.append(f"divided by {spec.divisor_override}")
    if spec.flip_kernel:
        parts.append("flipped kernel (true convolution)")
    if spec.op is Op.CONV and spec.bias:
        parts.append("plus bias")
    out = f"{extent(spec.output_size)} output{_channels(spec.out_channels, multi)}"
    return f"{_kind(spec)}: {', '.join(parts)} → {out}"
