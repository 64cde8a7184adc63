"""WebP: an animated WebP through Pillow's encoder, fed frame by frame when its streaming API is there."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.files import atomic_path
from ..core.options import RenderOptions
from ..core.scene import Scene
from .common import (
    EncodeError,
    check_fps,
    durations,
    frames_for,
    frames_of,
    plays,
    repeats_for,
    repeats_of,
    ticks,
)


def write_webp(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float = 10.0,
               loop: bool | int | None = 0, lossless: bool = True, quality: int = 80,
               method: int = 4, durations: Sequence[int] | None = None) -> Path:
    """An animated WebP (lossless by default; ``method`` 0-6 trades speed for size). Pillow's encoder is
    fed frame by frame when its streaming API is available; otherwise the frames are collected first."""
    fps, repeats = check_fps(fps), repeats_of(loop)
    count = plays(repeats)
    stream = frames_of(frames, alpha=True)
    first = next(stream)
    path = Path(path)
    with atomic_path(path) as tmp:
        size = (first.shape[1], first.shape[0])
        try:
            from PIL import _webp

            enc = _webp.WebPAnimEncoder(size, 0, count, False, 9 if lossless else 3, 17 if lossless else 5,
                                        False, False)
        except (ImportError, AttributeError, TypeError):
            enc = None
        times, t = (ticks(fps, 1000) if durations is None else iter(durations)), 0
        if enc is None:
            rest = [Image.fromarray(frame) for frame in stream]
            Image.fromarray(first).save(tmp, format="WEBP", save_all=True, append_images=rest,
                                        duration=list(itertools.islice(times, len(rest) + 1)), loop=count,
                                        lossless=lossless, quality=quality, method=method)
            return path
        for frame in itertools.chain([first], stream):
            enc.add(Image.fromarray(frame).getim(), t, lossless, quality, 100, method)
            t += next(times)
        enc.add(None, t, lossless, quality, 100, 0)
        data = enc.assemble(b"", b"", b"")
        if data is None:
            raise EncodeError(f"{path}: the WebP encoder returned nothing")
        tmp.write_bytes(data)
    return path


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as a lossless animated WebP (one frame with ``step``)."""
    return write_webp(path, frames_for(scene, options, step), fps=options.fps, loop=repeats_for(options.loop),
                      durations=None if step is not None else durations(options, scene.n_frames, 1000))
