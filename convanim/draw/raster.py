"""Raster renderer: a Scene to RGB uint8 frames with numpy (analytic anti-aliasing) and Pillow (text).

Coverage model: a pixel is the unit square ``[x, x+1) x [y, y+1)`` sampled at its centre; coverage is
``clip(0.5 + d, 0, 1)`` where ``d`` is the signed distance (inside positive) to the shape, taken as the
minimum over a convex shape's edges. Integer-aligned rectangles therefore fill whole pixels exactly.

Speed: static primitives are drawn once into *bands* split at the scene's dynamic z levels (band 0 is the
opaque base; band j >= 1 is a premultiplied RGBA layer holding static z in ``(d_j, d_j+1]``; at equal z a
static primitive is under a dynamic one). Per frame only the 16x16 tiles touched by the frame's primitives
are restored from the base, drawn, overlaid by the bands above each dynamic level (occlusion) and converted
to uint8. Progressive reveal is exact: when frame k reveals primitives, only the rectangle they cover is
redrawn in their band (from the primitives overlapping it) and recomposited; jumping backwards redraws the
bands that have reveals.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from ..core.scene import Polygon, Primitive, Scene, Segment, Text
from ..core.text import truetype

TILE = 16
_F = np.float32


# ---------------------------------------------------------------- colours and fonts

@lru_cache(maxsize=1024)
def rgb(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` (or any Pillow colour name) as an (r, g, b) tuple of ints."""
    return tuple(ImageColor.getrgb(color)[:3])  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def _col(color: str, channels: int) -> np.ndarray:
    return np.array(rgb(color) + (1.0,) * (channels - 3), dtype=_F)


@lru_cache(maxsize=4096)
def _text_mask(text: str, font: str, size: float, anchor: str) -> tuple[np.ndarray, int, int]:
    """Coverage mask of a string (float32 0..1) and its top-left offset from the anchor point."""
    f = truetype(font, size)
    left, top, right, bottom = (int(v) for v in f.getbbox(text, anchor=anchor))
    if right <= left or bottom <= top:
        return np.zeros((0, 0), _F), 0, 0
    img = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(img).text((-left, -top), text, fill=255, font=f, anchor=anchor)
    mask = np.asarray(img, dtype=_F) * _F(1 / 255)
    mask.setflags(write=False)
    return mask, left, top


# ---------------------------------------------------------------- coverage of one primitive

class Cov:
    """Where and how much a primitive covers: a box ``[y0:y1, x0:x1]`` with ``cov`` (h, w), or scattered
    spans with flat pixel indices ``idx`` and ``cov`` of the same shape; alpha is folded into ``cov``."""

    __slots__ = ("y0", "y1", "x0", "x1", "cov", "idx", "solid", "tys", "txs")

    def __init__(self, y0, y1, x0, x1, cov, idx=None, solid=False, tys=None, txs=None):
        self.y0, self.y1, self.x0, self.x1 = y0, y1, x0, x1
        self.cov, self.idx, self.solid, self.tys, self.txs = cov, idx, solid, tys, txs

    def blend(self, target: np.ndarray, col: np.ndarray) -> None:
        """``target = target + (col - target) * cov`` (opaque RGB or premultiplied RGBA alike)."""
        if self.idx is None:
            v = target[self.y0:self.y1, self.x0:self.x1]
            if self.solid:
                v[...] = col
            else:
                v += (col - v) * self.cov[..., None]
        else:
            flat = target.reshape(-1, target.shape[2])
            v = flat[self.idx]
            v += (col - v) * self.cov[..., None]
            flat[self.idx] = v

    def mark(self, touched: np.ndarray) -> None:
        """Flag the tiles this coverage writes to."""
        if self.idx is None:
            t = TILE
            touched[self.y0 // t:(self.y1 - 1) // t + 1, self.x0 // t:(self.x1 - 1) // t + 1] = True
        else:
            touched[self.tys, self.txs] = True

    def bounds(self, width: int) -> tuple[int, int, int, int]:
        """(y0, y1, x0, x1) enclosing every pixel written."""
        if self.idx is None:
            return self.y0, self.y1, self.x0, self.x1
        ys, xs = np.divmod(self.idx, width)
        return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1

    def blend_within(self, target: np.ndarray, col: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> None:
        """``blend`` restricted to the rectangle ``[y0:y1, x0:x1]`` of ``target``."""
        if self.idx is None:
            iy0, iy1, ix0, ix1 = max(y0, self.y0), min(y1, self.y1), max(x0, self.x0), min(x1, self.x1)
            if iy0 >= iy1 or ix0 >= ix1:
                return
            v = target[iy0:iy1, ix0:ix1]
            if self.solid:
                v[...] = col
            else:
                v += (col - v) * self.cov[iy0 - self.y0:iy1 - self.y0, ix0 - self.x0:ix1 - self.x0, None]
            return
        ys, xs = np.divmod(self.idx, target.shape[1])
        sel = (ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1)
        flat = target.reshape(-1, target.shape[2])
        idx = self.idx[sel]
        v = flat[idx]
        v += (col - v) * self.cov[sel][:, None]
        flat[idx] = v


def _span(lo: float, hi: float, n: int) -> tuple[int, int]:
    """Pixel index range whose centres lie within 0.5 of ``[lo, hi]``, clipped to ``[0, n)``."""
    return max(math.floor(lo), 0), min(math.ceil(hi), n)


def _centres(a: int, b: int) -> np.ndarray:
    return np.arange(a, b, dtype=_F) + _F(0.5)


def _box(y0, y1, x0, x1, dy: np.ndarray, dx: np.ndarray, alpha: float) -> Cov:
    """Separable box coverage from 1-D signed distances along y and x (already + 0.5)."""
    np.clip(dy, 0, 1, out=dy)
    np.clip(dx, 0, 1, out=dx)
    if alpha >= 1 and dy.min() >= 1 and dx.min() >= 1:
        return Cov(y0, y1, x0, x1, None, solid=True)
    cov = np.minimum.outer(dy, dx)
    if alpha < 1:
        cov *= _F(alpha)
    return Cov(y0, y1, x0, x1, cov)


def polygon_cov(points, alpha: float, height: int, width: int) -> Cov | None:
    """Coverage of a convex polygon (any winding)."""
    if alpha <= 0 or len(points) < 3:
        return None
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    x0, x1 = _span(min(xs), max(xs), width)
    y0, y1 = _span(min(ys), max(ys), height)
    if x0 >= x1 or y0 >= y1:
        return None
    if len(points) == 4 and len(set(xs)) == 2 and len(set(ys)) == 2 and (
            xs[0] == xs[1] or ys[0] == ys[1]) and (xs[1] == xs[2] or ys[1] == ys[2]):
        lx, hx, ly, hy = min(xs), max(xs), min(ys), max(ys)
        px, py = _centres(x0, x1), _centres(y0, y1)
        return _box(y0, y1, x0, x1, np.minimum(py - ly, hy - py) + _F(0.5),
                    np.minimum(px - lx, hx - px) + _F(0.5), alpha)
    n = len(xs)
    area = sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))
    if abs(area) < 1e-12:
        return None
    sign = 1.0 if area > 0 else -1.0
    a, b, c = [], [], []
    for i in range(n):
        ex, ey = xs[(i + 1) % n] - xs[i], ys[(i + 1) % n] - ys[i]
        length = math.hypot(ex, ey)
        if length < 1e-12:
            continue
        nx, ny = -ey * sign / length, ex * sign / length
        a.append(nx)
        b.append(ny)
        c.append(0.5 - nx * xs[i] - ny * ys[i])
    a_, b_, c_ = (np.array(v, _F)[:, None] for v in (a, b, c))
    d = (b_ * _centres(y0, y1) + c_)[:, :, None] + (a_ * _centres(x0, x1))[:, None, :]
    cov = d.min(axis=0)
    np.clip(cov, 0, 1, out=cov)
    if alpha < 1:
        cov *= _F(alpha)
    return Cov(y0, y1, x0, x1, cov)


def _along(t: np.ndarray, length: float, hw: float, dash: tuple[float, float] | None) -> np.ndarray:
    """Signed distance (inside positive) along a stroke of ``length`` with square ends of ``hw``; dashes
    start at ``t = 0`` with an "on" piece, pieces get butt ends except at the segment's two ends."""
    d = np.minimum(t + _F(hw), _F(length + hw) - t)
    if dash is None or dash[1] <= 0:
        return d
    on, off = float(dash[0]), float(dash[1])
    if on <= 0:
        return np.full_like(t, -1.0)
    period = on + off
    s = np.mod(t - _F(on / 2), _F(period))
    per = _F(on / 2) - np.minimum(s, _F(period) - s)
    np.minimum(per, _F(length) - t, out=per)
    np.maximum(per, np.minimum(t + _F(hw), _F(on) - t), out=per)  # first piece, square start
    rem = length % period
    if 1e-6 < rem <= on + 1e-6 or length <= on:  # the segment ends inside an "on" piece
        start = length - min(rem, length)
        lo = t + _F(hw) if start <= 1e-9 else t - _F(start)
        np.maximum(per, np.minimum(lo, _F(length + hw) - t), out=per)
    return np.minimum(per, d, out=per)


def segment_cov(seg: Segment, height: int, width: int) -> Cov | None:
    """Coverage of a straight stroke with square caps (dashed: butt-ended pieces)."""
    w, alpha = float(seg.width), float(seg.alpha)
    if w <= 0 or alpha <= 0:
        return None
    if w < 1:  # thinner than a pixel: a 1-px line with proportionally less ink
        alpha, w = alpha * w, 1.0
    hw = w / 2
    (sx, sy), (ex, ey) = (float(v) for v in seg.start), (float(v) for v in seg.end)
    dx, dy = ex - sx, ey - sy
    length = math.hypot(dx, dy)
    if length < 1e-9:
        ux, uy = 1.0, 0.0
    else:
        ux, uy = dx / length, dy / length
    if abs(uy) < 1e-9 or abs(ux) < 1e-9:
        horizontal = abs(uy) < 1e-9
        if horizontal:
            x0, x1 = _span(min(sx, ex) - hw, max(sx, ex) + hw, width)
            y0, y1 = _span(sy - hw, sy + hw, height)
        else:
            x0, x1 = _span(sx - hw, sx + hw, width)
            y0, y1 = _span(min(sy, ey) - hw, max(sy, ey) + hw, height)
        if x0 >= x1 or y0 >= y1:
            return None
        px, py = _centres(x0, x1), _centres(y0, y1)
        if horizontal:
            along = _along((px - _F(sx)) * _F(ux), length, hw, seg.dash) + _F(0.5)
            return _box(y0, y1, x0, x1, _F(hw + 0.5) - np.abs(py - _F(sy)), along, alpha)
        along = _along((py - _F(sy)) * _F(uy), length, hw, seg.dash) + _F(0.5)
        return _box(y0, y1, x0, x1, along, _F(hw + 0.5) - np.abs(px - _F(sx)), alpha)
    return _diagonal(sx, sy, ux, uy, length, hw, alpha, seg.dash, height, width)


def _diagonal(sx, sy, ux, uy, length, hw, alpha, dash, height, width) -> Cov | None:
    """A slanted stroke as one short run of pixels per column (or row): cost ~ length x width."""
    major_x = abs(ux) >= abs(uy)
    ms, qs, um, uq = (sx, sy, ux, uy) if major_x else (sy, sx, uy, ux)
    mdim, qdim = (width, height) if major_x else (height, width)
    ends = [ms - hw * um, ms + (length + hw) * um]
    m0, m1 = _span(min(ends) - hw * abs(uq), max(ends) + hw * abs(uq), mdim)
    reach = (hw + 0.5) / abs(um)
    k = int(math.ceil(2 * reach)) + 2
    if m0 >= m1 or qdim < k:
        return None if m0 >= m1 else _diagonal_box(sx, sy, ux, uy, length, hw, alpha, dash, height, width)
    mc = _centres(m0, m1)
    qc = _F(qs) + (mc - _F(ms)) * _F(uq / um)
    q0 = np.clip(np.floor(qc - _F(reach + 0.5)).astype(np.intp), 0, qdim - k)
    q = q0[:, None] + np.arange(k)
    pm = (mc - _F(ms))[:, None]
    pq = q.astype(_F) + _F(0.5 - qs)
    t = pm * _F(um) + pq * _F(uq)
    d = _F(hw) - np.abs(pq * _F(um) - pm * _F(uq))
    np.minimum(d, _along(t, length, hw, dash), out=d)
    d += _F(0.5)
    np.clip(d, 0, 1, out=d)
    if alpha < 1:
        d *= _F(alpha)
    m = np.arange(m0, m1)[:, None]
    idx = q * width + m if major_x else m * width + q
    mt = np.repeat(np.arange(m0, m1) // TILE, 2)
    qt = np.stack([q0 // TILE, (q0 + k - 1) // TILE], axis=1).ravel()
    if k > TILE + 1:
        extra = [(q0 + off) // TILE for off in range(TILE, k, TILE)]
        mt = np.concatenate([mt] + [np.arange(m0, m1) // TILE] * len(extra))
        qt = np.concatenate([qt] + extra)
    tys, txs = (qt, mt) if major_x else (mt, qt)
    return Cov(0, 0, 0, 0, d, idx=idx, tys=tys, txs=txs)


def _diagonal_box(sx, sy, ux, uy, length, hw, alpha, dash, height, width) -> Cov | None:
    """A slanted stroke over its bounding box (fallback for canvases thinner than the stroke)."""
    ex, ey = sx + ux * length, sy + uy * length
    x0, x1 = _span(min(sx, ex) - hw, max(sx, ex) + hw, width)
    y0, y1 = _span(min(sy, ey) - hw, max(sy, ey) + hw, height)
    if x0 >= x1 or y0 >= y1:
        return None
    px, py = (_centres(x0, x1) - _F(sx))[None, :], (_centres(y0, y1) - _F(sy))[:, None]
    d = _F(hw) - np.abs(py * _F(ux) - px * _F(uy))
    np.minimum(d, _along(px * _F(ux) + py * _F(uy), length, hw, dash), out=d)
    d = np.clip(d + _F(0.5), 0, 1) * _F(alpha)
    return Cov(y0, y1, x0, x1, d)


def text_cov(txt: Text, height: int, width: int) -> Cov | None:
    """Coverage of a line of text (Pillow, cached per string, font, size and anchor)."""
    mask, left, top = _text_mask(txt.text, txt.font, float(txt.size), txt.anchor)
    if mask.size == 0:
        return None
    x0 = math.floor(float(txt.xy[0]) + 0.5) + left
    y0 = math.floor(float(txt.xy[1]) + 0.5) + top
    h, w = mask.shape
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + w, width), min(y0 + h, height)
    if cx0 >= cx1 or cy0 >= cy1:
        return None
    return Cov(cy0, cy1, cx0, cx1, mask[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0])


def coverage(prim: Primitive, height: int, width: int) -> Cov | None:
    """Coverage of any primitive on a canvas of ``height`` x ``width`` pixels (None when invisible)."""
    if isinstance(prim, Polygon):
        return polygon_cov(prim.points, float(prim.alpha), height, width)
    if isinstance(prim, Segment):
        if prim.antialias:
            return segment_cov(prim, height, width)
        cov = segment_cov(replace(prim, alpha=1.0, width=max(1.0, prim.width)), height, width)
        if cov is not None:  # a crisp line: the pixels at least half covered, fully inked
            cov.cov = np.where(cov.cov >= 0.5, np.float32(prim.alpha), np.float32(0)).astype(cov.cov.dtype)
            cov.solid = False
        return cov
    if isinstance(prim, Text):
        return text_cov(prim, height, width)
    raise TypeError(f"not a scene primitive: {prim!r}")


def color_of(prim: Primitive) -> str:
    """The single colour a primitive is drawn with."""
    return prim.fill if isinstance(prim, Polygon) else prim.color


# ---------------------------------------------------------------- the renderer

def _tiles(a: np.ndarray) -> np.ndarray:
    """(Hp, Wp, ...) -> (Hp/T, T, Wp/T, T, ...) view, so ``v[ty, :, tx]`` gathers whole tiles."""
    return a.reshape(a.shape[0] // TILE, TILE, a.shape[1] // TILE, TILE, *a.shape[2:])


def _to_u8(v: np.ndarray) -> np.ndarray:
    v += _F(0.5)
    return v.astype(np.uint8)


class _Band:
    """Static primitives between two dynamic z levels: an opaque RGB image (band 0, with the background)
    or a premultiplied RGBA layer, kept in the state of one frame (primitives with ``reveal <= frame``)."""

    def __init__(self, prims: list[Primitive], shape: tuple[int, int], bg: str | None, frame: int):
        hp, wp = shape
        ch = 3 if bg is not None else 4
        self.bg = _col(bg, 3) if bg is not None else np.zeros(4, _F)
        self.items = []  # (coverage, colour, reveal) in drawing order
        self.occ = np.zeros((hp // TILE, wp // TILE), bool)  # tiles any primitive may touch
        for p in prims:
            cv = coverage(p, hp, wp)
            if cv is not None:
                self.items.append((cv, _col(color_of(p), ch), int(p.reveal)))
                cv.mark(self.occ)
        self.boxes = np.array([cv.bounds(wp) for cv, _, _ in self.items], np.int64).reshape(-1, 4)
        self.reveals = np.array([r for _, _, r in self.items], np.int64)
        # reveal frame -> union box of what appears then
        self.events: dict[int, tuple[int, int, int, int]] = {}
        for k in np.unique(self.reveals[self.reveals > 0]).tolist():
            b = self.boxes[self.reveals == k]
            self.events[k] = (int(b[:, 0].min()), int(b[:, 1].max()), int(b[:, 2].min()), int(b[:, 3].max()))
        self.cur = np.empty((hp, wp, ch), _F)
        self.draw(frame)

    def draw(self, frame: int, box: tuple[int, int, int, int] | None = None) -> None:
        """Redraw ``cur`` (or only the rectangle ``box``) with the primitives shown at ``frame``."""
        if box is None:
            self.cur[...] = self.bg
            for cv, col, reveal in self.items:
                if reveal <= frame:
                    cv.blend(self.cur, col)
            return
        y0, y1, x0, x1 = box
        self.cur[y0:y1, x0:x1] = self.bg
        b = self.boxes
        hit = (b[:, 0] < y1) & (b[:, 1] > y0) & (b[:, 2] < x1) & (b[:, 3] > x0) & (self.reveals <= frame)
        for j in np.flatnonzero(hit).tolist():
            cv, col, _ = self.items[j]
            cv.blend_within(self.cur, col, y0, y1, x0, x1)

    def over(self, dst: np.ndarray, ty: np.ndarray, tx: np.ndarray) -> np.ndarray:
        """Composite this (premultiplied) layer over gathered tiles ``dst`` (n, T, T, 3) in place."""
        src = _tiles(self.cur)[ty, :, tx]
        dst *= _F(1) - src[..., 3:]
        dst += src[..., :3]
        return dst


class RasterRenderer:
    """Renders a Scene frame by frame; static layers are prepared once at construction."""

    def __init__(self, scene: Scene, *, start: int = 0, cache_bytes: int = 16 << 20):
        self.scene = scene
        self.h, self.w = scene.height, scene.width
        hp, wp = -(-self.h // TILE) * TILE, -(-self.w // TILE) * TILE
        self.shape = (hp, wp)
        first = scene.frame(0) if scene.n_frames > 0 else ()
        levels = sorted(set(scene.dynamic_z) | {p.z for p in first})
        groups: list[list[Primitive]] = [[] for _ in range(len(levels) + 1)]
        for p in sorted(scene.static, key=lambda p: p.z):
            groups[bisect.bisect_left(levels, p.z)].append(p)
        self.bands = [_Band(groups[0], self.shape, scene.background, start)]
        self.band_z = [-math.inf]  # dynamic primitives with z <= band_z[j] are drawn before band j
        for j, g in enumerate(groups[1:]):
            if g:
                self.bands.append(_Band(g, self.shape, None, start))
                self.band_z.append(levels[j])
        self.event_keys = [sorted(b.events) for b in self.bands]
        self.full = np.empty((hp, wp, 3), _F)
        self.full_u8 = np.empty((hp, wp, 3), np.uint8)
        self.out = np.empty((hp, wp, 3), np.uint8)
        self.canvas = np.empty((hp, wp, 3), _F)
        self.touched = np.zeros((hp // TILE, wp // TILE), bool)
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self._frame = start
        self._cache: dict[Primitive, Cov | None] = {}
        self._cache_bytes, self._cache_limit = 0, cache_bytes
        self._compose()

    # -- static state

    def _compose(self) -> None:
        """Rebuild the composite of every static band (float and uint8) from scratch."""
        np.copyto(self.full, self.bands[0].cur)
        for band in self.bands[1:]:
            self.full *= _F(1) - band.cur[..., 3:]
            self.full += band.cur[..., :3]
        np.copyto(self.full_u8, _to_u8(self.full.copy()))
        np.copyto(self.out, self.full_u8)
        self._prev = None

    def _set_static(self, frame: int) -> None:
        """Bring the static images to ``frame``'s reveal state (incrementally when moving forward)."""
        prev, self._frame = self._frame, frame
        if frame == prev:
            return
        if frame < prev:
            for band in self.bands:
                if band.events:
                    band.draw(frame)
            self._compose()
            return
        tiles = np.zeros_like(self.touched)
        for band, keys in zip(self.bands, self.event_keys, strict=True):
            for k in keys[bisect.bisect_right(keys, prev):bisect.bisect_right(keys, frame)]:
                y0, y1, x0, x1 = band.events[k]
                band.draw(frame, band.events[k])
                tiles[y0 // TILE:(y1 - 1) // TILE + 1, x0 // TILE:(x1 - 1) // TILE + 1] = True
        ty, tx = np.nonzero(tiles)
        if ty.size == 0:
            return
        v = _tiles(self.bands[0].cur)[ty, :, tx]
        for band in self.bands[1:]:
            band.over(v, ty, tx)
        _tiles(self.full)[ty, :, tx] = v
        u8 = _to_u8(v)
        _tiles(self.full_u8)[ty, :, tx] = u8
        _tiles(self.out)[ty, :, tx] = u8

    # -- per frame

    def _cov(self, prim: Primitive) -> Cov | None:
        try:
            return self._cache[prim]
        except KeyError:
            pass
        except TypeError:  # unhashable (lists instead of tuples): no caching
            return coverage(prim, *self.shape)
        cv = coverage(prim, *self.shape)
        size = 0 if cv is None or cv.cov is None else cv.cov.nbytes + (0 if cv.idx is None else cv.idx.nbytes)
        if self._cache_bytes + size > self._cache_limit:
            self._cache.clear()
            self._cache_bytes = 0
        self._cache[prim] = cv
        self._cache_bytes += size
        return cv

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as a fresh (height, width, 3) uint8 array."""
        if not 0 <= i < max(self.scene.n_frames, 1):
            raise IndexError(f"frame {i} is outside 0..{self.scene.n_frames - 1}")
        self._set_static(i)
        prims = sorted((p for p in self.scene.frame(i) if p.reveal <= i), key=lambda p: p.z)
        out = _tiles(self.out)
        if self._prev is not None:  # undo the previous frame's dynamic pixels
            ty, tx = self._prev
            out[ty, :, tx] = _tiles(self.full_u8)[ty, :, tx]
            self._prev = None
        if not prims:
            return self.out[:self.h, :self.w].copy()
        touched = self.touched
        touched[...] = False
        work = []
        for p in prims:
            cv = self._cov(p)
            if cv is not None:
                cv.mark(touched)
                work.append((p.z, cv, color_of(p)))
        ty, tx = np.nonzero(touched)
        canvas = _tiles(self.canvas)
        canvas[ty, :, tx] = _tiles(self.bands[0].cur)[ty, :, tx]
        k = 0
        for band, z in zip(self.bands[1:], self.band_z[1:], strict=True):
            while k < len(work) and work[k][0] <= z:
                work[k][1].blend(self.canvas, _col(work[k][2], 3))
                k += 1
            sel = band.occ[ty, tx]
            if sel.any():
                bty, btx = ty[sel], tx[sel]
                canvas[bty, :, btx] = band.over(canvas[bty, :, btx], bty, btx)
        for _z, cv, color in work[k:]:
            cv.blend(self.canvas, _col(color, 3))
        out[ty, :, tx] = _to_u8(canvas[ty, :, tx])
        self._prev = (ty, tx)
        return self.out[:self.h, :self.w].copy()

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame in order, one at a time."""
        for i in range(self.scene.n_frames):
            yield self.frame(i)


def render_frames(scene: Scene) -> Iterator[np.ndarray]:
    """RGB uint8 (height, width, 3) frames of ``scene``, lazily (memory does not grow with frame count)."""
    if scene.n_frames <= 0:
        return
    yield from RasterRenderer(scene).frames()


def render_frame(scene: Scene, i: int) -> np.ndarray:
    """One RGB uint8 frame (e.g. for ``--step``)."""
    return RasterRenderer(scene, start=i).frame(i)
