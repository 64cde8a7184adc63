"""ConvSpec validation mirrors PyTorch: it refuses what PyTorch refuses, and normalises the rest."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from convanim.core.errors import SpecError
from convanim.core.spec import ConvSpec, PaddingMode
from convanim.engine import simulate

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TOL = {"rtol": 1e-9, "atol": 1e-9}
TORCH_REFUSES = (RuntimeError, ValueError, TypeError, ZeroDivisionError)  # no such argument; lp norm 0


def _x(torch: Any, *shape: int) -> Any:
    return torch.ones(1, *shape, dtype=torch.float64)


def _w(torch: Any, *shape: int) -> Any:
    return torch.ones(*shape, dtype=torch.float64)


# id: (ConvSpec kwargs, the key, substrings of the message naming the bad value,
#      the same layer in PyTorch (a callable taking the torch module), or None when torch cannot
#      express it)
REFUSED: dict[str, tuple[dict[str, Any], str, tuple[str, ...], Callable[[Any], Any] | None]] = {
    "stride 0": (
        {"input_size": [5], "kernel_size": 3, "stride": 0},
        "stride",
        ("got 0",),
        lambda t: t.nn.functional.conv1d(_x(t, 1, 5), _w(t, 1, 1, 3), stride=0),
    ),
    "stride 0 on one axis": (
        {"input_size": [5, 5], "kernel_size": 3, "stride": [1, 0]},
        "stride",
        ("got [1, 0]",),
        lambda t: t.nn.functional.conv2d(_x(t, 1, 5, 5), _w(t, 1, 1, 3, 3), stride=(1, 0)),
    ),
    "dilation 0": (
        {"input_size": [5], "kernel_size": 3, "dilation": 0},
        "dilation",
        ("got 0",),
        lambda t: t.nn.functional.conv1d(_x(t, 1, 5), _w(t, 1, 1, 3), dilation=0),
    ),
    "negative padding": (
        {"input_size": [5], "kernel_size": 3, "padding": -1},
        "padding",
        ("got -1",),
        lambda t: t.nn.functional.conv1d(_x(t, 1, 5), _w(t, 1, 1, 3), padding=-1),
    ),
    "negative pooling padding": (
        {"input_size": [5], "kernel_size": 3, "padding": -1, "op": "avg_pool"},
        "padding",
        ("got -1",),
        lambda t: t.nn.functional.avg_pool1d(_x(t, 1, 5), 3, padding=-1),
    ),
    "kernel larger than the input": (
        {"input_size": [3], "kernel_size": 5},
        "kernel_size",
        ("(5)", "(3)"),
        lambda t: t.nn.functional.conv1d(_x(t, 1, 3), _w(t, 1, 1, 5)),
    ),
    "dilated kernel larger than the padded input": (
        {"input_size": [2, 6], "kernel_size": 3, "dilation": 2, "padding": [1, 0]},
        "kernel_size",
        ("(5)", "(4)"),
        lambda t: t.nn.functional.conv2d(
            _x(t, 1, 2, 6), _w(t, 1, 1, 3, 3), dilation=2, padding=(1, 0)
        ),
    ),
    "pooling kernel larger than the input": (
        {"input_size": [3], "kernel_size": 4, "op": "avg_pool"},
        "kernel_size",
        ("(4)", "(3)"),
        lambda t: t.nn.functional.avg_pool1d(_x(t, 1, 3), 4),
    ),
    "output_padding equal to stride": (
        {"input_size": [5], "kernel_size": 3, "stride": 2, "transposed": True, "output_padding": 2},
        "output_padding",
        ("got 2",),
        lambda t: t.nn.functional.conv_transpose1d(
            _x(t, 1, 5), _w(t, 1, 1, 3), stride=2, output_padding=2
        ),
    ),
    "output_padding equal to dilation, stride 1": (
        {
            "input_size": [5],
            "kernel_size": 3,
            "dilation": 2,
            "transposed": True,
            "output_padding": 2,
        },
        "output_padding",
        ("got 2",),
        lambda t: t.nn.functional.conv_transpose1d(
            _x(t, 1, 5), _w(t, 1, 1, 3), dilation=2, output_padding=2
        ),
    ),
    "output_padding on one axis": (
        {
            "input_size": [5, 5],
            "kernel_size": 3,
            "stride": [2, 1],
            "transposed": True,
            "output_padding": [1, 1],
        },
        "output_padding",
        ("got 1",),
        lambda t: t.nn.functional.conv_transpose2d(
            _x(t, 1, 5, 5), _w(t, 1, 1, 3, 3), stride=(2, 1), output_padding=(1, 1)
        ),
    ),
    "avg_pool padding over half the kernel": (
        {"input_size": [5], "kernel_size": 3, "padding": 2, "op": "avg_pool"},
        "padding",
        ("got 2",),
        lambda t: t.nn.functional.avg_pool1d(_x(t, 1, 5), 3, padding=2),
    ),
    "avg_pool2d padding over half the kernel": (
        {"input_size": [6, 6], "kernel_size": [4, 2], "padding": [2, 2], "op": "avg_pool"},
        "padding",
        ("got 2",),
        lambda t: t.nn.functional.avg_pool2d(_x(t, 1, 6, 6), (4, 2), padding=(2, 2)),
    ),
    "max_pool padding over half the kernel": (
        {"input_size": [5], "kernel_size": 3, "padding": 2, "op": "max_pool"},
        "padding",
        ("got 2",),
        lambda t: t.nn.functional.max_pool1d(_x(t, 1, 5), 3, padding=2),
    ),
    "max_pool2d padding over half the kernel": (
        {"input_size": [5, 5], "kernel_size": 2, "padding": 2, "op": "max_pool"},
        "padding",
        ("got 2",),
        lambda t: t.nn.functional.max_pool2d(_x(t, 1, 5, 5), 2, padding=2),
    ),
    "groups not dividing in_channels": (
        {"input_size": [5], "in_channels": 3, "out_channels": 4, "groups": 2},
        "groups",
        ("got 2", "in_channels=3"),
        lambda t: t.nn.Conv1d(3, 4, 3, groups=2),
    ),
    "groups not dividing out_channels": (
        {"input_size": [5], "in_channels": 4, "out_channels": 3, "groups": 2},
        "groups",
        ("got 2", "out_channels=3"),
        lambda t: t.nn.Conv1d(4, 3, 3, groups=2),
    ),
    "groups not dividing, transposed": (
        {"input_size": [5], "in_channels": 2, "out_channels": 3, "groups": 2, "transposed": True},
        "groups",
        ("got 2", "out_channels=3"),
        lambda t: t.nn.ConvTranspose1d(2, 3, 3, groups=2),
    ),
    "'same' with stride 2": (
        {"input_size": [5], "kernel_size": 3, "padding": "same", "stride": 2},
        "padding",
        ("'same'", "stride=2"),
        lambda t: t.nn.functional.conv1d(_x(t, 1, 5), _w(t, 1, 1, 3), padding="same", stride=2),
    ),
    "reflect padding equal to the input size": (
        {"input_size": [3], "kernel_size": 3, "padding": 3, "padding_mode": "reflect"},
        "padding",
        ("got 3", "(3)"),
        lambda t: t.nn.Conv1d(1, 1, 3, padding=3, padding_mode="reflect").double()(_x(t, 1, 3)),
    ),
    "reflect 'same' padding: the larger end side reaches the input size": (
        {"input_size": [2], "kernel_size": 4, "padding": "same", "padding_mode": "reflect"},
        "padding",
        ("got 2", "(2)"),
        lambda t: t.nn.Conv1d(1, 1, 4, padding="same", padding_mode="reflect").double()(
            _x(t, 1, 2)
        ),
    ),
    "circular padding over the input size": (
        {"input_size": [2, 4], "kernel_size": 3, "padding": 3, "padding_mode": "circular"},
        "padding",
        ("got 3", "(2)"),
        lambda t: t.nn.Conv2d(1, 1, 3, padding=3, padding_mode="circular").double()(_x(t, 1, 2, 4)),
    ),
    "transposed with reflect padding": (
        {"input_size": [5, 5], "kernel_size": 3, "transposed": True, "padding_mode": "reflect"},
        "padding_mode",
        ("'reflect'",),
        lambda t: t.nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect"),
    ),
    "transposed with circular padding": (
        {"input_size": [5], "kernel_size": 3, "transposed": True, "padding_mode": "circular"},
        "padding_mode",
        ("'circular'",),
        lambda t: t.nn.ConvTranspose1d(1, 1, 3, padding_mode="circular"),
    ),
    "transposed output size below 1": (
        {"input_size": [1], "kernel_size": 1, "padding": 1, "transposed": True},
        "padding",
        ("-1",),
        lambda t: t.nn.functional.conv_transpose1d(_x(t, 1, 1), _w(t, 1, 1, 1), padding=1),
    ),
    "transposed 2-D output size below 1 on one axis": (
        {"input_size": [3, 1], "kernel_size": [2, 1], "padding": [1, 1], "transposed": True},
        "padding",
        ("[2, -1]",),
        lambda t: t.nn.functional.conv_transpose2d(
            _x(t, 1, 3, 1), _w(t, 1, 1, 2, 1), padding=(1, 1)
        ),
    ),
    "input size 0": (
        {"input_size": [0], "kernel_size": 1},
        "input_size",
        ("[0]",),
        lambda t: t.nn.functional.conv1d(_x(t, 1, 0), _w(t, 1, 1, 1)),
    ),
    "3-D kernel larger than the input": (
        {"input_size": [2, 5, 5], "kernel_size": 3},
        "kernel_size",
        ("(3)", "(2)"),
        lambda t: t.nn.functional.conv3d(_x(t, 1, 2, 5, 5), _w(t, 1, 1, 3, 3, 3)),
    ),
    "3-D avg_pool kernel larger than the unpadded input": (
        {"input_size": [1, 4, 4], "kernel_size": 2, "padding": 1, "op": "avg_pool"},
        "kernel_size",
        ("before padding",),
        lambda t: t.nn.functional.avg_pool3d(_x(t, 1, 1, 4, 4), 2, padding=1),
    ),
    "reflect padding per side reaching the input size": (
        {"input_size": [3], "kernel_size": 2, "padding": [[3, 0]], "padding_mode": "reflect"},
        "padding",
        ("got 3", "(3)"),
        lambda t: t.nn.functional.pad(_x(t, 1, 3), (3, 0), mode="reflect"),
    ),
    "circular padding per side over the input size": (
        {"input_size": [2, 2, 4], "kernel_size": 1, "padding": [[0, 0], [0, 3], [0, 0]],
         "padding_mode": "circular"},
        "padding",
        ("got 3", "(2)"),
        lambda t: t.nn.functional.pad(_x(t, 1, 2, 2, 4), (0, 0, 0, 3, 0, 0), mode="circular"),
    ),
    "divisor_override 0": (
        {"input_size": [4, 4], "kernel_size": 2, "op": "avg_pool", "divisor_override": 0},
        "divisor_override",
        ("got 0",),
        lambda t: t.nn.functional.avg_pool2d(_x(t, 1, 4, 4), 2, divisor_override=0),
    ),
    "divisor_override in 1-D": (
        {"input_size": [4], "kernel_size": 2, "op": "avg_pool", "divisor_override": 3},
        "divisor_override",
        ("AvgPool1d",),
        lambda t: t.nn.AvgPool1d(2, divisor_override=3),
    ),
    "lp_pool with norm_type 0": (
        {"input_size": [4], "op": "lp_pool", "norm_type": 0, "kernel_size": 2},
        "norm_type",
        ("not be 0",),
        lambda t: t.nn.functional.lp_pool1d(_x(t, 1, 4), 0.0, 2),
    ),
    "3-D lp_pool kernel larger than the input (ceil_mode)": (
        {"input_size": [3, 3, 3], "op": "lp_pool", "norm_type": 2, "kernel_size": [1, 1, 4], "stride": [1, 1, 3],
         "ceil_mode": True},
        "kernel_size",
        ("before padding",),
        lambda t: t.nn.functional.lp_pool3d(_x(t, 1, 3, 3, 3), 2.0, (1, 1, 4), (1, 1, 3), ceil_mode=True),
    ),
    # Not expressible in torch (no such argument) but refused with the field named:
    "padding per side on a transposed convolution": (
        {"input_size": [5], "kernel_size": 3, "padding": [[1, 0]], "transposed": True},
        "padding",
        ("transposed",),
        None,
    ),
    "padding per side on pooling": (
        {"input_size": [5], "kernel_size": 2, "padding": [[1, 0]], "op": "max_pool"},
        "padding",
        ("both sides alike",),
        None,
    ),
    "a bare pair for 1-D padding": (
        {"input_size": [5], "kernel_size": 2, "padding": [2, 0]},
        "padding",
        ("[[2, 0]]", "[2, 0]"),
        None,
    ),
    "negative padding on one side": (
        {"input_size": [5, 5], "kernel_size": 2, "padding": [[1, -1], 0]},
        "padding",
        (">= 0 on every side", "[[1, -1], [0, 0]]"),
        None,
    ),
    "padding_value with reflect padding": (
        {"input_size": [5], "padding": 1, "padding_mode": "reflect", "padding_value": 1},
        "padding_value",
        ("'zeros'",),
        None,
    ),
    "padding_value on pooling": (
        {"input_size": [5], "op": "avg_pool", "padding": 1, "padding_value": 1},
        "padding_value",
        ("direct convolution",),
        None,
    ),
    "output_size of a convolution that is not its output": (
        {"input_size": [5], "kernel_size": 3, "output_size": 5},
        "output_size",
        ("output is 3", "got 5", "adaptive"),
        None,
    ),
    "adaptive pooling without output_size": (
        {"input_size": [5], "op": "adaptive_avg_pool"},
        "output_size",
        ("needs output_size",),
        None,
    ),
    "adaptive pooling with a kernel_size": (
        {"input_size": [5], "op": "adaptive_max_pool", "output_size": 2, "kernel_size": 2},
        "kernel_size",
        ("remove kernel_size",),
        None,
    ),
    "adaptive pooling with padding": (
        {"input_size": [5], "op": "adaptive_avg_pool", "output_size": 2, "padding": 1},
        "padding",
        ("no padding",),
        None,
    ),
    "adaptive pooling with ceil_mode": (
        {"input_size": [5], "op": "adaptive_avg_pool", "output_size": 2, "ceil_mode": True},
        "ceil_mode",
        ("no ceil_mode",),
        None,
    ),
    "divisor_override on max_pool": (
        {"input_size": [4, 4], "op": "max_pool", "divisor_override": 2},
        "divisor_override",
        ("avg_pool only",),
        None,
    ),
    "lp_pool without norm_type": (
        {"input_size": [4], "op": "lp_pool", "kernel_size": 2},
        "norm_type",
        ("needs norm_type",),
        None,
    ),
    "lp_pool with padding": (
        {"input_size": [4], "op": "lp_pool", "norm_type": 2, "kernel_size": 2, "padding": 1},
        "padding",
        ("no padding",),
        None,
    ),
    "norm_type on avg_pool": (
        {"input_size": [4], "op": "avg_pool", "norm_type": 2, "kernel_size": 2},
        "norm_type",
        ("lp_pool only",),
        None,
    ),
    "four spatial dimensions": (
        {"input_size": [2, 2, 2, 2]},
        "input_size",
        ("1 to 3 ints",),
        None,
    ),
    "unknown padding string": (
        {"input_size": [5], "padding": "full"},
        "padding",
        ("'full'",),
        None,
    ),
    "unknown padding mode": (
        {"input_size": [5], "padding_mode": "mirror"},
        "padding_mode",
        ("'mirror'",),
        None,
    ),
    "kernel list of the wrong length": (
        {"input_size": [5], "kernel_size": [3, 3]},
        "kernel_size",
        ("[3, 3]",),
        None,
    ),
    "ceil_mode on a convolution": (
        {"input_size": [5], "ceil_mode": True},
        "ceil_mode",
        ("pooling only",),
        None,
    ),
    "avg_pool with dilation": (
        {"input_size": [5], "op": "avg_pool", "dilation": 2},
        "dilation",
        ("got 2",),
        None,
    ),
    "pooling with bias": (
        {"input_size": [5], "op": "max_pool", "bias": True},
        "bias",
        ("max_pool",),
        None,
    ),
    "bool as an int": ({"input_size": [5], "in_channels": True}, "in_channels", ("True",), None),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_spec_refuses(name):
    kwargs, key, needles, _ = REFUSED[name]
    with pytest.raises(SpecError) as info:
        ConvSpec(**kwargs)
    err = info.value
    assert err.key == key, f"{name}: the error names {err.key!r}, expected {key!r} ({err})"
    for needle in needles:
        assert needle in err.message, f"{name}: {needle!r} not in {err.message!r}"
    assert str(err) == f"{key}: {err.message}"
    assert isinstance(err, ValueError)


@pytest.mark.parametrize("name", [n for n, case in REFUSED.items() if case[3] is not None])
def test_torch_refuses_it_too(torch, name):
    layer = REFUSED[name][3]
    with pytest.raises(TORCH_REFUSES):
        layer(torch)


def test_transposed_same_padding_is_refused_like_torch(torch):
    with pytest.raises(SpecError) as info:
        ConvSpec(input_size=[5], kernel_size=3, padding="same", transposed=True)
    assert info.value.key == "padding" and "'same'" in info.value.message
    with pytest.raises((RuntimeError, ValueError, TypeError)):
        torch.nn.functional.conv_transpose1d(_x(torch, 1, 5), _w(torch, 1, 1, 3), padding="same")


# -- max_pool padding with dilation: the spec is looser than PyTorch -------------------------------

MAX_POOL_DILATED_PADDING = {
    "input_size": [5],
    "kernel_size": 3,
    "dilation": 2,
    "padding": 2,
    "op": "max_pool",
}


def test_torch_limits_max_pool_padding_by_the_undilated_kernel(torch):
    """PyTorch 2.13 refuses max-pool padding over k // 2 even when the dilated kernel is wider."""
    F = torch.nn.functional
    with pytest.raises(TORCH_REFUSES):
        F.max_pool1d(_x(torch, 1, 5), 3, stride=1, padding=2, dilation=2)
    with pytest.raises(TORCH_REFUSES):
        F.max_pool2d(_x(torch, 1, 5, 5), 3, stride=1, padding=2, dilation=2)
    assert F.max_pool1d(_x(torch, 1, 5), 3, stride=1, padding=1, dilation=2).shape[-1] == 3


def test_spec_refuses_max_pool_padding_over_half_the_undilated_kernel():
    with pytest.raises(SpecError) as info:
        ConvSpec(**MAX_POOL_DILATED_PADDING)
    assert info.value.key == "padding"


# -- ceil_mode pooling over an input smaller than the window: the spec is stricter than PyTorch ----

CEIL_MODE_OVERHANG = {
    "input_size": [3],
    "kernel_size": 5,
    "stride": 3,
    "op": "avg_pool",
    "ceil_mode": True,
}


def test_torch_runs_ceil_mode_pooling_whose_window_is_wider_than_the_input(torch):
    """In ceil_mode PyTorch accepts a (dilated) kernel up to stride-1 cells wider than the padded
    input."""
    F = torch.nn.functional
    x = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64)
    assert F.avg_pool1d(x, 5, 3, ceil_mode=True).flatten().tolist() == [2.0]
    assert F.avg_pool1d(x, 5, 3, ceil_mode=True, count_include_pad=False).flatten().tolist() == [
        2.0
    ]
    assert F.max_pool1d(x, 5, 3, ceil_mode=True).flatten().tolist() == [3.0]
    with pytest.raises(TORCH_REFUSES):  # without ceil_mode it is refused
        F.avg_pool1d(x, 5, 3)


def test_spec_accepts_ceil_mode_pooling_whose_window_is_wider_than_the_input():
    spec = ConvSpec(**CEIL_MODE_OVERHANG)
    assert spec.output_size == (1,)
    np.testing.assert_allclose(simulate(spec, np.array([[1.0, 2.0, 3.0]])).output, [[2.0]], **TOL)


# -- acceptance agrees with PyTorch on arbitrary (mostly invalid) arguments ------------------------


@st.composite
def raw_layers(draw: st.DrawFn) -> tuple[str, int, dict[str, Any]]:
    """Arbitrary small arguments, valid or not, in the ranges where the validation rules bite: 1-D to 3-D,
    padding per side, adaptive pooling, divisor_override."""
    nd = draw(st.sampled_from([1, 2, 3]))

    def axes(lo: int, hi: int, bad: int) -> list[int]:
        """Values in [lo, hi], and now and then one in [bad, lo) that is never valid."""
        return [
            draw(st.integers(bad, lo - 1) if draw(st.integers(0, 39)) == 0 else st.integers(lo, hi))
            for _ in range(nd)
        ]

    kinds = ["conv", "conv", "sides", "transposed", "avg_pool", "max_pool", "lp_pool", "adaptive_avg_pool",
             "adaptive_max_pool"]
    kind = draw(st.sampled_from(kinds))
    kw: dict[str, Any] = {"input_size": axes(1, 9 if nd < 3 else 5, 0)}
    if kind.startswith("adaptive"):
        kw.update(op=kind, output_size=axes(1, 6, 0))
        return kind, nd, kw
    kw.update(kernel_size=axes(1, 4, 0), stride=axes(1, 3, 0))
    if kind == "lp_pool":
        kw.update(op=kind, ceil_mode=draw(st.booleans()), norm_type=draw(st.sampled_from([2.0, 1.5, -1.0, 0.0])))
        return kind, nd, kw
    padding: Any = axes(0, 3, -1)
    if kind == "conv" and draw(st.integers(0, 5)) == 0:
        padding = draw(st.sampled_from(["same", "valid"]))
    if kind == "sides":
        padding = [[b, a] for b, a in zip(axes(0, 3, -1), axes(0, 3, -1), strict=True)]
    kw["padding"] = padding
    if kind != "avg_pool":
        kw["dilation"] = axes(1, 3, 0)
    if kind in ("conv", "sides", "transposed"):
        groups = draw(st.integers(1, 3))
        kw.update(
            in_channels=groups * draw(st.integers(1, 2)) + draw(st.sampled_from([0, 0, 0, 1])),
            out_channels=groups * draw(st.integers(1, 2)) + draw(st.sampled_from([0, 0, 0, 1])),
            groups=groups,
            padding_mode=draw(
                st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"])
            ),
        )
        if kind == "transposed":
            kw.update(transposed=True, output_padding=[draw(st.integers(0, 2)) for _ in range(nd)])
    else:
        kw.update(op=kind, ceil_mode=draw(st.booleans()))
        if kind == "avg_pool":
            kw["count_include_pad"] = draw(st.booleans())
            if draw(st.integers(0, 3)) == 0:
                kw["divisor_override"] = draw(st.sampled_from([-2, 0, 1, 3]))
    return kind, nd, kw


def torch_layer(torch: Any, kind: str, nd: int, kw: dict[str, Any]) -> Any:
    nn = torch.nn
    if kind.startswith("adaptive"):
        name = "AdaptiveAvgPool" if kind == "adaptive_avg_pool" else "AdaptiveMaxPool"
        return getattr(nn, f"{name}{nd}d")(kw["output_size"])
    if kind == "lp_pool":  # nn.LPPool1d multiplies by its kernel_size: an int there
        kernel, stride = (kw["kernel_size"][0], kw["stride"][0]) if nd == 1 else (kw["kernel_size"], kw["stride"])
        return getattr(nn, f"LPPool{nd}d")(kw["norm_type"], kernel, stride, kw["ceil_mode"])
    if kind == "sides":  # the padding module, then the convolution without padding
        pad = {"zeros": "ZeroPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad",
               "circular": "CircularPad"}[kw["padding_mode"]]
        sides = tuple(v for b, a in reversed(kw["padding"]) for v in (b, a))  # F.pad: the last axis first
        return nn.Sequential(getattr(nn, f"{pad}{nd}d")(sides), torch_layer(torch, "conv", nd, {
            **kw, "padding": 0, "padding_mode": "zeros"}))
    if kind == "conv":
        return getattr(nn, f"Conv{nd}d")(
            kw["in_channels"],
            kw["out_channels"],
            kw["kernel_size"],
            kw["stride"],
            kw["padding"],
            kw["dilation"],
            kw["groups"],
            False,
            kw["padding_mode"],
        )
    if kind == "transposed":
        return getattr(nn, f"ConvTranspose{nd}d")(
            kw["in_channels"],
            kw["out_channels"],
            kw["kernel_size"],
            kw["stride"],
            kw["padding"],
            kw["output_padding"],
            kw["groups"],
            False,
            kw["dilation"],
            kw["padding_mode"],
        )
    if kind == "avg_pool":
        extra = {"divisor_override": kw["divisor_override"]} if "divisor_override" in kw else {}
        return getattr(nn, f"AvgPool{nd}d")(
            kw["kernel_size"], kw["stride"], kw["padding"], kw["ceil_mode"], kw["count_include_pad"], **extra
        )
    return getattr(nn, f"MaxPool{nd}d")(
        kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"], ceil_mode=kw["ceil_mode"]
    )


def known_divergence(kind: str, kw: dict[str, Any], spec_error: SpecError | None) -> bool:
    """The deliberate disagreements with PyTorch."""
    if spec_error is None:
        return False
    if kind in ("conv", "sides") and spec_error.key == "padding" and (kw["padding_mode"] != "zeros" or kind == "sides"):
        # Deliberate: F.pad (and every padding module) crops for negative amounts, so torch runs negative
        # reflect / replicate / circular padding, and negative padding per side; the spec refuses negative
        # padding in every mode.
        padding = kw["padding"]
        flat = [v for p in padding for v in (p if isinstance(p, list) else [p])] if not isinstance(padding, str) else []
        return bool(flat) and min(flat) < 0
    if spec_error.key == "input_size" and min(kw["input_size"]) == 0:
        # Deliberate: torch pads an empty input (F.pad, then the convolution) and pools one adaptively (into
        # NaN); an empty input has nothing to draw.
        return kind in ("sides", "adaptive_avg_pool", "adaptive_max_pool")
    if kind.startswith("adaptive") and spec_error.key == "output_size":
        # Deliberate: torch returns an empty tensor for an output size of 0; there is nothing to draw.
        return min(kw["output_size"]) == 0
    return False


@settings(max_examples=3 * settings.default.max_examples)  # cheap: no simulation
@given(layer=raw_layers())
def test_spec_accepts_exactly_what_torch_accepts(torch, layer):
    kind, nd, kw = layer
    spec: ConvSpec | None = None
    spec_error: SpecError | None = None
    try:
        spec = ConvSpec(**kw)
    except SpecError as err:
        spec_error = err
    channels = kw.get("in_channels", 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch_layer(torch, kind, nd, kw).double()
            with torch.no_grad():
                out = module(torch.zeros(1, channels, *kw["input_size"], dtype=torch.float64))
        torch_shape: tuple[int, ...] | None = tuple(out.shape[2:])
    except (RuntimeError, ValueError, TypeError, ZeroDivisionError):  # LPPool with norm_type 0 divides by it
        torch_shape = None
    event(f"{kind}: {'refused' if spec is None else 'accepted'} by the spec")
    if (spec is None) != (torch_shape is None) and known_divergence(kind, kw, spec_error):
        event("known divergence")
        return
    assert (spec is not None) == (torch_shape is not None), (
        f"ConvSpec({kw}) is {'accepted' if spec else 'refused'} but torch "
        f"{'runs' if torch_shape else 'refuses'} it"
    )
    if spec is not None:
        assert spec.output_size == torch_shape


# -- accepted specs --------------------------------------------------------------------------------


def test_asymmetric_sizes_match_torch(torch):
    spec = ConvSpec(
        input_size=(5, 7),
        kernel_size=(2, 3),
        stride=(1, 2),
        padding=(0, 1),
        dilation=(2, 1),
        in_channels=2,
        out_channels=4,
        groups=2,
        bias=True,
    )
    rng = np.random.default_rng(7)
    x, w, b = (
        rng.standard_normal((2, 5, 7)),
        rng.standard_normal(spec.weight_shape()),
        rng.standard_normal(4),
    )
    assert spec.weight_shape() == (4, 1, 2, 3)
    want = torch.nn.functional.conv2d(
        torch.from_numpy(x)[None],
        torch.from_numpy(w),
        torch.from_numpy(b),
        stride=(1, 2),
        padding=(0, 1),
        dilation=(2, 1),
        groups=2,
    )[0].numpy()
    assert spec.output_size == want.shape[1:] == (3, 4)
    np.testing.assert_allclose(simulate(spec, x, w, b).output, want, **TOL)


def test_bare_int_input_size_is_a_square_2d_input():
    spec = ConvSpec(input_size=5)
    assert spec.input_size == (5, 5) and spec.ndim == 2
    assert spec.kernel_size == (3, 3) and spec.stride == (1, 1) and spec.padding == (0, 0)
    assert spec.dilation == (1, 1) and spec.output_padding == (0, 0)
    assert spec.output_size == (3, 3)


def test_one_element_input_list_is_1d():
    spec = ConvSpec(input_size=[5], kernel_size=2)
    assert spec.input_size == (5,) and spec.ndim == 1 and spec.kernel_size == (2,)
    assert spec.weight_shape() == (1, 1, 2)


@pytest.mark.parametrize("container", [list, tuple])
def test_lists_and_tuples_are_normalised_to_tuples(container):
    spec = ConvSpec(
        input_size=container([6, 7]),
        kernel_size=container([3, 2]),
        stride=container([2, 1]),
        padding=container([1, 0]),
        dilation=container([1, 2]),
        transposed=True,
        output_padding=container([1, 1]),
    )
    for name, want in [
        ("input_size", (6, 7)),
        ("kernel_size", (3, 2)),
        ("stride", (2, 1)),
        ("padding", (1, 0)),
        ("dilation", (1, 2)),
        ("output_padding", (1, 1)),
    ]:
        value = getattr(spec, name)
        assert type(value) is tuple and value == want, name
    assert spec == ConvSpec(
        input_size=(6, 7),
        kernel_size=(3, 2),
        stride=(2, 1),
        padding=(1, 0),
        dilation=(1, 2),
        transposed=True,
        output_padding=(1, 1),
    )
    assert hash(spec) == hash(
        ConvSpec(
            input_size=[6, 7],
            kernel_size=[3, 2],
            stride=[2, 1],
            padding=[1, 0],
            dilation=[1, 2],
            transposed=True,
            output_padding=[1, 1],
        )
    )


def test_string_fields_become_enums():
    spec = ConvSpec(input_size=[5], padding=1, padding_mode="circular", op="conv")
    assert spec.padding_mode is PaddingMode.CIRCULAR and spec.padding_mode == "circular"


@pytest.mark.parametrize("op", ["avg_pool", "max_pool"])
@pytest.mark.parametrize("kernel, stride", [(3, (3, 3)), ((2, 3), (2, 3)), ([2, 4], (2, 4))])
def test_pooling_stride_defaults_to_kernel_size(torch, op, kernel, stride):
    spec = ConvSpec(input_size=[8, 9], kernel_size=kernel, op=op)
    assert spec.stride == stride
    pool = torch.nn.functional.max_pool2d if op == "max_pool" else torch.nn.functional.avg_pool2d
    want = pool(
        torch.ones(1, 1, 8, 9, dtype=torch.float64), spec.kernel_size
    )  # torch's stride default
    assert spec.output_size == tuple(want.shape[2:])
    assert ConvSpec(input_size=[8, 9], kernel_size=kernel, op=op, stride=1).stride == (1, 1)


def test_convolution_stride_defaults_to_1():
    assert ConvSpec(input_size=[8, 9], kernel_size=[2, 3]).stride == (1, 1)
    assert ConvSpec(input_size=[8, 9], kernel_size=[2, 3], transposed=True).stride == (1, 1)


@pytest.mark.parametrize(
    "input_size, kernel, dilation, before, after",
    [
        ([7], 4, 1, (1,), (2,)),  # total 3: the odd one at the end
        ([7], 2, 1, (0,), (1,)),
        ([7], 2, 3, (1,), (2,)),  # dilated: total 3
        ([7], 4, 2, (3,), (3,)),  # dilated: total 6, symmetric
        ([7], 3, 1, (1,), (1,)),
        ([6, 5], [4, 2], [1, 1], (1, 0), (2, 1)),
        ([6, 5], [2, 3], [3, 2], (1, 2), (2, 2)),
    ],
)
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_same_padding_puts_the_extra_at_the_end(
    torch, input_size, kernel, dilation, before, after, padding_mode
):
    spec = ConvSpec(
        input_size=input_size,
        kernel_size=kernel,
        dilation=dilation,
        padding="same",
        padding_mode=padding_mode,
        in_channels=2,
        out_channels=3,
        bias=True,
    )
    assert spec.pad_before == before and spec.pad_after == after
    assert spec.output_size == tuple(input_size)
    rng = np.random.default_rng(len(input_size) * 100 + sum(spec.kernel_size))
    x = rng.standard_normal((2, *input_size))
    w, b = rng.standard_normal(spec.weight_shape()), rng.standard_normal(3)
    nd = len(input_size)
    module = getattr(torch.nn, f"Conv{nd}d")(
        2, 3, kernel, dilation=dilation, padding="same", padding_mode=padding_mode, bias=True
    ).double()
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(w))
        module.bias.copy_(torch.from_numpy(b))
        want = module(torch.from_numpy(x)[None])[0].numpy()
        if padding_mode == "zeros":  # the functional form too
            conv = getattr(torch.nn.functional, f"conv{nd}d")
            functional = conv(
                torch.from_numpy(x)[None],
                torch.from_numpy(w),
                torch.from_numpy(b),
                padding="same",
                dilation=dilation,
            )[0].numpy()
            np.testing.assert_allclose(functional, want, **TOL)
    np.testing.assert_allclose(simulate(spec, x, w, b).output, want, **TOL)


def test_valid_padding_is_no_padding():
    spec = ConvSpec(input_size=[7, 6], kernel_size=3, padding="valid")
    assert spec.padding == "valid" and spec.pad_before == spec.pad_after == (0, 0)
    assert spec.output_size == (5, 4)


def test_output_padding_below_dilation_is_accepted_with_stride_1():
    spec = ConvSpec(input_size=[5], kernel_size=3, dilation=2, transposed=True, output_padding=1)
    assert spec.output_size == (10,)  # 4*1 + 2*2 + 1 + 1


# -- torch_line ------------------------------------------------------------------------------------

TORCH_LINE_SPECS = [
    {"input_size": [9], "kernel_size": 3},
    {
        "input_size": [9],
        "kernel_size": 4,
        "stride": 2,
        "padding": 1,
        "dilation": 2,
        "in_channels": 2,
        "out_channels": 4,
        "groups": 2,
        "bias": True,
    },
    {
        "input_size": 7,
        "kernel_size": 3,
        "padding": "same",
        "padding_mode": "reflect",
        "in_channels": 3,
        "out_channels": 6,
        "groups": 3,
    },
    {"input_size": [6, 8], "kernel_size": [2, 3], "padding": "valid", "bias": True},
    {
        "input_size": [6, 8],
        "kernel_size": [2, 3],
        "stride": [2, 1],
        "padding": [1, 2],
        "padding_mode": "circular",
    },
    {
        "input_size": [6, 8],
        "kernel_size": 3,
        "padding": 2,
        "padding_mode": "replicate",
        "dilation": [1, 2],
    },
    {
        "input_size": [4],
        "kernel_size": 3,
        "stride": 2,
        "padding": 1,
        "transposed": True,
        "output_padding": 1,
        "bias": True,
    },
    {
        "input_size": [3, 4],
        "kernel_size": [3, 2],
        "stride": [2, 3],
        "padding": [1, 0],
        "dilation": [2, 1],
        "transposed": True,
        "output_padding": [1, 2],
        "in_channels": 4,
        "out_channels": 2,
        "groups": 2,
    },
    {"input_size": [9], "kernel_size": 3, "op": "avg_pool"},
    {
        "input_size": [7, 8],
        "kernel_size": [3, 2],
        "stride": [2, 1],
        "padding": [1, 1],
        "op": "avg_pool",
        "ceil_mode": True,
        "count_include_pad": False,
        "in_channels": 2,
        "out_channels": 2,
    },
    {
        "input_size": [9],
        "kernel_size": 4,
        "stride": 3,
        "padding": 2,
        "dilation": 2,
        "op": "max_pool",
        "ceil_mode": True,
    },
    {"input_size": 6, "kernel_size": 2, "op": "max_pool", "in_channels": 3},
]


def _tuple(value: Any, nd: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * nd


@pytest.mark.parametrize("kwargs", TORCH_LINE_SPECS, ids=lambda kw: ConvSpec(**kw).torch_line())
def test_torch_line_builds_the_same_layer(torch, kwargs):
    spec = ConvSpec(**kwargs)
    line = spec.torch_line()
    module = eval(line, {"nn": torch.nn})  # noqa: S307 - our own generated line
    nd = spec.ndim
    assert type(module).__name__.endswith(f"{nd}d")
    assert _tuple(module.kernel_size, nd) == spec.kernel_size
    assert _tuple(module.stride, nd) == spec.stride
    if isinstance(spec.padding, str):
        assert module.padding == spec.padding
    else:
        assert _tuple(module.padding, nd) == spec.padding
    if spec.is_pool:
        assert module.ceil_mode == spec.ceil_mode
        if spec.op == "max_pool":
            assert type(module).__name__ == f"MaxPool{nd}d"
            assert _tuple(module.dilation, nd) == spec.dilation
        else:
            assert type(module).__name__ == f"AvgPool{nd}d"
            assert module.count_include_pad == spec.count_include_pad
    else:
        assert type(module).__name__ == (f"ConvTranspose{nd}d" if spec.transposed else f"Conv{nd}d")
        assert (module.in_channels, module.out_channels) == (spec.in_channels, spec.out_channels)
        assert module.dilation == spec.dilation
        assert module.groups == spec.groups
        assert module.output_padding == spec.output_padding
        assert module.padding_mode == spec.padding_mode.value
        assert (module.bias is not None) == spec.bias
        assert tuple(module.weight.shape) == spec.weight_shape()
    # The module computes what simulate() computes.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((spec.in_channels, *spec.input_size))
    module = module.double()
    w = b = None
    if not spec.is_pool:
        w = rng.standard_normal(spec.weight_shape())
        b = rng.standard_normal(spec.out_channels) if spec.bias else None
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(w))
            if b is not None:
                module.bias.copy_(torch.from_numpy(b))
    with torch.no_grad():
        want = module(torch.from_numpy(x)[None])[0].numpy()
    assert want.shape == (spec.out_channels, *spec.output_size)
    np.testing.assert_allclose(simulate(spec, x, w, b).output, want, **TOL)
