"""Data values for a layer: explicit arrays, seeded random integers, arange, and named kernels."""

from __future__ import annotations

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
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise SpecError(key, f"random: seed must be a non-negative int, got {seed!r}")
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise SpecError(key, f"random: {name} must be a number, got {v!r}")
    if not high >= low:
        raise SpecError(key, f"random: high must be >= low, got low={low}, high={high}")
    rng = np.random.default_rng(seed)
    if opts["integers"] is True:
        if int(low) != low or int(high) != high:
            raise SpecError(key, f"random: integer low/high must be whole numbers, got {low}, {high}")
        return rng.integers(int(low), int(high), size=shape, endpoint=True).astype(np.float64)
    if opts["integers"] is not False:
        raise SpecError(key, f"random: integers must be true or false, got {opts['integers']!r}")
    return np.round(rng.uniform(low, high, size=shape), 2)


def _arange(key: str, options: Any, shape: tuple[int, ...]) -> np.ndarray:
    if options is None:
        options = {}
    if not isinstance(options, dict) or set(options) - {"start", "step"}:
        raise SpecError(key, f"arange: expected a mapping of start, step; got {options!r}")
    start, step = options.get("start", 0), options.get("step", 1)
    for name, v in (("start", start), ("step", step)):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise SpecError(key, f"arange: {name} must be a number, got {v!r}")
    return (start + step * np.arange(math.prod(shape), dtype=np.float64)).reshape(shape)


def _explicit(key: str, value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise SpecError(key, f"expected numbers in nested lists of shape {list(shape)} ({what})") from None
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
    if key == "bias" and isinstance(value, (int, float)) and not isinstance(value, bool):
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
