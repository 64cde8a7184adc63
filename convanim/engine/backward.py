"""The backward pass in numpy, exactly as ``torch.autograd`` computes it: every output gradient sent back onto
the drawn input grid, and the gradients of the input, the weight and the bias.

``spread(trace, grad_output)`` sends each output gradient cell ``∂L/∂y[o]`` back over the window it read:
``∂L/∂y[o] · weight`` onto every tap of its window on the drawn grid (average pooling, adaptive or not:
``∂L/∂y[o] / divisor`` onto every counted tap; max pooling, adaptive or not: all of it onto the tap that won, the
first one on ties, as PyTorch). LP pooling is refused: its gradient depends on x, not only on ∂L/∂y. For a
direct convolution this is ``stamp()``, the transposed convolution of ``∂L/∂y``, and the drawn grid is the
padded input, which is why the input gradient of a convolution is a transposed convolution. What lands on a
padding cell or an inserted zero is discarded; a reflected, replicated or circular padding cell adds what it
got to the input cell it copies. ``Spread`` keeps every share, so the running sum after any frame is a pure
function of the frame index.

``weight_gradient``: ``∂L/∂w`` is the correlation of the drawn input with ``∂L/∂y``: for each kernel tap, the sum
over output positions of the input under that tap times the output gradient there. ``bias_gradient``: the sum
of ``∂L/∂y`` per output channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.spec import ConvSpec, Op
from .scatter import stamp
from .simulate import Trace


@dataclass(frozen=True, slots=True, kw_only=True)
class Spread:
    """Every output gradient cell's shares on the drawn input grid, frame by frame (one frame per output cell,
    channel by channel, row by row: the trace's steps)."""

    trace: Trace
    grad_output: np.ndarray  # (C_out, *output_size)
    targets: np.ndarray  # (n_frames, n_taps, ndim): the drawn-grid cell under each tap of each window
    channels: np.ndarray  # (n_frames, m): the input channels each output cell sends to (its window's channels)
    amounts: np.ndarray  # (n_frames, m, n_taps): what each tap receives
    sinks: np.ndarray  # (n_frames, m, n_taps): where it ends, as a flat index into ∂L/∂x; -1: discarded

    @property
    def ndim(self) -> int:
        return self.trace.spec.ndim

    @property
    def n_frames(self) -> int:
        return int(self.targets.shape[0])

    @property
    def grid_shape(self) -> tuple[int, ...]:
        return self.trace.grid.shape

    def _flat(self, frames: slice) -> np.ndarray:
        """(frames, m, n_taps) flat indices into a (C_in, *grid) array."""
        cells = np.ravel_multi_index(tuple(np.moveaxis(self.targets[frames], -1, 0)), self.grid_shape)
        return self.channels[frames][:, :, None] * math.prod(self.grid_shape) + cells[:, None, :]

    def running(self, n: int) -> np.ndarray:
        """(C_in, *grid): what frames 0..n sent to every drawn cell (``n = -1``: nothing yet)."""
        c_in = self.trace.spec.in_channels
        size = c_in * math.prod(self.grid_shape)
        frames = slice(0, max(n + 1, 0))
        sums = np.bincount(self._flat(frames).ravel(), weights=self.amounts[frames].ravel(), minlength=size)
        return sums.astype(np.float64).reshape(c_in, *self.grid_shape)

    @property
    def grid(self) -> np.ndarray:
        """(C_in, *grid): the total on every drawn cell, padding and inserted zeros included."""
        return self.running(self.n_frames - 1)

    @property
    def grad_input(self) -> np.ndarray:
        """(C_in, *input_size): ∂L/∂x, every share that ends in a real input cell."""
        spec = self.trace.spec
        keep = self.sinks >= 0
        size = spec.in_channels * math.prod(spec.input_size)
        out = np.bincount(self.sinks[keep], weights=self.amounts[keep], minlength=size)
        return out.astype(np.float64).reshape(spec.in_channels, *spec.input_size)

    def first_frames(self) -> np.ndarray:
        """(C_in, *grid) int: the frame that first sends something to each cell (``n_frames``: none does)."""
        flat = self._flat(slice(None))
        frames = np.broadcast_to(np.arange(self.n_frames)[:, None, None], flat.shape)
        first = np.full(self.trace.spec.in_channels * math.prod(self.grid_shape), self.n_frames, dtype=np.int64)
        np.minimum.at(first, flat.ravel(), frames.ravel())
        return first.reshape(self.trace.spec.in_channels, *self.grid_shape)

    def sink_of_cell(self) -> np.ndarray:
        """(C_in, *grid) int: the flat index into ∂L/∂x a drawn cell's total ends in, -1 when it is discarded."""
        return _sink_grid(self.trace)


def _sink_grid(trace: Trace) -> np.ndarray:
    spec = trace.spec
    source = trace.grid.source  # (nd, *grid), -1: no input cell
    valid = np.all(source >= 0, axis=0)
    flat = np.ravel_multi_index(tuple(np.where(valid, s, 0) for s in source), spec.input_size)
    per_channel = np.arange(spec.in_channels).reshape(-1, *(1,) * spec.ndim) * math.prod(spec.input_size)
    return np.where(valid[None], per_channel + flat[None], -1)


def _window_targets(trace: Trace) -> np.ndarray:
    """(n_pos, n_taps, nd): every window's taps on the drawn grid, positions and taps row-major."""
    spec = trace.spec
    pos = np.stack([g.ravel() for g in np.meshgrid(*[np.arange(o) for o in spec.output_size], indexing="ij")], 1)
    taps = np.stack([g.ravel() for g in np.meshgrid(*[np.arange(k) for k in spec.kernel_size], indexing="ij")], 1)
    return np.stack([trace.tap_coords[n][pos[:, None, n], taps[None, :, n]] for n in range(spec.ndim)], axis=-1)


def _shares(trace: Trace, grad_output: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(targets, channels, amounts) read off the trace's windows: what each tap of each window receives."""
    spec = trace.spec
    c_out = spec.out_channels
    n_pos, n_k = math.prod(spec.output_size), math.prod(spec.kernel_size)
    targets = np.tile(_window_targets(trace), (c_out, 1, 1))
    channels = np.repeat(np.array([trace.in_channels_of(c) for c in range(c_out)]), n_pos, axis=0)
    g = grad_output.reshape(c_out * n_pos, 1, 1)
    if spec.is_max:  # all of it to the winner: the first maximum in the window, row by row (adaptive too)
        flat = trace.products.reshape(c_out, n_pos, n_k)  # padding and overhang hold -inf
        winner = np.zeros_like(flat)
        np.put_along_axis(winner, np.argmax(flat, axis=-1)[..., None], 1.0, axis=-1)
        return targets, channels, g * winner.reshape(c_out * n_pos, 1, n_k)
    weights = trace.tap_weights  # (C_out, m, *out, *k)
    m = weights.shape[1]  # type: ignore[union-attr]
    w = np.moveaxis(weights.reshape(c_out, m, n_pos, n_k), 1, 2).reshape(c_out * n_pos, m, n_k)  # type: ignore[union-attr]
    return targets, channels, g * w


def padding_window(spec: ConvSpec) -> tuple[int, int] | None:
    """(axis, output index) of a max-pooling window that lies entirely in the padding, or None. Its output is −∞
    and PyTorch sends its gradient to no cell of the window (to the cell its first in-range index would be, or
    past the input), so the backward pass of such a layer is refused."""
    if not spec.is_max or spec.is_adaptive:
        return None
    for axis in range(spec.ndim):
        i, k, s, d = spec.input_size[axis], spec.kernel_size[axis], spec.stride[axis], spec.dilation[axis]
        p = spec.pad_before[axis]
        for o in range(spec.output_size[axis]):
            if not any(0 <= o * s - p + t * d < i for t in range(k)):
                return axis, o
    return None


def spread(trace: Trace, grad_output: np.ndarray, *, use_stamp: bool = True) -> Spread:
    """Send ``grad_output`` ``(C_out, *output_size)`` back through the layer ``trace`` recorded.

    A direct convolution's shares are ``stamp()``'s: ``∂L/∂y`` stamped through the weight as stored (flipped when
    ``flip_kernel``) at stride offsets, on a canvas whose cell ``i`` is the padded input's cell ``i``
    (``use_stamp=False`` reads them off the trace's windows instead, as for every other layer).
    """
    spec = trace.spec
    if spec.op is Op.LP_POOL:
        raise ValueError("lp_pool's gradient is no fixed share of ∂L/∂y: it depends on x through a power")
    if padding_window(spec) is not None:
        axis, o = padding_window(spec)  # type: ignore[misc]
        raise ValueError(f"max-pooling window {o} along axis {axis} lies entirely in the padding: PyTorch sends its "
                         f"gradient to no cell of it")
    grad_output = np.asarray(grad_output, dtype=np.float64)
    want = (spec.out_channels, *spec.output_size)
    if grad_output.shape != want:
        raise ValueError(f"grad_output: expected shape {want} (out_channels, *output_size), got {grad_output.shape}")
    if use_stamp and spec.op is Op.CONV and not spec.transposed:
        kernel = trace.weight
        if spec.flip_kernel:
            kernel = np.flip(kernel, tuple(range(2, 2 + spec.ndim)))  # type: ignore[arg-type]
        sc = stamp(grad_output, kernel, stride=spec.stride, padding=spec.pad_before, dilation=spec.dilation,  # type: ignore[arg-type]
                   groups=spec.groups)
        targets, channels, amounts = sc.targets, sc.out_channels, sc.contributions
    else:
        targets, channels, amounts = _shares(trace, grad_output)
    sink = _sink_grid(trace).reshape(-1)
    cells = np.ravel_multi_index(tuple(np.moveaxis(targets, -1, 0)), trace.grid.shape)
    sinks = sink[channels[:, :, None] * math.prod(trace.grid.shape) + cells[:, None, :]]
    return Spread(trace=trace, grad_output=grad_output, targets=targets, channels=channels, amounts=amounts,
                  sinks=sinks)


# -- weight and bias -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightGradient:
    """∂L/∂w, and for every weight the products it sums: the input under its tap at every output position
    times the output gradient there."""

    trace: Trace
    grad_output: np.ndarray  # (C_out, *output_size)
    products: np.ndarray  # (C_out, C_in/groups, *output_size, *k): input under the tap · ∂L/∂y
    applied: np.ndarray  # (C_out, C_in/groups, *k): ∂L/∂(the kernel as applied to the drawn grid)
    user_index: np.ndarray  # (C_out, C_in/groups, *k): the flat index in PyTorch's weight of each applied tap

    @property
    def grad(self) -> np.ndarray:
        """∂L/∂w in PyTorch's layout (``(C_in, C_out/groups, *k)`` for a transposed convolution)."""
        out = np.zeros(self.user_index.size)
        out[self.user_index.ravel()] = self.applied.ravel()
        return out.reshape(self.trace.spec.weight_shape())  # type: ignore[arg-type]


def applied_index(trace: Trace) -> np.ndarray:
    """(C_out, C_in/groups, *k) int: for each tap of the kernel as applied to the drawn grid, its flat index in
    PyTorch's weight (a transposed convolution swaps the channel axes and flips the taps)."""
    spec = trace.spec
    shape = spec.weight_shape()
    if shape is None:
        raise ValueError(f"{spec.op.value} has no weight")
    user = np.arange(math.prod(shape)).reshape(shape)
    if spec.transposed:
        g, cg_in = spec.groups, spec.in_channels // spec.groups
        user = user.reshape(g, cg_in, spec.out_channels // g, *spec.kernel_size)
        user = np.swapaxes(user, 1, 2).reshape(spec.out_channels, cg_in, *spec.kernel_size)
    return user[(slice(None), slice(None), *np.ix_(*trace.kernel_source))]


def weight_gradient(trace: Trace, grad_output: np.ndarray) -> WeightGradient:
    """∂L/∂w of a convolution or transposed convolution for ``grad_output`` ``(C_out, *output_size)``."""
    spec = trace.spec
    if spec.is_pool:
        raise ValueError(f"{spec.op.value} has no weight")
    nd = spec.ndim
    g = np.asarray(grad_output, dtype=np.float64)
    products = trace.inputs * g.reshape(spec.out_channels, 1, *spec.output_size, *(1,) * nd)
    applied = products.sum(axis=tuple(range(2, 2 + nd)))
    return WeightGradient(trace=trace, grad_output=g, products=products, applied=applied,
                          user_index=applied_index(trace))


def bias_gradient(grad_output: np.ndarray) -> np.ndarray:
    """(C_out,): ∂L/∂b, the sum of ``grad_output`` over each output channel."""
    g = np.asarray(grad_output, dtype=np.float64)
    return g.reshape(g.shape[0], -1).sum(axis=1)
