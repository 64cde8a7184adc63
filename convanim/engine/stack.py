"""stack_values(): the values of every plane of a ``layers:`` stack, each layer applied to the one before.

Convolution and pooling layers go through ``simulate`` (so they equal ``torch.nn.functional``), element-wise
steps through ``elementwise.apply`` (equal to the module in eval mode).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.elementwise import ElementwiseSpec
from ..core.spec import ConvSpec
from .elementwise import apply
from .simulate import simulate


def stack_values(specs: Sequence[ConvSpec | ElementwiseSpec], x: np.ndarray,
                 weights: Sequence[np.ndarray | None], biases: Sequence[np.ndarray | None]) -> tuple[np.ndarray, ...]:
    """The input and every layer's output, each ``(C, *size)``: plane ``n`` is the output of layer ``n``."""
    planes = [np.asarray(x, dtype=np.float64)]
    for spec, weight, bias in zip(specs, weights, biases, strict=True):
        if spec.is_elementwise:
            planes.append(apply(spec, planes[-1]))  # type: ignore[arg-type]
        else:
            planes.append(simulate(spec, planes[-1], weight, bias).output)  # type: ignore[arg-type]
    return tuple(planes)
