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


@lru_cache(maxsize=16384)
def text_box(text: str, size: float, font: str = "serif", anchor: str = "mm") -> tuple[float, float, float, float]:
    """The ink box ``(x0, y0, x1, y1)`` of ``text`` drawn at the origin with ``anchor`` (Pillow's two-letter
    anchors), in pixels at ``size``: what a renderer paints, measured with the real font."""
    if not text.strip():
        return (0.0, 0.0, 0.0, 0.0)
    x0, y0, x1, y1 = truetype(font, size).getbbox(text, anchor=anchor)
    return (float(x0), float(y0), float(x1), float(y1))


ELLIPSIS = "…"
# Top-level separators of an equation's terms, longest first (" + " before "+").
_TERM_SEPS = (" + ", " − ", ", ")


def split_terms(body: str) -> tuple[list[str], list[str]]:
    """An equation's body split at its top-level term separators (never inside brackets): the terms and
    the separators between them (``len(seps) == len(terms) - 1``)."""
    terms, seps, depth, start, i = [], [], 0, 0, 0
    while i < len(body):
        ch = body[i]
        depth += ch in "([{"
        depth -= ch in ")]}"
        sep = next((s for s in _TERM_SEPS if depth == 0 and body.startswith(s, i)), None)
        if sep is not None:
            terms.append(body[start:i])
            seps.append(sep)
            i += len(sep)
            start = i
            continue
        i += 1
    terms.append(body[start:])
    return terms, seps


def elide_end(text: str, size: float, font: str, max_width: float) -> str:
    """``text`` cut at its end with "…" so it is at most ``max_width`` pixels wide (whole when it fits)."""
    if text_width(text, size, font) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid].rstrip() + ELLIPSIS, size, font) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS


def _shorter(body: str) -> list[str]:
    """Shorter forms of an equation's body, longest first: middle terms replaced by "…" (the first terms
    kept); a body of one term with a bracket, ``max(...)`` or ``(... ) / 4``, is shortened inside it."""
    terms, seps = split_terms(body)
    if len(terms) > 1:
        return ["".join(t + s for t, s in zip(terms[:keep], seps[:keep])) + ELLIPSIS
                for keep in range(len(terms) - 1, 0, -1)]
    open_ = body.find("(")
    if open_ < 0:
        return []
    depth = 0
    for close in range(open_, len(body)):
        depth += body[close] == "("
        depth -= body[close] == ")"
        if depth == 0:
            break
    inner = _shorter(body[open_ + 1:close])
    return [body[:open_ + 1] + form + body[close:] for form in inner]


def fit_equation(text: str, size: float, font: str, max_width: float) -> str:
    """An equation ``head = t1 + t2 + ... = result`` shortened to ``max_width`` pixels by eliding middle
    terms: the first terms and the result are kept (``y[0,1] = 3·2 + 1·0 + … = 17``; inside a bracket for
    ``max(...)`` and means). A text that is no equation is cut at its end; the shortest form (head, first
    term, "…", result) is returned even when it is still wider (the canvas then grows)."""
    if text_width(text, size, font) <= max_width:
        return text
    first, last = text.find(" = "), text.rfind(" = ")
    if first < 0 or first == last:
        return elide_end(text, size, font, max_width)
    head, body, tail = text[:first + 3], text[first + 3:last], text[last:]
    forms = _shorter(body)
    for form in forms:
        if text_width(head + form + tail, size, font) <= max_width:
            return head + form + tail
    return head + (forms[-1] if forms else body) + tail


def wrap_text(text: str, size: float, font: str, max_width: float, seps: tuple[str, ...] = (" · ", " ")) -> list[str]:
    """``text`` broken into lines of at most ``max_width`` pixels at the first separator of ``seps`` that
    it holds (a label's " · ", then spaces); a piece wider than the line on its own is cut with "…"."""
    sep = next((s for s in seps if s in text), None)
    if sep is None or text_width(text, size, font) <= max_width:
        return [elide_end(text, size, font, max_width)]
    keep = sep.strip() if sep.strip() in (",", ";") else ""  # a comma stays at the end of its line
    lines: list[str] = []
    line = ""
    for word in text.split(sep):
        candidate = word if not line else line + sep + word
        if not line or text_width(candidate, size, font) <= max_width:
            line = candidate
        else:
            lines.append(line + keep)
            line = word
    lines.append(line)
    return [elide_end(ln, size, font, max_width) for ln in lines]
