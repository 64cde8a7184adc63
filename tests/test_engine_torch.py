"""Property tests: ``convanim.engine.simulate`` equals ``torch.nn.functional`` (float64, 1e-9).

Every strategy builds only valid layers directly (no rejection sampling): the padding is drawn first
and the input size is drawn at or above the smallest size the layer accepts. Each case carries the
PyTorch arguments and the per-side padding computed *independently* of ``ConvSpec`` (e.g. for
``"same"``), so the reference never reuses the code under test.

Besides the output, each example checks the trace's bookkeeping: shapes, the number and order of
steps, the drawn grid (roles, sources and values rebuilt independently), and for sampled steps the
taps, their roles, the index into ``x`` of every input cell, the weights picked from the user's
weight, and that the step's products add up to its value.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from convanim.core.spec import ConvSpec
from convanim.engine import Role, simulate

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TOL = {"rtol": 1e-9, "atol": 1e-9}
SEEDS = st.integers(0, 2**32 - 1)
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def assert_close(actual: Any, expected: Any, msg: str = "") -> None:
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # -inf - -inf (max_pool over padding only) falls through
        if a.shape == e.shape and np.all(np.abs(a - e) <= TOL["atol"] + TOL["rtol"] * np.abs(e)):
            return  # the fast path: assert_allclose's test; assert_allclose reports any mismatch
    np.testing.assert_allclose(actual, expected, err_msg=msg, **TOL)


# -- cases -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A spec plus what the reference needs, computed without ConvSpec."""

    spec: ConvSpec
    kind: str  # "conv", "transposed", "avg_pool", "max_pool"
    nd: int
    input_size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    before: tuple[int, ...]  # direct conv / pooling: padding per side; transposed: the padding
    after: tuple[int, ...]
    torch_padding: Any = 0  # what to hand to torch (an int, a tuple, "same" or "valid")
    padding_mode: str = "zeros"
    output_padding: tuple[int, ...] = ()
    in_channels: int = 1
    out_channels: int = 1
    groups: int = 1
    bias: bool = False
    flip: bool = False
    ceil_mode: bool = False
    count_include_pad: bool = True
    padding_value: float = 0.0
    per_side: bool = False  # the padding given as [before, after] pairs (F.pad, then the convolution)
    divisor_override: int | None = None
    output_size: tuple[int, ...] = ()  # adaptive pooling's target
    norm_type: float = 2.0  # lp_pool's p


def _per_axis(draw: st.DrawFn, nd: int, elements: st.SearchStrategy[int]) -> tuple[int, ...]:
    return tuple(draw(elements) for _ in range(nd))


def _form(draw: st.DrawFn, values: tuple[int, ...]) -> Any:
    """A size field as written: a bare int if all axes agree (sometimes), a list, a tuple."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return list(values) if draw(st.booleans()) else tuple(values)


def _input_form(draw: st.DrawFn, sizes: tuple[int, ...]) -> Any:
    if len(sizes) == 2 and sizes[0] == sizes[1] and draw(st.booleans()):
        return sizes[0]  # a bare int is a square 2-D input
    return list(sizes) if draw(st.booleans()) else tuple(sizes)


def _nd(draw: st.DrawFn, nd: int | None) -> int:
    return draw(st.sampled_from([1, 2, 3])) if nd is None else nd


def _limits(nd: int) -> tuple[int, int, int]:
    """(largest kernel, largest dilation, sizes above the smallest): 3-D cases are kept small."""
    return (4, 3, 5) if nd < 3 else (3, 2, 2)


@st.composite
def channel_layouts(draw: st.DrawFn, depthwise: bool | None = None) -> tuple[int, int, int]:
    """(in_channels, out_channels, groups): plain, grouped, depthwise and channel multipliers."""
    groups = draw(st.integers(1, 3))
    per_group_in = 1 if depthwise else draw(st.integers(1, 3))
    per_group_out = draw(st.integers(1, 3))
    if depthwise:
        groups = draw(st.integers(1, 4))
    return groups * per_group_in, groups * per_group_out, groups


@st.composite
def conv_cases(
    draw: st.DrawFn,
    nd: int | None = None,
    flip: bool | None = None,
    depthwise: bool | None = None,
    mode: str | None = None,
    sides: bool = False,
) -> Case:
    """A direct conv: stride, dilation, int/per-axis/'same'/'valid' padding, any padding_mode."""
    nd = _nd(draw, nd)
    k_max, d_max, extra = _limits(nd)
    c_in, c_out, groups = draw(channel_layouts(depthwise))
    kernel = _per_axis(draw, nd, st.integers(1, k_max))
    dilation = _per_axis(draw, nd, st.integers(1, d_max))
    padding_mode = draw(st.sampled_from(PADDING_MODES)) if mode is None else mode
    forms = ["int", "per_axis", "per_axis", "same", "same", "valid", "sides", "sides"]
    padding_kind = "sides" if sides else draw(st.sampled_from(forms))
    padding_value = 0.0
    if padding_kind == "same":
        stride = (1,) * nd
        total = tuple(d * (k - 1) for k, d in zip(kernel, dilation, strict=True))
        before = tuple(t // 2 for t in total)  # PyTorch puts the odd one at the end
        after = tuple(t - t // 2 for t in total)
        padding, torch_padding = "same", "same"
    else:
        stride = _per_axis(draw, nd, st.integers(1, 3))
        if padding_kind == "valid":
            before = after = (0,) * nd
            padding, torch_padding = "valid", "valid"
        elif padding_kind == "sides":  # [before, after] per axis: F.pad, then the convolution
            before, after = _per_axis(draw, nd, st.integers(0, 3)), _per_axis(draw, nd, st.integers(0, 3))
            padding = [[b, a] for b, a in zip(before, after, strict=True)]
            torch_padding = 0
            if padding_mode == "zeros" and draw(st.booleans()):
                padding_value = draw(st.sampled_from([0.5, -1.25, 2.0]))
        elif padding_kind == "int":
            before = after = (draw(st.integers(0, 3)),) * nd
            padding, torch_padding = before[0], before[0]
        else:
            before = after = _per_axis(draw, nd, st.integers(0, 3))
            padding, torch_padding = list(before), tuple(before)
    sizes = []
    for n in range(nd):
        low = max(1, dilation[n] * (kernel[n] - 1) + 1 - before[n] - after[n])
        widest = max(before[n], after[n])
        if padding_mode == "reflect":
            low = max(low, widest + 1)
        elif padding_mode == "circular":
            low = max(low, widest)
        sizes.append(draw(st.integers(low, low + extra)))
    sizes_t = tuple(sizes)
    flip = draw(st.booleans()) if flip is None else flip
    bias = draw(st.booleans())
    spec = ConvSpec(
        input_size=_input_form(draw, sizes_t),
        kernel_size=_form(draw, kernel),
        stride=_form(draw, stride),
        padding=padding,
        dilation=_form(draw, dilation),
        in_channels=c_in,
        out_channels=c_out,
        groups=groups,
        bias=bias,
        padding_mode=padding_mode,
        padding_value=padding_value,
        flip_kernel=flip,
    )
    return Case(
        spec=spec,
        kind="conv",
        nd=nd,
        input_size=sizes_t,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        before=before,
        after=after,
        torch_padding=torch_padding,
        padding_mode=padding_mode,
        in_channels=c_in,
        out_channels=c_out,
        groups=groups,
        bias=bias,
        flip=flip,
        padding_value=padding_value,
        per_side=padding_kind == "sides",
    )


@st.composite
def transposed_cases(draw: st.DrawFn, nd: int | None = None, flip: bool | None = None) -> Case:
    """A transposed convolution: stride, padding, dilation, output_padding, groups, bias."""
    nd = _nd(draw, nd)
    k_max, d_max, _ = _limits(nd)
    c_in, c_out, groups = draw(channel_layouts())
    kernel = _per_axis(draw, nd, st.integers(1, k_max))
    stride = _per_axis(draw, nd, st.integers(1, 3 if nd < 3 else 2))
    dilation = _per_axis(draw, nd, st.integers(1, d_max))
    # PyTorch: output_padding must be smaller than either the stride or the dilation.
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    sizes = _per_axis(draw, nd, st.integers(1, 5 if nd < 3 else 3))
    # The output (i-1)*s - 2p + d*(k-1) + op + 1 must be at least 1.
    padding = tuple(
        draw(st.integers(0, min(3, ((i - 1) * s + d * (k - 1) + op) // 2)))
        for i, s, d, k, op in zip(sizes, stride, dilation, kernel, output_padding, strict=True)
    )
    flip = draw(st.booleans()) if flip is None else flip
    bias = draw(st.booleans())
    spec = ConvSpec(
        input_size=_input_form(draw, sizes),
        kernel_size=_form(draw, kernel),
        stride=_form(draw, stride),
        padding=_form(draw, padding),
        dilation=_form(draw, dilation),
        transposed=True,
        output_padding=_form(draw, output_padding),
        in_channels=c_in,
        out_channels=c_out,
        groups=groups,
        bias=bias,
        flip_kernel=flip,
    )
    return Case(
        spec=spec,
        kind="transposed",
        nd=nd,
        input_size=sizes,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        before=padding,
        after=padding,
        torch_padding=padding,
        output_padding=output_padding,
        in_channels=c_in,
        out_channels=c_out,
        groups=groups,
        bias=bias,
        flip=flip,
    )


@st.composite
def avg_pool_cases(draw: st.DrawFn, nd: int | None = None) -> Case:
    """avg_pool: stride (or the default), padding <= k/2, ceil_mode, count_include_pad, divisor_override (2-D
    and 3-D, any nonzero int, as PyTorch)."""
    nd = _nd(draw, nd)
    k_max, _, extra = _limits(nd)
    channels = draw(st.integers(1, 3))
    kernel = _per_axis(draw, nd, st.integers(1, k_max))
    stride_arg = draw(st.none() | st.just("drawn"))
    stride = kernel if stride_arg is None else _per_axis(draw, nd, st.integers(1, 3))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = tuple(  # avg_pool3d wants the unpadded input at least as large as the kernel
        draw(st.integers(k if nd == 3 else max(1, k - 2 * p), max(1, k - 2 * p) + extra + 1 + (nd == 3) * p * 2))
        for k, p in zip(kernel, padding, strict=True)
    )
    ceil_mode, count_include_pad = draw(st.booleans()), draw(st.booleans())
    divisor = draw(st.none() | st.sampled_from([-3, -1, 1, 2, 5])) if nd > 1 else None
    spec = ConvSpec(
        op="avg_pool",
        input_size=_input_form(draw, sizes),
        kernel_size=_form(draw, kernel),
        stride=None if stride_arg is None else _form(draw, stride),
        padding=_form(draw, padding),
        in_channels=channels,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor,
    )
    return Case(
        spec=spec,
        kind="avg_pool",
        nd=nd,
        input_size=sizes,
        kernel=kernel,
        stride=stride,
        dilation=(1,) * nd,
        before=padding,
        after=padding,
        torch_padding=padding,
        in_channels=channels,
        out_channels=channels,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor,
    )


@st.composite
def max_pool_cases(draw: st.DrawFn, nd: int | None = None) -> Case:
    """max_pool: stride (or the default), dilation, ceil_mode, padding within what PyTorch accepts.

    PyTorch 2.13 accepts max-pool padding only up to half the *undilated* kernel (``p <= k // 2``),
    for every path (1-D, 2-D, with or without grad); see test_spec.py for the spec's looser limit.
    """
    nd = _nd(draw, nd)
    k_max, d_max, extra = _limits(nd)
    channels = draw(st.integers(1, 3))
    kernel = _per_axis(draw, nd, st.integers(1, k_max))
    dilation = _per_axis(draw, nd, st.integers(1, d_max))
    stride_arg = draw(st.none() | st.just("drawn"))
    stride = kernel if stride_arg is None else _per_axis(draw, nd, st.integers(1, 3))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = []
    for k, d, p in zip(kernel, dilation, padding, strict=True):
        low = max(1, d * (k - 1) + 1 - 2 * p)
        sizes.append(draw(st.integers(low, low + extra + 1)))
    sizes_t = tuple(sizes)
    ceil_mode = draw(st.booleans())
    spec = ConvSpec(
        op="max_pool",
        input_size=_input_form(draw, sizes_t),
        kernel_size=_form(draw, kernel),
        stride=None if stride_arg is None else _form(draw, stride),
        padding=_form(draw, padding),
        dilation=_form(draw, dilation),
        in_channels=channels,
        ceil_mode=ceil_mode,
    )
    return Case(
        spec=spec,
        kind="max_pool",
        nd=nd,
        input_size=sizes_t,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        before=padding,
        after=padding,
        torch_padding=padding,
        in_channels=channels,
        out_channels=channels,
        ceil_mode=ceil_mode,
    )


@st.composite
def adaptive_cases(draw: st.DrawFn, nd: int | None = None, op: str | None = None) -> Case:
    """adaptive_avg_pool / adaptive_max_pool: any input size, any output size (larger than the input too;
    ``None`` on an axis keeps it), windows of varying size."""
    nd = _nd(draw, nd)
    op = draw(st.sampled_from(["adaptive_avg_pool", "adaptive_max_pool"])) if op is None else op
    channels = draw(st.integers(1, 3))
    top = 9 if nd < 3 else 5
    sizes = _per_axis(draw, nd, st.integers(1, top))
    outs = _per_axis(draw, nd, st.integers(1, top))
    written: Any = _form(draw, outs)
    if nd > 1 and draw(st.integers(0, 4)) == 0:  # None keeps the input's size on that axis
        written = [None if i == o else o for i, o in zip(sizes, outs, strict=True)]
    spec = ConvSpec(op=op, input_size=_input_form(draw, sizes), output_size=written, in_channels=channels)
    return Case(spec=spec, kind=op, nd=nd, input_size=sizes, kernel=(), stride=(), dilation=(1,) * nd,
                before=(0,) * nd, after=(0,) * nd, in_channels=channels, out_channels=channels, output_size=outs)


@st.composite
def lp_pool_cases(draw: st.DrawFn, nd: int | None = None) -> Case:
    """lp_pool: norm_type (integer, fractional, negative, inf), stride (or the default), ceil_mode; no padding."""
    nd = _nd(draw, nd)
    k_max, _, extra = _limits(nd)
    channels = draw(st.integers(1, 3))
    kernel = _per_axis(draw, nd, st.integers(1, k_max))
    stride_arg = draw(st.none() | st.just("drawn"))
    stride = kernel if stride_arg is None else _per_axis(draw, nd, st.integers(1, 3))
    sizes = tuple(draw(st.integers(k, k + extra + 1)) for k in kernel)
    ceil_mode = draw(st.booleans())
    p = draw(st.sampled_from([1.0, 2.0, 3.0, 1.5, -1.0, float("inf"), float("-inf")]))
    spec = ConvSpec(op="lp_pool", norm_type=p, input_size=_input_form(draw, sizes), kernel_size=_form(draw, kernel),
                    stride=None if stride_arg is None else _form(draw, stride), in_channels=channels,
                    ceil_mode=ceil_mode)
    return Case(spec=spec, kind="lp_pool", nd=nd, input_size=sizes, kernel=kernel, stride=stride,
                dilation=(1,) * nd, before=(0,) * nd, after=(0,) * nd, torch_padding=0, in_channels=channels,
                out_channels=channels, ceil_mode=ceil_mode, norm_type=p)


# -- data and the PyTorch reference ----------------------------------------------------------------


def make_data(
    case: Case, seed: int
) -> tuple[np.random.Generator, np.ndarray, np.ndarray | None, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case.in_channels, *case.input_size))
    weight = bias = None
    if case.kind == "conv":
        weight = rng.standard_normal(
            (case.out_channels, case.in_channels // case.groups, *case.kernel)
        )
    elif case.kind == "transposed":
        weight = rng.standard_normal(
            (case.in_channels, case.out_channels // case.groups, *case.kernel)
        )
    if case.bias:
        bias = rng.standard_normal(case.out_channels)
    return rng, x, weight, bias


def torch_reference(
    torch: Any, case: Case, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None
) -> np.ndarray:
    """The layer computed by ``torch.nn.functional`` in float64 (batch of one)."""
    xt = torch.from_numpy(x)[None]
    wt = None if weight is None else torch.from_numpy(weight)
    bt = None if bias is None else torch.from_numpy(bias)
    return torch_layer(torch, case, xt, wt, bt)[0].detach().numpy()


def torch_layer(torch: Any, case: Case, xt: Any, wt: Any, bt: Any) -> Any:
    """The layer on a ``(1, C, *size)`` tensor as ``torch.nn.functional`` computes it, in any dimension (weights
    as the user gives them: flipped here when the case flips; tensors may require grad, for autograd)."""
    F = torch.nn.functional
    nd = case.nd
    if wt is not None and case.flip:
        wt = torch.flip(wt, dims=list(range(2, 2 + nd)))
    if case.kind.startswith("adaptive"):
        return getattr(F, f"{case.kind}{nd}d")(xt, case.output_size)
    if case.kind == "lp_pool":
        kernel, stride = (case.kernel[0], case.stride[0]) if nd == 1 else (case.kernel, case.stride)  # 1-D: ints
        return getattr(F, f"lp_pool{nd}d")(xt, case.norm_type, kernel, stride, case.ceil_mode)
    if case.kind == "conv":
        conv = getattr(F, f"conv{nd}d")
        if case.padding_mode == "zeros" and not case.per_side:
            return conv(xt, wt, bt, stride=case.stride, padding=case.torch_padding, dilation=case.dilation,
                        groups=case.groups)
        pads: list[int] = []
        for n in reversed(range(nd)):  # F.pad takes the last dimension first
            pads += [case.before[n], case.after[n]]
        if case.padding_mode == "zeros":
            xt = F.pad(xt, pads, mode="constant", value=case.padding_value)
        else:
            xt = F.pad(xt, pads, mode=case.padding_mode)
        return conv(xt, wt, bt, stride=case.stride, padding=0, dilation=case.dilation, groups=case.groups)
    if case.kind == "transposed":
        return getattr(F, f"conv_transpose{nd}d")(xt, wt, bt, stride=case.stride, padding=case.torch_padding,
                                                  output_padding=case.output_padding, groups=case.groups,
                                                  dilation=case.dilation)
    if case.kind == "avg_pool":
        extra = {} if case.divisor_override is None else {"divisor_override": case.divisor_override}
        return getattr(F, f"avg_pool{nd}d")(xt, case.kernel, case.stride, case.torch_padding,
                                             ceil_mode=case.ceil_mode, count_include_pad=case.count_include_pad,
                                             **extra)
    return getattr(F, f"max_pool{nd}d")(xt, case.kernel, case.stride, case.torch_padding, case.dilation,
                                        ceil_mode=case.ceil_mode)


# -- the independent drawn grid --------------------------------------------------------------------


def expected_axis(case: Case, n: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Role and source (index into x, -1 for none) of each drawn cell along axis n, from scratch."""
    i = case.input_size[n]
    role = np.full(length, int(Role.PADDING))
    source = np.full(length, -1)
    if case.kind == "transposed":
        s, k, d, p = case.stride[n], case.kernel[n], case.dilation[n], case.before[n]
        q = d * (k - 1) - p  # zeros on each side of the zero-inserted input (negative: cropped)
        assert length == (i - 1) * s + 1 + 2 * q + case.output_padding[n]
        for j in range(length):
            z = j - q  # position in the zero-inserted input
            if 0 <= z <= (i - 1) * s:
                role[j] = Role.INPUT if z % s == 0 else Role.INSERTED
                source[j] = z // s if z % s == 0 else -1
        return role, source
    b, a = case.before[n], case.after[n]
    padded = b + i + a
    for j in range(length):
        m = j - b
        if j >= padded:
            role[j] = Role.OVERHANG
        elif 0 <= m < i:
            role[j], source[j] = Role.INPUT, m
        elif case.padding_mode == "reflect":
            source[j] = -m if m < 0 else 2 * (i - 1) - m
        elif case.padding_mode == "replicate":
            source[j] = min(max(m, 0), i - 1)
        elif case.padding_mode == "circular":
            source[j] = m % i
    return role, source


def check_grid(case: Case, trace: Any, x: np.ndarray) -> None:
    grid = trace.grid
    shape = grid.shape
    spec = case.spec
    assert len(shape) == case.nd
    assert grid.values.shape == (case.in_channels, *shape)
    assert grid.source.shape == (case.nd, *shape)
    for n in range(case.nd):
        i, b, a = case.input_size[n], case.before[n], case.after[n]
        if case.kind == "transposed":
            continue  # the length is asserted in expected_axis
        padded = b + i + a
        if case.kind in ("avg_pool", "max_pool", "lp_pool"):  # ceil_mode windows may overhang
            needed = (
                (spec.output_size[n] - 1) * case.stride[n]
                + case.dilation[n] * (case.kernel[n] - 1)
                + 1
            )
            assert shape[n] == max(padded, needed)
        else:
            assert shape[n] == padded
    axes = [expected_axis(case, n, shape[n]) for n in range(case.nd)]
    roles = np.meshgrid(*[r for r, _ in axes], indexing="ij")
    sources = np.meshgrid(*[s for _, s in axes], indexing="ij")
    want_role = np.maximum.reduce(roles)  # INPUT only where every axis is; PADDING beats INSERTED
    np.testing.assert_array_equal(grid.role, want_role)
    has = np.logical_and.reduce([s >= 0 for s in sources])
    want_source = np.stack([np.where(has, s, -1) for s in sources])
    np.testing.assert_array_equal(grid.source, want_source)
    safe = tuple(np.where(has, s, 0) for s in sources)
    want_values = np.where(has, x[(slice(None), *safe)], 0.0)
    if case.kind == "max_pool":
        want_values = np.where(want_role == Role.PADDING, -np.inf, want_values)
    else:  # F.pad's constant (0 unless padding_value is given)
        want_values = np.where((want_role == Role.PADDING) & ~has, case.padding_value, want_values)
    counted = want_role != Role.OVERHANG  # overhang cells are never read
    np.testing.assert_array_equal(grid.values[:, counted], want_values[:, counted])
    if case.padding_mode == "zeros" and case.kind != "max_pool":
        assert np.all(grid.values[:, want_role == Role.INSERTED] == 0.0)
        assert np.all(grid.values[:, want_role == Role.PADDING] == case.padding_value)


# -- the trace's steps -----------------------------------------------------------------------------


def expected_in_channels(case: Case, channel: int) -> tuple[int, ...]:
    if case.kind in ("avg_pool", "max_pool", "lp_pool", "adaptive_avg_pool", "adaptive_max_pool"):
        return (channel,)
    per_in, per_out = case.in_channels // case.groups, case.out_channels // case.groups
    g = channel // per_out
    return tuple(range(g * per_in, (g + 1) * per_in))


def check_step(
    case: Case,
    trace: Any,
    step: Any,
    i: int,
    order: list[tuple[int, ...]],
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
) -> None:
    nd, grid = case.nd, trace.grid
    assert step.index == i
    assert (step.channel, *step.position) == order[i], "steps must be channel-major, then row-major"
    if case.kind.startswith("adaptive"):
        check_adaptive_step(case, step, x)
        return
    offsets = np.array(list(itertools.product(*[range(k) for k in case.kernel])), dtype=np.int64)
    n_taps = len(offsets)
    step_on_grid = (1,) * nd if case.kind == "transposed" else case.stride
    origin = tuple(p * s for p, s in zip(step.position, step_on_grid, strict=True))
    assert step.origin == origin
    assert step.extent == tuple(
        d * (k - 1) + 1 for k, d in zip(case.kernel, case.dilation, strict=True)
    )
    taps = np.asarray(step.taps)
    np.testing.assert_array_equal(taps, np.array(origin) + offsets * np.array(case.dilation))
    assert np.all(taps >= 0) and np.all(taps < np.array(grid.shape)), (
        "taps must lie inside the grid"
    )
    cell = tuple(taps.T)
    np.testing.assert_array_equal(step.roles, grid.role[cell])
    np.testing.assert_array_equal(step.sources, grid.source[(slice(None), *cell)].T)
    in_ch = expected_in_channels(case, step.channel)
    assert tuple(step.in_channels) == in_ch
    inputs = np.asarray(step.inputs)
    assert inputs.shape == (len(in_ch), n_taps)
    counted = step.roles != Role.OVERHANG
    np.testing.assert_array_equal(
        inputs[:, counted], grid.values[list(in_ch)][(slice(None), *cell)][:, counted]
    )
    on_input = step.roles == Role.INPUT
    for t in np.flatnonzero(on_input):  # the index into x is right
        src = tuple(int(v) for v in step.sources[t])
        assert all(v >= 0 for v in src)
        for j, c in enumerate(in_ch):
            assert inputs[j, t] == x[(c, *src)]
    if case.padding_mode == "zeros" and case.kind != "max_pool":
        assert np.all(inputs[:, step.roles == Role.INSERTED] == 0.0)
        assert np.all(inputs[:, step.roles == Role.PADDING] == case.padding_value)
    want_value = trace.output[(step.channel, *step.position)]
    assert step.value == want_value or (math.isnan(step.value) and math.isnan(want_value))  # lp_pool: NaN
    if case.kind in ("conv", "transposed"):
        flipped = case.flip != (
            case.kind == "transposed"
        )  # the transposition flips; flip_kernel undoes it
        want_k = np.array(case.kernel) - 1 - offsets if flipped else offsets
        np.testing.assert_array_equal(step.kernel_index, want_k)
        kidx = tuple(want_k.T)
        if case.kind == "conv":
            want_w = weight[step.channel][(slice(None), *kidx)]  # type: ignore[index]
        else:
            per_out = case.out_channels // case.groups
            want_w = weight[list(in_ch), step.channel % per_out][(slice(None), *kidx)]  # type: ignore[index]
        np.testing.assert_array_equal(step.weights, want_w)
        assert_close(step.products, inputs * want_w)
        want_bias = float(bias[step.channel]) if bias is not None else 0.0
        assert step.bias == want_bias
        assert_close(step.products.sum() + step.bias, step.value)
    elif case.kind == "lp_pool":
        check_lp_step(case, step, inputs[0][counted])
    elif case.kind == "avg_pool":
        use = counted if case.count_include_pad else on_input
        divisor = int(use.sum()) if case.divisor_override is None else case.divisor_override
        assert step.divisor == divisor
        assert_close(step.weights[0], np.where(use, 1.0 / divisor, 0.0))
        assert step.bias == 0.0
        assert_close(step.products.sum() + step.bias, step.value)
        assert_close(step.value, inputs[0][use].sum() / divisor)
    else:
        best = inputs[0][counted].max()
        assert step.value == best
        assert counted[step.argmax] and inputs[0][step.argmax] == best
        assert step.argmax == int(np.flatnonzero(counted & (inputs[0] == best))[0]), (
            "first tap on ties"
        )


def check_adaptive_step(case: Case, step: Any, x: np.ndarray) -> None:
    """An adaptive window, rebuilt from PyTorch's rule with exact fractions: floor(o·I/O) to ceil((o+1)·I/O)."""
    bounds = [(math.floor(Fraction(o * i, n)), math.ceil(Fraction((o + 1) * i, n)))
              for o, i, n in zip(step.position, case.input_size, case.output_size, strict=True)]
    assert step.origin == tuple(a for a, _ in bounds)
    assert step.extent == tuple(b - a for a, b in bounds)
    cells = list(itertools.product(*[range(a, b) for a, b in bounds]))
    np.testing.assert_array_equal(step.taps, np.array(cells))
    np.testing.assert_array_equal(step.sources, np.array(cells))
    assert np.all(step.roles == Role.INPUT)
    window = x[(step.channel, *[slice(a, b) for a, b in bounds])].ravel()
    np.testing.assert_array_equal(step.inputs[0], window)
    if case.kind == "adaptive_max_pool":
        assert step.value == window.max() and step.inputs[0][step.argmax] == window.max()
        assert step.weights is None and step.divisor is None
    else:
        assert step.divisor == len(cells)
        assert_close(step.weights[0], np.full(len(cells), 1.0 / len(cells)))
        assert_close(step.products.sum(), step.value)


def check_lp_step(case: Case, step: Any, window: np.ndarray) -> None:
    """(Σ x^p · K / n)^(1/p) over the n cells of the window inside the input (PyTorch's avg_pool of x^p, times
    the kernel's K cells); the largest or smallest |x| for p = ±inf."""
    p, k = case.norm_type, math.prod(case.kernel)
    assert step.divisor == len(window) and step.bias == 0.0
    if math.isinf(p):
        want = np.abs(window).max() if p > 0 else np.abs(window).min()
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            want = np.power(np.sum(np.power(window, p)) * k / len(window), 1 / p)
    np.testing.assert_allclose(step.value, want, rtol=1e-9, atol=1e-9, equal_nan=True)


def check_trace(
    case: Case,
    trace: Any,
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    rng: np.random.Generator,
) -> None:
    spec = case.spec
    out_size = spec.output_size
    assert trace.output.shape == (case.out_channels, *out_size)
    steps = trace.steps
    n = len(steps)
    assert n == spec.n_steps == case.out_channels * math.prod(out_size)
    check_grid(case, trace, x)
    order = list(itertools.product(range(case.out_channels), *[range(o) for o in out_size]))
    picks = {0, n - 1, *(int(v) for v in rng.integers(0, n, size=min(n, 3)))}
    for i in sorted(picks):
        check_step(case, trace, steps[i], i, order, x, weight, bias)
    assert steps[-1].index == n - 1
    if n <= 12:  # iterating yields every step, in order
        assert [(s.channel, *s.position) for s in steps] == order


def record_events(case: Case, trace: Any) -> None:
    """Label the interesting corners (see ``--hypothesis-show-statistics``)."""
    roles = set(np.unique(trace.grid.role).tolist())
    if Role.OVERHANG in roles:
        event("ceil_mode window overhangs the padded input")
    if Role.INSERTED in roles:
        event("zeros inserted (stride > 1)")
    if case.kind == "conv":
        event(f"padding_mode={case.padding_mode}")
        if case.per_side:
            event("padding per side" + (" with a padding_value" if case.padding_value else ""))
        elif case.before != case.after:
            event("asymmetric 'same' padding")
        if case.groups > 1:
            event("groups > 1")
    if case.kind == "transposed" and any(
        d * (k - 1) < p for k, d, p in zip(case.kernel, case.dilation, case.before, strict=True)
    ):
        event("transposed padding crops the zero-inserted input")
    if case.kind == "max_pool" and np.isneginf(trace.output).any():
        event("max_pool window of padding only (-inf)")
    if case.divisor_override is not None:
        event("divisor_override")
    if case.kind.startswith("adaptive"):
        if any(i % o for i, o in zip(case.input_size, case.output_size, strict=True)):
            event("adaptive windows of different sizes")
        if any(o > i for i, o in zip(case.input_size, case.output_size, strict=True)):
            event("adaptive output larger than the input (windows overlap)")


def run_case(torch: Any, case: Case, seed: int) -> None:
    rng, x, weight, bias = make_data(case, seed)
    trace = simulate(case.spec, x, weight, bias)
    record_events(case, trace)
    want = torch_reference(torch, case, x, weight, bias)
    assert trace.output.shape == want.shape, f"{case.spec.torch_line()}: shape differs from torch"
    assert tuple(case.spec.output_size) == want.shape[1:]
    assert_close(trace.output, want, case.spec.torch_line())
    check_trace(case, trace, x, weight, bias, rng)


# -- convolutions ----------------------------------------------------------------------------------


@given(case=conv_cases(nd=1), seed=SEEDS)
def test_conv1d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=conv_cases(nd=2), seed=SEEDS)
def test_conv2d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=conv_cases(mode="zeros"), seed=SEEDS)
def test_conv_zero_padding_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=conv_cases(depthwise=True), seed=SEEDS)
def test_depthwise_conv_and_channel_multipliers_match_torch(torch, case, seed):
    assert case.spec.groups == case.spec.in_channels
    run_case(torch, case, seed)


@given(case=transposed_cases(nd=1), seed=SEEDS)
def test_conv_transpose1d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=transposed_cases(nd=2), seed=SEEDS)
def test_conv_transpose2d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


# -- pooling ---------------------------------------------------------------------------------------


@given(case=avg_pool_cases(nd=1), seed=SEEDS)
def test_avg_pool1d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=avg_pool_cases(nd=2), seed=SEEDS)
def test_avg_pool2d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=max_pool_cases(nd=1), seed=SEEDS)
def test_max_pool1d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=max_pool_cases(nd=2), seed=SEEDS)
def test_max_pool2d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=avg_pool_cases(nd=3), seed=SEEDS)
def test_avg_pool3d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=max_pool_cases(nd=3), seed=SEEDS)
def test_max_pool3d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=adaptive_cases(), seed=SEEDS)
def test_adaptive_pooling_matches_torch_in_1d_2d_and_3d(torch, case, seed):
    run_case(torch, case, seed)


@given(case=lp_pool_cases(), seed=SEEDS)
def test_lp_pooling_matches_torch_in_1d_2d_and_3d(torch, case, seed):
    run_case(torch, case, seed)


# -- 3-D convolutions and padding per side ----------------------------------------------------------


@given(case=conv_cases(nd=3), seed=SEEDS)
def test_conv3d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=transposed_cases(nd=3), seed=SEEDS)
def test_conv_transpose3d_matches_torch(torch, case, seed):
    run_case(torch, case, seed)


@given(case=conv_cases(sides=True), seed=SEEDS)
def test_padding_per_side_equals_f_pad_then_the_convolution(torch, case, seed):
    run_case(torch, case, seed)  # the reference pads with F.pad (constant value or the mode), then convolves


# -- flip_kernel: true convolution -----------------------------------------------------------------


@st.composite
def signal_and_kernel(draw: st.DrawFn, valid: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(draw(SEEDS))
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, n if valid else 6))
    return rng.standard_normal(n), rng.standard_normal(k)


@given(data=signal_and_kernel(valid=False), bias=st.booleans())
def test_flip_kernel_full_padding_equals_np_convolve_full(data, bias):
    x, w = data
    k = len(w)
    spec = ConvSpec(input_size=[len(x)], kernel_size=k, padding=k - 1, flip_kernel=True)
    trace = simulate(spec, x[None], w[None, None])
    assert_close(trace.output[0], np.convolve(x, w, "full"))
    assert len(trace.steps) == len(x) + k - 1


@given(data=signal_and_kernel(valid=True))
def test_flip_kernel_no_padding_equals_np_convolve_valid(data):
    x, w = data
    spec = ConvSpec(input_size=[len(x)], kernel_size=len(w), flip_kernel=True)
    assert_close(simulate(spec, x[None], w[None, None]).output[0], np.convolve(x, w, "valid"))
    # ... and without flip_kernel, the same with the reversed kernel (cross-correlation).
    plain = ConvSpec(input_size=[len(x)], kernel_size=len(w))
    assert_close(
        simulate(plain, x[None], w[::-1][None, None]).output[0], np.convolve(x, w, "valid")
    )


@given(case=conv_cases(nd=2, flip=True), seed=SEEDS)
def test_flip_kernel_conv2d_equals_conv2d_of_flipped_weight(torch, case, seed):
    run_case(torch, case, seed)  # the reference applies torch.flip(w, dims=(2, 3))


@given(case=transposed_cases(flip=True), seed=SEEDS)
def test_flip_kernel_conv_transpose_equals_conv_transpose_of_flipped_weight(torch, case, seed):
    run_case(torch, case, seed)  # the reference applies torch.flip over the spatial dims


@pytest.mark.parametrize("op", ["avg_pool", "max_pool"])
def test_ceil_mode_window_wider_than_the_input(torch, op):
    """PyTorch accepts a ceil_mode window wider than the padded input while the overhang is below the stride."""
    x = np.array([[1.0, 2.0, 3.0]])
    spec = ConvSpec(input_size=[3], kernel_size=5, stride=3, op=op, ceil_mode=True)
    trace = simulate(spec, x)
    fn = torch.nn.functional.avg_pool1d if op == "avg_pool" else torch.nn.functional.max_pool1d
    expected = fn(torch.tensor(x)[None], 5, 3, ceil_mode=True)[0].numpy()
    np.testing.assert_allclose(trace.output, expected, rtol=1e-9, atol=1e-9)
    assert trace.steps[0].roles.tolist() == [0, 0, 0, 3, 3]  # two overhang cells, never counted
