"""What every encoder shares: validated frame streams, loop counts, frame durations, changed rectangles.

Every writer consumes ``frames`` one frame at a time: any iterable of (height, width, 3) uint8 arrays (e.g.
a generator), or of ``draw.FrameUpdate``s, which carry the rectangles that changed since the frame before
(the raster renderer's output: then no writer compares or copies whole frames). ``updates_of`` turns plain
arrays into updates by comparing each with the one before. Writers write into a temporary file beside the
target and move it into place only when the whole animation is written: on any error no partial file
remains and an older file is left untouched. Outputs carry no timestamps, so equal frames give equal bytes.

``loop`` is the same everywhere: ``0`` or ``True`` plays forever, ``None`` or ``False`` plays once, an int
``n > 0`` plays once and then repeats ``n`` times (GIF loop count ``n``; APNG/WebP play count ``n + 1``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np

from ..core.errors import ConvanimError
from ..core.options import RenderOptions
from ..core.scene import Polygon, Primitive, Scene
from ..draw.frame import FrameUpdate

_Frame = TypeVar("_Frame", np.ndarray, FrameUpdate)


class EncodeError(ConvanimError):
    """An animation could not be written (bad arguments, a missing optional dependency, no frames)."""


def frames_of(frames: Iterable[np.ndarray], *, alpha: bool = False) -> Iterator[np.ndarray]:
    """Validated frames (RGB, or RGBA with ``alpha``); raises EncodeError on an empty stream or a frame of
    another size or type."""
    shape = None
    channels = (3, 4) if alpha else (3,)
    for frame in frames:
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in channels:
            raise EncodeError(f"frames must be (height, width, {' or '.join(map(str, channels))}) uint8 arrays, "
                              f"got {frame.dtype} {frame.shape}")
        if shape is None:
            shape = frame.shape
        elif frame.shape != shape:
            raise EncodeError(f"frame size changed from {shape[:2]} to {frame.shape[:2]}")
        yield frame
    if shape is None:
        raise EncodeError("no frames to write")


def repeats_of(loop: bool | int | None) -> int | None:
    """Extra repeats after the first play: None = play once, 0 = forever."""
    if loop is None or loop is False:
        return None
    if loop is True:
        return 0
    if isinstance(loop, int) and 0 <= loop <= 65534:
        return loop
    raise EncodeError(f"loop must be True/0 (forever), None/False (once) or a repeat count, got {loop!r}")


def check_fps(fps: float) -> float:
    """``fps`` as a float; EncodeError unless it is a positive finite number."""
    if not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps <= 0:
        raise EncodeError(f"fps must be a positive number, got {fps!r}")
    return float(fps)


def ticks(fps: float, per_second: int) -> Iterator[int]:
    """Per-frame durations in 1/per_second units whose running sum tracks ``k / fps`` (no drift)."""
    for k in itertools.count():
        yield round((k + 1) * per_second / fps) - round(k * per_second / fps)


def bbox(changed: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of the True pixels of a 2-D mask, or None."""
    rows = np.flatnonzero(changed.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(changed[rows[0]:rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def updates_of(frames: Iterable[np.ndarray | FrameUpdate], *, alpha: bool = False) -> Iterator[FrameUpdate]:
    """Validated frames as FrameUpdates (each valid until the next is taken). Plain arrays are compared
    with the array before (one box around the changes); updates from the renderer pass as they are, except
    that the first is always written whole. ``alpha``: RGBA arrays are accepted too."""
    shape, prev = None, None
    for k, frame in enumerate(frames):
        pixels = frame.pixels if isinstance(frame, FrameUpdate) else next(frames_of([frame], alpha=alpha))
        if shape is None:
            shape = pixels.shape
        elif pixels.shape != shape:
            raise EncodeError(f"frame size changed from {shape[:2]} to {pixels.shape[:2]}")
        if isinstance(frame, FrameUpdate):
            yield frame if k else FrameUpdate(index=frame.index, pixels=pixels)
            continue
        if prev is None:
            update = FrameUpdate(index=k, pixels=pixels)
        else:
            diff = (pixels != prev).any(axis=2)
            box = bbox(diff)
            update = FrameUpdate(index=k, pixels=pixels, boxes=() if box is None else (box,),
                                 masks=() if box is None else (diff[box[0]:box[1], box[2]:box[3]],))
        prev = pixels.copy()
        yield update
    if shape is None:
        raise EncodeError("no frames to write")


def raster_updates(scene: Scene, step: int | None = None) -> Iterator[FrameUpdate]:
    """The scene's frames as updates, lazily; only frame ``step`` when one is given."""
    from ..draw import render_updates

    return render_updates(scene, step)


def durations(options: RenderOptions, n: int, per_second: int) -> list[int]:
    """Per-frame durations of ``n`` frames in 1/per_second units: one frame time (1/fps) each, the first
    ``hold_first`` and the last ``hold_last`` frame times longer; rounded so that the running time tracks
    the exact one (no drift)."""
    out, t, done = [], 0.0, 0
    for k in range(n):
        t += (1 + (options.hold_first if k == 0 else 0) + (options.hold_last if k == n - 1 else 0)) / options.fps
        out.append(round(t * per_second) - done)
        done += out[-1]
    return out


def held(frames: Iterable[_Frame], options: RenderOptions, n: int) -> Iterator[_Frame]:
    """Frames for a constant-rate format (MP4): the first and last repeated to hold them (whole frame times)."""
    for k, frame in enumerate(frames):
        copies = 1 + round(options.hold_first if k == 0 else 0) + round(options.hold_last if k == n - 1 else 0)
        for _ in range(copies):
            yield frame


# ---------------------------------------------------------------- transparent backgrounds (render.transparent)

def keyed(scene: Scene, color: str) -> Scene:
    """``scene`` on a ``color`` background: the background and every shape filled with the background colour
    (empty padding, cells not yet computed) take ``color``."""
    from dataclasses import replace

    bg = scene.background.lower()

    def swap(p: Primitive) -> Primitive:
        return replace(p, fill=color) if isinstance(p, Polygon) and p.fill.lower() == bg else p

    frame = scene.frame
    return replace(scene, background=color, static=tuple(swap(p) for p in scene.static),
                   frame=lambda i: tuple(swap(p) for p in frame(i)))


def rgba_frames(scene: Scene, step: int | None = None) -> Iterator[np.ndarray]:
    """The scene's frames as RGBA with a transparent background: drawn once on black and once on white,
    the difference is how much of the background shows through (exact for the renderer's linear blending,
    anti-aliased edges and translucent shades included)."""
    for on_black, on_white in zip(raster_updates(keyed(scene, "#000000"), step),
                                  raster_updates(keyed(scene, "#ffffff"), step), strict=True):
        b, w = on_black.pixels.astype(np.int32), on_white.pixels.astype(np.int32)
        alpha = np.clip(255 - (w - b).max(axis=2), 0, 255)
        color = np.where(alpha[..., None] > 0, np.clip(b * 255 // np.maximum(alpha, 1)[..., None], 0, 255), 0)
        yield np.dstack([color, alpha]).astype(np.uint8)


def frames_for(scene: Scene, options: RenderOptions,
               step: int | None = None) -> Iterator[np.ndarray] | Iterator[FrameUpdate]:
    """The renderer's updates, or whole RGBA frames with ``render.transparent``."""
    return rgba_frames(scene, step) if options.transparent else raster_updates(scene, step)


def repeats_for(loop: int) -> int | None:
    """RenderOptions.loop (0 forever, n plays) as the writers' repeat count (None: play once)."""
    return 0 if loop == 0 else None if loop == 1 else loop - 1


def plays(repeats: int | None) -> int:
    """A repeat count as APNG/WebP's play count (0: forever)."""
    return 1 if repeats is None else 0 if repeats == 0 else repeats + 1
