"""Stage 1: YAML files (and PyTorch modules) to a ``Config``, data values, ``layers:``, and YAML back out.

Names load on first use, so the stages above can import ``config.model`` without loading YAML.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"Config": "model", "CONFIG_KEYS": "load", "load_config": "load", "parse_config": "load",
            "config_from_mapping": "load", "to_yaml": "dump"}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
