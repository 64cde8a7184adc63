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


def parse_ints(option: str, text: str, *, most: int = 3) -> list[int]:
    """``8``, ``8,6`` or ``4,8,6`` (also ``8x6``): one int >= 1 per axis, at most ``most``."""
    parts = [p for p in re.split(r"[,x×\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() and int(p) >= 1 for p in parts) or len(parts) > most:
        raise ConvanimError(f"{option}: expected a size like 8, 8,6 or 4,8,6 (ints >= 1), got {text!r}")
    return [int(p) for p in parts]


def parse_size(text: str) -> int | list[int]:
    """``8``, ``8,6`` or ``4,8,6`` (also ``8x6``) as --input-size."""
    sizes = parse_ints("--input-size", text)
    return sizes[0] if len(sizes) == 1 else sizes


def config_from_expression(expression: str, input_size: str | None, *, weights: bool = False, seed: int = 0,
                           in_channels: int | None = None) -> Config:
    """The Config of a PyTorch expression such as ``nn.Conv2d(3, 2, 3, stride=2)`` (``--from-torch``)."""
    if input_size is None:
        raise ConvanimError("--input-size: required with --from-torch (the module does not know its input size)")
    size = parse_size(input_size)
    from ..config.torch_bridge import from_torch, module_from_expression

    module = module_from_expression(expression, seed=seed)
    return from_torch(module, size, weights=weights, in_channels=in_channels)
