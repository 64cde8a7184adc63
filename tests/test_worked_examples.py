"""The classic worked examples: np.convolve, the textbook numbers, and conv_arithmetic's animations.

conv_arithmetic = Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" and its
animations (github.com/vdumoulin/conv_arithmetic); each animation shows one frame per output
element.
"""

from __future__ import annotations

import numpy as np
import pytest

from convanim.core.spec import ConvSpec
from convanim.engine import Role, simulate

TOL = {"rtol": 1e-9, "atol": 1e-9}


def conv1d(x, w, **kwargs):
    """simulate() of a single-channel 1-D convolution of the lists x and w."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    spec = ConvSpec(input_size=[len(x)], kernel_size=len(w), **kwargs)
    return simulate(spec, x[None], w[None, None]).output[0]


def test_np_convolve_equals_padded_flipped_conv1d():
    x, w = [0.3, 0.2, 0.5], [5.0, 3.0, 2.0]
    expected = np.convolve(x, w)  # "full": [1.5, 1.9, 3.7, 1.9, 1.0]
    np.testing.assert_allclose(expected, [1.5, 1.9, 3.7, 1.9, 1.0], **TOL)
    np.testing.assert_allclose(conv1d(x, w, padding=2, flip_kernel=True), expected, **TOL)
    np.testing.assert_allclose(conv1d(x, w[::-1], padding=2, flip_kernel=False), expected, **TOL)
    # Without the flip it is a cross-correlation, which differs here.
    assert not np.allclose(conv1d(x, w, padding=2), expected)


def test_textbook_true_convolution_1234_with_123():
    got = conv1d([1, 2, 3, 4], [1, 2, 3], padding=2, flip_kernel=True)
    np.testing.assert_allclose(got, [1, 4, 10, 16, 17, 12], **TOL)
    np.testing.assert_allclose(got, np.convolve([1, 2, 3, 4], [1, 2, 3]), **TOL)


def test_arange_3x3_with_2x2_kernel():
    spec = ConvSpec(input_size=3, kernel_size=2)
    trace = simulate(spec, np.arange(9.0).reshape(1, 3, 3), np.array([[[[0.0, 1.0], [2.0, 3.0]]]]))
    np.testing.assert_allclose(trace.output[0], [[19, 25], [37, 43]], **TOL)
    assert len(trace.steps) == 4
    first = trace.steps[0]  # 0*0 + 1*1 + 3*2 + 4*3
    np.testing.assert_array_equal(first.inputs[0], [0, 1, 3, 4])
    np.testing.assert_array_equal(first.products[0], [0, 1, 6, 12])
    assert first.value == 19


def test_output_size_42(torch):
    spec = ConvSpec(input_size=[100], kernel_size=5, padding=6, dilation=7, stride=2)
    assert spec.output_size == (42,)
    x, w = torch.zeros(1, 1, 100, dtype=torch.float64), torch.zeros(1, 1, 5, dtype=torch.float64)
    out = torch.nn.functional.conv1d(x, w, stride=2, padding=6, dilation=7)
    assert tuple(out.shape[2:]) == spec.output_size
    assert simulate(spec, np.zeros((1, 100)), np.zeros((1, 1, 5))).output.shape == (1, 42)


def test_output_size_703_transposed(torch):
    spec = ConvSpec(
        input_size=[100],
        kernel_size=4,
        stride=7,
        padding=5,
        dilation=6,
        transposed=True,
        output_padding=1,
    )
    assert spec.output_size == (703,)
    x, w = torch.zeros(1, 1, 100, dtype=torch.float64), torch.zeros(1, 1, 4, dtype=torch.float64)
    out = torch.nn.functional.conv_transpose1d(
        x, w, stride=7, padding=5, output_padding=1, dilation=6
    )
    assert tuple(out.shape[2:]) == spec.output_size
    assert simulate(spec, np.zeros((1, 100)), np.zeros((1, 1, 4))).output.shape == (1, 703)


# -- conv_arithmetic's animations ------------------------------------------------------------------

# name: (i, k, s, p, d, kind, o, frames); kind is "conv", "transposed", "avg_pool" or "max_pool"
CONV_ARITHMETIC = {
    "no_padding_no_strides": (4, 3, 1, 0, 1, "conv", 2, 4),
    "no_padding_no_strides_transposed": (4, 3, 1, 0, 1, "transposed", 2, 16),
    "arbitrary_padding_no_strides": (5, 4, 1, 2, 1, "conv", 6, 36),
    "arbitrary_padding_no_strides_transposed": (5, 4, 1, 2, 1, "transposed", 6, 25),
    "same_padding_no_strides": (5, 3, 1, 1, 1, "conv", 5, 25),
    "same_padding_no_strides_transposed": (5, 3, 1, 1, 1, "transposed", 5, 25),
    "full_padding_no_strides": (5, 3, 1, 2, 1, "conv", 7, 49),
    "full_padding_no_strides_transposed": (5, 3, 1, 2, 1, "transposed", 7, 25),
    "no_padding_strides": (5, 3, 2, 0, 1, "conv", 2, 4),
    "no_padding_strides_transposed": (5, 3, 2, 0, 1, "transposed", 2, 25),
    "padding_strides": (5, 3, 2, 1, 1, "conv", 3, 9),
    "padding_strides_transposed": (5, 3, 2, 1, 1, "transposed", 3, 25),
    "padding_strides_odd": (6, 3, 2, 1, 1, "conv", 3, 9),
    "padding_strides_odd_transposed": (6, 3, 2, 1, 1, "transposed", 3, 36),
    "dilation": (7, 3, 1, 0, 2, "conv", 3, 9),
    "numerical_no_padding_no_strides": (5, 3, 1, 0, 1, "conv", 3, 9),
    "numerical_padding_strides": (5, 3, 2, 1, 1, "conv", 3, 9),
    "numerical_average_pooling": (5, 3, 1, 0, 1, "avg_pool", 3, 9),
    "numerical_max_pooling": (5, 3, 1, 0, 1, "max_pool", 3, 9),
}


def animation_spec(i: int, k: int, s: int, p: int, d: int, kind: str, o: int) -> ConvSpec:
    """The spec each animation shows (2-D square, one channel)."""
    if kind == "transposed":  # the transpose of the direct conv i -> o: input o, output i
        return ConvSpec(
            input_size=o,
            kernel_size=k,
            stride=s,
            padding=p,
            dilation=d,
            transposed=True,
            output_padding=(i + 2 * p - k) % s,
        )
    if kind == "conv":
        return ConvSpec(input_size=i, kernel_size=k, stride=s, padding=p, dilation=d)
    return ConvSpec(input_size=i, kernel_size=k, stride=s, padding=p, op=kind)


@pytest.mark.parametrize("name", list(CONV_ARITHMETIC))
def test_conv_arithmetic_frame_counts(name):
    i, k, s, p, d, kind, o, frames = CONV_ARITHMETIC[name]
    spec = animation_spec(i, k, s, p, d, kind, o)
    assert spec.n_steps == frames
    assert spec.output_size == ((i, i) if kind == "transposed" else (o, o))
    x = np.arange(float(spec.input_size[0] ** 2)).reshape(1, *spec.input_size)
    weight = None if spec.is_pool else np.ones(spec.weight_shape())
    assert len(simulate(spec, x, weight).steps) == frames


def transposed_axis_roles(o: int, k: int, s: int, p: int, d: int, output_padding: int) -> list[int]:
    """conv_arithmetic's drawing along one axis: k'-1-p padding, the o inputs with s-1 zeros between
    them, k'-1-p padding, then output_padding extra cells at the end (k' = (k-1)d+1)."""
    pad = (k - 1) * d - p
    cells = [Role.PADDING] * pad
    for m in range(o):
        cells.append(Role.INPUT)
        if m < o - 1:
            cells += [Role.INSERTED] * (s - 1)
    cells += [Role.PADDING] * (pad + output_padding)
    return [int(c) for c in cells]


@pytest.mark.parametrize(
    "name", [n for n, row in CONV_ARITHMETIC.items() if row[5] == "transposed"]
)
def test_transposed_drawn_grid_matches_conv_arithmetic(name):
    i, k, s, p, d, _, o, _ = CONV_ARITHMETIC[name]
    spec = animation_spec(i, k, s, p, d, "transposed", o)
    trace = simulate(spec, np.arange(float(o * o)).reshape(1, o, o), np.ones(spec.weight_shape()))
    axis = np.array(transposed_axis_roles(o, k, s, p, d, spec.output_padding[0]))
    want = np.maximum.outer(
        axis, axis
    )  # INPUT only where both axes are; padding beats inserted zeros
    np.testing.assert_array_equal(trace.grid.role, want)
    assert trace.grid.shape[0] - ((k - 1) * d + 1) + 1 == i  # a stride-1 sweep of the grid gives i
    inputs = np.argwhere(trace.grid.role == Role.INPUT)
    assert len(inputs) == o * o
    # The input cells show x in order, the rest are zeros.
    np.testing.assert_array_equal(
        trace.grid.values[0][trace.grid.role == Role.INPUT], np.arange(o * o)
    )
    assert np.all(trace.grid.values[0][trace.grid.role != Role.INPUT] == 0)


def test_no_padding_strides_transposed_grid():
    spec = animation_spec(*CONV_ARITHMETIC["no_padding_strides_transposed"][:7])
    trace = simulate(spec, np.array([[[1.0, 2.0], [3.0, 4.0]]]), np.ones((1, 1, 3, 3)))
    role = trace.grid.role
    assert role.shape == (7, 7)
    assert sorted(map(tuple, np.argwhere(role == Role.INPUT).tolist())) == [
        (2, 2),
        (2, 4),
        (4, 2),
        (4, 4),
    ]
    assert sorted(map(tuple, np.argwhere(role == Role.INSERTED).tolist())) == [
        (2, 3),
        (3, 2),
        (3, 3),
        (3, 4),
        (4, 3),
    ]
    assert np.count_nonzero(role == Role.PADDING) == 49 - 9
    assert [tuple(trace.grid.source[:, r, c]) for r, c in [(2, 2), (2, 4), (4, 2), (4, 4)]] == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    ]
    assert trace.output.shape == (1, 5, 5)
    assert len(trace.steps) == 25


def test_padding_strides_odd_transposed_has_output_padding_at_bottom_right():
    spec = animation_spec(*CONV_ARITHMETIC["padding_strides_odd_transposed"][:7])
    assert spec.output_padding == (1, 1)
    trace = simulate(spec, np.ones((1, 3, 3)), np.ones((1, 1, 3, 3)))
    role = trace.grid.role
    assert role.shape == (8, 8)  # 1 + (3 inputs, 2 zeros) + 1 + 1 extra
    rows = np.flatnonzero((role == Role.INPUT).any(axis=1))
    np.testing.assert_array_equal(rows, [1, 3, 5])
    assert np.all(role[-2:, :] == Role.PADDING) and np.all(role[:, -2:] == Role.PADDING)
    assert np.all(role[0, :] == Role.PADDING) and np.all(role[:, 0] == Role.PADDING)


# The 5x5 input and 3x3 kernel of conv_arithmetic's "numerical" figures, and the outputs they print.
NUMERICAL_INPUT = np.array(
    [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]],
    dtype=np.float64,
)
NUMERICAL_KERNEL = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]], dtype=np.float64)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("numerical_no_padding_no_strides", [[12, 12, 17], [10, 17, 19], [9, 6, 14]]),
        ("numerical_padding_strides", [[6, 17, 3], [8, 17, 13], [6, 4, 4]]),
        ("numerical_max_pooling", [[3, 3, 3], [3, 3, 3], [3, 2, 3]]),
    ],
)
def test_conv_arithmetic_numerical_figures(name, expected):
    i, k, s, p, d, kind, o, _ = CONV_ARITHMETIC[name]
    spec = animation_spec(i, k, s, p, d, kind, o)
    weight = None if spec.is_pool else NUMERICAL_KERNEL[None, None]
    np.testing.assert_allclose(
        simulate(spec, NUMERICAL_INPUT[None], weight).output[0], expected, **TOL
    )


def test_conv_arithmetic_numerical_average_pooling():
    spec = animation_spec(*CONV_ARITHMETIC["numerical_average_pooling"][:7])
    got = simulate(spec, NUMERICAL_INPUT[None]).output[0]
    # The figure prints one decimal; the sums over each 3x3 window are exact.
    np.testing.assert_allclose(
        got.round(1), [[1.7, 1.7, 1.7], [1.0, 1.2, 1.8], [1.1, 0.8, 1.3]], **TOL
    )
    np.testing.assert_allclose(got * 9, [[15, 15, 15], [9, 11, 16], [10, 7, 12]], **TOL)
