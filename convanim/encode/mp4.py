"""MP4: H.264 video through the optional imageio-ffmpeg (``pip install 'convanim[mp4]'``).

The frame is handed to x264 as BT.709 YUV 4:2:0, converted here and only where a frame changed (``Yuv420``):
ffmpeg converting every whole RGB frame cost more than encoding it. x264 runs single-threaded (bytes are the
same on every machine) at a constant quantiser ``qp``, with settings for frames that mostly repeat the one before
(``_x264_params``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..core.files import atomic_path
from ..core.options import RenderOptions
from ..core.scene import Scene
from ..draw.frame import FrameUpdate
from .common import EncodeError, check_fps, held, raster_updates, updates_of

# BT.709, limited range: rows give Y, Cb, Cr from R, G, B in 0..255
_MATRIX = np.array([[0.2126, 0.7152, 0.0722], [-0.2126 / 1.8556, -0.7152 / 1.8556, 0.5],
                    [0.5, -0.7152 / 1.5748, -0.0722 / 1.5748]], np.float64) * np.array([[219], [224], [224]]) / 255
# ... in 16-bit fixed point: Y from a pixel, Cb and Cr from the sum of a 2x2 quad (hence / 4), the offsets with
# the rounding half added. Y stays in 16..235 and Cb, Cr in 16..240, so nothing needs clipping.
_SHIFT = 16
_KY = [round(float(k) * (1 << _SHIFT)) for k in _MATRIX[0]]
_KU, _KV = ([round(float(k) * (1 << _SHIFT) / 4) for k in row] for row in _MATRIX[1:])
_OY = (16 << _SHIFT) + (1 << (_SHIFT - 1))
_OUV = (128 << _SHIFT) + (1 << (_SHIFT - 1))


class Yuv420:
    """One frame as planar YUV 4:2:0 (even size; an odd last row or column repeats the edge pixel), kept up to
    date from RGB frames' changed rectangles; ``buffer`` is the Y, U and V planes back to back."""

    def __init__(self, height: int, width: int):
        self.size = (height, width)
        self.h, self.w = height + height % 2, width + width % 2
        n = self.h * self.w
        self.buffer = np.empty(n * 3 // 2, np.uint8)
        self.y = self.buffer[:n].reshape(self.h, self.w)
        self.u = self.buffer[n:n * 5 // 4].reshape(self.h // 2, self.w // 2)
        self.v = self.buffer[n * 5 // 4:].reshape(self.h // 2, self.w // 2)

    def update(self, update: FrameUpdate) -> None:
        if update.whole:
            for y in range(0, self.h, 256):
                self.convert(update.pixels, y, min(y + 256, self.h), 0, self.w)
            return
        for y0, y1, x0, x1 in update.boxes:
            self.convert(update.pixels, y0 - y0 % 2, y1 + y1 % 2, x0 - x0 % 2, x1 + x1 % 2)

    def convert(self, pixels: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> None:
        """Convert the even-aligned rectangle [y0:y1, x0:x1] (within the even size)."""
        h, w = self.size
        rgb = pixels[y0:min(y1, h), x0:min(x1, w)]
        if y1 > h or x1 > w:  # the odd last row or column: repeat the edge
            rgb = np.pad(rgb, ((0, y1 - min(y1, h)), (0, x1 - min(x1, w)), (0, 0)), mode="edge")
        c = rgb.astype(np.int32)
        r, g, b = c[..., 0], c[..., 1], c[..., 2]  # per channel, not a matmul: numpy's integer matmul is slower
        y = r * _KY[0]
        y += g * _KY[1]
        y += b * _KY[2]
        y += _OY
        y >>= _SHIFT
        self.y[y0:y1, x0:x1] = y
        quad = c[0::2, 0::2] + c[0::2, 1::2]
        quad += c[1::2, 0::2]
        quad += c[1::2, 1::2]
        r, g, b = quad[..., 0], quad[..., 1], quad[..., 2]
        for plane, k in ((self.u, _KU), (self.v, _KV)):
            t = r * k[0]
            t += g * k[1]
            t += b * k[2]
            t += _OUV
            t >>= _SHIFT
            plane[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = t


def _x264_params() -> str:
    """x264's settings on top of its ``superfast`` preset (not ``ultrafast``, whose keyframe is all 16x16 intra,
    30% larger), for animations whose frames mostly repeat the one before. x264's cost is then the work every
    frame needs whatever changed (copying it in, probing each macroblock to find it unchanged: half of
    ``veryfast``'s time even on identical frames), so everything else is left out: sub-pixel motion search
    (``subme=0``), weighted prediction, adaptive quantisation, deblocking (a no-op at these quantisers),
    B-frames, scene-cut detection, and CABAC for CAVLC; about half ``veryfast``'s CPU. The quantiser is
    constant (``-qp``), keyframes included (``ipratio=1``): on such frames constant quality (``crf``) settled
    there anyway, at its floor, and its rate control cost a fifth of x264's time (the half-size copy of every
    frame it estimates from). A keyframe every 250 frames (x264's default; scene cuts are not looked for): each
    costs as much as ~50 changed frames, but a player seeking into a long animation decodes from the keyframe
    before."""
    return "keyint=250:scenecut=0:bframes=0:subme=0:weightp=0:aq-mode=0:no-deblock=1:cabac=0:ipratio=1"


def write_mp4(path: str | os.PathLike[str], frames: Iterable[np.ndarray | FrameUpdate], *, fps: float = 10.0,
              qp: int = 10) -> Path:
    """An H.264 MP4 (yuv420p; odd sizes are padded by one edge pixel) via the optional imageio-ffmpeg, every frame
    at the quantiser ``qp`` (lower is finer; 10 is close to lossless for these figures)."""
    fps = check_fps(fps)
    try:
        import imageio_ffmpeg
    except ImportError:
        raise EncodeError("mp4 needs the optional extra: pip install 'convanim[mp4]'") from None
    stream = updates_of(frames)
    first = next(stream)
    yuv = Yuv420(*first.pixels.shape[:2])
    path = Path(path)
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (yuv.w, yuv.h), fps=fps, codec="libx264", pix_fmt_in="yuv420p",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=1, ffmpeg_log_level="error",
            input_params=["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                          "-color_range", "tv"],  # what the frames are: tagged, and nothing converted
            output_params=["-qp", str(qp), "-preset", "superfast", "-x264-params", _x264_params(),
                           "-threads", "1", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                           "-movflags", "+faststart"])
        try:
            writer.send(None)
            yuv.update(first)
            writer.send(yuv.buffer)
            for update in stream:
                yuv.update(update)
                writer.send(yuv.buffer)
        finally:
            writer.close()
    return path


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as an H.264 MP4 (one frame with ``step``)."""
    frames = raster_updates(scene, step)
    return write_mp4(path, frames if step is not None else held(frames, options, scene.n_frames), fps=options.fps)
