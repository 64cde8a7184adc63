"""Coverage of one scene primitive: which pixels a polygon, stroke or line of text covers, and how much.

Coverage model: a pixel is the unit square ``[x, x+1) x [y, y+1)`` sampled at its centre; coverage is
``clip(0.5 + d, 0, 1)`` where ``d`` is the signed distance (inside positive) to the shape, taken as the
minimum over a convex shape's edges. Integer-aligned rectangles therefore fill whole pixels exactly.

A ``Cov`` is either a box ``[y0:y1, x0:x1]`` of coverage values or, for slanted strokes, scattered pixels;
it blends its colour into a whole image, a clipped part of one, or a pool of 16x16 tiles (the renderer's
per-frame working set), always with the same arithmetic, so every path gives the same pixels.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from ..core.scene import Polygon, Primitive, Segment, Text
from ..core.text import truetype

TILE = 16
_F = np.float32


def tile_index(ys: np.ndarray, xs: np.ndarray, cols: int) -> np.ndarray:
    """The 16x16 tile of each pixel (ys, xs) as a flat index into a grid ``cols`` tiles wide."""
    return (ys // TILE) * cols + xs // TILE


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending (``np.unique`` without its overhead: numpy 2's
    takes ~40x as long on the few thousand scattered pixel indices of a frame)."""
    s = np.sort(a, kind="stable")
    if s.size < 2:
        return s
    keep = np.empty(s.size, bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


# ---------------------------------------------------------------- colours and fonts

@lru_cache(maxsize=1024)
def rgb(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` (or any Pillow colour name) as an (r, g, b) tuple of ints."""
    return tuple(ImageColor.getrgb(color)[:3])  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def color_array(color: str, channels: int) -> np.ndarray:
    """A colour as float32 (r, g, b) or, for ``channels=4``, premultiplied opaque (r, g, b, 1)."""
    return np.array(rgb(color) + (1.0,) * (channels - 3), dtype=_F)


@lru_cache(maxsize=512)  # a caption per frame: kept few (each mask of a long one is ~0.1 MB)
def text_mask(text: str, font: str, size: float, anchor: str) -> tuple[np.ndarray, int, int]:
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
    """Where and how much a primitive covers: a box ``[y0:y1, x0:x1]`` with ``cov`` (h, w) (``solid``: fully,
    ``cov`` None), or scattered pixels with flat indices ``idx`` into an image ``width`` pixels wide and ``cov``
    of the same length; alpha is folded into ``cov``. Blending is ``v += (col - v) * cov`` wherever it is
    done (opaque RGB or premultiplied RGBA alike), so a pixel gets the same value on every path."""

    __slots__ = ("y0", "y1", "x0", "x1", "cov", "idx", "solid", "width", "_yx", "_rows", "_tiles", "_tile_of")

    def __init__(self, y0, y1, x0, x1, cov, idx=None, solid=False, width=0, tile_of=None):
        self.y0, self.y1, self.x0, self.x1 = y0, y1, x0, x1
        self.cov, self.idx, self.solid, self.width = cov, idx, solid, width
        self._yx = self._rows = self._tiles = None
        self._tile_of = tile_of  # (``tile_of()``, when the maker knows it)

    @property
    def nbytes(self) -> int:
        return (0 if self.cov is None else self.cov.nbytes) + (0 if self.idx is None else 3 * self.idx.nbytes)

    def yx(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns of a scattered coverage's pixels."""
        if self._yx is None:
            self._yx = np.divmod(self.idx, self.width)
        return self._yx

    def tiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(tile row, tile column) of every 16x16 tile it writes to, each once."""
        t = TILE
        if self.idx is None:
            ty = np.arange(self.y0 // t, (self.y1 - 1) // t + 1)
            tx = np.arange(self.x0 // t, (self.x1 - 1) // t + 1)
            return np.repeat(ty, tx.size), np.tile(tx, ty.size)
        if self._tiles is None:
            cols = self.width // t
            flat = sorted_unique(self.tile_of())
            self._tiles = (flat // cols, flat % cols)
        return self._tiles

    def tile_of(self) -> np.ndarray:
        """A scattered coverage's pixels' 16x16 tiles, as flat indices (tile row * tile columns + column) into
        the tile grid of its canvas."""
        if self._tile_of is None:
            self._tile_of = tile_index(*self.yx(), self.width // TILE)
        return self._tile_of

    def bounds(self) -> tuple[int, int, int, int]:
        """(y0, y1, x0, x1) enclosing every pixel written."""
        if self.idx is None:
            return self.y0, self.y1, self.x0, self.x1
        ys, xs = self.yx()
        return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1

    def blend(self, target: np.ndarray, col: np.ndarray, tiles: np.ndarray | None = None) -> None:
        """Blend into the whole image ``target`` (height, width, channels); a scattered coverage only on the
        16x16 tiles that ``tiles`` (a bool grid) marks, if given."""
        if self.idx is None:
            self.blend_into(target, col, 0, target.shape[0], 0, target.shape[1])
            return
        idx, cov = self.idx, self.cov
        if tiles is not None:
            keep = np.take(tiles.ravel(), self.tile_of())
            if not keep.all():
                idx, cov = idx[keep], cov[keep]
        flat = target.reshape(-1, target.shape[2])
        v = np.take(flat, idx, axis=0)
        v += (col - v) * cov[:, None]
        flat[idx] = v

    def blend_into(self, target: np.ndarray, col: np.ndarray, y0: int, y1: int, x0: int, x1: int,
                   oy: int = 0, ox: int = 0) -> None:
        """Blend the part inside ``[y0:y1, x0:x1]`` (image coordinates) into ``target``, whose pixel (0, 0) is
        image pixel (oy, ox): a whole image, or a strip of one."""
        if self.idx is None:
            iy0, iy1, ix0, ix1 = max(y0, self.y0), min(y1, self.y1), max(x0, self.x0), min(x1, self.x1)
            if iy0 >= iy1 or ix0 >= ix1:
                return
            v = target[iy0 - oy:iy1 - oy, ix0 - ox:ix1 - ox]
            if self.solid:
                v[...] = col
            else:
                v += (col - v) * self.cov[iy0 - self.y0:iy1 - self.y0, ix0 - self.x0:ix1 - self.x0, None]
            return
        order, ys = self.rows()
        lo, hi = np.searchsorted(ys, (y0, y1))
        sel = order[lo:hi]
        if sel.size == 0:
            return
        xs = self.yx()[1][sel]
        keep = (xs >= x0) & (xs < x1)
        sel, xs = sel[keep], xs[keep]
        flat = target.reshape(-1, target.shape[2])
        at = (self.yx()[0][sel] - oy) * target.shape[1] + (xs - ox)
        v = flat[at]
        v += (col - v) * self.cov[sel][:, None]
        flat[at] = v

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """A scattered coverage's pixels in row order: (order, sorted rows), so a band of rows is one slice."""
        if self._rows is None:
            ys = self.yx()[0]
            order = np.argsort(ys, kind="stable")
            self._rows = (order, ys[order])
        return self._rows


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
    return stroke_cov(seg.start, seg.end, float(seg.width), float(seg.alpha), seg.dash, height, width)


def stroke_cov(start, end, w: float, alpha: float, dash: tuple[float, float] | None, height: int,
               width: int, ink: float | None = None) -> Cov | None:
    """``segment_cov`` of a stroke given by its fields; ``ink``: made ``crisp`` with that alpha."""
    if w <= 0 or alpha <= 0:
        return None
    if w < 1:  # thinner than a pixel: a 1-px line with proportionally less ink
        alpha, w = alpha * w, 1.0
    hw = w / 2
    (sx, sy), (ex, ey) = (float(v) for v in start), (float(v) for v in end)
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
            along = _along((px - _F(sx)) * _F(ux), length, hw, dash) + _F(0.5)
            box = _box(y0, y1, x0, x1, _F(hw + 0.5) - np.abs(py - _F(sy)), along, alpha)
        else:
            along = _along((py - _F(sy)) * _F(uy), length, hw, dash) + _F(0.5)
            box = _box(y0, y1, x0, x1, along, _F(hw + 0.5) - np.abs(px - _F(sx)), alpha)
        return box if ink is None else crisp(box, ink)
    return _diagonal(sx, sy, ux, uy, length, hw, alpha, dash, height, width, ink)


def _diagonal(sx, sy, ux, uy, length, hw, alpha, dash, height, width, ink=None) -> Cov | None:
    """A slanted stroke as one short run of pixels per column (or row): cost ~ length x width."""
    major_x = abs(ux) >= abs(uy)
    ms, qs, um, uq = (sx, sy, ux, uy) if major_x else (sy, sx, uy, ux)
    mdim, qdim = (width, height) if major_x else (height, width)
    ends = [ms - hw * um, ms + (length + hw) * um]
    m0, m1 = _span(min(ends) - hw * abs(uq), max(ends) + hw * abs(uq), mdim)
    reach = (hw + 0.5) / abs(um)
    k = int(math.ceil(2 * reach)) + 2
    if m0 >= m1 or qdim < k:
        if m0 >= m1:
            return None
        box = _diagonal_box(sx, sy, ux, uy, length, hw, alpha, dash, height, width)
        return box if ink is None or box is None else crisp(box, ink)
    mc = _centres(m0, m1)
    qc = _F(qs) + (mc - _F(ms)) * _F(uq / um)
    q0 = np.clip(np.floor(qc - _F(reach + 0.5)).astype(np.intp), 0, qdim - k)
    key = None
    if ms.is_integer() and qs.is_integer() and max(abs(ms), abs(qs), mdim, qdim) < 1 << 22:
        key = (major_x, ux, uy, length, hw, alpha, dash, ink, height, width)
        moved = _moved(key, int(ms), int(qs), m0, m1, q0)
        if moved is not None:
            return moved
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
    cov = scattered(idx.ravel(), d.ravel(), width)
    if ink is not None and cov is not None:
        cov = crisp(cov, ink)
    if key is not None:
        _STROKES[key] = (int(ms), int(qs), m0, m1, q0 - int(qs), cov)
        if len(_STROKES) > 64:
            del _STROKES[next(iter(_STROKES))]
    return cov


# A slanted stroke moved by whole pixels covers the same pixels, moved: with integer end points, every value
# _diagonal computes from the pixel centres relative to the start is exact, hence the same. Only which pixels
# it looks at (q0, and the span clipped to the canvas) can differ: they are compared, and the coverage is
# computed afresh unless they moved with it. The connectors of the stacked figures move so from step to step.
_STROKES: dict[tuple, tuple[int, int, int, int, np.ndarray, Cov | None]] = {}


def _moved(key: tuple, ms: int, qs: int, m0: int, m1: int, q0: np.ndarray) -> Cov | None:
    """The coverage of a stroke seen before (same shape, pen and canvas), moved to start at (ms, qs)
    along the major and minor axes; None unless it is provably the same coverage, moved."""
    seen = _STROKES.get(key)
    if seen is None:
        return None
    sm, sq, sm0, sm1, rel, cov = seen
    if m0 - ms != sm0 - sm or m1 - ms != sm1 - sm or rel.shape != q0.shape or not np.array_equal(q0 - qs, rel):
        return None
    if cov is None:
        return None
    dm, dq = ms - sm, qs - sq
    width = key[-1]
    shift = dq * width + dm if key[0] else dm * width + dq
    return Cov(0, 0, 0, 0, cov.cov, idx=cov.idx + shift, width=width)


def scattered(idx: np.ndarray, cov: np.ndarray, width: int) -> Cov | None:
    """A scattered coverage of the pixels with some coverage (None if there are none)."""
    keep = cov > 0
    if not keep.any():
        return None
    return Cov(0, 0, 0, 0, np.ascontiguousarray(cov[keep]), idx=np.ascontiguousarray(idx[keep]), width=width)


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
    mask, left, top = text_mask(txt.text, txt.font, float(txt.size), txt.anchor)
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
        return stroke_cov(prim.start, prim.end, max(1.0, float(prim.width)), 1.0, prim.dash, height, width,
                          ink=float(prim.alpha))
    if isinstance(prim, Text):
        return text_cov(prim, height, width)
    raise TypeError(f"not a scene primitive: {prim!r}")


def crisp(cov: Cov, alpha: float) -> Cov | None:
    """A crisp line: the pixels at least half covered, fully inked (``alpha``), the others left alone."""
    if cov.solid:
        if alpha >= 1:
            return cov
        cov.cov, cov.solid = np.full((cov.y1 - cov.y0, cov.x1 - cov.x0), _F(alpha)), False
        return cov
    if cov.idx is not None:
        keep = cov.cov >= 0.5
        if alpha <= 0 or not keep.any():
            return None
        idx = cov.idx[keep]
        return Cov(0, 0, 0, 0, np.full(idx.size, _F(alpha)), idx=idx, width=cov.width)
    inked = np.where(cov.cov >= 0.5, _F(alpha), _F(0)).astype(cov.cov.dtype)
    cov.cov = inked
    return cov


def color_of(prim: Primitive) -> str:
    """The single colour a primitive is drawn with."""
    return prim.fill if isinstance(prim, Polygon) else prim.color
