"""GIF: a streaming writer on one fixed palette (several small image blocks where the frame changed), and the
``gif`` output format."""

from __future__ import annotations

import itertools
import math
import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import GifImagePlugin, Image

from ..core.files import atomic_path
from ..core.options import RenderOptions
from ..core.scene import Polygon, Scene, Text
from ..core.theme import Theme
from .common import (
    EncodeError,
    bbox,
    changed_box,
    check_fps,
    durations,
    frames_for,
    frames_of,
    repeats_for,
    repeats_of,
    ticks,
)
from .palette import RGB, build_palette, palette_from_frame, quantize, to_rgb


def write_gif(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float = 10.0,
              loop: bool | int | None = 0, palette: Sequence[str | Sequence[int]] | None = None,
              durations: Sequence[int] | None = None, transparent: bool = False) -> Path:
    """An animated GIF with one global ``palette`` (up to 256 colours; default: the first frame's).

    Streams: only the previous frame is kept. Every frame after the first stores just the rectangle that
    changed, with unchanged pixels in it transparent (when the palette leaves an entry free), so a frame
    identical to the previous one costs a few bytes and the frame count is always preserved. Durations
    are in 1/100 s, rounded so the running time stays within 5 ms of ``k / fps`` (browsers show delays
    under 2/100 s as 1/10 s, so keep ``fps <= 50``). ``durations``: each frame's own, in 1/100 s.
    ``transparent``: RGBA frames; pixels less than half opaque become the palette's transparent index, and
    every frame is written whole over a cleared canvas (GIF has no partial transparency).
    """
    if transparent:
        return _write_transparent(path, frames, fps=fps, loop=loop, palette=palette, durations=durations)
    fps, repeats = check_fps(fps), repeats_of(loop)
    stream = frames_of(frames)
    first = next(stream)
    pal = [to_rgb(c) for c in palette] if palette is not None else palette_from_frame(first)
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
        for k, (frame, cs) in enumerate(zip(itertools.chain([first], stream),
                                                  ticks(fps, 100) if durations is None else durations)):
            params = {"duration": cs * 10, "disposal": 1}
            box = None if k == 0 else changed_box(frame, prev_rgb)
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
                inner = bbox(changed) or (0, 1, 0, 1)
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




def _write_transparent(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float,
                       loop: bool | int | None, palette: Sequence[str | Sequence[int]] | None,
                       durations: Sequence[int] | None) -> Path:
    """write_gif for RGBA frames: a transparent index where the background shows, whole frames, disposal 2."""
    fps, repeats = check_fps(fps), repeats_of(loop)
    stream = frames_of(frames, alpha=True)
    first = next(stream)
    pal = [to_rgb(c) for c in palette] if palette is not None else palette_from_frame(first[..., :3])
    pal = pal[:255]
    clear = len(pal)
    bits = max(1, math.ceil(math.log2(len(pal) + 1)))
    table = bytes(v for c in pal for v in c).ljust(3 << bits, b"\0")
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        h, w = first.shape[:2]
        fp.write(b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80 | (bits - 1) << 4 | (bits - 1), clear, 0) + table)
        if repeats is not None:
            fp.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", repeats) + b"\0")
        for frame, cs in zip(itertools.chain([first], stream), ticks(fps, 100) if durations is None else durations):
            idx = quantize(np.ascontiguousarray(frame[..., :3]), pal)
            idx[frame[..., 3] < 128] = clear
            for chunk in GifImagePlugin.getdata(Image.fromarray(idx, "L"), (0, 0), duration=cs * 10, disposal=2,
                                                transparency=clear):
                fp.write(chunk)
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
