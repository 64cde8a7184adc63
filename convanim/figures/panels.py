"""Flat grids of cells placed in pixels, for the scatter, matrix and im2col views and the gradients drawn as grids:
cells, fills, grid lines, text, and the notes and caption row under the grids.

A ``CellGrid`` is a block of square cells with a pitch (the distance from one cell to the next, at least the
cell side): a 1-D scatter spaces its input cells ``stride`` cells apart, every other grid is contiguous.
Pure geometry and primitives; no convolution here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.scene import Point, Polygon, Primitive, Segment, Text
from ..core.text import text_width
from ..core.theme import Theme
from .geometry import Plane, flat_plane, grid_lines, grid_width, outline
from .values import format_value


@dataclass(frozen=True, slots=True)
class CellGrid:
    """``shape`` cells of side ``s`` from ``origin`` (top-left), ``pitch`` pixels apart (x, y)."""

    origin: Point
    shape: tuple[int, int]
    s: float
    pitch: Point | None = None

    @property
    def step(self) -> Point:
        return self.pitch or (self.s, self.s)

    @property
    def contiguous(self) -> bool:
        return self.step == (self.s, self.s)

    def corner(self, r: int, c: int) -> Point:
        return (self.origin[0] + c * self.step[0], self.origin[1] + r * self.step[1])

    def cell(self, r: int, c: int) -> tuple[Point, ...]:
        x, y = self.corner(r, c)
        return ((x, y), (x + self.s, y), (x + self.s, y + self.s), (x, y + self.s))

    def center(self, r: int, c: int) -> Point:
        x, y = self.corner(r, c)
        return (x + self.s / 2, y + self.s / 2)

    def box(self, r0: int, c0: int, rows: int, cols: int) -> tuple[Point, ...]:
        """The outline of the cells ``r0 .. r0+rows-1`` x ``c0 .. c0+cols-1``."""
        (x0, y0), (x1, y1) = self.corner(r0, c0), self.corner(r0 + rows - 1, c0 + cols - 1)
        return ((x0, y0), (x1 + self.s, y0), (x1 + self.s, y1 + self.s), (x0, y1 + self.s))

    def centers(self) -> np.ndarray:
        """(rows, cols, 2) pixel centres of every cell."""
        r, c = np.mgrid[0:self.shape[0], 0:self.shape[1]]
        return np.stack([self.origin[0] + c * self.step[0] + self.s / 2,
                         self.origin[1] + r * self.step[1] + self.s / 2], axis=-1).astype(np.float64)

    @property
    def right(self) -> float:
        return self.corner(0, self.shape[1] - 1)[0] + self.s

    @property
    def bottom(self) -> float:
        return self.corner(self.shape[0] - 1, 0)[1] + self.s

    def plane(self) -> Plane:
        return flat_plane(self.origin, self.s)


def lines(grid: CellGrid, solid: np.ndarray, theme: Theme, z: int) -> list[Primitive]:
    """The grid's lines: solid beside a ``solid`` cell, dashed elsewhere (per cell when it is not contiguous)."""
    if grid.contiguous:
        return grid_lines(grid.plane(), solid.astype(np.int8), theme, grid.s, z, lambda role: role == 1)
    width = grid_width(theme, grid.s)
    out: list[Primitive] = []
    for (r, c), on in np.ndenumerate(solid):
        pts = grid.cell(r, c)
        dash = None if on else (0.2 * grid.s, 0.13 * grid.s)
        out += [Segment(start=a, end=b, color=theme.grid, width=width, z=z, dash=dash)
                for a, b in zip(pts, pts[1:] + pts[:1])]
    return out


def fills(grid: CellGrid, color_of: Callable[[int, int], str | None], z: int) -> list[Primitive]:
    """One filled square per cell whose colour ``color_of(r, c)`` gives (None: no fill)."""
    out: list[Primitive] = []
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            color = color_of(r, c)
            if color is not None:
                out.append(Polygon(points=grid.cell(r, c), fill=color, z=z))
    return out


def numbers(grid: CellGrid, values: np.ndarray, size: float, color: str, z: int,
            shown: np.ndarray | None = None) -> list[Primitive]:
    """Each value written in its cell (only where ``shown``)."""
    out: list[Primitive] = []
    for (r, c), v in np.ndenumerate(values):
        if shown is None or shown[r, c]:
            out.append(Text(xy=grid.center(r, c), text=format_value(float(v)), size=size, color=color, z=z))
    return out


def thick_outline(points: tuple[Point, ...], theme: Theme, s: float, z: int,
                  color: str | None = None) -> list[Primitive]:
    """A closed outline twice the grid's width: the current cell, a block of a matrix."""
    return outline(points, color or theme.grid, 2 * grid_width(theme, s), z)


def fit_size(texts: list[str], s: float, font: str = "serif") -> float:
    """A text size at which the widest of ``texts`` fills at most 85 % of an ``s``-pixel cell (at most 0.42·s)."""
    widest = max((text_width(t, 100.0, font) for t in texts), default=0.0) / 100
    return min(0.42 * s, 0.85 * s / widest) if widest else 0.42 * s


def label(xy: Point, text: str, size: float, theme: Theme, z: int, anchor: str = "ls") -> Text:
    """A panel heading or note in the sans font, in the caption colour."""
    return Text(xy=xy, text=text, size=size, color=theme.caption, anchor=anchor, font="sans", z=z)


def subscript(grid: CellGrid, r: int, c: int, text: str, size: float, theme: Theme, z: int) -> Text:
    """A small number at the bottom-right of cell ``(r, c)``: a share or product added there, a value it meets."""
    x, y = grid.corner(r, c)
    return Text(xy=(x + 0.94 * grid.s, y + 0.96 * grid.s), text=text, size=size, color=theme.subscript, anchor="rd",
                z=z)


def signed(v: float) -> str:
    """A value with its sign always written (``+2``, ``−1``): a term added onto a sum."""
    text = format_value(float(v))
    return text if text.startswith("−") else "+" + text


def hairlines(cell: tuple[Point, ...], grid: CellGrid, cells: Sequence[tuple[int, int]], theme: Theme,
              z: int) -> list[Primitive]:
    """conv_arithmetic's thin lines, from the bottom corners of a 1-D ``cell`` down to both ends of the run of
    ``grid``'s ``cells`` (row, column) it reaches."""
    cols = [t[1] for t in cells]
    box = grid.box(0, min(cols), 1, max(cols) - min(cols) + 1)
    return [Segment(start=a, end=b, color=theme.connector, width=1.0, z=z, antialias=False)
            for a, b in ((cell[3], box[0]), (cell[2], box[1]))]


def centers_by_channel(grids: Mapping[int, CellGrid]) -> object:
    """The cell centres of one grid per channel: the array itself for one channel, else a dict by channel."""
    centers = {c: g.centers() for c, g in grids.items()}
    return centers[0] if len(centers) == 1 else centers


def note_lines(notes: Sequence[str], margin: float, y: float, s: float, size: float, theme: Theme,
               z: int) -> tuple[list[Primitive], list[float], float]:
    """Notes under the grids from ``y`` down, one line each: their texts, the canvas width each needs (the
    margin on both sides) and the y under them."""
    texts: list[Primitive] = []
    widths = []
    for line in notes:
        texts.append(label((margin, y + 0.45 * s), line, size, theme, z))
        widths.append(margin + text_width(line, size, "sans") + margin)
        y += 0.6 * s
    return texts, widths, y


def caption_row(widths: Sequence[float], y: float, captions: Sequence[str], margin: float, s: float,
                gap: float = 0.55) -> tuple[int, int, Point]:
    """The canvas under everything placed down to ``y``, with a row for the frames' captions (if any; ``gap·s``
    down to their baseline, as wide as the widest): its width, height and where the caption is centred."""
    caption_y = 0.0
    if captions:
        widths = [*widths, max(text_width(c, 0.42 * s, "serif") for c in captions) + 2 * margin]
        caption_y = y + gap * s
        y += 0.9 * s
    width = round(max(widths))
    return width, round(y + margin), (width / 2, caption_y)


def caption_text(xy: Point, text: str, s: float, theme: Theme, z: int) -> Text:
    """A frame's caption (its equation) centred at ``xy``, in the serif font."""
    return Text(xy=xy, text=text, size=0.42 * s, color=theme.caption, font="serif", z=z)
