"""What ``convanim info`` prints for a config (one layer, several channels, a stack of layers) or a PyTorch module."""

from __future__ import annotations

import re

from .arithmetic import info_lines
from .config import Config
from .errors import ConvanimError


def config_lines(config: Config) -> list[str]:
    """The lines under a config's heading: the size formula, frames and PyTorch line, or the stack's fields."""
    if config.layers:
        from .receptive import info_lines as layer_lines

        return layer_lines(config.layers)
    lines = info_lines(config.spec)
    spec = config.spec
    if max(spec.in_channels, spec.out_channels) > 8:
        from .layout_multi import channels_of_spec

        drawn = channels_of_spec(spec)
        lines.append(f"drawn: input channels {_slots(drawn.inputs)}; output channels {_slots(drawn.outputs)} "
                     f"(more than 8 planes are elided) · frames drawn: {len(drawn.steps)}")
    return lines


def _slots(slots: tuple[int | None, ...]) -> str:
    return ", ".join("…" if c is None else str(c) for c in slots)


def parse_size(text: str) -> int | list[int]:
    """``8`` or ``8,6`` (also ``8x6``) as --input-size."""
    parts = [p for p in re.split(r"[,x×\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() and int(p) >= 1 for p in parts) or len(parts) > 2:
        raise ConvanimError(f"--input-size: expected a size like 8 or 8,6, got {text!r}")
    return int(parts[0]) if len(parts) == 1 else [int(p) for p in parts]


def config_from_expression(expression: str, input_size: str | None, *, weights: bool = False, seed: int = 0,
                           in_channels: int | None = None) -> Config:
    """The Config of a PyTorch expression such as ``nn.Conv2d(3, 2, 3, stride=2)`` (``--from-torch``)."""
    if input_size is None:
        raise ConvanimError("--input-size: required with --from-torch (the module does not know its input size)")
    size = parse_size(input_size)
    from .torch_bridge import from_torch, module_from_expression

    module = module_from_expression(expression, seed=seed)
    return from_torch(module, size, weights=weights, in_channels=in_channels)
