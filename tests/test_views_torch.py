"""Property tests of the three explanations against PyTorch (float64, 1e-9), over random valid layers.

* scatter: the running sum after every frame is ``conv_transpose`` (no padding) of the values stamped so far,
  placed on the canvas; the overlap counts are ``conv_transpose`` of ones; the cropped last frame is the layer.
* matrix: ``C`` is ``torch.autograd.functional.jacobian`` of the layer; a convolution's ``Cᵀ`` is the Jacobian
  of the transposed convolution with the same weight; a transposed convolution's ``C`` is the transpose of its
  forward convolution's Jacobian.
* im2col: the patch matrix is ``F.unfold`` of the drawn input (padded, or zero-inserted and padded), built here
  with torch alone (in 3-D, where ``F.unfold`` does not go, ``Tensor.unfold`` along each axis, the same helper
  checked equal to ``F.unfold`` in 1-D and 2-D); patches times the kernel matrix (plus bias) is the layer's output.

The engine behind every view is n-dimensional, so every property draws 1-D, 2-D and 3-D layers (the figures of
the scatter and im2col views refuse 3-D; the matrix view draws it).

The layer strategies and the torch reference come from test_engine_torch, which derives every argument
without ``ConvSpec``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_torch import (
    SEEDS,
    Case,
    assert_close,
    conv_cases,
    make_data,
    torch_layer,
    torch_reference,
    transposed_cases,
)

from convanim.core.arithmetic import forward_of
from convanim.engine import simulate
from convanim.engine.matrix import kernel_matrix, kernel_taps, layer_matrix, layer_taps, patch_matrix
from convanim.engine.scatter import Cell, scatter_of, stamp

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def tensor(torch: Any, a: np.ndarray | None) -> Any:
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def weight_as_applied(torch: Any, case: Case, weight: np.ndarray) -> Any:
    w = tensor(torch, weight)
    return torch.flip(w, dims=list(range(2, 2 + case.nd))) if case.flip else w


def conv_t(torch: Any, case: Case, x: Any, w: Any, b: Any, padding: Any, output_padding: Any) -> Any:
    fn = getattr(torch.nn.functional, f"conv_transpose{case.nd}d")
    return fn(x, w, b, stride=case.stride, padding=padding, output_padding=output_padding, groups=case.groups,
              dilation=case.dilation)


# -- scatter -----------------------------------------------------------------------------------------


@given(case=transposed_cases(), seed=SEEDS, data=st.data())
def test_scatter_running_sums_overlaps_and_output_equal_torch(torch, case, seed, data):
    _, x, weight, bias = make_data(case, seed)
    sc = scatter_of(case.spec, x, weight, bias)
    nd, n_pos = case.nd, math.prod(case.input_size)
    assert sc.n_frames == case.in_channels * n_pos
    assert_close(sc.output, torch_reference(torch, case, x, weight, bias))
    full = tuple((i - 1) * s + d * (k - 1) + 1
                 for i, s, d, k in zip(case.input_size, case.stride, case.dilation, case.kernel, strict=True))
    assert sc.full_size == full
    w = weight_as_applied(torch, case, weight)
    ones_kernel = torch.ones((case.in_channels, 1, *case.kernel), dtype=torch.float64)
    for n in sorted({-1, 0, sc.n_frames - 1, data.draw(st.integers(0, sc.n_frames - 1), label="frame")}):
        stamped = np.zeros(case.in_channels * n_pos)
        stamped[:n + 1] = 1.0  # frames go channel by channel, row by row
        mask = stamped.reshape(x.shape)
        zeros = (0,) * nd
        want = np.zeros((case.out_channels, *sc.canvas_size))
        region = (slice(None), *(slice(0, f) for f in full))
        want[region] = conv_t(torch, case, tensor(torch, x * mask)[None], w, None, zeros, zeros)[0].numpy()
        if bias is not None:
            want += bias.reshape(-1, *(1,) * nd)
        assert_close(sc.running(n), want, f"running sum after frame {n}")
        count = np.zeros(sc.canvas_size)
        ones = replace(case, groups=case.in_channels)  # each channel counts its own stamps
        count[region[1:]] = conv_t(torch, ones, tensor(torch, mask)[None], ones_kernel, None, zeros,
                                   zeros)[0].sum(0).numpy()
        np.testing.assert_array_equal(sc.overlaps(n), count)


@given(case=transposed_cases(), seed=SEEDS)
def test_scatter_canvas_roles(case, seed):
    """Cropped: ``padding`` cells at the start and whatever lies past the output; extra: the output's last
    ``output_padding`` cells, which the crop at the end would otherwise have taken."""
    _, x, weight, bias = make_data(case, seed)
    sc = scatter_of(case.spec, x, weight, bias)
    assert sc.output_size == case.spec.output_size
    axes = []
    for n in range(case.nd):
        o, p, op = sc.output_size[n], case.before[n], case.output_padding[n]
        line = [Cell.CROPPED] * p + [Cell.KEPT] * max(o - op, 0) + [Cell.EXTRA] * min(op, o)
        axes.append(line + [Cell.CROPPED] * (sc.canvas_size[n] - len(line)))
        assert sc.canvas_size[n] >= max(len(line), sc.full_size[n])
    want = np.maximum.reduce(np.meshgrid(*axes, indexing="ij"))  # cropped on any axis beats extra beats kept
    np.testing.assert_array_equal(sc.role, want)


def test_stamp_is_general_one_value_one_kernel():
    """The stamp primitive on its own: 1-D, one value, stride and crop: a kernel copy, shifted and cut."""
    sc = stamp(np.array([[0.0, 2.0]]), np.array([[[1.0, 2.0, 3.0]]]), stride=(3,), padding=(1,))
    assert sc.canvas_size == (6,) and sc.output_size == (4,)
    assert sc.running(1).tolist() == [[0, 0, 0, 2, 4, 6]]
    assert sc.output.tolist() == [[0, 0, 2, 4]]
    assert sc.role.tolist() == [Cell.CROPPED, Cell.KEPT, Cell.KEPT, Cell.KEPT, Cell.KEPT, Cell.CROPPED]


# -- matrix ------------------------------------------------------------------------------------------


def jacobian(torch: Any, fn: Any, x: np.ndarray) -> np.ndarray:
    xt = torch.from_numpy(x)
    jac = torch.autograd.functional.jacobian(fn, xt, vectorize=True)
    n_in = x.size
    return jac.reshape(-1, n_in).numpy()


JACOBIAN_EXAMPLES = 100  # a Jacobian costs one backward pass per output cell: fewer examples than the profile's


@settings(max_examples=JACOBIAN_EXAMPLES)
@given(case=conv_cases(), seed=SEEDS)
def test_matrix_of_a_convolution_is_its_jacobian_and_its_transpose_the_transposed_layers(torch, case, seed):
    _, x, weight, bias = make_data(case, seed)
    trace = simulate(case.spec, x, weight, bias)
    matrix = layer_matrix(trace)
    assert_close(matrix, jacobian(torch, lambda z: _torch_layer(torch, case, z, weight, bias), x))
    # y = C·x + y(0): the layer at a zero input is the bias, plus the padding values' products when padding_value
    # is not 0 (an affine layer, which the matrix figure refuses; C is still its Jacobian)
    at_zero = _torch_layer(torch, case, torch.zeros(x.shape, dtype=torch.float64), weight, bias).detach().numpy()
    if case.padding_value == 0:
        assert_close(at_zero.ravel(), 0 if bias is None else np.repeat(bias, math.prod(case.spec.output_size)))
    assert_close(matrix @ x.ravel() + at_zero.ravel(), trace.output.ravel())
    taps = layer_taps(trace)
    assert not np.any(matrix[~taps])  # entries off the taps are zero
    if case.padding_mode != "zeros" or case.before != case.after:
        return  # a transposed convolution pads the same zeros on both sides
    out = case.spec.output_size
    # the output_padding that makes the transposed convolution's output the convolution's input size
    op = tuple(i + 2 * p - d * (k - 1) - 1 - (o - 1) * s for i, p, d, k, o, s in
               zip(case.input_size, case.before, case.dilation, case.kernel, out, case.stride, strict=True))
    w = weight_as_applied(torch, case, weight)
    y = np.random.default_rng(seed).standard_normal((case.out_channels, *out))
    transposed = jacobian(torch, lambda z: conv_t(torch, case, z[None], w, None, case.before, op)[0], y)
    assert_close(matrix.T, transposed)


def _torch_layer(torch: Any, case: Case, z: Any, weight: np.ndarray, bias: np.ndarray | None) -> Any:
    """The layer on a torch tensor (for autograd), as torch_reference computes it."""
    return torch_layer(torch, case, z[None], tensor(torch, weight), tensor(torch, bias))[0]


@settings(max_examples=JACOBIAN_EXAMPLES)
@given(case=transposed_cases(), seed=SEEDS)
def test_matrix_of_a_transposed_convolution_is_its_jacobian_and_the_forward_ct(torch, case, seed):
    _, x, weight, bias = make_data(case, seed)
    trace = simulate(case.spec, x, weight, bias)
    matrix = layer_matrix(trace)
    assert_close(matrix, jacobian(torch, lambda z: _torch_layer(torch, case, z, weight, bias), x))
    # the forward convolution: same kernel_size, stride, padding, dilation and weight, shapes swapped
    forward = forward_of(case.spec)
    assert forward.input_size == case.spec.output_size
    assert (forward.in_channels, forward.out_channels) == (case.out_channels, case.in_channels)
    w = weight_as_applied(torch, case, weight)
    conv = getattr(torch.nn.functional, f"conv{case.nd}d")
    y = np.random.default_rng(seed).standard_normal((case.out_channels, *case.spec.output_size))
    jac_forward = jacobian(torch, lambda z: conv(z[None], w, None, stride=case.stride, padding=case.before,
                                                  dilation=case.dilation, groups=case.groups)[0], y)
    # the forward conv maps the transposed output back to at least the transposed input's size
    rows = np.arange(jac_forward.shape[0]).reshape(case.in_channels, *forward.output_size)
    kept = rows[(slice(None), *(slice(0, i) for i in case.input_size))].ravel()
    assert_close(matrix, jac_forward[kept].T)


# -- im2col ------------------------------------------------------------------------------------------


def drawn_input(torch: Any, case: Case, x: np.ndarray) -> Any:
    """(1, C, *drawn) the input as the gather view draws it, built with torch alone."""
    F = torch.nn.functional
    xt = torch.from_numpy(x)[None]
    pads: list[int] = []
    if case.kind == "transposed":
        size = [(i - 1) * s + 1 for i, s in zip(case.input_size, case.stride, strict=True)]
        z = torch.zeros((1, case.in_channels, *size), dtype=torch.float64)
        z[(slice(None), slice(None), *(slice(None, None, s) for s in case.stride))] = xt
        for n in reversed(range(case.nd)):
            q = case.dilation[n] * (case.kernel[n] - 1) - case.before[n]
            pads += [q, q + case.output_padding[n]]
        return F.pad(z, pads)  # negative padding crops
    for n in reversed(range(case.nd)):
        pads += [case.before[n], case.after[n]]
    if case.padding_mode == "zeros":
        return F.pad(xt, pads, mode="constant", value=case.padding_value)
    return F.pad(xt, pads, mode=case.padding_mode)


def unfold(torch: Any, drawn: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...]
           ) -> Any:
    """(L, C·prod(k)): every window of ``drawn`` (1, C, *size) as a row, in ``F.unfold``'s order (channels, then
    taps row by row), in any dimension: ``Tensor.unfold`` along each axis (the dilated span, then every d-th
    cell). In 1-D and 2-D it is checked to be ``F.unfold``'s transpose."""
    nd = len(kernel)
    t = drawn[0]
    for n in range(nd):
        t = t.unfold(1 + n, dilation[n] * (kernel[n] - 1) + 1, stride[n])[..., ::dilation[n]]
    # (C, *out, *k) -> (*out, C, *k) -> (L, C·prod(k))
    t = t.permute(*range(1, 1 + nd), 0, *range(1 + nd, 1 + 2 * nd))
    rows = t.reshape(math.prod(t.shape[:nd]), -1)
    if nd <= 2:
        lift = (lambda a: (1, *a)) if nd == 1 else (lambda a: tuple(a))
        grid = drawn[:, :, None, :] if nd == 1 else drawn
        want = torch.nn.functional.unfold(grid, lift(kernel), dilation=lift(dilation), stride=lift(stride))
        assert torch.equal(rows, want[0].T)
    return rows


@given(case=st.one_of(conv_cases(), transposed_cases()), seed=SEEDS)
def test_im2col_rows_are_unfold_and_patches_times_kernel_is_the_layer(torch, case, seed):
    _, x, weight, bias = make_data(case, seed)
    trace = simulate(case.spec, x, weight, bias)
    drawn = drawn_input(torch, case, x)
    stride = (1,) * case.nd if case.kind == "transposed" else case.stride
    patches = patch_matrix(trace)
    assert_close(patches, unfold(torch, drawn, case.kernel, case.dilation, stride).numpy())
    kernel = kernel_matrix(trace)
    assert not np.any(kernel[~kernel_taps(trace)])  # zero outside each output channel's group
    out = patches @ kernel + (0 if bias is None else bias[None, :])
    want = torch_reference(torch, case, x, weight, bias)
    assert_close(out.T.reshape(want.shape), want)
