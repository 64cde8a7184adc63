"""ElementwiseSpec: a step of a ``layers:`` stack that maps every value on its own (an activation, batch norm in
eval mode, dropout in eval mode, identity, a final flatten), in PyTorch's names; sizes and channels pass through.

    >>> ElementwiseSpec(op="leaky_relu", input_size=(4, 4), in_channels=2, negative_slope=0.2).torch_line()
    'nn.LeakyReLU(negative_slope=0.2)'

The numbers are computed in ``engine.elementwise``; here are the names, the parameters and their checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from .errors import SpecError


class Elementwise(StrEnum):
    RELU = "relu"
    RELU6 = "relu6"
    LEAKY_RELU = "leaky_relu"
    ELU = "elu"
    GELU = "gelu"
    SILU = "silu"
    HARDSWISH = "hardswish"
    HARDSIGMOID = "hardsigmoid"
    SIGMOID = "sigmoid"
    TANH = "tanh"
    BATCH_NORM = "batch_norm"
    DROPOUT = "dropout"
    IDENTITY = "identity"
    FLATTEN = "flatten"


ELEMENTWISE_OPS: tuple[str, ...] = tuple(op.value for op in Elementwise)
# op -> its PyTorch module name and the figure's short label
MODULES = {"relu": "ReLU", "relu6": "ReLU6", "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
           "hardswish": "Hardswish", "hardsigmoid": "Hardsigmoid", "sigmoid": "Sigmoid", "tanh": "Tanh",
           "batch_norm": "BatchNorm", "dropout": "Dropout", "identity": "Identity", "flatten": "Flatten"}
# op -> the keys it takes besides op (with their defaults)
PARAMETERS: dict[str, dict[str, Any]] = {
    "leaky_relu": {"negative_slope": 0.01},
    "elu": {"alpha": 1.0},
    "gelu": {"approximate": "none"},
    "batch_norm": {"running_mean": 0.0, "running_var": 1.0, "weight": 1.0, "bias": 0.0, "eps": 1e-5},
    "dropout": {"p": 0.5},
}
ELEMENTWISE_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for keys in PARAMETERS.values() for k in keys))
_PER_CHANNEL = ("running_mean", "running_var", "weight", "bias")


def _number(key: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SpecError(key, f"expected a finite number, got {v!r}")
    return float(v)


@dataclass(frozen=True, slots=True, kw_only=True)
class ElementwiseSpec:
    """An element-wise step: ``op`` and its parameters; ``input_size`` and ``in_channels`` come from the layer
    before it. ``batch_norm`` holds one running mean, variance, weight and bias per channel (eval mode)."""

    is_elementwise: ClassVar[bool] = True

    op: Any
    input_size: tuple[int, ...]
    in_channels: int = 1
    negative_slope: float = 0.01
    alpha: float = 1.0
    approximate: str = "none"
    eps: float = 1e-5
    p: float = 0.5
    running_mean: Any = 0.0
    running_var: Any = 1.0
    weight: Any = 1.0
    bias: Any = 0.0

    def __post_init__(self) -> None:
        s = object.__setattr__
        try:
            s(self, "op", Elementwise(self.op))
        except ValueError:
            raise SpecError("op", f"must be one of {', '.join(ELEMENTWISE_OPS)}, got {self.op!r}") from None
        s(self, "input_size", tuple(self.input_size))
        for key in ("negative_slope", "alpha", "eps", "p"):
            s(self, key, _number(key, getattr(self, key)))
        if self.approximate not in ("none", "tanh"):
            raise SpecError("approximate", f"must be 'none' or 'tanh', got {self.approximate!r}")
        if not 0 <= self.p <= 1:
            raise SpecError("p", f"must be between 0 and 1, got {self.p:g}")
        if self.eps <= 0:
            raise SpecError("eps", f"must be > 0, got {self.eps:g}")
        for key in _PER_CHANNEL:
            s(self, key, self._per_channel(key, getattr(self, key)))
        if min(self.running_var) < 0:
            raise SpecError("running_var", f"must be >= 0, got {min(self.running_var):g}")

    def __repr__(self) -> str:
        keys = ["op", "input_size", "in_channels", *PARAMETERS.get(self.op.value, {})]
        return f"ElementwiseSpec({', '.join(f'{k}={getattr(self, k)!r}' for k in keys)})"

    def _per_channel(self, key: str, value: Any) -> tuple[float, ...]:
        """One number (every channel) or a list of one per channel, as a tuple of ``in_channels`` floats."""
        if isinstance(value, (list, tuple)):
            if len(value) != self.in_channels:
                raise SpecError(key, f"expected one number or {self.in_channels} (one per channel), got {len(value)}")
            return tuple(_number(key, v) for v in value)
        return (_number(key, value),) * self.in_channels

    # -- what a stack asks of every layer -----------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.input_size)

    @property
    def output_size(self) -> tuple[int, ...]:
        return self.input_size

    @property
    def out_channels(self) -> int:
        return self.in_channels

    @property
    def label(self) -> str:
        """The short name a figure writes: ``ReLU``, ``LeakyReLU 0.2``, ``BatchNorm``."""
        extra = {"leaky_relu": f" {self.negative_slope:g}", "elu": f" {self.alpha:g}" if self.alpha != 1 else "",
                 "gelu": " (tanh)" if self.approximate == "tanh" else ""}
        return MODULES[self.op.value] + extra.get(self.op.value, "")

    def torch_line(self) -> str:
        """The PyTorch module (``BatchNorm*d``'s values are set on the module: ``running_mean``, ...)."""
        name = MODULES[self.op.value]
        if self.op is Elementwise.BATCH_NORM:
            eps = f", eps={self.eps:g}" if self.eps != 1e-5 else ""
            return f"nn.BatchNorm{self.ndim}d({self.in_channels}{eps})"
        args = {"leaky_relu": f"negative_slope={self.negative_slope:g}", "elu": f"alpha={self.alpha:g}",
                "gelu": f"approximate={self.approximate!r}" if self.approximate != "none" else "",
                "dropout": f"p={self.p:g}"}.get(self.op.value, "")
        return f"nn.{name}({args})"

    def describe(self) -> str:
        """A short human line: ``BatchNorm (eval): (x - mean) / sqrt(var + 1e-05) · weight + bias``."""
        return {"batch_norm": f"BatchNorm (eval): (x − mean) / √(var + {self.eps:g}) · weight + bias",
                "dropout": f"Dropout p={self.p:g} (eval: identity)", "flatten": "Flatten (the values in order)",
                "identity": "Identity"}.get(self.op.value, f"{self.label}, element-wise")
