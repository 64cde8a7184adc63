"""Data values for a layer: explicit arrays, seeded random integers, arange, and named kernels."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from ..core.errors import SpecError
from ..core.spec import ConvSpec

# conv_arithmetic's numerical figures: inputs are integers 0..3, kernel weights integers 0..2.
DEFAULT_RANDOM = {
    "input": {"seed": 0, "low": 0, "high": 3},
    "weight": {"seed": 1, "low": 0, "high": 2},
    "bias": {"seed": 2, "low": 0, "high": 2},
    "grad_output": {"seed": 3, "low": -2, "high": 2},  # the backward pass: signed, so the sums cancel too
}

MAX_EXACT = 2**53  # integers up to this are exact in float64

NAMED_KERNELS = ("sobel_x", "sobel_y", "laplacian", "box", "identity")
_FIXED_3X3 = {
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}


def _named_kernel(name: str, spec: ConvSpec) -> np.ndarray:
    k = spec.kernel_size
    if name in _FIXED_3X3:
        if k != (3, 3):
            raise SpecError("weight", f"{name} is a 3x3 kernel; kernel_size must be 3, got {list(k)}")
        return np.array(_FIXED_3X3[name], dtype=np.float64)
    if name == "box":
        return np.full(k, 1.0 / math.prod(k))
    kernel = np.zeros(k)
    if any(n % 2 == 0 for n in k):
        raise SpecError("weight", f"identity needs an odd kernel_size to have a centre, got {list(k)}")
    kernel[tuple(n // 2 for n in k)] = 1.0
    return kernel


def _finite(key: str, name: str, v: Any) -> None:
    """Refuse a value that is not a finite number that float64 holds."""
    if not _is_number(v):
        raise SpecError(key, f"{name} must be a number, got {v!r}")
    try:
        ok = math.isfinite(float(v))
    except OverflowError:
        ok = False
    if not ok:
        raise SpecError(key, f"{name} must be a finite number within float64, got {v!r}")


def _random(key: str, options: Any, shape: tuple[int, ...]) -> np.ndarray:
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise SpecError(key, f"random: expected a mapping of seed, low, high, integers; got {options!r}")
    unknown = set(options) - {"seed", "low", "high", "integers"}
    if unknown:
        raise SpecError(key, f"random: unknown option {sorted(unknown)[0]!r} (use seed, low, high, integers)")
    opts = {**DEFAULT_RANDOM[key], "integers": True, **options}
    seed, low, high = opts["seed"], opts["low"], opts["high"]
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**128:
        raise SpecError(key, f"random: seed must be an int from 0 to 2**128 - 1, got {seed!r}")
    for name, v in (("low", low), ("high", high)):
        _finite(key, f"random: {name}", v)
    if not high >= low:
        raise SpecError(key, f"random: high must be >= low, got low={low}, high={high}")
    rng = np.random.default_rng(seed)
    if opts["integers"] is True:
        if int(low) != low or int(high) != high:
            raise SpecError(key, f"random: integer low/high must be whole numbers, got {low}, {high}")
        if max(abs(low), abs(high)) > MAX_EXACT:
            raise SpecError(key, f"random: integer low/high must be within ±2**53 (exact as float64), "
                                 f"got {low}, {high}")
        return rng.integers(int(low), int(high), size=shape, endpoint=True).astype(np.float64)
    if opts["integers"] is not False:
        raise SpecError(key, f"random: integers must be true or false, got {opts['integers']!r}")
    if not math.isfinite(float(high) - float(low)):
        raise SpecError(key, f"random: high - low must be a finite float64, got low={low}, high={high}")
    return np.round(rng.uniform(low, high, size=shape), 2)


def _arange(key: str, options: Any, shape: tuple[int, ...]) -> np.ndarray:
    if options is None:
        options = {}
    if not isinstance(options, dict) or set(options) - {"start", "step"}:
        raise SpecError(key, f"arange: expected a mapping of start, step; got {options!r}")
    start, step = options.get("start", 0), options.get("step", 1)
    for name, v in (("start", start), ("step", step)):
        _finite(key, f"arange: {name}", v)
    last = float(start) + float(step) * (math.prod(shape) - 1)
    if not math.isfinite(last):
        raise SpecError(key, f"arange: the last value, {start} + {step}·{math.prod(shape) - 1}, overflows float64")
    return (float(start) + float(step) * np.arange(math.prod(shape), dtype=np.float64)).reshape(shape)


def _number_error(key: str, v: Any, where: tuple[int, ...]) -> SpecError:
    at = "".join(f"[{i}]" for i in where)
    if isinstance(v, str):
        hint = ""
        with contextlib.suppress(ValueError):
            float(v)
            hint = " (YAML 1.1 reads a number without a dot, like 1e3, as text: write 1.0e+3)" \
                if "e" in v.lower() else " (remove the quotes)"
        return SpecError(key, f"expected numbers, got the string {v!r} at {at or 'the top'}{hint}")
    if isinstance(v, (bool, np.bool_)):
        return SpecError(key, f"expected numbers, got {str(v).lower()} at {at or 'the top'}")
    if isinstance(v, (int, float, np.integer, np.floating)):
        return SpecError(key, f"expected finite numbers, got {v!r} at {at or 'the top'}")
    return SpecError(key, f"expected numbers in nested lists, got {type(v).__name__} {v!r} at {at or 'the top'}")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _nested_shape(key: str, value: Any, levels: int, where: tuple[int, ...] = ()) -> tuple[int, ...]:
    """The shape of ``value``, nested lists (or tuples) of numbers at most ``levels`` deep; SpecError naming
    the first value that is not a number or the first list of another length."""
    if not isinstance(value, (list, tuple)):
        if not _is_number(value):
            raise _number_error(key, value, where)
        return ()
    if levels == 0:
        raise SpecError(key, f"lists nested deeper than the array's {len(where)} axes at "
                             f"{''.join(f'[{i}]' for i in where)}")
    if value and not isinstance(value[0], (list, tuple)):  # the innermost level: numbers only
        for i, v in enumerate(value):
            if not _is_number(v):
                raise _number_error(key, v, (*where, i))
        return (len(value),)
    inner = None
    for i, v in enumerate(value):
        shape = _nested_shape(key, v, levels - 1, (*where, i))
        if inner is None:
            inner = shape
        elif shape != inner:
            raise SpecError(key, f"rows of different lengths: {list(inner)} at [0] but {list(shape)} at "
                                 f"{''.join(f'[{j}]' for j in (*where, i))}")
    return (len(value), *(inner or ()))


def _explicit(key: str, value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            raise SpecError(key, f"expected an array of numbers, got dtype {value.dtype}")
        array = value.astype(np.float64)
    else:
        _nested_shape(key, value, len(shape))
        try:
            array = np.array(value, dtype=np.float64)
        except OverflowError:
            raise SpecError(key, "a number is too large for float64 (over about 1.8e308)") from None
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise _number_error(key, float(array[where]), where)
    if array.shape == shape:
        return array
    # Leading size-1 axes (a single channel, a single output) may be left out.
    if array.ndim < len(shape) and shape[: len(shape) - array.ndim] == (1,) * (len(shape) - array.ndim) \
            and array.shape == shape[len(shape) - array.ndim:]:
        return array.reshape(shape)
    raise SpecError(key, f"expected shape {list(shape)} ({what}), got {list(array.shape)}")


def shape_of(key: str, spec: ConvSpec) -> tuple[tuple[int, ...], str] | None:
    """The shape ``key`` ("input", "weight", "bias" or "grad_output") has for ``spec`` and its axes in words; None
    when the layer has no such array (pooling's weight and bias)."""
    if key == "input":
        return (spec.in_channels, *spec.input_size), "in_channels, *input_size"
    if key == "grad_output":
        return (spec.out_channels, *spec.output_size), "out_channels, *output_size"
    if spec.is_pool:
        return None
    if key == "weight":
        what = ("in_channels, out_channels/groups, *kernel_size" if spec.transposed
                else "out_channels, in_channels/groups, *kernel_size")
        return spec.weight_shape(), what  # type: ignore[return-value]
    return (spec.out_channels,), "one per output channel"


def make_values(key: str, value: Any, spec: ConvSpec) -> np.ndarray | None:
    """The array for ``key`` ("input", "weight", "bias" or "grad_output") from its config value (None: the default)."""
    if key == "bias":
        if value is False or (value is None and not spec.bias):
            return None
        if value is True or value is None:
            value = {"random": None}
    target = shape_of(key, spec)
    if target is None:
        if value is not None:
            raise SpecError(key, f"{spec.op.value} has no {'weights' if key == 'weight' else key}"
                                 + ("; remove the key" if key == "weight" else ""))
        return None
    shape, what = target
    if key == "bias" and _is_number(value):
        _finite(key, "bias", value)
        return np.full(shape, float(value))
    if value is None:
        return _random(key, None, shape)
    if isinstance(value, str):
        return _named(key, value, shape, spec)
    if isinstance(value, dict):
        if len(value) == 1 and "random" in value:
            return _random(key, value["random"], shape)
        if len(value) == 1 and "arange" in value:
            return _arange(key, value["arange"], shape)
        raise SpecError(key, f"expected nested lists, {{random: {{...}}}} or {{arange: {{...}}}}, got keys "
                             f"{sorted(map(str, value))}")
    return _explicit(key, value, shape, what)


def _named(key: str, value: str, shape: tuple[int, ...], spec: ConvSpec) -> np.ndarray:
    """A value given by name: a named kernel (weight only), ``arange`` or ``random``."""
    if key == "weight" and value in NAMED_KERNELS:
        return np.broadcast_to(_named_kernel(value, spec), shape).copy()
    if value == "arange":
        return _arange(key, None, shape)
    if value == "random":
        return _random(key, None, shape)
    names = (", ".join(NAMED_KERNELS) + ", " if key == "weight" else "") + "arange, random"
    raise SpecError(key, f"unknown value {value!r} (use nested lists, {names})")


def value_bound(x: float, weight: np.ndarray | None, bias: np.ndarray | None, spec: ConvSpec) -> float:
    """The largest magnitude an output of ``spec`` can reach on inputs of magnitude at most ``x``: the products
    of one output's taps summed, plus its bias (inf when float64 overflows)."""
    if weight is None:  # pooling: a max or a mean of the inputs
        return x
    with np.errstate(over="ignore", invalid="ignore"):
        w = np.abs(weight)
        if spec.transposed:  # (C_in, C_out/g, *k): bounded by the sum over every input channel and tap
            w = w.sum(axis=0)
        per_out = w.reshape(w.shape[0], -1).sum(axis=1)
        bound = float(x) * float(per_out.max()) + (float(np.abs(bias).max()) if bias is not None else 0.0)
    return bound if math.isfinite(bound) else math.inf


def check_range(spec: ConvSpec, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                prefix: str = "", x_bound: float | None = None) -> float:
    """Refuse data whose products or sums would overflow float64; return the outputs' largest magnitude.

    ``x_bound``: the inputs' largest magnitude when ``x`` is not given (a later layer of a stack).
    """
    xmax = float(np.abs(x).max()) if x_bound is None else x_bound
    bound = value_bound(xmax, weight, bias, spec)
    if bound > np.finfo(np.float64).max / 16:  # room for the figures' own sums of a few outputs
        wmax = float(np.abs(weight).max()) if weight is not None else 0.0
        key = prefix + ("input" if xmax >= wmax and not prefix else "weight")
        raise SpecError(key, f"inputs up to {xmax:.3g} and weights up to {wmax:.3g} would overflow float64 "
                             f"(an output could reach {_magnitude(xmax, weight)}, over 1.1e+307)")
    return bound


def _magnitude(xmax: float, weight: np.ndarray | None) -> str:
    """``1e+400``: the order of magnitude of the largest product, written even past float64."""
    if weight is None or xmax == 0:
        return f"{xmax:.3g}"
    w = float(np.abs(weight).max())
    if w == 0:
        return "0"
    exponent = math.log10(xmax) + math.log10(w) + math.log10(weight[0].size)
    return f"1e+{math.floor(exponent)}"
