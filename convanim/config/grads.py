"""The backward pass's keys of a config: ``grad_output:`` (the gradient arriving at the output) and ``learn:``
(a kernel learned by gradient descent), validated against the layer and the render options."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from ..core.errors import SpecError
from ..core.limits import Amount, check_arrays
from ..core.options import Pass, RenderOptions
from ..core.spec import ConvSpec
from .data import make_values

LEARN_KEYS = ("target", "steps", "lr", "loss", "reduction", "every")
MAX_LEARN_STEPS = 10_000


class Loss(StrEnum):
    MSE = "mse"  # nn.MSELoss: the squared error


class Reduction(StrEnum):
    MEAN = "mean"  # nn.MSELoss's default: the mean over every output cell
    SUM = "sum"  # the sum, as ((y - t) ** 2).sum().backward()


@dataclass(frozen=True, slots=True, kw_only=True)
class Learn:
    """``learn:``: gradient descent on the layer's weight (and bias) towards a target output."""

    target: np.ndarray | None  # (C_out, *output_size), given as data
    target_weight: np.ndarray | None  # or made by this weight (and bias) on the input
    target_bias: np.ndarray | None
    steps: int
    lr: float
    loss: Loss = Loss.MSE
    reduction: Reduction = Reduction.MEAN
    every: int = 1  # draw every k-th step (and the last)

    @property
    def shown_steps(self) -> tuple[int, ...]:
        """The steps the animation draws: 0, every, 2·every, ... and the last."""
        return tuple(sorted({*range(0, self.steps + 1, self.every), self.steps}))


def _number(key: str, v: Any, *, positive: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or (positive and v <= 0):
        raise SpecError(key, f"expected a {'positive ' if positive else ''}number, got {v!r}")
    return float(v)


def _count(key: str, v: Any, low: int, high: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise SpecError(key, f"expected an int from {low} to {high}, got {v!r}")
    return v


def _choice(key: str, enum: type[StrEnum], v: Any) -> Any:
    try:
        return enum(v)
    except ValueError:
        raise SpecError(key, f"must be one of {', '.join(m.value for m in enum)}, got {v!r}") from None


def _rekeyed(key: str, what: str, value: Any, spec: ConvSpec) -> np.ndarray | None:
    """``make_values`` with its errors naming ``key``."""
    try:
        return make_values(what, value, spec)
    except SpecError as err:
        raise SpecError(key, err.message) from None


def _target(value: Any, spec: ConvSpec) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """``target:`` as data (the output's shape), or ``{kernel: ..., bias: ...}``: made by that layer."""
    if value is None:
        raise SpecError("learn.target", "required: the output to learn (data of the output's shape, or "
                                        "{kernel: [[1, -1]]} for the output that kernel gives)")
    if isinstance(value, dict) and "kernel" in value:
        unknown = set(value) - {"kernel", "bias"}
        if unknown:
            raise SpecError("learn.target", f"unknown key {sorted(map(str, unknown))[0]!r} (use kernel, bias)")
        weight = _rekeyed("learn.target.kernel", "weight", value["kernel"], spec)
        bias = None
        if value.get("bias") is not None:
            bias = _rekeyed("learn.target.bias", "bias", value["bias"], spec)
        return None, weight, bias
    shape = (spec.out_channels, *spec.output_size)
    try:
        target = make_values("grad_output", value, spec)
    except SpecError as err:
        raise SpecError("learn.target", err.message.replace("out_channels, *output_size", "the output's shape")
                        ) from None
    assert target is not None and target.shape == shape
    return target, None, None


def parse_learn(value: Any, spec: ConvSpec) -> Learn:
    """``learn:`` checked against the layer."""
    if not isinstance(value, dict):
        raise SpecError("learn", f"expected a mapping of {', '.join(LEARN_KEYS)}, got {value!r}")
    for key in value:
        if key not in LEARN_KEYS:
            raise SpecError(f"learn.{key}", f"unknown key (use {', '.join(LEARN_KEYS)})")
    if spec.is_pool:
        raise SpecError("learn", f"{spec.op.value} has no weights to learn; use a convolution")
    for key in ("steps", "lr"):
        if key not in value:
            raise SpecError(f"learn.{key}", "required" + (" (how many updates)" if key == "steps"
                                                           else " (the learning rate)"))
    target, weight, bias = _target(value.get("target"), spec)
    return Learn(target=target, target_weight=weight, target_bias=bias,
                 steps=_count("learn.steps", value["steps"], 1, MAX_LEARN_STEPS),
                 lr=_number("learn.lr", value["lr"], positive=True),
                 loss=_choice("learn.loss", Loss, value.get("loss", "mse")),
                 reduction=_choice("learn.reduction", Reduction, value.get("reduction", "mean")),
                 every=_count("learn.every", value.get("every", 1), 1, MAX_LEARN_STEPS))


def check_output_sized(key: str, spec: ConvSpec, render: RenderOptions) -> None:
    """Refuse, before it is made, an array of the output's shape (``grad_output``, ``learn.target``) over
    ``render.max_elements``: a transposed layer's output can be far larger than its input."""
    check_arrays([Amount(key=key, what="∂L/∂y (out_channels × output_size)" if key == "grad_output" else
                         "the target (out_channels × output_size)",
                         size=spec.out_channels * math.prod(spec.output_size))], render.max_elements)


def backward_values(data: dict[str, Any], spec: ConvSpec, render: RenderOptions) -> dict[str, Any]:
    """The Config's ``grad_output`` and ``learn`` from the config mapping (SpecError naming the key); arrays of
    the output's shape are checked against ``render.max_elements`` before they are made."""
    if "learn" in data:
        check_output_sized("learn.target", spec, render)
    if render.pass_ is Pass.BACKWARD:
        check_output_sized("grad_output", spec, render)
    learn = parse_learn(data["learn"], spec) if "learn" in data else None
    if "grad_output" in data and (learn is not None or render.pass_ is not Pass.BACKWARD):
        why = "a learn: config takes its output gradient from the loss" if learn is not None else \
            "it is what render: {pass: backward} sends back; this figure draws the forward pass"
        raise SpecError("grad_output", f"unused: {why}")
    if learn is not None and render.pass_ is Pass.BACKWARD:
        raise SpecError("render.pass", "a learn: config draws its own gradients; remove pass")
    grad = make_values("grad_output", data.get("grad_output"), spec) if render.pass_ is Pass.BACKWARD else None
    return {"grad_output": grad, "learn": learn}
