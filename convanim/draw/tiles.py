"""Static layers kept as 16x16 tiles: memory for what is drawn, work for the tiles a frame touches.

A ``TileStore`` holds a float32 image as tiles: a tile of one colour is kept as that colour, any other as
its pixels (allocated on first need), so a canvas of empty background costs almost nothing and a 15-Mpx
canvas costs what its cells and lines cover. A ``Band`` is the static primitives between two dynamic z
levels, drawn strip by strip into its store (a strip of rows at a time, so drawing never holds a whole
float canvas) in the state of one frame (primitives with ``reveal <= frame``); when a frame reveals more,
only the rectangle they cover is redrawn, from the primitives overlapping it.
"""

from __future__ import annotations

import mmap

import numpy as np

from ..core.scene import Polygon, Primitive, Segment, Text
from .coverage import TILE, Cov, color_array, color_of, coverage, text_mask

_F = np.float32
STRIP = 8 * TILE  # rows drawn at a time, at least
STRIP_BYTES = 16 << 20  # ... and as many more as fit in this (a small canvas is drawn in one go)


class Scratch:
    """A float32 image of which each frame touches a few scattered tiles: its memory pages are mapped only as
    touched (not as 2-MB huge pages, which numpy would ask for and which sparse touches would fill), and
    ``release()`` hands them all back, so resident memory follows recent frames, not the whole canvas."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape
        self._map: mmap.mmap | None = None
        self.array = self._allocate()

    def _allocate(self) -> np.ndarray:
        size = int(np.prod(self.shape)) * 4
        try:
            self._map = mmap.mmap(-1, size)
            self._map.madvise(mmap.MADV_NOHUGEPAGE)
        except (AttributeError, OSError, ValueError):  # no madvise here: an ordinary zeroed array
            self._map = None
            return np.zeros(self.shape, _F)
        return np.frombuffer(self._map, _F).reshape(self.shape)

    def release(self) -> None:
        """Give the memory back (the contents become zeros)."""
        if self._map is not None:
            try:
                self._map.madvise(mmap.MADV_DONTNEED)
                return
            except (AttributeError, OSError, ValueError):
                pass
        self.array = None  # type: ignore[assignment]
        self.array = np.zeros(self.shape, _F)


def to_u8(v: np.ndarray) -> np.ndarray:
    """Float colour values (0..255) rounded to uint8 (``v`` is changed in place)."""
    v += _F(0.5)
    return v.astype(np.uint8)


class TileStore:
    """A float32 (rows, cols) grid of 16x16 tiles of ``channels`` values, each one colour or its own pixels."""

    def __init__(self, grid: tuple[int, int], channels: int, fill: np.ndarray, capacity: int):
        self.channels = channels
        self.slot = np.full(grid, -1, np.int32)  # where a tile's pixels are in ``data``; -1: one colour
        self.color = np.empty((*grid, channels), _F)
        self.color[...] = fill
        self.data = np.empty((max(capacity, 1), TILE, TILE, channels), _F)  # pages are touched as used
        self.used = 0
        self.free: list[int] = []
        self.blank = np.ones(grid, bool)  # every pixel transparent (RGBA) or of the fill colour
        self.opaque = np.zeros(grid, bool)  # every pixel fully opaque (RGBA only)
        self.fill = fill

    def gather(self, ty: np.ndarray, tx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Tiles (ty[i], tx[i]) as an (n, 16, 16, channels) array."""
        if out is None:
            out = np.empty((ty.size, TILE, TILE, self.channels), _F)
        slots = self.slot[ty, tx]
        own = slots >= 0
        if own.all():
            np.take(self.data, slots, axis=0, out=out)
            return out
        out[~own] = self.color[ty[~own], tx[~own]][:, None, None, :]
        if own.any():
            out[own] = self.data[slots[own]]
        return out

    def pixels(self, ys: np.ndarray, xs: np.ndarray, tile: np.ndarray) -> np.ndarray:
        """Single pixels (ys[i], xs[i]), in the tiles of flat index ``tile`` (row * columns + column), as an
        (n, channels) array."""
        out = np.take(self.color.reshape(-1, self.channels), tile, axis=0)
        own, at = self.own_pixels(ys, xs, tile)
        if own.size:
            out[own] = np.take(self.data.reshape(-1, self.channels), at, axis=0)
        return out

    def own_pixels(self, ys: np.ndarray, xs: np.ndarray, tile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of the pixels (ys, xs) in tiles ``tile`` lie in tiles with pixels of their own, and where each of
        those is among ``data``'s pixels (``data.reshape(-1, channels)``)."""
        slots = np.take(self.slot.ravel(), tile)
        own = np.flatnonzero(slots >= 0)
        at = np.take(slots, own).astype(np.intp) * (TILE * TILE) + (np.take(ys, own) % TILE) * TILE + (
            np.take(xs, own) % TILE)
        return own, at

    def put(self, ty: np.ndarray, tx: np.ndarray, tiles: np.ndarray) -> None:
        """Store tiles (n, 16, 16, channels) at (ty, tx); a tile of one colour is kept as that colour."""
        if ty.size == 0:
            return
        first = tiles[:, :1, :1, :]
        flat = (tiles == first).reshape(len(tiles), -1).all(axis=1)
        self.color[ty[flat], tx[flat]] = first[flat, 0, 0]
        for t in self.slot[ty[flat], tx[flat]].tolist():
            if t >= 0:
                self.free.append(t)
        self.slot[ty[flat], tx[flat]] = -1
        own = ~flat
        if own.any():
            oty, otx = ty[own], tx[own]
            slots = self.slot[oty, otx]
            for j in np.flatnonzero(slots < 0).tolist():
                slots[j] = self._allocate()
            self.slot[oty, otx] = slots
            self.data[slots] = tiles[own]
        if self.channels == 4:
            alpha = tiles[..., 3].reshape(len(tiles), -1)
            self.opaque[ty, tx] = (alpha == 1).all(axis=1)
            self.blank[ty, tx] = flat & (first[:, 0, 0] == 0).all(axis=1)
        else:
            self.blank[ty, tx] = flat & (first[:, 0, 0] == self.fill).all(axis=1)

    def _allocate(self) -> int:
        if self.free:
            return self.free.pop()
        if self.used == len(self.data):  # more tiles than the bounds promised: grow (never expected)
            self.data = np.concatenate([self.data, np.empty_like(self.data)])
        self.used += 1
        return self.used - 1

    @property
    def nbytes(self) -> int:
        return self.used * TILE * TILE * self.channels * 4


def prim_bounds(prim: Primitive, height: int, width: int) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1): a rectangle holding every pixel ``prim`` may cover (clipped; may be empty)."""
    if isinstance(prim, Text):
        mask, left, top = text_mask(prim.text, prim.font, float(prim.size), prim.anchor)
        x0 = int(np.floor(float(prim.xy[0]) + 0.5)) + left
        y0 = int(np.floor(float(prim.xy[1]) + 0.5)) + top
        box = (y0, y0 + mask.shape[0], x0, x0 + mask.shape[1])
    else:
        pts = prim.points if isinstance(prim, Polygon) else (prim.start, prim.end)
        xs = [float(p[0]) for p in pts]
        ys = [float(p[1]) for p in pts]
        r = max(float(prim.width), 1.0) / 2 + 1 if isinstance(prim, Segment) else 0.0
        box = (int(np.floor(min(ys) - r)) - 1, int(np.ceil(max(ys) + r)) + 1,
               int(np.floor(min(xs) - r)) - 1, int(np.ceil(max(xs) + r)) + 1)
    y0, y1, x0, x1 = box
    return max(y0, 0), min(y1, height), max(x0, 0), min(x1, width)


class Band:
    """Static primitives between two dynamic z levels, as tiles: an opaque RGB image (band 0, over the
    background) or a premultiplied RGBA layer, kept in the state of one frame."""

    def __init__(self, prims: list[Primitive], shape: tuple[int, int], bg: str | None, frame: int):
        hp, wp = shape
        self.shape = shape
        self.channels = 3 if bg is not None else 4
        self.prims = prims
        self.colors = [color_array(color_of(p), self.channels) for p in prims]
        self.boxes = np.array([prim_bounds(p, hp, wp) for p in prims], np.int64).reshape(-1, 4)
        self.reveals = np.array([int(p.reveal) for p in prims], np.int64)
        visible = (self.boxes[:, 0] < self.boxes[:, 1]) & (self.boxes[:, 2] < self.boxes[:, 3])
        grid = (hp // TILE, wp // TILE)
        occ = np.zeros(grid, bool)  # tiles a primitive may touch: the most that can need their own pixels
        for y0, y1, x0, x1 in self.boxes[visible].tolist():
            occ[y0 // TILE:(y1 - 1) // TILE + 1, x0 // TILE:(x1 - 1) // TILE + 1] = True
        self.occ = occ
        # reveal frame -> the rectangle of what appears then
        self.events: dict[int, tuple[int, int, int, int]] = {}
        for k in np.unique(self.reveals[(self.reveals > 0) & visible]).tolist():
            b = self.boxes[(self.reveals == k) & visible]
            self.events[k] = (int(b[:, 0].min()), int(b[:, 1].max()), int(b[:, 2].min()), int(b[:, 3].max()))
        fill = color_array(bg, 3) if bg is not None else np.zeros(4, _F)
        self.store = TileStore(grid, self.channels, fill, int(occ.sum()))
        self.draw(frame)

    def draw(self, frame: int, box: tuple[int, int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Redraw the band (or the tiles holding ``box``) with the primitives shown at ``frame``; returns the
        tiles redrawn as (ty, tx)."""
        hp, wp = self.shape
        if box is None:
            ty0, ty1, tx0, tx1 = 0, hp // TILE, 0, wp // TILE
        else:
            ty0, ty1 = box[0] // TILE, (box[1] - 1) // TILE + 1
            tx0, tx1 = box[2] // TILE, (box[3] - 1) // TILE + 1
        y0, y1, x0, x1 = ty0 * TILE, ty1 * TILE, tx0 * TILE, tx1 * TILE
        shown = self.reveals <= frame
        b = self.boxes
        hit = np.flatnonzero(shown & (b[:, 0] < y1) & (b[:, 1] > y0) & (b[:, 2] < x1) & (b[:, 3] > x0))
        ends = b[hit, 1]
        strip_rows = max(STRIP, STRIP_BYTES // ((x1 - x0) * self.channels * 4) // TILE * TILE)
        buf = np.empty((min(strip_rows, y1 - y0), x1 - x0, self.channels), _F)
        covs: dict[int, Cov | None] = {}
        done_ty, done_tx = [], []
        for sy0 in range(y0, y1, strip_rows):
            sy1 = min(sy0 + strip_rows, y1)
            strip = buf[:sy1 - sy0]
            strip[...] = self.store.fill
            for j in hit[(b[hit, 0] < sy1) & (ends > sy0)].tolist():
                cv = covs.get(j, False)
                if cv is False:
                    cv = covs[j] = coverage(self.prims[j], hp, wp)
                if cv is not None:
                    cv.blend_into(strip, self.colors[j], sy0, sy1, x0, x1, sy0, x0)
            for j in [j for j in covs if b[j, 1] <= sy1]:  # done with it
                del covs[j]
            sty, stx = np.mgrid[sy0 // TILE:sy1 // TILE, tx0:tx1]
            sty, stx = sty.ravel(), stx.ravel()
            keep = self.occ[sty, stx] | ~self.store.blank[sty, stx] if box is None else slice(None)
            t = strip.reshape(strip.shape[0] // TILE, TILE, strip.shape[1] // TILE, TILE, self.channels)
            tiles = t.transpose(0, 2, 1, 3, 4).reshape(-1, TILE, TILE, self.channels)
            self.store.put(sty[keep], stx[keep], tiles[keep])
            done_ty.append(sty)
            done_tx.append(stx)
        return np.concatenate(done_ty), np.concatenate(done_tx)

    def hides(self, ys: np.ndarray, xs: np.ndarray, tile: np.ndarray) -> np.ndarray | None:
        """Which canvas pixels (ys, xs), in tiles ``tile`` (flat indices), this layer covers fully (alpha 1);
        None if none can be (an opaque base, or no tile with pixels of its own)."""
        if self.channels != 4:
            return None
        own, at = self.store.own_pixels(ys, xs, tile)
        if not own.size:
            return None
        hidden = np.zeros(ys.size, bool)
        hidden[own] = np.take(self.store.data.reshape(-1), at * 4 + 3) == 1  # (a strided view would be copied)
        return hidden

    def over(self, dst: np.ndarray, ty: np.ndarray, tx: np.ndarray) -> None:
        """Composite this (premultiplied) layer over the tiles ``dst`` (n, 16, 16, 3) at (ty, tx), in place."""
        self._over(dst, self.store.gather(ty, tx))

    def over_pixels(self, dst: np.ndarray, ys: np.ndarray, xs: np.ndarray, tile: np.ndarray) -> None:
        """Composite this layer over single pixels ``dst`` (n, 3) at (ys, xs) in tiles ``tile``, in place."""
        self._over(dst, self.store.pixels(ys, xs, tile))

    @staticmethod
    def _over(dst: np.ndarray, src: np.ndarray) -> None:
        dst *= _F(1) - src[..., 3:]
        dst += src[..., :3]
