"""stamp(): values stamped through a kernel at stride offsets onto a grid, then cropped (numpy, exact).

This is a transposed convolution computed the way it is defined: every input value times the kernel is added
onto the output at ``stride``-spaced offsets (overlapping stamps add up), on a canvas that holds every stamp;
then ``padding`` cells are cropped from each side and ``output_padding`` keeps that many more at the end. The
same computation is the input gradient of a convolution, so nothing here is tied to one kind of figure.

A ``Scatter`` keeps every stamp, so the running sum after any frame, how many stamps have covered each cell
and the cropped output are pure functions of the frame index. Frames go input channel by input channel, and
row by row within a channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ..core.spec import ConvSpec


class Cell(IntEnum):
    """What a canvas cell becomes."""

    KEPT = 0  # an output cell
    EXTRA = 1  # an output cell only because of output_padding (it would be cropped, or no stamp reaches it)
    CROPPED = 2  # computed, then cut away by padding


@dataclass(frozen=True, slots=True, kw_only=True)
class Scatter:
    """Every stamp of a scatter, on a canvas large enough for all of them and for the whole output."""

    values: np.ndarray  # (C_in, *input_size): the values stamped
    kernel: np.ndarray  # (C_in, C_out/groups, *k): the kernel each value multiplies (PyTorch's transposed layout)
    bias: np.ndarray | None  # (C_out,): every canvas cell starts at its channel's bias
    groups: int
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: tuple[int, ...]  # cropped from the start of each axis (and, less output_padding, from its end)
    output_padding: tuple[int, ...]
    canvas_size: tuple[int, ...]
    output_size: tuple[int, ...]
    full_size: tuple[int, ...]  # the extent the stamps cover: (i-1)·s + d·(k-1) + 1
    role: np.ndarray  # (*canvas_size) int8 Cell
    sources: np.ndarray  # (n_frames, 1 + ndim): the (channel, *position) of each frame's value
    targets: np.ndarray  # (n_frames, n_taps, ndim): the canvas cell of each kernel tap of each stamp
    kernel_index: np.ndarray  # (n_taps, ndim): the kernel tap of each target column, row-major
    out_channels: np.ndarray  # (n_frames, C_out/groups): the output channels each stamp adds to
    contributions: np.ndarray  # (n_frames, C_out/groups, n_taps): value · weight of each tap

    @property
    def ndim(self) -> int:
        return len(self.canvas_size)

    @property
    def n_frames(self) -> int:
        return int(self.sources.shape[0])

    @property
    def n_out_channels(self) -> int:
        return int(self.kernel.shape[1]) * self.groups

    def _flat_targets(self, frames: slice) -> np.ndarray:
        """(frames, C_out/groups, n_taps) flat indices into a (C_out, *canvas) array."""
        cells = np.ravel_multi_index(tuple(np.moveaxis(self.targets[frames], -1, 0)), self.canvas_size)
        return self.out_channels[frames][:, :, None] * math.prod(self.canvas_size) + cells[:, None, :]

    def running(self, n: int) -> np.ndarray:
        """(C_out, *canvas): the bias plus the stamps of frames 0..n, in order (``n = -1``: the bias alone)."""
        size = self.n_out_channels * math.prod(self.canvas_size)
        frames = slice(0, max(n + 1, 0))
        sums = np.bincount(self._flat_targets(frames).ravel(), weights=self.contributions[frames].ravel(),
                           minlength=size).astype(np.float64)
        sums = sums.reshape(self.n_out_channels, *self.canvas_size)
        if self.bias is not None:
            sums += self.bias.reshape(-1, *(1,) * self.ndim)
        return sums

    def overlaps(self, n: int) -> np.ndarray:
        """(*canvas) int: how many stamps of frames 0..n covered each cell (its checkerboard, for k=3, s=2)."""
        frames = slice(0, max(n + 1, 0))
        cells = np.ravel_multi_index(tuple(np.moveaxis(self.targets[frames], -1, 0)), self.canvas_size)
        return np.bincount(cells.ravel(), minlength=math.prod(self.canvas_size)).reshape(self.canvas_size)

    def first_frames(self) -> np.ndarray:
        """(C_out, *canvas) int: the frame whose stamp first reaches each cell (``n_frames``: none ever does)."""
        flat = self._flat_targets(slice(None))  # (frames, C_out/groups, n_taps)
        frames = np.broadcast_to(np.arange(self.n_frames)[:, None, None], flat.shape)
        first = np.full(self.n_out_channels * math.prod(self.canvas_size), self.n_frames, dtype=np.int64)
        np.minimum.at(first, flat.ravel(), frames.ravel())
        return first.reshape(self.n_out_channels, *self.canvas_size)

    def crop(self, canvas: np.ndarray) -> np.ndarray:
        """The output part of a canvas array (its last ``ndim`` axes): ``padding`` cells in from the start."""
        lead = (slice(None),) * (canvas.ndim - self.ndim)
        return canvas[(*lead, *(slice(p, p + o) for p, o in zip(self.padding, self.output_size)))]

    @property
    def output(self) -> np.ndarray:
        """(C_out, *output_size): the cropped final sums, equal to PyTorch's ``conv_transpose``."""
        return self.crop(self.running(self.n_frames - 1))

    def taps_of(self, frame: int) -> np.ndarray:
        """(n_taps, ndim): the canvas cells frame ``frame`` stamps."""
        return self.targets[frame]


def canvas_roles(full: int, padding: int, output: int) -> tuple[int, np.ndarray]:
    """The canvas length along one axis and the Cell of each of its cells."""
    size = max(full, padding + output)
    index = np.arange(size)
    kept = (index >= padding) & (index < padding + output)
    extra = kept & (index >= full - padding)  # past where the crop at the end would have started
    role = np.where(kept, np.where(extra, Cell.EXTRA, Cell.KEPT), Cell.CROPPED)
    return size, role.astype(np.int8)


def stamp(values: np.ndarray, kernel: np.ndarray, *, stride: tuple[int, ...], padding: tuple[int, ...],
          dilation: tuple[int, ...] | None = None, output_padding: tuple[int, ...] | None = None, groups: int = 1,
          bias: np.ndarray | None = None) -> Scatter:
    """Stamp ``values`` ``(C_in, *size)`` through ``kernel`` ``(C_in, C_out/groups, *k)``.

    Value ``values[c, i]`` adds ``values[c, i] * kernel[c, o]`` at canvas cells ``i*stride + k*dilation`` of
    every output channel ``o`` of its group; the output is the canvas cropped by ``padding`` at the start, of
    size ``(i-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1``.
    """
    values = np.asarray(values, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    nd = values.ndim - 1
    c_in, size, ks = values.shape[0], values.shape[1:], kernel.shape[2:]
    dilation = dilation or (1,) * nd
    output_padding = output_padding or (0,) * nd
    full = tuple((i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip(size, stride, dilation, ks))
    out = tuple(f - 2 * p + op for f, p, op in zip(full, padding, output_padding))
    axes = [canvas_roles(f, p, o) for f, p, o in zip(full, padding, out)]
    canvas = tuple(a[0] for a in axes)
    role = np.maximum.reduce(np.meshgrid(*[a[1] for a in axes], indexing="ij")).astype(np.int8)
    positions = np.stack([g.ravel() for g in np.meshgrid(*[np.arange(n) for n in size], indexing="ij")], axis=1)
    kernel_index = np.stack([g.ravel() for g in np.meshgrid(*[np.arange(k) for k in ks], indexing="ij")], axis=1)
    offsets = positions * np.array(stride)  # (n_pos, nd)
    taps = kernel_index * np.array(dilation)  # (n_taps, nd)
    per_channel = offsets[:, None, :] + taps[None, :, :]  # (n_pos, n_taps, nd)
    cg_out = kernel.shape[1]
    channel = np.repeat(np.arange(c_in), len(positions))
    sources = np.concatenate([channel[:, None], np.tile(positions, (c_in, 1))], axis=1)
    group = channel // (c_in // groups)
    out_channels = group[:, None] * cg_out + np.arange(cg_out)[None, :]
    flat_values = values.reshape(c_in, -1).reshape(-1)  # (n_frames,)
    flat_kernel = kernel.reshape(c_in, cg_out, -1)  # (C_in, cg_out, n_taps)
    contributions = flat_values[:, None, None] * flat_kernel[channel]
    return Scatter(values=values, kernel=kernel, bias=None if bias is None else np.asarray(bias, np.float64),
                   groups=groups, stride=tuple(stride), dilation=tuple(dilation), padding=tuple(padding),
                   output_padding=tuple(output_padding), canvas_size=canvas, output_size=out, full_size=full,
                   role=role, sources=sources, targets=np.tile(per_channel, (c_in, 1, 1)),
                   kernel_index=kernel_index, out_channels=out_channels, contributions=contributions)


def scatter_of(spec: ConvSpec, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> Scatter:
    """The scatter of a transposed convolution ``spec`` on ``x`` with PyTorch's weight (``flip_kernel`` applied)."""
    if not spec.transposed or spec.is_pool:
        raise ValueError("scatter_of: the spec must be a transposed convolution")
    kernel = np.asarray(weight, dtype=np.float64)
    if spec.flip_kernel:
        kernel = np.flip(kernel, tuple(range(2, 2 + spec.ndim)))
    return stamp(x, kernel, stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
                 output_padding=spec.output_padding, groups=spec.groups, bias=bias)
