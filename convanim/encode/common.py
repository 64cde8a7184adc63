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

import numpy as np

from ..core.errors import ConvanimError
from ..core.scene import Scene
from ..draw.frame import FrameUpdate


class EncodeError(ConvanimError):
    """An animation could not be written (bad arguments, a missing optional dependency, no frames)."""


def frames_of(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
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


def updates_of(frames: Iterable[np.ndarray | FrameUpdate]) -> Iterator[FrameUpdate]:
    """Validated frames as FrameUpdates (each valid until the next is taken). Plain arrays are compared
    with the array before (one box around the changes); updates from the renderer pass as they are, except
    that the first is always written whole."""
    shape, prev = None, None
    for k, frame in enumerate(frames):
        pixels = frame.pixels if isinstance(frame, FrameUpdate) else next(frames_of([frame]))
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


def union(boxes: Iterable[tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    """The rectangle around ``boxes`` (None if there are none)."""
    boxes = list(boxes)
    if not boxes:
        return None
    return (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes))


def raster_updates(scene: Scene, step: int | None = None) -> Iterator[FrameUpdate]:
    """The scene's frames as updates, lazily; only frame ``step`` when one is given."""
    from ..draw import render_updates

    return render_updates(scene, step)


def repeats_for(loop: int) -> int | None:
    """RenderOptions.loop (0 forever, n plays) as the writers' repeat count (None: play once)."""
    return 0 if loop == 0 else None if loop == 1 else loop - 1


def plays(repeats: int | None) -> int:
    """A repeat count as APNG/WebP's play count (0: forever)."""
    return 1 if repeats is None else 0 if repeats == 0 else repeats + 1
