"""simulate_layers(): a ``layers:`` config's layers simulated in turn, each on the previous layer's output."""

from __future__ import annotations

from .config import Config
from .engine import Trace, simulate


def simulate_layers(config: Config) -> list[Trace]:
    """One Trace per layer; the last trace's ``output`` is the stack's output (one layer: a list of one)."""
    if not config.layers:
        return [simulate(config.spec, config.input, config.weight, config.bias)]
    traces: list[Trace] = []
    x = config.input
    for spec, weight, bias in zip(config.layers, config.layer_weights, config.layer_biases, strict=True):
        traces.append(simulate(spec, x, weight, bias))
        x = traces[-1].output
    return traces
