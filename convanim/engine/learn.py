"""Learning a kernel by gradient descent in numpy, exactly as ``nn.Conv2d`` + ``torch.optim.SGD`` do: each step
runs the layer, measures the squared error against a target, sends its gradient back and moves the weight and
the bias against their gradients.

``descend`` returns one ``State`` per step, 0 (the start) to ``steps`` (after the last update): the weight and
bias at that step, the output, the loss and the gradients there (the ones the next update applies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.spec import ConvSpec
from .backward import bias_gradient, weight_gradient
from .simulate import simulate


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """The layer at one step of gradient descent."""

    step: int
    weight: np.ndarray  # PyTorch's layout
    bias: np.ndarray | None
    output: np.ndarray  # (C_out, *output_size)
    loss: float
    grad_output: np.ndarray  # ∂L/∂y
    grad_weight: np.ndarray  # ∂L/∂w, PyTorch's layout
    grad_bias: np.ndarray | None


def mse(output: np.ndarray, target: np.ndarray, reduction: str = "mean") -> tuple[float, np.ndarray]:
    """``nn.MSELoss(reduction=...)``: the loss and its gradient with respect to ``output``."""
    error = output - target
    if reduction == "sum":
        return float(np.sum(error * error)), 2.0 * error
    if reduction != "mean":
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    return float(np.mean(error * error)), 2.0 * error / error.size


def descend(spec: ConvSpec, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, target: np.ndarray, *,
            steps: int, lr: float, reduction: str = "mean") -> tuple[State, ...]:
    """``steps`` steps of plain gradient descent (``w -= lr·∂L/∂w``, ``b -= lr·∂L/∂b``) on the squared error of
    ``spec`` on ``x`` against ``target``; the states at steps 0..steps."""
    if spec.is_pool:
        raise ValueError(f"{spec.op.value} has no weights to learn")
    w = np.array(weight, dtype=np.float64)
    b = None if bias is None else np.array(bias, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    states = []
    for step in range(steps + 1):
        trace = simulate(spec, x, w, b)
        loss, grad = mse(trace.output, target, reduction)
        gw = weight_gradient(trace, grad).grad
        gb = bias_gradient(grad) if b is not None else None
        states.append(State(step=step, weight=w, bias=b, output=trace.output, loss=loss, grad_output=grad,
                            grad_weight=gw, grad_bias=gb))
        w = w - lr * gw
        b = None if b is None else b - lr * gb  # type: ignore[operator]
    return tuple(states)
