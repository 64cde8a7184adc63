"""Raster renderer: a Scene to RGB uint8 frames with numpy (analytic anti-aliasing) and Pillow (text).

Cost follows what changes. Static primitives are drawn once into *bands* split at the scene's dynamic z
levels (band 0 is the opaque base; band j >= 1 is a premultiplied RGBA layer holding static z in
``(d_j, d_j+1]``; at equal z a static primitive is under a dynamic one), kept as 16x16 tiles
(``draw.tiles``). A frame redraws only the tiles its primitives touch and the tiles the frame before
touched: base tiles, the dynamic primitives and the bands above each level (a primitive is skipped on a
tile that an opaque band above it covers), converted to uint8 into one frame buffer that is updated in
place. Nothing per frame is proportional to the canvas: no full-frame copy, compare or composite.

``update(i)`` returns a ``FrameUpdate``: a read-only view of the frame and what differs from the frame
before, as the changed pixels or as rectangles with masks (each worked out only if an encoder asks). ``frame(i)``
and ``render_frames`` give independent copies. Progressive reveal is exact: when frame k reveals
primitives, only the tiles they cover are redrawn in their band; jumping backwards redraws the bands that
have reveals.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator

import numpy as np

from ..core.scene import Primitive, Scene
from .coverage import TILE, Cov, color_array, color_of, coverage, sorted_unique, tile_index
from .frame import Box, FrameUpdate, Points
from .tiles import STRIP, Band, Scratch, to_u8

LINE_PIXELS = 1024  # slanted strokes of this many pixels or more are drawn pixel by pixel
BASE_TILES = 8192  # static tiles cached for restoring (6 MB)
_F = np.float32


class Line:
    """A long slanted stroke's visible pixels: flat canvas indices, coverage, and their tiles."""

    __slots__ = ("z", "col", "idx", "cov", "tile", "slot")

    def __init__(self, z: int, col: np.ndarray, idx: np.ndarray, cov: np.ndarray, tile: np.ndarray):
        self.z, self.col, self.idx, self.cov, self.tile = z, col, idx, cov, tile
        self.slot = -1  # where the frame's drawing list holds its part on the tiles drawn whole

    def blend(self, v: np.ndarray, at: np.ndarray) -> None:
        """Blend into the pixels ``v`` (n, 3) at the sorted canvas indices ``at`` (which hold all of its own)."""
        if not self.idx.size:
            return
        pos = np.searchsorted(at, self.idx)
        w = np.take(v, pos, axis=0)
        w += (self.col - w) * self.cov[:, None]
        v[pos] = w


def tile_view(a: np.ndarray) -> np.ndarray:
    """(Hp, Wp, ...) -> (Hp/T, T, Wp/T, T, ...) view, so ``v[ty, :, tx]`` gathers whole tiles."""
    return a.reshape(a.shape[0] // TILE, TILE, a.shape[1] // TILE, TILE, *a.shape[2:])


class RasterRenderer:
    """Renders a Scene frame by frame; static layers are prepared once at construction."""

    def __init__(self, scene: Scene, *, start: int = 0, cache_bytes: int = 16 << 20):
        self.scene = scene
        self.h, self.w = scene.height, scene.width
        hp, wp = -(-self.h // TILE) * TILE, -(-self.w // TILE) * TILE
        self.shape = (hp, wp)
        self.grid = (hp // TILE, wp // TILE)
        first = scene.frame(0) if scene.n_frames > 0 else ()
        levels = sorted(set(scene.dynamic_z) | {p.z for p in first})
        groups: list[list[Primitive]] = [[] for _ in range(len(levels) + 1)]
        for p in sorted(scene.static, key=lambda p: p.z):
            groups[bisect.bisect_left(levels, p.z)].append(p)
        self.bands = [Band(groups[0], self.shape, scene.background, start)]
        self.band_z = [-math.inf]  # dynamic primitives with z <= band_z[j] are drawn before band j
        for j, g in enumerate(groups[1:]):
            if g:
                self.bands.append(Band(g, self.shape, None, start))
                self.band_z.append(levels[j])
        self.event_keys = [sorted(b.events) for b in self.bands]
        self.out = np.empty((hp, wp, 3), np.uint8)
        self._canvas: Scratch | None = None  # float scratch for drawing a frame's tiles
        self._uses = 0
        self._based = np.full(self.grid, -1, np.int32)  # where a tile's static picture is cached in _base
        self._base = np.empty((BASE_TILES, TILE, TILE, 3), np.uint8)
        self._base_used = 0
        self._covered = self._coverings()
        self._prev: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.intp), np.zeros(0, np.intp))
        self._prev_px = np.zeros(0, np.intp)  # canvas pixels the frame before drew one by one
        self._prev_px_tile = np.zeros(0, np.intp)  # ... and their tiles
        self._frame = start
        self._fresh = True  # ``out`` holds no frame yet: the next update is written whole
        self._cache: dict[Primitive, Cov | None] = {}
        self._cache_bytes, self._cache_limit = 0, cache_bytes
        self._compose_all()

    # -- static state

    def _coverings(self) -> list[np.ndarray]:
        """covered[j]: tiles that an opaque static band j or above hides completely."""
        covered = [np.zeros(self.grid, bool) for _ in range(len(self.bands) + 1)]
        for j in range(len(self.bands) - 1, 0, -1):
            covered[j] = covered[j + 1] | self.bands[j].store.opaque
        return covered

    def _compose_tiles(self, ty: np.ndarray, tx: np.ndarray) -> np.ndarray:
        """The static composite of tiles (ty, tx), as float (n, 16, 16, 3)."""
        v = self.bands[0].store.gather(ty, tx)
        for band in self.bands[1:]:
            sel = ~band.store.blank[ty, tx]
            if sel.any():
                w = v[sel]
                band.over(w, ty[sel], tx[sel])
                v[sel] = w
        return v

    def _compose_all(self) -> None:
        """Write the static composite of the whole canvas into the frame buffer, a strip at a time."""
        out = tile_view(self.out)
        rows = STRIP // TILE
        for ty0 in range(0, self.grid[0], rows):
            ty, tx = np.mgrid[ty0:min(ty0 + rows, self.grid[0]), 0:self.grid[1]]
            ty, tx = ty.ravel(), tx.ravel()
            out[ty, :, tx] = to_u8(self._compose_tiles(ty, tx))
        self._prev = (np.zeros(0, np.intp), np.zeros(0, np.intp))
        self._prev_px = self._prev_px_tile = np.zeros(0, np.intp)
        self._fresh = True

    def _set_static(self, frame: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Bring the bands to ``frame``'s reveal state; returns the tiles that changed (all of them, by
        recomposing the frame buffer, when going backwards)."""
        prev, self._frame = self._frame, frame
        if frame == prev:
            return []
        if frame < prev:
            for band in self.bands:
                if band.events:
                    band.draw(frame)
            self._covered = self._coverings()
            self._based[...] = -1
            self._compose_all()
            return []
        changed = []
        for band, keys in zip(self.bands, self.event_keys, strict=True):
            for k in keys[bisect.bisect_right(keys, prev):bisect.bisect_right(keys, frame)]:
                changed.append(band.draw(frame, band.events[k]))
        if changed:
            self._covered = self._coverings()
        return changed

    # -- per frame

    def _cov(self, prim: Primitive) -> Cov | None:
        try:
            return self._cache[prim]
        except KeyError:
            pass
        except TypeError:  # unhashable (lists instead of tuples): no caching
            return coverage(prim, *self.shape)
        cv = coverage(prim, *self.shape)
        size = 0 if cv is None else cv.nbytes
        if self._cache_bytes + size > self._cache_limit:
            self._cache.clear()
            self._cache_bytes = 0
        self._cache[prim] = cv
        self._cache_bytes += size
        return cv

    def _dynamic(self, i: int) -> tuple[list[tuple[int, Cov | None, np.ndarray]], np.ndarray, list[Line]]:
        """Frame ``i``'s primitives in drawing order as (z, coverage, colour), the tiles they show on (not those
        where an opaque static band above hides them), and its long slanted strokes, which mark no tiles: they
        are drawn pixel by pixel except on the tiles drawn whole (``_lines``)."""
        prims = sorted((p for p in self.scene.frame(i) if p.reveal <= i), key=lambda p: p.z)
        work: list[tuple[int, Cov | None, np.ndarray]] = []
        lines: list[Line] = []
        touched = np.zeros(self.grid, bool)
        for p in prims:
            cv = self._cov(p)
            if cv is None:
                continue
            covered = self._covered[bisect.bisect_left(self.band_z, p.z, lo=1)]  # bands drawn over it
            col = color_array(color_of(p), 3)
            if cv.idx is None:
                t = TILE
                rows, cols = slice(cv.y0 // t, (cv.y1 - 1) // t + 1), slice(cv.x0 // t, (cv.x1 - 1) // t + 1)
                seen = ~covered[rows, cols]
                if not seen.any():
                    continue
                touched[rows, cols] |= seen
            elif cv.idx.size >= LINE_PIXELS:
                line = self._line(p.z, cv, col, covered)
                if line is None:
                    continue
                line.slot = len(work)  # its part on the tiles drawn whole goes there (``_lines``)
                lines.append(line)
                work.append((p.z, None, col))
                continue
            else:
                ty, tx = cv.tiles()
                seen = ~covered[ty, tx]
                if not seen.any():
                    continue
                touched[ty[seen], tx[seen]] = True
            work.append((p.z, cv, col))
        return work, touched, lines

    def _line(self, z: int, cv: Cov, col: np.ndarray, covered: np.ndarray) -> Line | None:
        """A long stroke's pixels that can show: not on a tile an opaque band above covers, nor on a pixel
        that a band above covers fully (there the frame is the static picture whatever is drawn below)."""
        tile = cv.tile_of()
        keep = ~np.take(covered.ravel(), tile)
        if not keep.any():
            return None
        ys, xs = cv.yx()
        for band in self.bands[bisect.bisect_left(self.band_z, z, lo=1):]:
            hidden = band.hides(ys, xs, tile)
            if hidden is not None:
                keep &= ~hidden
        idx, cov, tile = cv.idx[keep], cv.cov[keep], tile[keep]
        return Line(z, col, idx, cov, tile) if idx.size else None

    def update(self, i: int) -> FrameUpdate:
        """Draw frame ``i`` into the frame buffer; returns it with what changed."""
        if not 0 <= i < max(self.scene.n_frames, 1):
            raise IndexError(f"frame {i} is outside 0..{self.scene.n_frames - 1}")
        static = self._set_static(i)
        work, touched, lines = self._dynamic(i)
        restore = np.zeros(self.grid, bool)  # back to the static picture: drawn before, or revealed now
        for sty, stx in static:
            restore[sty, stx] = True
            self._based[sty, stx] = -1
        restore[self._prev] = True
        lines = self._lines(lines, touched, restore, work)
        restore &= ~touched
        dty, dtx = np.nonzero(touched)  # drawn now
        rty, rtx = np.nonzero(restore)
        self._prev = (dty, dtx)
        fresh, self._fresh = self._fresh, False
        ty, tx = np.concatenate([dty, rty]), np.concatenate([dtx, rtx])
        diff = np.zeros((0, TILE, TILE), bool)
        if ty.size:
            new = np.empty((ty.size, TILE, TILE, 3), np.uint8)
            if dty.size:
                new[:dty.size] = self._draw(dty, dtx, work)
            if rty.size:
                new[dty.size:] = self._static_tiles(rty, rtx)
            out = tile_view(self.out)
            if not fresh:
                old = out[ty, :, tx]
                diff = (new[..., 0] != old[..., 0]) | (new[..., 1] != old[..., 1]) | (new[..., 2] != old[..., 2])
            out[ty, :, tx] = new
        points = self._pixels(lines, touched | restore, fresh)
        return self._result(i, fresh, diff, ty, tx, points)

    def _lines(self, lines: list[Line], touched: np.ndarray, restore: np.ndarray,
               work: list[tuple[int, Cov | None, np.ndarray]]) -> list[Line]:
        """Split long strokes between the tile path and the pixel path: a tile that is drawn or restored whole
        this frame is drawn whole with the strokes on it too (it is added to ``touched``, and the stroke's
        pixels there to ``work``); the strokes' other pixels are returned, to be drawn one by one."""
        if not lines:
            return lines
        whole = (touched | restore).ravel()
        flat = touched.ravel()
        out = []
        wp = self.shape[1]
        for line in lines:
            hit = whole[line.tile]
            if hit.any():
                flat[line.tile[hit]] = True
                part = Cov(0, 0, 0, 0, line.cov[hit], idx=line.idx[hit], width=wp, tile_of=line.tile[hit])
                work[line.slot] = (line.z, part, line.col)
                miss = ~hit
                line = Line(line.z, line.col, line.idx[miss], line.cov[miss], line.tile[miss])
            out.append(line)
        return out

    def _pixels(self, lines: list[Line], whole: np.ndarray, fresh: bool) -> Points:
        """Draw the strokes' pixels that lie outside the tiles drawn whole (``whole``), and put back the ones the
        frame before drew that way; returns the pixels that changed as (rows, columns)."""
        wp = self.shape[1]
        old, old_tile = self._prev_px, self._prev_px_tile
        if old.size:
            old = old[~np.take(whole.ravel(), old_tile)]
        self._prev_px = np.concatenate([line.idx for line in lines]) if lines else np.zeros(0, np.intp)
        self._prev_px_tile = np.concatenate([line.tile for line in lines]) if lines else np.zeros(0, np.intp)
        if not old.size and not self._prev_px.size:
            return np.zeros(0, np.intp), np.zeros(0, np.intp)
        at = sorted_unique(np.concatenate([self._prev_px, old]))
        ys, xs = np.divmod(at, wp)
        tile = tile_index(ys, xs, self.grid[1])
        v = self.bands[0].store.pixels(ys, xs, tile)
        k = 0
        for band, z in zip(self.bands[1:], self.band_z[1:], strict=True):
            while k < len(lines) and lines[k].z <= z:
                lines[k].blend(v, at)
                k += 1
            sel = np.flatnonzero(~np.take(band.store.blank.ravel(), tile))
            if sel.size:
                w = np.take(v, sel, axis=0)
                band.over_pixels(w, np.take(ys, sel), np.take(xs, sel), np.take(tile, sel))
                v[sel] = w
        for line in lines[k:]:
            line.blend(v, at)
        u8 = to_u8(v)
        flat = self.out.reshape(-1, 3)
        changed = np.ones(at.size, bool) if fresh else rows_differ(u8, np.take(flat, at, axis=0))
        flat[at] = u8
        keep = changed & (ys < self.h) & (xs < self.w)
        return ys[keep], xs[keep]

    def _draw(self, ty: np.ndarray, tx: np.ndarray, work: list[tuple[int, Cov | None, np.ndarray]]) -> np.ndarray:
        """Tiles (ty, tx) with the frame's primitives drawn between the bands, as uint8."""
        canvas = self._scratch()
        tiles = tile_view(canvas)
        tiles[ty, :, tx] = self.bands[0].store.gather(ty, tx)
        drawn = np.zeros(self.grid, bool)
        drawn[ty, tx] = True
        k = 0
        for band, z in zip(self.bands[1:], self.band_z[1:], strict=True):
            while k < len(work) and work[k][0] <= z:
                if work[k][1] is not None:  # (None: a long stroke with nothing on these tiles)
                    work[k][1].blend(canvas, work[k][2], drawn)
                k += 1
            sel = ~band.store.blank[ty, tx]
            if sel.any():
                bty, btx = ty[sel], tx[sel]
                v = tiles[bty, :, btx]
                band.over(v, bty, btx)
                tiles[bty, :, btx] = v
        for _z, cv, col in work[k:]:
            if cv is not None:
                cv.blend(canvas, col, drawn)
        return to_u8(tiles[ty, :, tx])

    def _static_tiles(self, ty: np.ndarray, tx: np.ndarray) -> np.ndarray:
        """The static picture of tiles (ty, tx) as uint8, from a cache of recently restored tiles."""
        slots = self._based[ty, tx]
        miss = slots < 0
        if miss.any():
            if self._base_used + int(miss.sum()) > len(self._base):  # full: start over
                self._based[...] = -1
                self._base_used = 0
                slots[...] = -1
                miss[...] = True
            new = np.arange(self._base_used, self._base_used + int(miss.sum()), dtype=np.int32)
            self._base_used += new.size
            self._base[new] = to_u8(self._compose_tiles(ty[miss], tx[miss]))
            self._based[ty[miss], tx[miss]] = new
            slots[miss] = new
        return self._base[slots]

    def _scratch(self) -> np.ndarray:
        """The float canvas dynamic primitives are drawn on. Only the tiles a frame draws are ever read, so
        a large one hands its memory back now and then: resident memory stays with what recent frames
        touched instead of growing to the whole canvas."""
        self._uses += 1
        if self._canvas is None:
            self._canvas = Scratch((*self.shape, 3))
        elif self._uses % 16 == 0 and self._canvas.array.nbytes > 32 << 20:
            self._canvas.release()
        return self._canvas.array

    def _result(self, i: int, fresh: bool, diff: np.ndarray, ty: np.ndarray, tx: np.ndarray,
                points: Points) -> FrameUpdate:
        view = self.out[:self.h, :self.w]
        view.flags.writeable = False
        if fresh:
            return FrameUpdate(index=i, pixels=view)
        size, grid = (self.h, self.w), self.grid
        pys, pxs = points
        if not pys.size:
            if not diff.any():
                return FrameUpdate(index=i, pixels=view, boxes=(), masks=())
            return FrameUpdate(index=i, pixels=view, find_points=lambda: tile_points(diff, ty, tx, size),
                               find_boxes=lambda: changed_boxes(diff, ty, tx, grid, size))

        def find_points() -> Points:
            tys, txs = tile_points(diff, ty, tx, size)
            return np.concatenate([tys, pys]), np.concatenate([txs, pxs])

        def find_boxes() -> tuple[tuple[Box, ...], tuple[np.ndarray, ...]]:
            flat = tile_index(pys, pxs, grid[1])
            tile = sorted_unique(flat)
            inv = np.searchsorted(tile, flat)
            extra = np.zeros((tile.size, TILE, TILE), bool)
            extra[inv, pys % TILE, pxs % TILE] = True
            return changed_boxes(np.concatenate([diff, extra]), np.concatenate([ty, tile // grid[1]]),
                                 np.concatenate([tx, tile % grid[1]]), grid, size)

        return FrameUpdate(index=i, pixels=view, find_points=find_points, find_boxes=find_boxes)

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as a fresh (height, width, 3) uint8 array."""
        return self.update(i).pixels.copy()

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame in order, one at a time (independent arrays)."""
        for i in range(self.scene.n_frames):
            yield self.frame(i)

    def updates(self) -> Iterator[FrameUpdate]:
        """Every frame in order as a FrameUpdate (each valid until the next is drawn)."""
        for i in range(self.scene.n_frames):
            yield self.update(i)


def changed_boxes(diff: np.ndarray, ty: np.ndarray, tx: np.ndarray, grid: tuple[int, int],
                  size: tuple[int, int]) -> tuple[tuple[Box, ...], tuple[np.ndarray, ...]]:
    """Disjoint rectangles around the changed pixels ``diff`` (n, 16, 16) of tiles (ty, tx), each tight, with
    their masks: tile rows with changes split into bands at unchanged rows, each band into column groups at
    unchanged columns, so regions far apart (a caption, a window, an output cell) come out separate."""
    hit = diff.any(axis=(1, 2))
    if not hit.any():
        return (), ()
    ty, tx, diff = ty[hit], tx[hit], diff[hit]
    rows = np.zeros(grid[0] + 1, bool)
    rows[ty] = True
    boxes, masks = [], []
    for r0, r1 in _runs(rows):
        band = (ty >= r0) & (ty < r1)
        cols = np.zeros(grid[1] + 1, bool)
        cols[tx[band]] = True
        for c0, c1 in _runs(cols):
            sel = band & (tx >= c0) & (tx < c1)
            mask = np.zeros(((r1 - r0) * TILE, (c1 - c0) * TILE), bool)
            tile_view(mask)[ty[sel] - r0, :, tx[sel] - c0] = diff[sel]
            mask = mask[:size[0] - r0 * TILE, :size[1] - c0 * TILE]
            ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
            if ys.size == 0:
                continue
            y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
            boxes.append((r0 * TILE + y0, r0 * TILE + y1, c0 * TILE + x0, c0 * TILE + x1))
            masks.append(mask[y0:y1, x0:x1])
    return tuple(boxes), tuple(masks)


def rows_differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which rows of two (n, 3) arrays differ (channel by channel: ``.any(axis=1)`` is several times slower)."""
    return (a[:, 0] != b[:, 0]) | (a[:, 1] != b[:, 1]) | (a[:, 2] != b[:, 2])


def tile_points(diff: np.ndarray, ty: np.ndarray, tx: np.ndarray, size: tuple[int, int]) -> Points:
    """(rows, columns) of the changed pixels ``diff`` (n, 16, 16) of tiles (ty, tx), inside the frame."""
    k, py, px = np.nonzero(diff)
    ys, xs = ty[k] * TILE + py, tx[k] * TILE + px
    keep = (ys < size[0]) & (xs < size[1])
    return (ys, xs) if keep.all() else (ys[keep], xs[keep])


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D bool array that ends with False."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], flags]).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def render_frames(scene: Scene) -> Iterator[np.ndarray]:
    """RGB uint8 (height, width, 3) frames of ``scene``, lazily (memory does not grow with frame count)."""
    if scene.n_frames <= 0:
        return
    yield from RasterRenderer(scene).frames()


def render_updates(scene: Scene, step: int | None = None) -> Iterator[FrameUpdate]:
    """The scene's frames as FrameUpdates for the encoders (only frame ``step``, written whole, if given)."""
    if step is not None:
        yield RasterRenderer(scene, start=step).update(step)
        return
    if scene.n_frames > 0:
        yield from RasterRenderer(scene).updates()


def render_frame(scene: Scene, i: int) -> np.ndarray:
    """One RGB uint8 frame (e.g. for ``--step``)."""
    return RasterRenderer(scene, start=i).frame(i)
