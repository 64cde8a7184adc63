"""FrameUpdate: the contract between drawing and encoding: a frame, and the rectangles where it changed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[int, int, int, int]  # (y0, y1, x0, x1), rows then columns, end exclusive


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameUpdate:
    """One frame as the encoders receive it: the pixels, and where they differ from the previous frame.

    ``pixels`` is a read-only (height, width, 3) uint8 view that stays valid until the next frame is drawn
    (copy what must outlive it). ``boxes`` are disjoint rectangles holding every pixel that differs from the
    previous update's frame, each tight around its changes, and ``masks[k]`` marks which pixels of
    ``boxes[k]`` changed; ``boxes`` is None for a frame to be written whole (the first one).
    """

    index: int
    pixels: np.ndarray
    boxes: tuple[Box, ...] | None = None
    masks: tuple[np.ndarray, ...] | None = None

    @property
    def changed(self) -> bool:
        return self.boxes is None or bool(self.boxes)
