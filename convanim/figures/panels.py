"""Flat grids of cells placed in pixels, for the scatter, matrix and im2col views: cells, fills, grid lines, text.

A ``CellGrid`` is a block of square cells with a pitch (the distance from one cell to the next, at least the
cell side): a 1-D scatter spaces its input cells ``stride`` cells apart, every other grid is contiguous.
Pure geometry and primitives; no convolution here.
"""

from __future__ import annotations

from collections.abc import Callable
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
