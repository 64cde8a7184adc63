"""APNG: an animated PNG, streamed; each frame after the first stores only the rectangle that changed."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.files import atomic_path
from ..core.options import RenderOptions
from ..core.scene import Scene
from ..draw.frame import FrameUpdate
from .common import check_fps, durations, frames_for, plays, repeats_for, repeats_of, updates_of


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        yield data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n


def _encode_png(pixels: np.ndarray) -> tuple[bytes, bytes]:
    """(IHDR payload, concatenated IDAT payload) of an RGB array, via Pillow's zlib encoder."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="PNG", compress_level=6)
    chunks = list(_png_chunks(buf.getvalue()))
    return dict(chunks)[b"IHDR"], b"".join(d for k, d in chunks if k == b"IDAT")


def _delay(delay: Fraction, durations: Sequence[int] | None, k: int) -> tuple[int, int]:
    """fcTL's delay of frame ``k`` as (numerator, denominator)."""
    if durations is None:
        return delay.numerator, delay.denominator
    ms = min(durations[k], 65535)
    return ms, 1000


def write_apng(path: str | os.PathLike[str], frames: Iterable[np.ndarray | FrameUpdate], *, fps: float = 10.0,
               loop: bool | int | None = 0, durations: Sequence[int] | None = None) -> Path:
    """An animated PNG, streamed: each frame after the first stores only the rectangle that changed (RGB, or
    RGBA frames replacing it whole). ``durations``: each frame's own, in milliseconds (default: 1/fps each)."""
    fps, repeats = check_fps(fps), repeats_of(loop)
    delay = Fraction(1) / Fraction(fps).limit_denominator(1000)
    if delay.numerator > 65535 or delay.denominator > 65535:
        delay = Fraction(round(1000 / fps), 1000)
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        fp.write(b"\x89PNG\r\n\x1a\n")
        seq, count, actl_at = 0, 0, 0
        for k, update in enumerate(updates_of(frames, alpha=True)):
            frame = update.pixels
            if update.whole:
                y0, y1, x0, x1 = 0, frame.shape[0], 0, frame.shape[1]
            else:
                y0, y1, x0, x1 = update.bounds or (0, 1, 0, 1)
            ihdr, idat = _encode_png(frame[y0:y1, x0:x1])
            if count == 0:
                fp.write(_chunk(b"IHDR", ihdr))
                actl_at = fp.tell()
                fp.write(_chunk(b"acTL", struct.pack(">II", 0, plays(repeats))))
            fp.write(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, x1 - x0, y1 - y0, x0, y0,
                                                 *_delay(delay, durations, k), 0, 0)))
            seq += 1
            if count == 0:
                fp.write(_chunk(b"IDAT", idat))
            else:
                fp.write(_chunk(b"fdAT", struct.pack(">I", seq) + idat))
                seq += 1
            count += 1
        fp.write(_chunk(b"IEND", b""))
        fp.seek(actl_at)
        fp.write(_chunk(b"acTL", struct.pack(">II", count, plays(repeats))))
    return path


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as an animated PNG (one frame with ``step``)."""
    return write_apng(path, frames_for(scene, options, step), fps=options.fps, loop=repeats_for(options.loop),
                      durations=None if step is not None else durations(options, scene.n_frames, 1000))
