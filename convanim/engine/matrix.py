"""A convolution as matrices (numpy, exact): the layer's matrix C, and im2col's patch and kernel matrices.

``layer_matrix``: a convolution or transposed convolution is linear in its input, ``y = C·x + b`` with ``x`` and
``y`` flattened channel by channel and row by row; row ``r`` of ``C`` holds the kernel weights on the input
cells output ``r`` reads (a reflected or circular padding cell adds its weight to the input cell it copies).
``C`` equals the layer's Jacobian, and a transposed convolution's ``C`` is the transpose of the forward
convolution's (hence the name).

``patch_matrix`` and ``kernel_matrix``: im2col, as GEMM-based libraries compute a convolution: one row per
output position holding the drawn input under every kernel tap of every input channel, times the kernel
flattened to one column per output channel (zero where a channel is outside the output channel's group).
"""

from __future__ import annotations

import math

import numpy as np

from .simulate import Trace, window_index


def _check_linear(trace: Trace) -> None:
    if trace.kernel is None or trace.tap_weights is None:
        raise ValueError(f"{trace.spec.op.value} is not a convolution: it has no kernel matrix")


def _entries(trace: Trace) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Every (row, column, weight) a kernel tap puts into ``C`` (a column may repeat: reflected padding), and
    ``C``'s shape."""
    _check_linear(trace)
    spec = trace.spec
    nd, c_out = spec.ndim, spec.out_channels
    cg = spec.in_channels // spec.groups
    n_in, n_out = math.prod(spec.input_size), math.prod(spec.output_size)
    source = trace.grid.source[(slice(None), *window_index(trace.tap_coords))]  # (nd, *out, *k); -1: none
    valid = np.all(source >= 0, axis=0)  # (*out, *k)
    flat_in = np.ravel_multi_index(tuple(np.where(valid, s, 0) for s in source), spec.input_size)
    out_pos = np.arange(n_out).reshape(*spec.output_size, *(1,) * nd)
    rows = np.arange(c_out).reshape(c_out, 1, *(1,) * (2 * nd)) * n_out + out_pos
    group = np.arange(c_out) // (c_out // spec.groups)
    in_channel = group[:, None] * cg + np.arange(cg)[None, :]  # (C_out, cg)
    cols = in_channel.reshape(c_out, cg, *(1,) * (2 * nd)) * n_in + flat_in
    shape = (c_out, cg, *valid.shape)
    keep = np.broadcast_to(valid, shape)
    return (np.broadcast_to(rows, shape)[keep], np.broadcast_to(cols, shape)[keep], trace.tap_weights[keep],
            (c_out * n_out, spec.in_channels * n_in))


def layer_matrix(trace: Trace) -> np.ndarray:
    """``C`` of shape ``(C_out·prod(out), C_in·prod(in))``: ``trace.output.ravel() == C @ trace.x.ravel() + b``."""
    rows, cols, weights, shape = _entries(trace)
    matrix = np.zeros(shape)
    np.add.at(matrix, (rows, cols), weights)
    return matrix


def layer_taps(trace: Trace) -> np.ndarray:
    """(rows, cols) bool: where ``C`` holds a kernel tap (its weight may still be 0): the matrix's pattern."""
    rows, cols, _, shape = _entries(trace)
    taps = np.zeros(shape, dtype=bool)
    taps[rows, cols] = True
    return taps


def patch_matrix(trace: Trace) -> np.ndarray:
    """``P`` of shape ``(prod(out), C_in·prod(k))``: row ``l`` is every channel's drawn input under the window
    of output position ``l`` (columns channel by channel, taps row by row: ``F.unfold``'s order)."""
    _check_linear(trace)
    spec = trace.spec
    patches = trace.grid.values[(slice(None), *window_index(trace.tap_coords))]  # (C_in, *out, *k)
    k = math.prod(spec.kernel_size)
    n_out = math.prod(spec.output_size)
    return patches.reshape(spec.in_channels, n_out, k).transpose(1, 0, 2).reshape(n_out, spec.in_channels * k)


def kernel_matrix(trace: Trace) -> np.ndarray:
    """``K`` of shape ``(C_in·prod(k), C_out)``: column ``o`` is output channel ``o``'s kernel as applied to the
    drawn grid, flattened, with zeros on the input channels outside its group. ``P @ K + b`` is the output."""
    _check_linear(trace)
    spec = trace.spec
    k = math.prod(spec.kernel_size)
    c_out, cg = spec.out_channels, spec.in_channels // spec.groups
    kernel = trace.kernel.reshape(c_out, cg, k)  # type: ignore[union-attr]
    out = np.zeros((spec.in_channels, k, c_out))
    for o in range(c_out):
        g = o // (c_out // spec.groups)
        out[g * cg:(g + 1) * cg, :, o] = kernel[o]
    return out.reshape(spec.in_channels * k, c_out)


def kernel_taps(trace: Trace) -> np.ndarray:
    """(C_in·prod(k), C_out) bool: where ``K`` holds a weight (inside the output channel's group)."""
    spec = trace.spec
    k = math.prod(spec.kernel_size)
    c_out, cg = spec.out_channels, spec.in_channels // spec.groups
    group_in = np.repeat(np.arange(spec.in_channels) // cg, k)
    group_out = np.arange(c_out) // (c_out // spec.groups)
    return group_in[:, None] == group_out[None, :]
