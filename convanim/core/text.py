"""Text metrics with the real font: the fonts figures are drawn with, and how wide a string is at a size.

The fonts are the DejaVu TrueType files bundled with matplotlib (found without importing matplotlib). Widths
come from the font's own advance widths through Pillow's FreeType binding, loaded on first use, so every
figure sizes its text the way the raster and vector renderers draw it.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache, lru_cache
from typing import Any

FONT_FILES = {"serif": "DejaVuSerif.ttf", "sans": "DejaVuSans.ttf", "mono": "DejaVuSansMono.ttf"}


@cache
def font_path(font: str) -> str | None:
    """The TrueType file for ``"serif" | "sans" | "mono"`` among matplotlib's bundled fonts (no import)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "mpl-data", "fonts", "ttf",
                        FONT_FILES.get(font, FONT_FILES["serif"]))
    return path if os.path.exists(path) else None


@lru_cache(maxsize=64)
def truetype(font: str, size: float) -> Any:
    """Pillow's font object for ``font`` at ``size`` pixels (its default font if the file is missing)."""
    from PIL import ImageFont

    path = font_path(font)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


@lru_cache(maxsize=8192)
def text_width(text: str, size: float, font: str = "serif") -> float:
    """The advance width of ``text`` in pixels at ``size`` (the em height in pixels)."""
    return float(truetype(font, size).getlength(text))
