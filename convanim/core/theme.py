"""Themes: the colours, line widths and fonts of a figure; conv_arithmetic's palette is the default."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Theme:
    """Colours ("#rrggbb") and line widths (in cell-size units) used by every style."""

    name: str = "conv_arithmetic"
    background: str = "#ffffff"
    input: str = "#268bd2"  # real input cells
    output: str = "#2aa198"  # output cells
    padding: str = "#ffffff"  # padding (drawn empty, dashed)
    inserted: str = "#e9e4d4"  # zeros a transposed convolution inserts between input cells (dashed, tinted)
    overhang: str = "#d8d8d8"  # cells only a ceil_mode pooling window reaches, beyond the padding (dashed, grey)
    grid: str = "#002b36"  # cell outlines
    shade: str = "#073642"  # kernel footprint / current output overlay
    shade_alpha: float = 0.4
    connector: str = "#000000"  # the four lines from footprint to output cell
    text: str = "#000000"
    subscript: str = "#000000"
    caption: str = "#002b36"
    pending: str = "#ffffff"  # output cells not yet computed (progressive reveal)
    grid_width: float = 0.05  # fraction of the cell side
    connector_width: float = 0.018



CONV_ARITHMETIC = Theme()

# Okabe & Ito's colour-blind-safe palette: blue input, bluish-green output replaced by orange so the two
# planes never depend on a blue/green distinction.
COLORBLIND = Theme(
    name="colorblind",
    input="#56b4e9",
    output="#e69f00",
    grid="#1a1a1a",
    shade="#000000",
    shade_alpha=0.35,
    caption="#1a1a1a",
)

# For dark slides and pages: light lines and text on a near-black background, the roles' hues kept.
DARK = Theme(
    name="dark",
    background="#111418",
    input="#2f7fc1",
    output="#1f9e8f",
    padding="#111418",
    inserted="#3a3528",
    overhang="#2b2b2b",
    grid="#c9d1d9",
    shade="#ffffff",
    shade_alpha=0.35,
    connector="#e6edf3",
    text="#f0f3f6",
    subscript="#ffd58a",
    caption="#e6edf3",
    pending="#111418",
)

THEMES: dict[str, Theme] = {t.name: t for t in (CONV_ARITHMETIC, COLORBLIND, DARK)}

COLOR_KEYS: tuple[str, ...] = tuple(
    f.name for f in fields(Theme) if f.name != "name" and f.type in ("str", str)
)


def is_color(value: object) -> bool:
    """True for a "#rrggbb" string."""
    return isinstance(value, str) and bool(_HEX.match(value))


def make_theme(base: str = "conv_arithmetic", **colors: str) -> Theme:
    """A named theme with some colours replaced; raises ``KeyError``/``ValueError`` naming the bad key."""
    if base not in THEMES:
        raise KeyError(base)
    for key, value in colors.items():
        if key not in COLOR_KEYS:
            raise KeyError(key)
        if not is_color(value):
            raise ValueError(f"{key}: expected a colour like '#268bd2', got {value!r}")
    return replace(THEMES[base], **colors)
