"""apply(): an element-wise step of a stack on numpy values, exactly as PyTorch's module computes it (eval mode)."""

from __future__ import annotations

import math

import numpy as np

from ..core.elementwise import Elementwise, ElementwiseSpec

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _batch_norm(spec: ElementwiseSpec, x: np.ndarray) -> np.ndarray:
    shape = (-1, *(1,) * (x.ndim - 1))
    mean, var, weight, bias = (np.array(getattr(spec, k)).reshape(shape)
                               for k in ("running_mean", "running_var", "weight", "bias"))
    return (x - mean) / np.sqrt(var + spec.eps) * weight + bias


def apply(spec: ElementwiseSpec, x: np.ndarray) -> np.ndarray:
    """The step on ``x`` of shape ``(C, *input_size)``; the result has the same shape (a flatten's values are
    returned in place: ``.reshape(-1)`` is the module's output)."""
    x = np.asarray(x, dtype=np.float64)
    op = spec.op
    if op is Elementwise.RELU:
        return np.maximum(x, 0.0)
    if op is Elementwise.RELU6:
        return np.clip(x, 0.0, 6.0)
    if op is Elementwise.LEAKY_RELU:
        return np.where(x > 0, x, x * spec.negative_slope)
    if op is Elementwise.ELU:
        return np.where(x > 0, x, spec.alpha * np.expm1(np.minimum(x, 0.0)))
    if op is Elementwise.GELU:
        return _gelu(x, spec.approximate)
    if op is Elementwise.SILU:
        return x * _sigmoid(x)
    if op is Elementwise.HARDSWISH:
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0
    if op is Elementwise.HARDSIGMOID:
        return np.clip(x / 6.0 + 0.5, 0.0, 1.0)
    if op is Elementwise.SIGMOID:
        return _sigmoid(x)
    if op is Elementwise.TANH:
        return np.tanh(x)
    if op is Elementwise.BATCH_NORM:
        return _batch_norm(spec, x)
    return x.copy()  # dropout (eval), identity, flatten
