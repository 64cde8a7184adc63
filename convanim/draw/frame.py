"""FrameUpdate: the contract between drawing and encoding: a frame, and where it changed."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Box = tuple[int, int, int, int]  # (y0, y1, x0, x1), rows then columns, end exclusive
Points = tuple[np.ndarray, np.ndarray]  # rows and columns of pixels
Boxes = tuple[tuple[Box, ...], tuple[np.ndarray, ...]]


class FrameUpdate:
    """One frame as the encoders receive it: the pixels, and where they differ from the previous frame.

    ``pixels`` is a read-only (height, width, 3) uint8 view that stays valid until the next frame is drawn
    (copy what must outlive it). What changed is given two ways; an encoder asks for the one it needs, and
    each is worked out from the other only when asked for (then kept):

    - ``points``: (rows, columns) of every pixel that differs from the previous update's frame, each once,
      in no particular order;
    - ``boxes``: disjoint rectangles holding all of them, each tight around its changes, with ``masks[k]``
      marking which pixels of ``boxes[k]`` changed.

    Both are None for a frame to be written whole (the first one). A producer passes ``points``, or
    ``boxes`` with ``masks``, or a function giving either (``find_points``, ``find_boxes``).
    """

    __slots__ = ("index", "pixels", "_points", "_boxes", "_find_points", "_find_boxes", "whole")

    def __init__(self, *, index: int, pixels: np.ndarray, boxes: tuple[Box, ...] | None = None,
                 masks: tuple[np.ndarray, ...] | None = None, points: Points | None = None,
                 find_points: Callable[[], Points] | None = None,
                 find_boxes: Callable[[], Boxes] | None = None):
        self.index, self.pixels = index, pixels
        self._points = points
        self._boxes: Boxes | None = None if boxes is None else (tuple(boxes), tuple(masks or ()))
        if boxes is not None and len(self._boxes[0]) != len(self._boxes[1]):
            raise ValueError("a FrameUpdate needs one mask per box")
        self._find_points, self._find_boxes = find_points, find_boxes
        self.whole = boxes is None and points is None and find_points is None and find_boxes is None

    def __repr__(self) -> str:
        what = "whole" if self.whole else f"{self.points[0].size} changed pixels"
        return f"FrameUpdate(index={self.index}, {self.pixels.shape[1]}x{self.pixels.shape[0]}, {what})"

    @property
    def points(self) -> Points | None:
        """(rows, columns) of the pixels that changed, or None for a frame written whole."""
        if self.whole:
            return None
        if self._points is None:
            if self._find_points is not None:
                self._points = self._find_points()
            else:
                self._points = points_of(*self._all_boxes())
        return self._points

    @property
    def boxes(self) -> tuple[Box, ...] | None:
        """Disjoint rectangles tight around the changes, or None for a frame written whole."""
        return None if self.whole else self._all_boxes()[0]

    @property
    def masks(self) -> tuple[np.ndarray, ...] | None:
        """Per box, a bool mask of the pixels in it that changed (None for a frame written whole)."""
        return None if self.whole else self._all_boxes()[1]

    @property
    def bounds(self) -> Box | None:
        """The rectangle around every change (None when nothing changed, or for a frame written whole)."""
        if self.whole:
            return None
        if self._boxes is not None or self._points is None and self._find_points is None:
            boxes = self._all_boxes()[0]
            if not boxes:
                return None
            return (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes),
                    max(b[3] for b in boxes))
        ys, xs = self.points
        if ys.size == 0:
            return None
        return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1

    def values(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """The pixels at (ys, xs), as an (n, channels) array (``pixels[ys, xs]``, without numpy's slow 2-D
        fancy indexing: one gather along a flat view of the rows, padding included)."""
        rows, pitch = flat_rows(self.pixels)
        return np.take(rows, ys * pitch + xs, axis=0)

    @property
    def changed(self) -> bool:
        if self.whole:
            return True
        if self._boxes is not None:
            return bool(self._boxes[0])
        return bool(self.points[0].size)

    def _all_boxes(self) -> Boxes:
        if self._boxes is None:
            self._boxes = self._find_boxes() if self._find_boxes is not None else boxes_of(*self.points)
        return self._boxes


def flat_rows(pixels: np.ndarray) -> tuple[np.ndarray, int]:
    """A (height, width, channels) array whose rows may be padded (a view of a wider buffer) as one
    (pixels, channels) view, and the pitch: pixel (y, x) is row ``y * pitch + x`` of the view."""
    h, w, c = pixels.shape
    s0, s1, s2 = pixels.strides
    if s1 != c * s2 or s0 % s1 or s0 < w * s1:
        pixels = np.ascontiguousarray(pixels)
        s0, s1, s2 = pixels.strides
    pitch = s0 // s1
    return np.lib.stride_tricks.as_strided(pixels, shape=((h - 1) * pitch + w, c), strides=(s1, s2),
                                           writeable=False), pitch


def points_of(boxes: tuple[Box, ...], masks: tuple[np.ndarray, ...]) -> Points:
    """The changed pixels of boxes and their masks, as (rows, columns)."""
    ys, xs = [np.zeros(0, np.intp)], [np.zeros(0, np.intp)]
    for (y0, _y1, x0, _x1), mask in zip(boxes, masks, strict=True):
        my, mx = np.nonzero(mask)
        ys.append(my + y0)
        xs.append(mx + x0)
    return np.concatenate(ys), np.concatenate(xs)


def boxes_of(ys: np.ndarray, xs: np.ndarray) -> Boxes:
    """One box around changed pixels, and its mask."""
    if ys.size == 0:
        return (), ()
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    mask[ys - y0, xs - x0] = True
    return ((y0, y1, x0, x1),), (mask,)
