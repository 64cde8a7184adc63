"""GIF palettes: a fixed palette from a theme's colours and their blends, and a fast nearest-colour lookup."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageColor

RGB = tuple[int, int, int]
LUT_BITS = 6  # LUT resolution per channel: 64 x 64 x 64 cells


def to_rgb(color: str | Sequence[int]) -> RGB:
    if isinstance(color, str):
        return tuple(ImageColor.getrgb(color)[:3])  # type: ignore[return-value]
    r, g, b = (int(v) for v in color)
    return r, g, b


def build_palette(key_colors: Iterable[str | Sequence[int]], ramps: int = 4, *,
                  overlays: Iterable[tuple[str, float]] = (), limit: int = 255) -> list[RGB]:
    """A fixed GIF palette: the flat colours first, then ``ramps`` blends between every pair of them.

    ``overlays`` are (colour, alpha) layers drawn translucently over the flat colours (e.g. the theme's
    shade); each composite over each key colour is added as a flat colour too. Blends are added middle
    level first so that, when ``limit`` is reached, the coarse ramps are the ones kept. The default limit
    leaves one of the 256 GIF entries free for the transparent index used by delta frames.
    """
    keys: list[RGB] = list(dict.fromkeys(to_rgb(c) for c in key_colors))
    for color, alpha in overlays:
        top = to_rgb(color)
        keys += [tuple(round(k * (1 - alpha) + t * alpha) for k, t in zip(key, top, strict=True))
                 for key in list(keys)]  # type: ignore[misc]
    keys = list(dict.fromkeys(keys))[:limit]
    out, seen = list(keys), set(keys)
    levels = sorted((j / (ramps + 1) for j in range(1, ramps + 1)), key=lambda v: (abs(v - 0.5), v))
    for level in levels:
        for a, b in itertools.combinations(keys, 2):
            if len(out) >= limit:
                return out
            mix = tuple(round(x * (1 - level) + y * level) for x, y in zip(a, b, strict=True))
            if mix not in seen:
                seen.add(mix)  # type: ignore[arg-type]
                out.append(mix)  # type: ignore[arg-type]
    return out


def palette_from_frame(frame: np.ndarray, limit: int = 255) -> list[RGB]:
    """A palette for a stream without one: the first frame's colours (median cut if more than ``limit``)."""
    flat = frame.reshape(-1, 3)
    colors = np.unique(flat[:: max(1, flat.shape[0] // 200_000)], axis=0)
    if len(colors) <= limit:
        return [tuple(int(v) for v in c) for c in colors]  # type: ignore[misc]
    pal = Image.fromarray(frame).quantize(limit, method=Image.Quantize.MEDIANCUT).getpalette()[:limit * 3]
    return [tuple(pal[i:i + 3]) for i in range(0, len(pal), 3)]  # type: ignore[misc]


@lru_cache(maxsize=8)
def _lut(palette: tuple[RGB, ...]) -> np.ndarray:
    """Nearest palette index for every cell of a 64^3 RGB grid (built once per palette, ~30 ms)."""
    pal = np.asarray(palette, np.float32)
    step = 1 << (8 - LUT_BITS)
    centres = np.arange(1 << LUT_BITS, dtype=np.float32) * step + (step - 1) / 2
    g, b = np.meshgrid(centres, centres, indexing="ij")
    # |c - p|^2 = |c|^2 - 2 c.p + |p|^2: only the last two terms depend on p
    gb = (pal**2).sum(axis=1) - 2 * np.stack([g.ravel(), b.ravel()], axis=1) @ pal[:, 1:].T
    lut = np.empty((1 << LUT_BITS, 1 << 2 * LUT_BITS), np.uint8)
    for i, r in enumerate(centres):
        lut[i] = (gb - 2 * r * pal[:, 0]).argmin(axis=1)
    lut = lut.ravel()
    for i in range(len(palette) - 1, -1, -1):  # every palette colour maps to itself, earlier ones first
        r, g_, b_ = (v >> (8 - LUT_BITS) for v in palette[i])
        lut[(r << 2 * LUT_BITS) | (g_ << LUT_BITS) | b_] = i
    return lut


def lookup(palette: Sequence[RGB]) -> np.ndarray:
    """The nearest-colour lookup table of a palette (for ``quantize``; built once per palette)."""
    return _lut(tuple(tuple(int(v) for v in c) for c in palette))


def quantize(frame: np.ndarray, palette: Sequence[RGB] | np.ndarray) -> np.ndarray:
    """Palette indices (height, width) uint8 of an RGB frame, nearest colour via a lookup table (``palette``
    may be the table itself, from ``lookup``)."""
    lut = palette if isinstance(palette, np.ndarray) else lookup(palette)
    g = frame >> (8 - LUT_BITS)
    key = g[..., 0].astype(np.uint32)
    key <<= LUT_BITS
    key |= g[..., 1]
    key <<= LUT_BITS
    key |= g[..., 2]
    return np.take(lut, key)
