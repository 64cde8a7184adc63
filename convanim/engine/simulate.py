"""simulate(): every sliding step of a convolution or pooling layer in numpy, exactly as PyTorch computes it.

A transposed convolution is simulated the way conv_arithmetic draws it: as the direct convolution (stride
1, flipped kernel) of the zero-inserted, padded input. Every step records the window in the coordinates of
that drawn input grid, so a renderer never recomputes geometry.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import overload

import numpy as np

from ..core.spec import ConvSpec, Op, PaddingMode


class Role(IntEnum):
    """What a cell of the drawn input grid is."""

    INPUT = 0  # a real input cell
    INSERTED = 1  # a zero inserted between input cells (transposed convolution)
    PADDING = 2  # padding (zeros, or reflected / replicated / circular copies)
    OVERHANG = 3  # beyond the padded input: only a ceil_mode pooling window reaches it; never counted


@dataclass(frozen=True, slots=True, kw_only=True)
class Grid:
    """The input as drawn: padded (and zero-inserted for a transposed convolution)."""

    values: np.ndarray  # (C_in, *shape) float64; max_pool padding holds -inf, as PyTorch pads it
    role: np.ndarray  # (*shape) int8 Role, the same for every channel
    source: np.ndarray  # (ndim, *shape) int64: the index in x whose value the cell shows, -1 for none

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.role.shape)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One output element: its window on the drawn grid, the taps, their weights and products."""

    index: int  # position in the animation
    channel: int  # output channel
    position: tuple[int, ...]  # index in the output's spatial dimensions
    origin: tuple[int, ...]  # drawn-grid coordinates of the window's first cell
    extent: tuple[int, ...]  # window size on the drawn grid (the dilated kernel)
    taps: np.ndarray  # (n_taps, ndim) drawn-grid coordinates of the kernel taps, row-major
    kernel_index: np.ndarray  # (n_taps, ndim) index of each tap in the user's weight (flips undone)
    roles: np.ndarray  # (n_taps,) Role of the cell under each tap
    sources: np.ndarray  # (n_taps, ndim) index in x of the value under each tap, -1 for none
    in_channels: tuple[int, ...]  # the input channels this output element reads
    inputs: np.ndarray  # (len(in_channels), n_taps) values under the taps
    weights: np.ndarray | None  # (len(in_channels), n_taps); avg_pool: 1/divisor or 0; max_pool: None
    products: np.ndarray  # (len(in_channels), n_taps); max_pool: the inputs (-inf where not counted)
    bias: float
    value: float
    divisor: int | None = None  # avg_pool only
    argmax: int | None = None  # max_pool only: the tap whose value won (first one, on ties)


class Steps(Sequence[Step]):
    """The steps of a trace, built on demand from the trace's arrays (one per output element)."""

    def __init__(self, trace: Trace):
        self._t = trace

    def __len__(self) -> int:
        return self._t.spec.n_steps

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> list[Step]: ...
    def __getitem__(self, i: int | slice) -> Step | list[Step]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"step {i} out of range for {n} steps")
        return self._t._step(i % n)

    def __iter__(self) -> Iterator[Step]:
        return (self._t._step(i) for i in range(len(self)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """The simulation of one layer on one input: output, drawn grid, and every step."""

    spec: ConvSpec
    x: np.ndarray  # (C_in, *input_size)
    weight: np.ndarray | None  # PyTorch layout
    bias: np.ndarray | None  # (C_out,)
    output: np.ndarray  # (C_out, *output_size)
    grid: Grid
    kernel: np.ndarray | None  # (C_out, C_in/groups, *k): the kernel as applied to the drawn grid
    kernel_source: tuple[np.ndarray, ...]  # per axis: direct tap index -> index in the user's weight
    tap_coords: tuple[np.ndarray, ...]  # per axis (out_n, k_n): drawn-grid coordinate of each tap
    inputs: np.ndarray  # (C_out, C_in/groups, *output_size, *k) values under the taps
    products: np.ndarray  # same shape: inputs * kernel (avg: * 1/divisor; max: inputs)
    tap_weights: np.ndarray | None  # same shape, or None for max_pool
    divisor: np.ndarray | None = None  # average pooling: (*output_size) the divisor of each window
    # adaptive pooling: (*output_size, *k) which taps lie in the window (windows differ in size; k is the
    # largest); None when every window has every tap
    tap_valid: np.ndarray | None = None

    @property
    def steps(self) -> Steps:
        return Steps(self)

    def output_anchors(self, axis: int) -> np.ndarray:
        """Where each output sits over its window along ``axis``, in drawn-grid cells from the grid's start: the
        window's centre; with padding that differs between the sides, the point that splits the window as the
        padding does (a causal layer, padded before only: over the newest input it reads). Adaptive pooling's
        windows differ in size: their centres."""
        spec = self.spec
        if spec.is_adaptive:
            return np.array([(a + b) / 2 for a, b in spec.windows(axis)])
        k_eff, before, after = spec.effective_kernel[axis], spec.pad_before[axis], spec.pad_after[axis]
        if spec.transposed or before == after:
            return self.tap_coords[axis][:, 0] + k_eff / 2
        return self.tap_coords[axis][:, 0] + (k_eff - 1) * before / (before + after) + 0.5

    def in_channels_of(self, channel: int) -> tuple[int, ...]:
        """The input channels that output channel ``channel`` reads."""
        spec = self.spec
        if spec.is_pool:
            return (channel,)
        cg = spec.in_channels // spec.groups
        g = channel // (spec.out_channels // spec.groups)
        return tuple(range(g * cg, (g + 1) * cg))

    def _step(self, i: int) -> Step:
        spec = self.spec
        nd = spec.ndim
        out_size = spec.output_size
        channel, flat = divmod(i, math.prod(out_size))
        pos = tuple(int(v) for v in np.unravel_index(flat, out_size))
        kshape = spec.kernel_size
        taps = cartesian([self.tap_coords[n][pos[n]] for n in range(nd)])
        kernel_index = cartesian(self.kernel_source)
        sel = (channel, slice(None), *pos)
        inputs = self.inputs[sel].reshape(-1, math.prod(kshape))
        products = self.products[sel].reshape(inputs.shape)
        weights = None if self.tap_weights is None else self.tap_weights[sel].reshape(inputs.shape)
        extent = spec.effective_kernel
        if self.tap_valid is not None:  # adaptive pooling: only the window's own taps
            keep = self.tap_valid[pos].ravel()
            taps, kernel_index, inputs, products = taps[keep], kernel_index[keep], inputs[:, keep], products[:, keep]
            weights = None if weights is None else weights[:, keep]
            extent = tuple(end - start for start, end in (spec.windows(n)[pos[n]] for n in range(nd)))
        roles = self.grid.role[tuple(taps.T)]
        sources = self.grid.source[(slice(None), *taps.T)].T
        value = float(self.output[(channel, *pos)])
        bias = float(self.bias[channel]) if self.bias is not None else 0.0
        divisor = argmax = None
        if self.divisor is not None:
            divisor = int(self.divisor[pos])
        elif spec.is_max:
            argmax = int(np.argmax(np.where(roles == Role.OVERHANG, -np.inf, inputs[0])))
        origin = tuple(int(self.tap_coords[n][pos[n], 0]) for n in range(nd))
        return Step(index=i, channel=channel, position=pos, origin=origin, extent=extent,
                    taps=taps, kernel_index=kernel_index, roles=roles, sources=sources,
                    in_channels=self.in_channels_of(channel), inputs=inputs, weights=weights,
                    products=products, bias=bias, value=value, divisor=divisor, argmax=argmax)


def cartesian(axes: Sequence[np.ndarray]) -> np.ndarray:
    """Every combination of one value per axis, as rows (the first axis varies slowest): what stacking the
    raveled ``np.meshgrid(..., indexing="ij")`` gives, without its overhead (it runs for every step)."""
    shape = tuple(len(a) for a in axes)
    out = np.empty((*shape, len(axes)), np.result_type(*axes))
    for n, a in enumerate(axes):
        out[..., n] = np.reshape(a, [-1 if m == n else 1 for m in range(len(axes))])
    return out.reshape(-1, len(axes))


# -- the drawn grid ------------------------------------------------------------------------------------

_NP_PAD = {PaddingMode.REFLECT: "reflect", PaddingMode.REPLICATE: "edge", PaddingMode.CIRCULAR: "wrap"}


def _axis(spec: ConvSpec, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Role and source index of every drawn cell along axis ``n`` (the grid is separable)."""
    i, k, s, d = spec.input_size[n], spec.kernel_size[n], spec.stride[n], spec.dilation[n]
    if spec.transposed:
        q = d * (k - 1) - spec.padding[n]  # the equivalent direct convolution's padding (may be < 0)
        span = (i - 1) * s + 1
        z = np.arange(span + 2 * q + spec.output_padding[n]) - q
        inside = (z >= 0) & (z < span)
        on_input = inside & (z % s == 0)
        role = np.where(on_input, Role.INPUT, np.where(inside, Role.INSERTED, Role.PADDING))
        source = np.where(on_input, z // s, -1)
        return role.astype(np.int8), source.astype(np.int64)
    before, after = spec.pad_before[n], spec.pad_after[n]
    index = np.arange(i)
    if spec.padding_mode is PaddingMode.ZEROS:
        source = np.pad(index, (before, after), constant_values=-1)
    else:
        source = np.pad(index, (before, after), mode=_NP_PAD[spec.padding_mode])  # type: ignore[call-overload]
    role = np.full(i + before + after, Role.PADDING, dtype=np.int8)
    role[before:before + i] = Role.INPUT
    if spec.is_pool and not spec.is_adaptive:  # a ceil_mode window may reach past the padded input
        o = spec.output_size[n]
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - role.size)
        role = np.concatenate([role, np.full(extra, Role.OVERHANG, dtype=np.int8)])
        source = np.concatenate([source, np.full(extra, -1)])
    return role, source.astype(np.int64)


def drawn_grid(spec: ConvSpec, x: np.ndarray) -> Grid:
    """The input ``x`` (``(C_in, *input_size)``) as ``spec`` draws it: padded with the values the layer pads with
    (zeros or ``padding_value``, reflected / replicated / circular copies, ``-inf`` for max pooling), zeros
    inserted for a transposed convolution."""
    return _grid(spec, np.asarray(x, dtype=np.float64))


def _grid(spec: ConvSpec, x: np.ndarray) -> Grid:
    axes = [_axis(spec, n) for n in range(spec.ndim)]
    mesh = np.meshgrid(*[a[1] for a in axes], indexing="ij")
    rmesh = np.meshgrid(*[a[0] for a in axes], indexing="ij")
    # A cell is INPUT only where every axis is; otherwise the strongest role of its axes (the enum's order).
    role = np.maximum.reduce(rmesh)
    has_source = np.logical_and.reduce([m >= 0 for m in mesh])
    source = np.stack([np.where(has_source, m, -1) for m in mesh])
    safe = tuple(np.where(has_source, m, 0) for m in mesh)
    values = np.where(has_source, x[(slice(None), *safe)], 0.0)
    if spec.op is Op.MAX_POOL:
        values = np.where(role == Role.PADDING, -np.inf, values)
    elif spec.padding_value != 0:  # F.pad's constant
        values = np.where(role == Role.PADDING, spec.padding_value, values)
    return Grid(values=values, role=role.astype(np.int8), source=source)


# -- simulation ----------------------------------------------------------------------------------------

def _check(spec: ConvSpec, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None) -> None:
    want_x = (spec.in_channels, *spec.input_size)
    if x.shape != want_x:
        raise ValueError(f"input: expected shape {want_x} (in_channels, *input_size), got {x.shape}")
    want_w = spec.weight_shape()
    if want_w is None:
        if weight is not None:
            raise ValueError(f"weight: {spec.op.value} takes no weight")
    elif weight is None or weight.shape != want_w:
        got = None if weight is None else weight.shape
        raise ValueError(f"weight: expected shape {want_w}, got {got}")
    if bias is not None:
        if not spec.bias:
            raise ValueError("bias: values given but the spec has bias=False")
        if bias.shape != (spec.out_channels,):
            raise ValueError(f"bias: expected shape ({spec.out_channels},), got {bias.shape}")
    elif spec.bias:
        raise ValueError("bias: the spec has bias=True but no bias values were given")


def _direct_kernel(spec: ConvSpec, weight: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The kernel as applied to the drawn grid, and for each axis the index in ``weight`` of each tap."""
    if spec.transposed:  # (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), and the transposition's flip
        g, cg_in = spec.groups, spec.in_channels // spec.groups
        w = weight.reshape(g, cg_in, spec.out_channels // g, *spec.kernel_size)
        w = np.swapaxes(w, 1, 2).reshape(spec.out_channels, cg_in, *spec.kernel_size)
        flip = not spec.flip_kernel  # flip_kernel's flip undoes the transposition's
    else:
        w, flip = weight, spec.flip_kernel
    if flip:
        w = np.flip(w, tuple(range(2, 2 + spec.ndim)))
    source = tuple(np.arange(k)[::-1] if flip else np.arange(k) for k in spec.kernel_size)
    return np.ascontiguousarray(w), source


def simulate(spec: ConvSpec, x: np.ndarray, weight: np.ndarray | None = None,
             bias: np.ndarray | None = None) -> Trace:
    """Simulate ``spec`` on ``x`` (``(C_in, *input_size)``) with PyTorch's weight layout; return the Trace.

    ``trace.output`` equals ``torch.nn.functional``'s result for the same layer and data.
    """
    x = np.asarray(x, dtype=np.float64)
    weight = None if weight is None else np.asarray(weight, dtype=np.float64)
    bias = None if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
    _check(spec, x, weight, bias)
    nd, out_size, ks = spec.ndim, spec.output_size, spec.kernel_size
    grid = _grid(spec, x)
    tap_coords, tap_valid = _tap_coords(spec)
    index = window_index(tap_coords)
    patches = grid.values[(slice(None), *index)]  # every window at once: (C_in, *out, *k)
    c_out = spec.out_channels
    if spec.is_pool:
        inputs = patches[:, None]  # (C, 1, *out, *k)
        kernel, kernel_source = None, tuple(np.arange(k) for k in ks)
        counted = _pool_counted(spec, grid, index) if tap_valid is None else tap_valid
        if spec.is_max:
            tap_weights = divisor = None
            products = np.where(counted, inputs, -np.inf)
            output = products.reshape(*products.shape[:2 + nd], -1).max(axis=(1, -1))
        elif spec.op is Op.LP_POOL:
            products, tap_weights, divisor, output = _lp_pool(spec, inputs, counted)
        else:
            divisor = counted.reshape(*counted.shape[:nd], -1).sum(axis=-1)
            if spec.divisor_override is not None:
                divisor = np.full_like(divisor, spec.divisor_override)
            kaxes = (None,) * nd
            tap_weights = np.broadcast_to(counted / divisor[(..., *kaxes)], inputs.shape).astype(np.float64)
            products = inputs * tap_weights
            output = products.reshape(*products.shape[:2 + nd], -1).sum(axis=(1, -1))
    else:
        divisor = None
        kernel, kernel_source = _direct_kernel(spec, weight)  # type: ignore[arg-type]
        cg_in = spec.in_channels // spec.groups
        group_of_out = np.arange(c_out) // (c_out // spec.groups)
        inputs = patches.reshape(spec.groups, cg_in, *patches.shape[1:])[group_of_out]  # (C_out, cg, *o, *k)
        products = inputs * kernel.reshape(c_out, cg_in, *(1,) * nd, *ks)
        tap_weights = np.broadcast_to(kernel.reshape(c_out, cg_in, *(1,) * nd, *ks), inputs.shape)
        output = products.reshape(c_out, cg_in, *out_size, -1).sum(axis=(1, -1))
        if bias is not None:
            output = output + bias.reshape(c_out, *(1,) * nd)
    return Trace(spec=spec, x=x, weight=weight, bias=bias, output=output, grid=grid, kernel=kernel,
                 kernel_source=kernel_source, tap_coords=tap_coords, inputs=inputs, products=products,
                 tap_weights=tap_weights, divisor=divisor, tap_valid=tap_valid)


def _tap_coords(spec: ConvSpec) -> tuple[tuple[np.ndarray, ...], np.ndarray | None]:
    """Per axis, the drawn-grid coordinate of every tap of every window, ``(out_n, k_n)``; and for adaptive
    pooling which taps lie inside their window, ``(*out, *k)`` (a short window's extra taps repeat its last
    cell and do not count)."""
    nd, out_size, ks = spec.ndim, spec.output_size, spec.kernel_size
    if not spec.is_adaptive:
        step = (1,) * nd if spec.transposed else spec.stride
        return tuple(np.arange(out_size[n])[:, None] * step[n] + np.arange(ks[n])[None, :] * spec.dilation[n]
                     for n in range(nd)), None
    coords, valid = [], []
    for n in range(nd):
        bounds = np.array(spec.windows(n))
        taps = bounds[:, :1] + np.arange(ks[n])[None, :]
        valid.append(taps < bounds[:, 1:])
        coords.append(np.minimum(taps, bounds[:, 1:] - 1))
    mask = np.ones((*out_size, *ks), dtype=bool)
    for n in range(nd):
        shape = [1] * (2 * nd)
        shape[n], shape[nd + n] = out_size[n], ks[n]
        mask &= valid[n].reshape(shape)
    return tuple(coords), mask


def _lp_pool(spec: ConvSpec, inputs: np.ndarray, counted: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """LP pooling as PyTorch computes it: ``(Σ x^p · K / n)^(1/p)`` over the ``n`` counted cells of each window
    (``K`` the kernel's cells: a ceil_mode window hanging over the edge is scaled up, as avg_pool's divisor and
    ``.mul(K)`` do), NaN where the sum is negative; ``p = ±inf``: the largest (smallest) ``|x|``.
    Returns the products, the tap weights (``K / n``), the divisors ``n`` and the output."""
    nd, p = spec.ndim, spec.norm_type
    divisor = counted.reshape(*counted.shape[:nd], -1).sum(axis=-1)
    if math.isinf(p):  # type: ignore[arg-type]
        big = p > 0  # type: ignore[operator]
        products = np.where(counted, np.abs(inputs), -np.inf if big else np.inf)
        flat = products.reshape(*products.shape[:2 + nd], -1)
        return products, None, divisor, (flat.max(axis=(1, -1)) if big else flat.min(axis=(1, -1)))
    scale = math.prod(spec.kernel_size) / divisor[(..., *(None,) * nd)]
    tap_weights = np.broadcast_to(np.where(counted, scale, 0.0), inputs.shape).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        powers = np.where(counted, np.power(np.where(counted, inputs, 1.0), p), 0.0)
        products = powers * tap_weights
        total = products.reshape(*products.shape[:2 + nd], -1).sum(axis=(1, -1))
        output = np.power(total, 1.0 / p)  # type: ignore[operator]
    return products, tap_weights, divisor, output


def window_index(tap_coords: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Index arrays that pick every window's taps from a drawn grid: ``grid[index]`` has shape ``(*out, *k)``.

    ``tap_coords[n]`` is ``(out_n, k_n)``: the drawn-grid coordinate of each tap along axis ``n``.
    """
    nd = len(tap_coords)
    index = []
    for n, coords in enumerate(tap_coords):
        shape = [1] * (2 * nd)
        shape[n], shape[nd + n] = coords.shape
        index.append(coords.reshape(shape))
    return index


def _pool_counted(spec: ConvSpec, grid: Grid, index: list[np.ndarray]) -> np.ndarray:
    """Which taps of each pooling window count: (*out, *k) bool (PyTorch's divisor / max rules)."""
    role = grid.role[tuple(index)]
    if spec.op is Op.MAX_POOL or spec.count_include_pad:
        return role != Role.OVERHANG
    return role == Role.INPUT
