"""APNG: an animated PNG, streamed; each frame after the first stores only the rectangle that changed.

Two ways to store that rectangle, chosen once per file (every frame of an APNG shares its colour type):

* *whole*: the rectangle as it now is, RGB (Pillow's encoder, adaptive filters);
* *changed only*: RGBA, the pixels that changed opaque and transparent zeros elsewhere, composited over the
  frame before (``blend_op`` OVER). Unchanged pixels then cost nothing to filter and almost nothing to
  compress: a large figure whose frames change a little costs what changes (half the time, and a third fewer
  bytes, on a 16x16 input with numbers).

The frames after the first are encoded both ways up to ``TRIAL`` of them, and decide, with the first frame's
cost of an alpha channel counted, for as many frames as the animation has; a file of RGBA frames replaces its
rectangles whole.
"""

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


_SOURCE, _OVER = 0, 1  # fcTL blend_op: replace the rectangle, or composite over what is there


def _changed_only(update: FrameUpdate, y0: int, y1: int, x0: int, x1: int) -> bytes:
    """The zlib data of the RGBA rectangle [y0:y1, x0:x1] holding ``update``'s changed pixels, opaque, and
    transparent zeros elsewhere (filter None: the rows are mostly zeros, which zlib's fastest level packs
    as well as any filter would)."""
    h, w = y1 - y0, x1 - x0
    pitch = 1 + 4 * w  # a row: its filter byte (0, None), then RGBA
    raw = np.zeros(h * pitch, np.uint8)
    ys, xs = update.points
    if ys.size:
        at = (ys - y0) * pitch + 1 + 4 * (xs - x0)
        rgb = update.values(ys, xs)
        for c in range(3):
            raw[at + c] = rgb[:, c]
        raw[at + 3] = 255
    return zlib.compress(raw, 1)


def _encode_png(pixels: np.ndarray) -> tuple[bytes, bytes]:
    """(IHDR payload, concatenated IDAT payload) of an RGB or RGBA array, via Pillow's zlib encoder."""
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
    """An animated PNG, streamed: each frame after the first stores only the rectangle that changed (see the
    module's docstring for how). ``durations``: each frame's own, in milliseconds (default: 1/fps each); their
    count is also what the choice between the two ways assumes the animation's length to be (without them,
    rectangles are stored whole)."""
    fps, repeats = check_fps(fps), repeats_of(loop)
    delay = Fraction(1) / Fraction(fps).limit_denominator(1000)
    if delay.numerator > 65535 or delay.denominator > 65535:
        delay = Fraction(round(1000 / fps), 1000)
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        fp.write(b"\x89PNG\r\n\x1a\n")
        seq, count, actl_at = 0, 0, 0
        for k, (ihdr, idat, (y0, y1, x0, x1), blend) in enumerate(_ApngFrames(len(durations or ())).encode(frames)):
            if count == 0:
                fp.write(_chunk(b"IHDR", ihdr))
                actl_at = fp.tell()
                fp.write(_chunk(b"acTL", struct.pack(">II", 0, plays(repeats))))
            fp.write(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, x1 - x0, y1 - y0, x0, y0,
                                                 *_delay(delay, durations, k), 0, blend)))
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


Box = tuple[int, int, int, int]
TRIAL = 8  # frames encoded both ways to choose (after the first)


class _ApngFrames:
    """Each frame's (IHDR payload of the first, image data, rectangle, blend_op), the way chosen on a trial of
    the first frames (see the module's docstring)."""

    def __init__(self, length: int):
        self.length = length  # frames the animation is expected to have (0: unknown)
        self.changed_only = False

    def encode(self, frames: Iterable[np.ndarray | FrameUpdate]) -> Iterator[tuple[bytes, bytes, Box, int]]:
        stream = updates_of(frames, alpha=True)
        first = next(stream)
        if first.pixels.shape[2] == 4 or self.length < 3:
            yield self.whole(first)
            for update in stream:
                yield self.whole(update)
            return
        pixels = first.pixels.copy()  # (valid only until the next frame is drawn)
        ihdr, idat = _encode_png(pixels)
        trial: list[tuple[tuple[bytes, bytes, Box, int], tuple[bytes, bytes, Box, int]]] = []
        pending = None  # an update the trial stopped at (written whole, or its RGBA)
        for update in stream:
            if update.whole or update.pixels.shape[2] == 4:
                pending = update
                break
            trial.append((self.whole(update), self.changed(update)))
            if len(trial) == TRIAL:
                break
        if trial:  # what the changed-only way saves a frame, for the frames to come, against an alpha channel on
            # the first frame (about an eighth of its data; counted twice, as the trial is only a sample)
            saved = sum(len(w[1]) - len(c[1]) for w, c in trial) / len(trial)
            self.changed_only = saved * (self.length - 1) > len(idat) / 4
        if self.changed_only:
            ihdr, idat = _encode_png(_opaque(pixels))
        yield ihdr, idat, (0, pixels.shape[0], 0, pixels.shape[1]), _SOURCE
        for whole, changed in trial:
            yield changed if self.changed_only else whole
        if pending is not None:
            yield self.changed(pending) if self.changed_only else self.whole(pending)
        for update in stream:
            yield self.changed(update) if self.changed_only else self.whole(update)

    def whole(self, update: FrameUpdate) -> tuple[bytes, bytes, Box, int]:
        """The rectangle as it now is, replacing what was there (RGBA when the file is)."""
        frame = update.pixels
        box = (0, frame.shape[0], 0, frame.shape[1]) if update.whole else update.bounds or (0, 1, 0, 1)
        rect = frame[box[0]:box[1], box[2]:box[3]]
        ihdr, idat = _encode_png(_opaque(rect) if self.changed_only and rect.shape[2] == 3 else rect)
        return ihdr, idat, box, _SOURCE

    def changed(self, update: FrameUpdate) -> tuple[bytes, bytes, Box, int]:
        """Only the pixels that changed, over the frame before."""
        if update.whole or update.pixels.shape[2] == 4:
            return self.whole(update)
        box = update.bounds or (0, 1, 0, 1)
        return b"", _changed_only(update, *box), box, _OVER


def _opaque(rgb: np.ndarray) -> np.ndarray:
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as an animated PNG (one frame with ``step``)."""
    return write_apng(path, frames_for(scene, options, step), fps=options.fps, loop=repeats_for(options.loop),
                      durations=None if step is not None else durations(options, scene.n_frames, 1000))
