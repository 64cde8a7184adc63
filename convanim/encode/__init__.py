"""Stage 5: encoders. One module per output format, each streaming and atomic; the registry names them.

The writers take RGB frames or the renderer's FrameUpdates (``write_gif``, ``write_apng``, ...); each format
module's ``save`` takes a Scene. Only the registry loads with the package (it is what the CLI needs to list
the formats); the rest loads on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .registry import Format, by_suffix, formats, get, names, register

__all__ = ["EncodeError", "Format", "by_suffix", "formats", "get", "names", "register"]


def __getattr__(name: str) -> Any:
    if name == "EncodeError":
        return import_module(".common", __name__).EncodeError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
