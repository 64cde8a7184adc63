"""convanim: animate any PyTorch convolution, pooling or transposed convolution, exactly as PyTorch computes it.

    >>> from convanim import ConvSpec, load_config, simulate
    >>> spec = ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1)
    >>> spec.output_size
    (3, 3)

Heavy modules load on first use, so ``import convanim`` stays fast. The package is one folder per stage,
each importing only itself and the stages below: ``core`` (0), ``config`` (1), ``engine`` (2), ``figures``
(3), ``draw`` (4), ``encode`` (5), ``app`` (6); this module only re-exports.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__

_EXPORTS = {
    "ConvSpec": "core.spec",
    "SpecError": "core.errors",
    "ConvanimError": "core.errors",
    "ConfigError": "core.errors",
    "RenderOptions": "core.options",
    "Config": "config.model",
    "load_config": "app.pipeline",
    "to_yaml": "config.dump",
    "from_torch": "config.torch_bridge",  # torch is imported only when this is first used
    "simulate": "engine.simulate",
    "Trace": "engine.simulate",
    "Step": "engine.simulate",
    "render": "app.pipeline",
    "show": "app.notebook",
    "explore": "app.explore",
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

