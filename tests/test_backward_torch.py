"""Property tests: the backward pass (``convanim.engine.backward``) equals ``torch.autograd`` (float64, 1e-9).

Over random valid layers (1-D, 2-D and 3-D; convolutions with every padding form and mode, per-side padding and
padding values, dilation, groups and flipped kernels; transposed convolutions; average pooling with ``ceil_mode``,
``count_include_pad`` and ``divisor_override``; max pooling with dilation and ``ceil_mode``; adaptive average and
max pooling; pooling on integer inputs, so that windows tie and PyTorch's tie-breaking is tested), and a random
``∂L/∂y``:

* ∂L/∂x, ∂L/∂w and ∂L/∂b equal autograd's;
* after any frame of the shares view, the gradient on the drawn grid is autograd's gradient of the layer with
  respect to its drawn input (built with torch alone: ``F.pad``, zero insertion, the flipped weight) for ∂L/∂y
  with the frames not yet drawn set to zero, and what ends in real input cells is autograd's ∂L/∂x;
* a direct convolution's shares from ``stamp()`` (the transposed convolution's engine) equal those read off the
  trace's windows.

Then a sweep of small layers, every combination of a grid of parameters, against autograd.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_torch import (
    SEEDS,
    Case,
    adaptive_cases,
    assert_close,
    avg_pool_cases,
    conv_cases,
    make_data,
    max_pool_cases,
    torch_layer,
    transposed_cases,
)
from test_views_torch import drawn_input, tensor, weight_as_applied

from convanim.core.spec import ConvSpec
from convanim.engine import simulate
from convanim.engine.backward import bias_gradient, spread, weight_gradient

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

def window_in_padding(case: Case) -> bool:
    """Whether a max-pooling window lies entirely in the padding (from the case's own numbers): PyTorch then
    outputs −∞ and sends that window's gradient to no cell of it (``test_a_window_of_padding_only_is_refused``)."""
    return case.kind == "max_pool" and any(
        not any(0 <= o * s - p + t * d < i for t in range(k))
        for i, k, s, d, p, n_out in zip(case.input_size, case.kernel, case.stride, case.dilation, case.before,
                                        case.spec.output_size)
        for o in range(n_out))


ANY_LAYER = st.one_of(conv_cases(), transposed_cases(), avg_pool_cases(),
                      max_pool_cases().filter(lambda c: not window_in_padding(c)), adaptive_cases())


def data_of(case: Case, seed: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray]:
    """x, weight, bias and ∂L/∂y; pooling inputs are small integers, so windows often tie."""
    rng, x, weight, bias = make_data(case, seed)
    if case.kind.endswith("pool"):
        x = rng.integers(0, 3, size=x.shape).astype(np.float64)
    grad = rng.standard_normal((case.out_channels, *case.spec.output_size))
    return x, weight, bias, grad


def autograd(torch: Any, case: Case, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
             grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(∂L/∂x, ∂L/∂w, ∂L/∂b) for L = Σ ∂L/∂y · y, by torch.autograd."""
    xt = torch.from_numpy(x)[None].requires_grad_(True)
    wt = None if weight is None else torch.from_numpy(weight).requires_grad_(True)
    bt = None if bias is None else torch.from_numpy(bias).requires_grad_(True)
    y = torch_layer(torch, case, xt, wt, bt)
    y.backward(torch.from_numpy(grad)[None])
    return (xt.grad[0].numpy(), None if wt is None else wt.grad.numpy(), None if bt is None else bt.grad.numpy())


def drawn_gradient(torch: Any, case: Case, x: np.ndarray, weight: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """(C_in, *drawn): autograd's gradient of a convolution with respect to its drawn input: the padded input
    (a direct convolution), or the zero-inserted, padded input that the flipped, channel-swapped kernel slides
    over with stride 1 (a transposed convolution; checked here to give conv_transpose's output)."""
    conv = getattr(torch.nn.functional, f"conv{case.nd}d")
    drawn = drawn_input(torch, case, x).detach().requires_grad_(True)
    w = weight_as_applied(torch, case, weight)
    if case.kind == "conv":
        y = conv(drawn, w, stride=case.stride, dilation=case.dilation, groups=case.groups)
    else:
        g, cg_in = case.groups, case.in_channels // case.groups
        swapped = w.reshape(g, cg_in, case.out_channels // g, *case.kernel).transpose(1, 2)
        kernel = torch.flip(swapped.reshape(case.out_channels, cg_in, *case.kernel), dims=list(range(2, 2 + case.nd)))
        y = conv(drawn, kernel, dilation=case.dilation, groups=case.groups)
        assert_close(y.detach()[0].numpy(), torch_layer(torch, case, torch.from_numpy(x)[None], tensor(torch, weight),
                                                        None).detach()[0].numpy())
    y.backward(torch.from_numpy(grad)[None])
    return drawn.grad[0].numpy()


# -- properties ------------------------------------------------------------------------------------------


@given(case=ANY_LAYER, seed=SEEDS)
def test_gradients_equal_autograd(torch, case, seed):
    x, weight, bias, grad = data_of(case, seed)
    trace = simulate(case.spec, x, weight, bias)
    want_x, want_w, want_b = autograd(torch, case, x, weight, bias, grad)
    sp = spread(trace, grad)
    assert_close(sp.grad_input, want_x, "∂L/∂x")
    if weight is not None:
        assert_close(weight_gradient(trace, grad).grad, want_w, "∂L/∂w")
    if bias is not None:
        assert_close(bias_gradient(grad), want_b, "∂L/∂b")


FRAME_EXAMPLES = 100  # each example runs autograd for up to three frames: fewer examples than the profile's


@settings(max_examples=FRAME_EXAMPLES)
@given(case=ANY_LAYER, seed=SEEDS, data=st.data())
def test_every_frame_of_the_shares_is_autograd_of_the_cells_drawn_so_far(torch, case, seed, data):
    x, weight, bias, grad = data_of(case, seed)
    trace = simulate(case.spec, x, weight, bias)
    sp = spread(trace, grad)
    assert sp.n_frames == case.out_channels * math.prod(case.spec.output_size)
    assert sp.grid_shape == trace.grid.shape
    for n in sorted({0, sp.n_frames - 1, data.draw(st.integers(0, sp.n_frames - 1), label="frame")}):
        mask = (np.arange(grad.size) <= n).reshape(grad.shape)  # frames go channel by channel, row by row
        want_x, _, _ = autograd(torch, case, x, weight, bias, grad * mask)
        running = sp.running(n)
        folded = np.zeros(want_x.size)
        sinks = sp.sink_of_cell().ravel()
        np.add.at(folded, sinks[sinks >= 0], running.ravel()[sinks >= 0])
        assert_close(folded.reshape(want_x.shape), want_x, f"∂L/∂x after frame {n}")
        if weight is not None:
            assert_close(running, drawn_gradient(torch, case, x, weight, grad * mask), f"drawn grid, frame {n}")


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_a_window_of_padding_only_is_refused(torch, nd):
    """Max pooling of a 1-wide input with padding 1, kernel 2, dilation 2 along the last axis: both taps of every
    window fall in the padding, the output is −∞, and autograd sends the gradient to a cell of no window (the
    first one's to the next input cell, the second's past the input): spread refuses, the figure too."""
    from convanim.app.pipeline import as_config, scene_of
    from convanim.core.errors import ConfigError

    size, k, s, p, d = (2,) * (nd - 1) + (1,), (1,) * (nd - 1) + (2,), (1,) * (nd - 1) + (2,), \
        (0,) * (nd - 1) + (1,), (1,) * (nd - 1) + (2,)
    spec = ConvSpec(op="max_pool", input_size=size, kernel_size=k, stride=s, padding=p, dilation=d)
    x = np.arange(1.0, 1.0 + math.prod(size)).reshape(1, *size)
    xt = torch.from_numpy(x)[None].requires_grad_(True)
    y = getattr(torch.nn.functional, f"max_pool{nd}d")(xt, k, s, p, d)
    assert torch.isinf(y).all()
    y.backward(torch.ones_like(y))
    # the window's first in-range index is one column past it: in 2-D and 3-D the next row's first cell, which no
    # window tapped, gets the gradient; in 1-D it is past the input and the gradient is lost
    assert (xt.grad.sum() > 0) if nd > 1 else (xt.grad.sum() == 0)
    with pytest.raises(ValueError, match="lies entirely in the padding"):
        spread(simulate(spec, x), np.ones((1, *spec.output_size)))
    with pytest.raises(ConfigError, match="render.pass: the max-pooling window of output .* lies entirely in the "
                                          "padding"):
        scene_of(as_config(op="max_pool", input_size=list(size), kernel_size=list(k), stride=list(s),
                           padding=list(p), dilation=list(d), render={"pass": "backward"}))


@given(case=conv_cases(), seed=SEEDS)
def test_a_convolutions_shares_are_stamps_of_the_transposed_convolution(case, seed):
    x, weight, bias, grad = data_of(case, seed)
    trace = simulate(case.spec, x, weight, bias)
    stamped, read = spread(trace, grad), spread(trace, grad, use_stamp=False)
    np.testing.assert_array_equal(stamped.targets, read.targets)
    np.testing.assert_array_equal(stamped.channels, read.channels)
    assert_close(stamped.amounts, read.amounts)
    np.testing.assert_array_equal(stamped.sinks, read.sinks)


# -- a sweep -----------------------------------------------------------------------------------------------


def sweep_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every combination of a small grid of parameters, 1-D and 2-D: (kind, keyword arguments)."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for nd, k, s, p, d in itertools.product((1, 2), (1, 2, 3), (1, 2, 3), (0, 1, 2), (1, 2)):
        size = [5 + nd] * nd
        if d * (k - 1) + 1 <= size[0] + 2 * p:
            cases.append(("conv", dict(input_size=size, kernel_size=k, stride=s, padding=p, dilation=d,
                                       in_channels=2, out_channels=2, groups=2 if s == 2 else 1, bias=True)))
        if s > 1 or d > 1:
            for op in range(max(s, d)):
                spec = dict(input_size=[3] * nd, kernel_size=k, stride=s, padding=min(p, k - 1), dilation=d,
                            output_padding=op, transposed=True, bias=True, out_channels=2)
                cases.append(("transposed", spec))
        if 2 * p <= k:
            for ceil, include in itertools.product((False, True), (False, True)):
                cases.append(("avg_pool", dict(input_size=size, op="avg_pool", kernel_size=k, stride=s, padding=p,
                                               ceil_mode=ceil, count_include_pad=include)))
            cases.append(("max_pool", dict(input_size=size, op="max_pool", kernel_size=k, stride=s, padding=p,
                                           dilation=d, ceil_mode=s > 1)))
    for mode in ("reflect", "replicate", "circular"):
        cases.append(("conv", dict(input_size=[6, 5], kernel_size=[3, 2], padding=[2, 1], padding_mode=mode)))
        cases.append(("conv", dict(input_size=[7], kernel_size=4, padding="same", padding_mode=mode)))
    return cases


SWEEP = sweep_cases()


def case_of(kind: str, keys: dict[str, Any]) -> Case:
    spec = ConvSpec(**keys)
    nd = spec.ndim
    before = spec.pad_before
    after = spec.pad_after
    torch_padding: Any = spec.padding if isinstance(spec.padding, str) else tuple(spec.padding)
    if spec.padding_mode.value != "zeros":
        torch_padding = before
    return Case(spec=spec, kind=kind, nd=nd, input_size=spec.input_size, kernel=spec.kernel_size, stride=spec.stride,
                dilation=spec.dilation, before=before, after=after, torch_padding=torch_padding,
                padding_mode=spec.padding_mode.value, output_padding=spec.output_padding,
                in_channels=spec.in_channels, out_channels=spec.out_channels, groups=spec.groups, bias=spec.bias,
                ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad)


def test_the_sweep_is_large_and_covers_every_kind():
    kinds = {kind for kind, _ in SWEEP}
    assert kinds == {"conv", "transposed", "avg_pool", "max_pool"} and len(SWEEP) > 400


@pytest.mark.parametrize("index", range(0, len(SWEEP), 1 + len(SWEEP) // 120))
def test_sweep(torch, index):
    """The sweep in slices (each test runs a run of consecutive cases, so a failure names a small group)."""
    step = 1 + len(SWEEP) // 120
    for kind, keys in SWEEP[index:index + step]:
        case = case_of(kind, keys)
        for seed in (0, 1):
            x, weight, bias, grad = data_of(case, seed)
            trace = simulate(case.spec, x, weight, bias)
            want_x, want_w, want_b = autograd(torch, case, x, weight, bias, grad)
            sp = spread(trace, grad)
            assert_close(sp.grad_input, want_x, f"{kind} {keys}: ∂L/∂x")
            assert_close(sp.grid.sum(), sp.amounts.sum(), f"{kind} {keys}: every share lands on the grid")
            if weight is not None:
                assert_close(weight_gradient(trace, grad).grad, want_w, f"{kind} {keys}: ∂L/∂w")
            if bias is not None:
                assert_close(bias_gradient(grad), want_b, f"{kind} {keys}: ∂L/∂b")
