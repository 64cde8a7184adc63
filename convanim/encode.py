"""Encoders: streams of RGB uint8 frames to GIF, APNG, WebP, MP4, a PNG or a folder of PNGs, atomically.

Every writer consumes ``frames`` (any iterable of (height, width, 3) uint8 arrays, e.g. a generator) one
frame at a time, writes into a temporary file beside the target and moves it into place only when the
whole animation is written: on any error no partial file remains and an older file is left untouched.
Outputs carry no timestamps, so equal frames give equal bytes.

``loop`` is the same everywhere: ``0`` or ``True`` plays forever, ``None`` or ``False`` plays once, an int
``n > 0`` plays once and then repeats ``n`` times (GIF loop count ``n``; APNG/WebP play count ``n + 1``).
"""

from __future__ import annotations

import io
import itertools
import math
import os
import re
import secrets
import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import GifImagePlugin, Image, ImageColor

from .errors import ConvanimError
from .files import atomic_path, signals_deferred, umask

RGB = tuple[int, int, int]
_BITS = 6  # LUT resolution per channel: 64 x 64 x 64 cells


class EncodeError(ConvanimError):
    """An animation could not be written (bad arguments, a missing optional dependency, no frames)."""


def _frames(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Validated frames; raises EncodeError on an empty stream or a frame of another size or type."""
    shape = None
    for frame in frames:
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise EncodeError(f"frames must be (height, width, 3) uint8 arrays, got {frame.dtype} "
                              f"{frame.shape}")
        if shape is None:
            shape = frame.shape
        elif frame.shape != shape:
            raise EncodeError(f"frame size changed from {shape[:2]} to {frame.shape[:2]}")
        yield frame
    if shape is None:
        raise EncodeError("no frames to write")


def _repeats(loop: bool | int | None) -> int | None:
    """Extra repeats after the first play: None = play once, 0 = forever."""
    if loop is None or loop is False:
        return None
    if loop is True:
        return 0
    if isinstance(loop, int) and 0 <= loop <= 65534:
        return loop
    raise EncodeError(f"loop must be True/0 (forever), None/False (once) or a repeat count, got {loop!r}")


def _check_fps(fps: float) -> float:
    if not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps <= 0:
        raise EncodeError(f"fps must be a positive number, got {fps!r}")
    return float(fps)


def _ticks(fps: float, per_second: int) -> Iterator[int]:
    """Per-frame durations in 1/per_second units whose running sum tracks ``k / fps`` (no drift)."""
    for k in itertools.count():
        yield round((k + 1) * per_second / fps) - round(k * per_second / fps)


def _bbox(changed: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of the True pixels of a 2-D mask, or None."""
    rows = np.flatnonzero(changed.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(changed[rows[0]:rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


# ---------------------------------------------------------------- palettes

def _rgb(color: str | Sequence[int]) -> RGB:
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
    keys: list[RGB] = list(dict.fromkeys(_rgb(c) for c in key_colors))
    for color, alpha in overlays:
        top = _rgb(color)
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
    step = 1 << (8 - _BITS)
    centres = np.arange(1 << _BITS, dtype=np.float32) * step + (step - 1) / 2
    g, b = np.meshgrid(centres, centres, indexing="ij")
    # |c - p|^2 = |c|^2 - 2 c.p + |p|^2: only the last two terms depend on p
    gb = (pal**2).sum(axis=1) - 2 * np.stack([g.ravel(), b.ravel()], axis=1) @ pal[:, 1:].T
    lut = np.empty((1 << _BITS, 1 << 2 * _BITS), np.uint8)
    for i, r in enumerate(centres):
        lut[i] = (gb - 2 * r * pal[:, 0]).argmin(axis=1)
    lut = lut.ravel()
    for i in range(len(palette) - 1, -1, -1):  # every palette colour maps to itself, earlier ones first
        r, g_, b_ = (v >> (8 - _BITS) for v in palette[i])
        lut[(r << 2 * _BITS) | (g_ << _BITS) | b_] = i
    return lut


def quantize(frame: np.ndarray, palette: Sequence[RGB]) -> np.ndarray:
    """Palette indices (height, width) uint8 of an RGB frame, nearest colour via a lookup table."""
    lut = _lut(tuple(tuple(int(v) for v in c) for c in palette))
    g = frame >> (8 - _BITS)
    key = g[..., 0].astype(np.uint32)
    key <<= _BITS
    key |= g[..., 1]
    key <<= _BITS
    key |= g[..., 2]
    return np.take(lut, key)


def _changed_box(frame: np.ndarray, prev: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of the pixels that differ between two RGB frames (compared as byte rows)."""
    h = frame.shape[0]
    neq = np.ascontiguousarray(frame).reshape(h, -1) != prev.reshape(h, -1)
    box = _bbox(neq)
    return None if box is None else (box[0], box[1], box[2] // 3, (box[3] + 2) // 3)


# ---------------------------------------------------------------- GIF

def write_gif(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float = 10.0,
              loop: bool | int | None = 0, palette: Sequence[str | Sequence[int]] | None = None) -> Path:
    """An animated GIF with one global ``palette`` (up to 256 colours; default: the first frame's).

    Streams: only the previous frame is kept. Every frame after the first stores just the rectangle that
    changed, with unchanged pixels in it transparent (when the palette leaves an entry free), so a frame
    identical to the previous one costs a few bytes and the frame count is always preserved. Durations
    are in 1/100 s, rounded so the running time stays within 5 ms of ``k / fps`` (browsers show delays
    under 2/100 s as 1/10 s, so keep ``fps <= 50``).
    """
    fps, repeats = _check_fps(fps), _repeats(loop)
    stream = _frames(frames)
    first = next(stream)
    pal = [_rgb(c) for c in palette] if palette is not None else palette_from_frame(first)
    if not 1 <= len(pal) <= 256:
        raise EncodeError(f"a GIF palette has 1 to 256 colours, got {len(pal)}")
    clear = len(pal) if len(pal) < 256 else None
    bits = max(1, math.ceil(math.log2(len(pal) + (clear is not None))))
    table = bytes(v for c in pal for v in c).ljust(3 << bits, b"\0")
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        h, w = first.shape[:2]
        fp.write(b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80 | (bits - 1) << 4 | (bits - 1), 0, 0) + table)
        if repeats is not None:
            fp.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", repeats) + b"\0")
        prev_rgb, prev = first.copy(), quantize(first, pal)
        for k, (frame, cs) in enumerate(zip(itertools.chain([first], stream), _ticks(fps, 100))):
            params = {"duration": cs * 10, "disposal": 1}
            box = None if k == 0 else _changed_box(frame, prev_rgb)
            if k == 0:
                y0, x0, sub = 0, 0, prev
            elif box is None:  # identical frame: one transparent (or unchanged) pixel
                y0, x0, sub = 0, 0, prev[:1, :1] if clear is None else np.full((1, 1), clear, np.uint8)
            else:
                y0, y1, x0, x1 = box
                idx = quantize(frame[y0:y1, x0:x1], pal)
                changed = idx != prev[y0:y1, x0:x1]
                prev[y0:y1, x0:x1] = idx
                np.copyto(prev_rgb[y0:y1, x0:x1], frame[y0:y1, x0:x1])
                inner = _bbox(changed) or (0, 1, 0, 1)
                sub = idx[inner[0]:inner[1], inner[2]:inner[3]]
                if clear is not None:
                    sub = np.where(changed[inner[0]:inner[1], inner[2]:inner[3]], sub, np.uint8(clear))
                y0, x0 = y0 + inner[0], x0 + inner[2]
            if k > 0 and clear is not None:
                params["transparency"] = clear
            for chunk in GifImagePlugin.getdata(Image.fromarray(np.ascontiguousarray(sub), "L"),
                                                (x0, y0), **params):
                fp.write(chunk)
        fp.write(b";")
    return path


# ---------------------------------------------------------------- PNG frames and APNG

def write_png(path: str | os.PathLike[str], frame: np.ndarray) -> Path:
    """One frame as a PNG (e.g. ``--step``)."""
    frame = next(_frames([frame]))
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(frame).save(tmp, format="PNG", compress_level=6)
    return path


def write_png_frames(directory: str | os.PathLike[str], frames: Iterable[np.ndarray], *,
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
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.parent / f".{directory.name}.{secrets.token_hex(4)}.tmp"  # named before it exists
    while tmp.exists():
        tmp = directory.parent / f".{directory.name}.{secrets.token_hex(4)}.tmp"
    try:
        tmp.mkdir()
        for i, frame in enumerate(_frames(frames)):
            Image.fromarray(frame).save(tmp / f"{prefix}{i:05d}.png", compress_level=6)
        os.chmod(tmp, 0o777 & ~umask())
        with signals_deferred():  # the swap is two renames: never stop between them
            old = None
            if directory.exists():
                old = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.", suffix=".old"))
                os.replace(directory, old / "frames")
            os.replace(tmp, directory)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


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


def write_apng(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float = 10.0,
               loop: bool | int | None = 0) -> Path:
    """An animated PNG, streamed: each frame after the first stores only the rectangle that changed."""
    fps, repeats = _check_fps(fps), _repeats(loop)
    plays = 1 if repeats is None else 0 if repeats == 0 else repeats + 1
    delay = Fraction(1) / Fraction(fps).limit_denominator(1000)
    if delay.numerator > 65535 or delay.denominator > 65535:
        delay = Fraction(round(1000 / fps), 1000)
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        fp.write(b"\x89PNG\r\n\x1a\n")
        prev, seq, count, actl_at = None, 0, 0, 0
        for frame in _frames(frames):
            if prev is None:
                y0, y1, x0, x1 = 0, frame.shape[0], 0, frame.shape[1]
            else:
                y0, y1, x0, x1 = _bbox((frame != prev).any(axis=2)) or (0, 1, 0, 1)
            ihdr, idat = _encode_png(frame[y0:y1, x0:x1])
            if prev is None:
                fp.write(_chunk(b"IHDR", ihdr))
                actl_at = fp.tell()
                fp.write(_chunk(b"acTL", struct.pack(">II", 0, plays)))
            fp.write(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, x1 - x0, y1 - y0, x0, y0,
                                                 delay.numerator, delay.denominator, 0, 0)))
            seq += 1
            if prev is None:
                fp.write(_chunk(b"IDAT", idat))
            else:
                fp.write(_chunk(b"fdAT", struct.pack(">I", seq) + idat))
                seq += 1
            prev, count = frame, count + 1
        fp.write(_chunk(b"IEND", b""))
        fp.seek(actl_at)
        fp.write(_chunk(b"acTL", struct.pack(">II", count, plays)))
    return path


# ---------------------------------------------------------------- WebP and MP4

def write_webp(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float = 10.0,
               loop: bool | int | None = 0, lossless: bool = True, quality: int = 80,
               method: int = 4) -> Path:
    """An animated WebP (lossless by default; ``method`` 0-6 trades speed for size). Pillow's encoder is
    fed frame by frame when its streaming API is available; otherwise the frames are collected first."""
    fps, repeats = _check_fps(fps), _repeats(loop)
    plays = 1 if repeats is None else 0 if repeats == 0 else repeats + 1
    stream = _frames(frames)
    first = next(stream)
    path = Path(path)
    with atomic_path(path) as tmp:
        size = (first.shape[1], first.shape[0])
        try:
            from PIL import _webp

            enc = _webp.WebPAnimEncoder(size, 0, plays, False, 9 if lossless else 3, 17 if lossless else 5,
                                        False, False)
        except (ImportError, AttributeError, TypeError):
            enc = None
        ticks, t = _ticks(fps, 1000), 0
        if enc is None:
            rest = [Image.fromarray(frame) for frame in stream]
            Image.fromarray(first).save(tmp, format="WEBP", save_all=True, append_images=rest,
                                        duration=list(itertools.islice(ticks, len(rest) + 1)), loop=plays,
                                        lossless=lossless, quality=quality, method=method)
            return path
        for frame in itertools.chain([first], stream):
            enc.add(Image.fromarray(frame).getim(), t, lossless, quality, 100, method)
            t += next(ticks)
        enc.add(None, t, lossless, quality, 100, 0)
        data = enc.assemble(b"", b"", b"")
        if data is None:
            raise EncodeError(f"{path}: the WebP encoder returned nothing")
        tmp.write_bytes(data)
    return path


def write_mp4(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float = 10.0,
              crf: int = 18) -> Path:
    """An H.264 MP4 (yuv420p; odd sizes are padded by one edge pixel) via the optional imageio-ffmpeg."""
    fps = _check_fps(fps)
    try:
        import imageio_ffmpeg
    except ImportError:
        raise EncodeError("mp4 needs the optional extra: pip install 'convanim[mp4]'") from None
    stream = _frames(frames)
    first = next(stream)
    h, w = first.shape[:2]
    pad = ((0, h % 2), (0, w % 2), (0, 0))
    path = Path(path)
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (w + w % 2, h + h % 2), fps=fps, codec="libx264", pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=1, ffmpeg_log_level="error",
            output_params=["-crf", str(crf), "-map_metadata", "-1", "-fflags", "+bitexact",
                           "-flags:v", "+bitexact", "-movflags", "+faststart"])
        try:
            writer.send(None)
            for frame in itertools.chain([first], stream):
                if h % 2 or w % 2:
                    frame = np.pad(frame, pad, mode="edge")
                writer.send(np.ascontiguousarray(frame))
        finally:
            writer.close()
    return path


# format name -> writer; all take (path, frames, fps=...) except "frames" (a folder of PNGs, no timing)
WRITERS = {"gif": write_gif, "apng": write_apng, "webp": write_webp, "mp4": write_mp4,
           "frames": write_png_frames}
