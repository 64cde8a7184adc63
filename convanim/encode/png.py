"""PNG: one frame as a PNG, or every frame as ``NAME/frame00000.png`` in a folder swapped in atomically.

Frames of an animation share most of their rows. Past half a megapixel a frame's compressed data is kept
per band of 16 rows (``BandedPng``): a frame compresses only the bands that changed since the frame before
(quickly, as they may change again) and, once a band has stopped changing, compresses it well once; every
other band's data is reused. Smaller frames are compressed whole by Pillow (adaptive filters: smaller
files, and cheap at that size). Each file is a complete, ordinary PNG.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.errors import WriteError
from ..core.files import atomic_path, ensure_dir, signals_deferred, temp_name, umask
from ..core.options import RenderOptions
from ..core.scene import Scene
from ..draw.frame import FrameUpdate
from .common import EncodeError, frames_for, frames_of, updates_of
from .deflate import Piece, ZStream, compressed


def write_png(path: str | os.PathLike[str], frame: np.ndarray) -> Path:
    """One frame as a PNG (e.g. ``--step``)."""
    frame = next(frames_of([frame], alpha=True))
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(frame).save(tmp, format="PNG", compress_level=6)
    return path


def chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


BANDED = 1 << 19  # frames of more pixels keep their compressed data per band of rows


class BandedPng:
    """Complete PNG files of successive RGB frames, their zlib data kept per band of rows (filter None)."""

    BAND = 16

    def __init__(self, height: int, width: int):
        self.size = (height, width)
        n = -(-height // self.BAND)
        self.pieces: list[Piece | None] = [None] * n
        self.settled = [False] * n  # compressed well (level 6), not only fast (level 1)
        self.header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))

    def png(self, update: FrameUpdate) -> bytes:
        """The frame as a PNG file's bytes."""
        b = self.BAND
        changed = [update.whole] * len(self.pieces)
        for y0, y1, _x0, _x1 in update.boxes or ():
            for k in range(y0 // b, (y1 - 1) // b + 1):
                changed[k] = True
        stream = ZStream()
        for k, piece in enumerate(self.pieces):
            if changed[k] and not update.whole:  # changing: fast, it may change again
                piece, self.settled[k] = self._band(update.pixels, k, 1), False
            elif piece is None or changed[k] or not self.settled[k]:  # new or stopped changing: compress well
                piece, self.settled[k] = self._band(update.pixels, k, 6), True
            self.pieces[k] = piece
            stream.add(piece)
        return self.header + chunk(b"IDAT", stream.bytes()) + chunk(b"IEND", b"")

    def _band(self, pixels: np.ndarray, k: int, level: int) -> Piece:
        rows = pixels[k * self.BAND:(k + 1) * self.BAND]
        raw = np.zeros((rows.shape[0], 1 + rows.shape[1] * 3), np.uint8)  # filter byte 0: None
        raw[:, 1:] = rows.reshape(rows.shape[0], -1)
        return compressed(raw.tobytes(), level)


def write_png_frames(directory: str | os.PathLike[str], frames: Iterable[np.ndarray | FrameUpdate], *,
                     prefix: str = "frame") -> Path:
    """``directory/{prefix}00000.png``, ... built in a temporary folder, then moved into place.

    An existing ``directory`` is replaced only at the end and only if it holds nothing but such frames
    (otherwise EncodeError, so unrelated files are never deleted).
    """
    directory = Path(directory)
    pattern = re.compile(rf"{re.escape(prefix)}\d+\.png")
    if directory.exists() and (not directory.is_dir() or any(
            not pattern.fullmatch(p.name) for p in directory.iterdir())):
        raise EncodeError(f"{directory} exists and is not a folder of {prefix}NNNNN.png frames; "
                          "not replacing it")
    ensure_dir(directory.parent)
    tmp = directory.parent / temp_name(directory.name)  # named before it exists; swept if we are killed
    while tmp.exists():
        tmp = directory.parent / temp_name(directory.name)
    try:
        tmp.mkdir()
        encoder = None
        for i, update in enumerate(updates_of(frames, alpha=True)):
            h, w = update.pixels.shape[:2]
            if h * w <= BANDED or update.pixels.shape[2] == 4:  # RGBA (transparent) frames: Pillow
                Image.fromarray(update.pixels).save(tmp / f"{prefix}{i:05d}.png", compress_level=6)
                continue
            encoder = encoder or BandedPng(h, w)
            (tmp / f"{prefix}{i:05d}.png").write_bytes(encoder.png(update))
        os.chmod(tmp, 0o777 & ~umask())
        with signals_deferred():  # the swap is two renames: never stop between them
            old = None
            if directory.exists():
                old = directory.parent / temp_name(directory.name, kind="old")
                os.replace(directory, old)
            os.replace(tmp, directory)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WriteError(directory, err) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """Frame ``step`` as one PNG file, or every frame into the folder ``path``."""
    if step is not None:
        first = next(frames_for(scene, options, step))
        return write_png(path, first.pixels if isinstance(first, FrameUpdate) else first)
    return write_png_frames(path, frames_for(scene, options))
