"""Receptive fields across stacked layers: each layer's field size, jump and start, and the exact cells feeding a cell.

Coordinates are cell indices: the centre of input cell ``n`` is at ``n``. For every layer and axis:

* ``size`` r (the field's extent in input cells): ``r_out = r_in + (k_eff - 1) * j_in``
* ``jump`` j (input cells between neighbouring outputs): ``j_out = j_in * s``
* ``start`` (centre of output cell 0's field): ``start_out = start_in + ((k_eff - 1) / 2 - p) * j_in``

with ``k_eff = d (k - 1) + 1`` and ``p`` the padding before (PyTorch's ``'same'`` pads less before than
after when the total is odd). A transposed layer is treated as conv_arithmetic draws it: the direct
convolution of its zero-inserted input, so its jump is ``j_in / s`` (a fraction) and its size a bound.

The exact field (``field``) propagates index sets down the stack, one axis at a time (every layer here is
separable): padding cells are reported per plane but feed nothing below, except reflect / replicate /
circular padding, whose cells are copies of real cells and so pass the field on to them.

Element-wise steps (``core.elementwise``) map each cell to itself: the field passes through unchanged.
Adaptive pooling's windows differ in size: its jump is ``size_in / size_out`` (a fraction) and its field
size a bound (the largest window).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..core.arithmetic import describe
from ..core.elementwise import ElementwiseSpec
from ..core.spec import ConvSpec, PaddingMode
from ..core.words import dims, per_axis, plural

Number = int | Fraction
Layer = ConvSpec | ElementwiseSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerField:
    """The receptive-field numbers of one plane (the input is plane 0), one value per spatial axis."""

    index: int  # 0: the input; n: the output of layer n (1-based, as printed)
    output_size: tuple[int, ...]  # this plane's size
    size: tuple[Number, ...]  # r: the field's extent in input cells
    jump: tuple[Number, ...]  # j: input cells between neighbouring cells of this plane
    start: tuple[Number, ...]  # centre (input cell index) of the field of this plane's cell 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaneField:
    """The part of one plane that feeds the chosen output cell, per axis (the plane's cells are their product)."""

    index: int  # plane number, 0 = the input
    cells: tuple[tuple[int, ...], ...]  # per axis: the real cells (sorted indices in 0..size-1)
    padded: tuple[tuple[int, ...], ...]  # per axis: every position read, padding included (may be < 0)


def _num(v: Fraction) -> Number:
    return int(v) if v.denominator == 1 else v


def layer_fields(specs: Sequence[Layer]) -> tuple[LayerField, ...]:
    """The calculator's numbers for the input and after every layer."""
    if not specs:
        raise ValueError("layer_fields needs at least one layer")
    nd = specs[0].ndim
    r = [Fraction(1)] * nd
    j = [Fraction(1)] * nd
    start = [Fraction(0)] * nd
    out = [LayerField(index=0, output_size=specs[0].input_size, size=tuple(map(_num, r)), jump=tuple(map(_num, j)),
                      start=tuple(map(_num, start)))]
    for n, spec in enumerate(specs, start=1):
        for a in range(nd if not spec.is_elementwise else 0):  # an element-wise step keeps every number
            k_eff = spec.effective_kernel[a]
            if spec.is_adaptive:
                first = spec.windows(a)[0]
                r[a] = r[a] + (k_eff - 1) * j[a]
                start[a] = start[a] + Fraction(first[1] - first[0] - 1, 2) * j[a]
                j[a] = j[a] * Fraction(spec.input_size[a], spec.output_size[a])
            elif spec.transposed:
                j[a] = j[a] / spec.stride[a]  # the zero-inserted grid, then a stride-1 convolution
                q = k_eff - 1 - spec.padding[a]
                r[a] = r[a] + (k_eff - 1) * j[a]
                start[a] = start[a] + (Fraction(k_eff - 1, 2) - q) * j[a]
            else:
                r[a] = r[a] + (k_eff - 1) * j[a]
                start[a] = start[a] + (Fraction(k_eff - 1, 2) - spec.pad_before[a]) * j[a]
                j[a] = j[a] * spec.stride[a]
        out.append(LayerField(index=n, output_size=spec.output_size, size=tuple(map(_num, r)),
                              jump=tuple(map(_num, j)), start=tuple(map(_num, start))))
    return tuple(out)


def _source(spec: Layer, axis: int, pos: int) -> int | None:
    """The real input cell whose value padded position ``pos`` holds (None: a constant pad)."""
    i = spec.input_size[axis]
    if 0 <= pos < i:
        return pos
    if spec.is_elementwise:
        return None
    mode = spec.padding_mode
    if spec.transposed or mode is PaddingMode.ZEROS:
        return None
    if mode is PaddingMode.REPLICATE:
        return min(max(pos, 0), i - 1)
    if mode is PaddingMode.CIRCULAR:
        return pos % i
    period = 2 * (i - 1)  # reflect, without repeating the edge
    m = pos % period if period else 0
    return m if m < i else period - m


def reads(spec: Layer, axis: int, o: int) -> list[int]:
    """Positions of layer ``spec``'s input (padding < 0 or >= size) read by output ``o`` along ``axis``."""
    if spec.is_elementwise:
        return [o]
    if spec.is_adaptive:
        start, end = spec.windows(axis)[o]
        return list(range(start, end))
    k, s, d = spec.kernel_size[axis], spec.stride[axis], spec.dilation[axis]
    i = spec.input_size[axis]
    if spec.transposed:  # o + p = n * s + t * d for an input n and a tap t
        p = spec.padding[axis]
        out = []
        for t in range(k):
            num = o + p - t * d
            if num % s == 0 and 0 <= num // s < i:
                out.append(num // s)
        return out
    first = o * s - spec.pad_before[axis]
    reach = i + spec.pad_after[axis]  # a ceil_mode pooling window may overhang: those taps count for nothing
    return [first + t * d for t in range(k) if first + t * d < reach]


def field(specs: Sequence[Layer], position: Sequence[int]) -> tuple[PlaneField, ...]:
    """Which cells of every plane feed output cell ``position`` of the last layer (plane 0 is the input)."""
    nd = specs[0].ndim
    last = specs[-1].output_size
    if len(position) != nd or not all(0 <= p < n for p, n in zip(position, last)):
        raise ValueError(f"position {tuple(position)} is outside the last layer's output {last}")
    current = [{int(p)} for p in position]
    planes = [PlaneField(index=len(specs), cells=tuple((p,) for p in map(int, position)),
                         padded=tuple((p,) for p in map(int, position)))]
    for n in range(len(specs), 0, -1):
        spec = specs[n - 1]
        cells, padded = [], []
        for a in range(nd):
            read = {pos for o in current[a] for pos in reads(spec, a, o)}
            real = {src for pos in read if (src := _source(spec, a, pos)) is not None}
            cells.append(tuple(sorted(real)))
            padded.append(tuple(sorted(read)))
        current = [set(c) for c in cells]
        planes.append(PlaneField(index=n - 1, cells=tuple(cells), padded=tuple(padded)))
    return tuple(reversed(planes))


def input_cells(specs: Sequence[Layer], position: Sequence[int]) -> set[tuple[int, ...]]:
    """The exact set of input cells (spatial indices) that output cell ``position`` of the last layer reads."""
    axes = field(specs, position)[0].cells
    return set(_product(axes))


def _product(axes: Sequence[Sequence[int]]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for values in axes:
        out = [t + (v,) for t in out for v in values]
    return out


def number(v: Number) -> str:
    """A field number as printed: ``3``, ``1.5`` (halves, quarters, eighths) or ``1/3``."""
    return str(v) if isinstance(v, int) else (f"{float(v):g}" if v.denominator in (2, 4, 8) else str(v))


def show(values: Sequence[Number]) -> str:
    """Per-axis numbers as printed: one value when all axes agree, ``3×5`` otherwise."""
    return per_axis(values, number)


def info_lines(specs: Sequence[Layer]) -> list[str]:
    """What ``convanim info`` prints for a stack: each layer, its output size and its field's numbers."""
    fields = layer_fields(specs)
    names = ["input"] + [f"{n}: {spec.torch_line()}" for n, spec in enumerate(specs, start=1)]
    width = max(map(len, names))
    lines = [f"{'layer'.ljust(width)}  {'size':>7}  {'field':>7}  {'jump':>5}  {'start':>6}"]
    bounds = None
    for n, (name, f) in enumerate(zip(names, fields, strict=True)):
        whole = all(isinstance(v, int) or v.denominator == 1 for v in f.size)
        bounds = n if bounds is None and not whole else bounds
        lines.append(f"{name.ljust(width)}  {dims(f.output_size):>7}  {('' if whole else '≈') + show(f.size):>7}  "
                     f"{show(f.jump):>5}  {show(f.start):>6}")
    cells = math.prod(specs[-1].output_size)
    if bounds is not None:
        lines.append(f"≈: from layer {bounds} on the jump is a fraction of an input cell (a transposed or adaptive "
                     f"layer), so the field is the formula's bound, not a count of cells; the exact field of each cell "
                     f"is shaded in the figure")
    lines.append(f"frames: {cells} (one per output cell of layer {len(specs)})")
    return lines


def layer_name(spec: Layer) -> str:
    """``kernel 3×3 · stride 2`` (describe() without the sizes), or an element-wise step's label."""
    if spec.is_elementwise:
        return spec.label  # type: ignore[union-attr]
    return " · ".join(describe(spec).split(" → ")[0].split(" · ")[1:])  # type: ignore[arg-type]


def describe_stack(specs: Sequence[Layer]) -> str:
    """One line for a stack (alt text, titles): ``receptive field of 3 layers on a 12×12 input: ... → 5×5``."""
    steps = [layer_name(spec) + ("" if spec.is_elementwise else " → " + dims(spec.output_size)) for spec in specs]
    size = dims(specs[0].input_size) + ("-wide" if specs[0].ndim == 1 else "")
    field_size = show(layer_fields(specs)[-1].size)
    return (f"receptive field of {plural(len(specs), 'layer')} on a {size} input: "
            f"{'; '.join(steps)}; each output cell of the last layer sees {field_size} input cells across")
