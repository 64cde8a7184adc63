"""What ``convanim info`` prints for a config (one layer, several channels, a stack of layers) or a PyTorch module."""

from __future__ import annotations

import re

from .. import figures
from ..config import Config
from ..core.errors import ConvanimError, SpecError


def config_lines(config: Config) -> list[str]:
    """The lines under a config's heading, from its figure kind: the size formula, frames and PyTorch line,
    or a stack's fields."""
    try:
        return figures.info_lines(config)
    except SpecError as err:
        raise config.error(err.key, err.message) from None


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
    from ..config.torch_bridge import from_torch, module_from_expression

    module = module_from_expression(expression, seed=seed)
    return from_torch(module, size, weights=weights, in_channels=in_channels)
