"""MP4: H.264 video through the optional imageio-ffmpeg (``pip install 'convanim[mp4]'``)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..core.files import atomic_path
from ..core.options import RenderOptions
from ..core.scene import Scene
from .common import EncodeError, check_fps, frames_of, held, raster_frames


def write_mp4(path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, fps: float = 10.0,
              crf: int = 18) -> Path:
    """An H.264 MP4 (yuv420p; odd sizes are padded by one edge pixel) via the optional imageio-ffmpeg."""
    fps = check_fps(fps)
    try:
        import imageio_ffmpeg
    except ImportError:
        raise EncodeError("mp4 needs the optional extra: pip install 'convanim[mp4]'") from None
    stream = frames_of(frames)
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


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as an H.264 MP4 (one frame with ``step``)."""
    frames = raster_frames(scene, step)
    return write_mp4(path, frames if step is not None else held(frames, options, scene.n_frames), fps=options.fps)
