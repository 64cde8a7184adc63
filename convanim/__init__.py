"""convanim: animate any PyTorch convolution, pooling or transposed convolution, exactly as PyTorch computes it.

    >>> from convanim import ConvSpec, load_config, simulate
    >>> spec = ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1)
    >>> spec.output_size
    (3, 3)

Heavy modules load on first use, so ``import convanim`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__

_EXPORTS = {
    "ConvSpec": "spec",
    "SpecError": "spec",
    "ConvanimError": "errors",
    "Config": "config",
    "ConfigError": "config",
    "load_config": "api",
    "simulate": "engine",
    "Trace": "engine",
    "Step": "engine",
    "render": "api",
    "show": "api",
    "RenderOptions": "options",
    "from_torch": "torch_bridge",  # torch is imported only when this is first used
    "to_yaml": "config_yaml",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'convanim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

