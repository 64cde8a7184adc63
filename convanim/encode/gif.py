"""GIF: a streaming writer on one fixed palette (each frame stores only the pixels that changed, in one image
block), and the ``gif`` output format."""

from __future__ import annotations

import itertools
import math
import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..core.files import atomic_path
from ..core.options import RenderOptions
from ..core.scene import Polygon, Scene, Text
from ..core.theme import Theme
from ..draw.frame import FrameUpdate, flat_rows
from .common import EncodeError, check_fps, durations, frames_for, repeats_for, repeats_of, ticks, updates_of
from .lzw import changes_as_runs, image_data, native, pillow_lzw, runs_lzw, sparse_lzw
from .palette import LUT_BITS, RGB, build_palette, lookup, palette_from_frame, quantize, to_rgb


def write_gif(path: str | os.PathLike[str], frames: Iterable[np.ndarray | FrameUpdate], *, fps: float = 10.0,
              loop: bool | int | None = 0, palette: Sequence[str | Sequence[int]] | None = None,
              durations: Sequence[int] | None = None, transparent: bool = False) -> Path:
    """An animated GIF with one global ``palette`` (up to 256 colours; default: the first frame's).

    Streams: only the previous frame's palette indices are kept. Every frame after the first stores just
    the rectangle that changed, with unchanged pixels in it transparent (when the palette leaves an entry
    free), so a frame identical to the previous one costs a few bytes and the frame count is always
    preserved; only the changed rectangles ``frames`` report are quantized and compared. Durations are in
    1/100 s, rounded so the running time stays within 5 ms of ``k / fps`` (browsers show delays under 2/100 s
    as 1/10 s, so keep ``fps <= 50``; for the same reason a frame is always one image block). ``durations``:
    each frame's own, in 1/100 s. ``transparent``: RGBA frames; pixels less than half opaque become the
    palette's transparent index, and every frame is written whole over a cleared canvas (GIF has no partial
    transparency).
    """
    if transparent:
        return _write_transparent(path, frames, fps=fps, loop=loop, palette=palette, durations=durations)
    fps, repeats = check_fps(fps), repeats_of(loop)
    stream = updates_of(frames)
    first = next(stream)
    pal = [to_rgb(c) for c in palette] if palette is not None else palette_from_frame(first.pixels)
    if not 1 <= len(pal) <= 256:
        raise EncodeError(f"a GIF palette has 1 to 256 colours, got {len(pal)}")
    clear = len(pal) if len(pal) < 256 else None
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        h, w = first.pixels.shape[:2]
        head, bits = _header(pal, clear, (h, w), repeats)
        fp.write(head)
        frames_out = GifFrames(pal, clear, max(2, bits), (h, w))
        for update, cs in zip(itertools.chain([first], stream), ticks(fps, 100) if durations is None else durations):
            fp.write(frames_out.encode(update, cs))
        fp.write(b";")
    return path


def _header(pal: list[RGB], clear: int | None, size: tuple[int, int], repeats: int | None,
            background: int = 0) -> tuple[bytes, int]:
    """The file's header, screen descriptor, global palette (with room for the ``clear`` index) and loop
    extension; and the palette's bit depth."""
    bits = max(1, math.ceil(math.log2(len(pal) + (clear is not None))))
    table = bytes(v for c in pal for v in c).ljust(3 << bits, b"\0")
    h, w = size
    head = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80 | (bits - 1) << 4 | (bits - 1), background, 0) + table
    if repeats is not None:
        head += b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", repeats) + b"\0"
    return head, bits


class GifFrames:
    """Encodes each frame against the palette indices of the one before (kept for the whole canvas)."""

    def __init__(self, palette: list[RGB], clear: int | None, bits: int, size: tuple[int, int]):
        self.palette, self.clear, self.bits = palette, clear, bits
        self.lut = lookup(palette)
        self.prev = np.zeros(size, np.uint8)
        self.first = True

    def encode(self, update: FrameUpdate, cs: int) -> bytes:
        """One frame's graphic control extension, image descriptor and image data."""
        transparent = None if self.first or self.clear is None else self.clear
        gce = b"!\xf9\x04" + struct.pack("<BHBB", (transparent is not None) | 1 << 2, cs, transparent or 0, 0)
        if update.whole:
            h, w = self.prev.shape
            for y in range(0, h, 256):  # quantize a strip at a time: no whole-frame temporaries
                self.prev[y:y + 256] = quantize(update.pixels[y:y + 256], self.lut)
            self.first = False
            return gce + self.block(0, 0, self.prev, self.dense(self.prev))
        changes = self.changes(update)
        if changes is None:  # nothing changed: one transparent (or unchanged) pixel
            ys, xs = update.points
            y0, x0 = (int(ys.min()), int(xs.min())) if ys.size else (0, 0)
            sub = np.array([[self.prev[y0, x0] if self.clear is None else self.clear]], np.uint8)
            return gce + self.block(y0, x0, sub, self.dense(sub))
        (y0, y1, x0, x1), pos, val = changes
        height, width = y1 - y0, x1 - x0
        if self.clear is None:
            sub = self.prev[y0:y1, x0:x1]
        else:
            data = self.sparse(pos, val, width, height)
            if data is not None:
                return gce + self.block(y0, x0, (height, width), data)
            sub = np.full((height, width), self.clear, np.uint8)
            sub.ravel()[pos] = val
        return gce + self.block(y0, x0, sub, self.dense(sub))

    def changes(self, update: FrameUpdate) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray] | None:
        """Quantize the pixels that changed, update the indices; returns the rectangle around the indices that
        changed, and their positions in it (row-major, in no particular order) and values; None if none did."""
        ys, xs = update.points
        if ys.size == 0:
            return None
        width = self.prev.shape[1]
        if native is not None:  # the same, in one pass
            rows, pitch = flat_rows(update.pixels)
            pos, val = np.empty(ys.size, np.int64), np.empty(ys.size, np.uint8)
            n, y0, y1, x0, x1 = native.changes(np.ascontiguousarray(ys, np.int64), np.ascontiguousarray(xs, np.int64),
                                               rows, pitch, self.lut, LUT_BITS, self.prev, width, pos, val)
            return ((y0, y1, x0, x1), pos[:n], val[:n]) if n else None
        at = ys * width + xs
        prev = self.prev.reshape(-1)
        idx = quantize(update.values(ys, xs), self.lut)
        new = idx != np.take(prev, at)
        if not new.all():
            ys, xs, at, idx = ys[new], xs[new], at[new], idx[new]
            if ys.size == 0:
                return None
        prev[at] = idx
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        return (y0, y1, x0, x1), (ys - y0) * (x1 - x0) + (xs - x0), idx

    def sparse(self, pos: np.ndarray, val: np.ndarray, width: int, height: int) -> bytes | None:
        """LZW of the rectangle from its changed pixels alone (the rest is transparent), when that beats Pillow's
        C encoder over a dense copy of it (both give the same bytes); None when it does not. Measured on figures:
        Pillow takes ~4 ns a pixel; the C run encoder ~20 ns a changed pixel; the Python one ~0.7 us a run."""
        area = width * height
        if native is not None:
            return sparse_lzw(pos, val, area, self.clear, self.bits) if area > 8 * pos.size else None
        if area <= 200 * (2 * changes_rows(pos, width, height) + 1) + 20_000:  # at least two runs a row
            return None
        order = np.argsort(pos)
        values, lengths = changes_as_runs(pos[order], val[order], area, self.clear)
        return runs_lzw(values, lengths, self.bits) if area > 200 * values.size + 20_000 else None

    def dense(self, index: np.ndarray) -> bytes:
        data = pillow_lzw(index, self.bits)
        if data is None:  # a Pillow without its encoder's internal API: the same bytes, slower
            flat = index.ravel()
            starts = np.flatnonzero(np.concatenate([[True], flat[1:] != flat[:-1]]))
            data = runs_lzw(flat[starts], np.diff(np.append(starts, flat.size)), self.bits)
        return data

    def block(self, y0: int, x0: int, sub: np.ndarray | tuple[int, int], data: bytes) -> bytes:
        """The image descriptor (no local palette, not interlaced) and the image data."""
        h, w = sub if isinstance(sub, tuple) else sub.shape
        return b"," + struct.pack("<HHHHB", x0, y0, w, h, 0) + image_data(data, self.bits)


def changes_rows(pos: np.ndarray, width: int, height: int) -> int:
    """How many rows of a rectangle ``width`` wide hold changed pixels at positions ``pos``."""
    return int(np.count_nonzero(np.bincount(pos // width, minlength=height)))


def _write_transparent(path: str | os.PathLike[str], frames: Iterable[np.ndarray | FrameUpdate], *, fps: float,
                       loop: bool | int | None, palette: Sequence[str | Sequence[int]] | None,
                       durations: Sequence[int] | None) -> Path:
    """write_gif for RGBA frames: a transparent index where the background shows, whole frames, disposal 2
    (restore to the background: a pixel that turns transparent must not keep the frame before)."""
    fps, repeats = check_fps(fps), repeats_of(loop)
    stream = (update.pixels for update in updates_of(frames, alpha=True))
    first = next(stream)
    pal = [to_rgb(c) for c in palette] if palette is not None else palette_from_frame(first[..., :3])
    pal = pal[:255]
    clear = len(pal)
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        head, bits = _header(pal, clear, first.shape[:2], repeats, background=clear)
        fp.write(head)
        h, w = first.shape[:2]
        out = GifFrames(pal, clear, max(2, bits), (h, w))
        for frame, cs in zip(itertools.chain([first], stream), ticks(fps, 100) if durations is None else durations):
            idx = quantize(np.ascontiguousarray(frame[..., :3]), out.lut)
            idx[frame[..., 3] < 128] = clear
            fp.write(b"!\xf9\x04" + struct.pack("<BHBB", 1 | 2 << 2, cs, clear, 0))
            fp.write(out.block(0, 0, idx, out.dense(idx)))
        fp.write(b";")
    return path


def gif_palette(scene: Scene, theme: Theme) -> list[RGB]:
    """The GIF palette: the theme's flat colours, the footprint overlay over them, and anti-aliasing blends.

    A figure without text needs few blends: 16 colours (4-bit LZW codes) keep its GIF small. Text needs
    finer ramps between the text colour and every cell colour, so figures with numbers get 64.
    """
    th = theme
    has_text = any(isinstance(p, Text) for p in (*scene.static, *scene.frame(0)))
    # The grid and text colours come first so that their blends with every cell colour are kept.
    keys = [th.grid, th.text, th.background, th.input, th.output, th.padding, th.pending, th.connector, th.caption]
    # Colours the scene uses beyond the theme's (group hues and their tinted sheets) are flat colours too.
    used = {(p.fill if isinstance(p, Polygon) else p.color).lower() for p in (*scene.static, *scene.frame(0))
            if getattr(p, "alpha", 1.0) >= 1.0}
    extras = sorted(used - {k.lower() for k in keys})
    if has_text:
        return build_palette(keys + extras, ramps=3, overlays=[(th.shade, th.shade_alpha)], limit=63)
    return build_palette([th.grid, th.background, th.input, th.output, th.padding, th.pending, th.connector] + extras,
                         ramps=1, overlays=[(th.shade, th.shade_alpha)], limit=15 + 2 * len(extras))


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as an animated GIF on its theme's palette (one frame with ``step``)."""
    return write_gif(path, frames_for(scene, options, step), fps=options.fps, loop=repeats_for(options.loop),
                     palette=gif_palette(scene, options.theme),
                     durations=None if step is not None else durations(options, scene.n_frames, 100),
                     transparent=options.transparent)
