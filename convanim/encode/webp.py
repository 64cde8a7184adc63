"""WebP: an animated WebP, streamed; each frame after the first stores only the rectangle that changed.

The container is written here (RIFF, ``VP8X``, ``ANIM``, one ``ANMF`` per frame); each frame's picture is
encoded by Pillow's libwebp. The first frame is the whole canvas; every later one is the rectangle around
the pixels that changed, the unchanged ones in it transparent and the frame alpha-blended over the one
before, so a frame costs what changed. Lossless by default, so the frames decode exactly.
"""

from __future__ import annotations

import io
import itertools
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.files import atomic_path
from ..core.options import RenderOptions
from ..core.scene import Scene
from ..draw.frame import FrameUpdate
from .common import (
    EncodeError,
    check_fps,
    durations,
    frames_for,
    plays,
    repeats_for,
    repeats_of,
    ticks,
    updates_of,
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\0" * (len(data) % 2)


def _u24(v: int) -> bytes:
    return struct.pack("<I", v)[:3]


def _chunks(riff: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 12
    while pos + 8 <= len(riff):
        kind, size = riff[pos:pos + 4], struct.unpack("<I", riff[pos + 4:pos + 8])[0]
        yield kind, riff[pos + 8:pos + 8 + size]
        pos += 8 + size + size % 2


def picture(pixels: np.ndarray, *, lossless: bool, quality: int, method: int) -> bytes:
    """One still (RGB or RGBA array) encoded by libwebp, as the chunks an ANMF frame holds."""
    buf = io.BytesIO()
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    Image.fromarray(np.ascontiguousarray(pixels), mode).save(buf, format="WEBP", lossless=lossless,
                                                             quality=quality, method=method)
    keep = (b"ALPH", b"VP8 ", b"VP8L")
    return b"".join(_chunk(kind, data) for kind, data in _chunks(buf.getvalue()) if kind in keep)


def frame_picture(update: FrameUpdate, **encoding) -> tuple[int, int, int, int, bytes, bool]:
    """(x, y, width, height, chunks, blend) of one animation frame: the whole first frame, else the even-
    aligned rectangle around the changes with the unchanged pixels transparent."""
    h, w = update.pixels.shape[:2]
    if update.whole:
        return 0, 0, w, h, picture(update.pixels, **encoding), False
    bounds = update.bounds
    if bounds is None:  # nothing changed: one transparent pixel
        return 0, 0, 1, 1, picture(np.zeros((1, 1, 4), np.uint8), **encoding), True
    y0, y1, x0, x1 = bounds
    y0, x0 = y0 - y0 % 2, x0 - x0 % 2  # frame offsets are stored halved
    if update.pixels.shape[2] == 4:  # RGBA: the rectangle replaces what was there, alpha too
        return x0, y0, x1 - x0, y1 - y0, picture(update.pixels[y0:y1, x0:x1], **encoding), False
    rgba = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)
    ys, xs = update.points
    rgba[ys - y0, xs - x0, :3] = update.values(ys, xs)
    rgba[ys - y0, xs - x0, 3] = 255
    return x0, y0, x1 - x0, y1 - y0, picture(rgba, **encoding), True


def write_webp(path: str | os.PathLike[str], frames: Iterable[np.ndarray | FrameUpdate], *, fps: float = 10.0,
               loop: bool | int | None = 0, lossless: bool = True, quality: int = 80,
               method: int = 4, durations: Sequence[int] | None = None) -> Path:
    """An animated WebP (lossless by default; ``method`` 0-6 trades speed for size), streamed frame by frame:
    each frame after the first holds only the rectangle that changed (RGB, or RGBA replacing it whole).
    ``durations``: each frame's own, in milliseconds (default: 1/fps each)."""
    fps, repeats = check_fps(fps), repeats_of(loop)
    if not 0 <= method <= 6:
        raise EncodeError(f"method must be 0..6, got {method!r}")
    stream = updates_of(frames, alpha=True)
    first = next(stream)
    h, w = first.pixels.shape[:2]
    if w > 1 << 14 or h > 1 << 14:
        raise EncodeError(f"WebP frames are at most 16384 pixels a side, got {w}x{h}")
    encoding = {"lossless": lossless, "quality": quality, "method": method}
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        fp.write(b"RIFF\0\0\0\0WEBP")
        fp.write(_chunk(b"VP8X", bytes((0x12, 0, 0, 0)) + _u24(w - 1) + _u24(h - 1)))  # animation, alpha
        fp.write(_chunk(b"ANIM", bytes(4) + struct.pack("<H", plays(repeats))))
        for update, ms in zip(itertools.chain([first], stream), ticks(fps, 1000) if durations is None else durations):
            x, y, fw, fh, data, blend = frame_picture(update, **encoding)
            head = _u24(x // 2) + _u24(y // 2) + _u24(fw - 1) + _u24(fh - 1) + _u24(ms)
            fp.write(_chunk(b"ANMF", head + bytes((0 if blend else 0x02,)) + data))
        size = fp.tell() - 8
        fp.seek(4)
        fp.write(struct.pack("<I", size))
    return path


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as a lossless animated WebP (one frame with ``step``), encoded with libwebp's quick settings
    (method 1, effort 0): each frame is only what changed, so the file stays small anyway."""
    return write_webp(path, frames_for(scene, options, step), fps=options.fps, loop=repeats_for(options.loop),
                      method=1, quality=0,
                      durations=None if step is not None else durations(options, scene.n_frames, 1000))
