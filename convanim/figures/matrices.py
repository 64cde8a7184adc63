"""Matrices drawn cell by cell for the matrix and im2col views: entries, a light grid, blocks, row and column labels.

A matrix is a ``CellGrid`` (see panels): structural entries (kernel taps) are tinted and carry their value,
every other entry is a blank cell (zero); a light grid keeps the cells countable, and darker lines split the
blocks (one per channel). Labels sit above the columns and left of the rows. Pure geometry.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.scene import Primitive, Segment, Text
from ..core.text import text_width
from ..core.theme import Theme
from .geometry import grid_width, outline, tint
from .panels import CellGrid, fills, numbers

MAX_MATRIX = 64  # rows and columns a matrix may have and stay readable


def entries(grid: CellGrid, values: np.ndarray, taps: np.ndarray, fill: str, theme: Theme, size: float | None,
            z: int) -> list[Primitive]:
    """Tap entries tinted (with their value when ``size`` is given); the rest stay blank."""
    prims = fills(grid, lambda r, c: fill if taps[r, c] else theme.background, z)
    if size is not None:
        prims += numbers(grid, values, size, theme.text, z + 1, shown=taps)
    return prims


def light_grid(grid: CellGrid, theme: Theme, z: int) -> list[Primitive]:
    """Thin lines between all cells, a solid border around the matrix."""
    rows, cols = grid.shape
    color = tint(theme.grid, 0.25, theme.background)
    (x0, y0), x1, y1 = grid.origin, grid.right, grid.bottom
    prims: list[Primitive] = [Segment(start=(x0, y0 + r * grid.s), end=(x1, y0 + r * grid.s), color=color, width=1.0,
                                      z=z) for r in range(1, rows)]
    prims += [Segment(start=(x0 + c * grid.s, y0), end=(x0 + c * grid.s, y1), color=color, width=1.0, z=z)
              for c in range(1, cols)]
    return prims + outline(grid.box(0, 0, rows, cols), theme.grid, grid_width(theme, grid.s), z)


def block_lines(grid: CellGrid, row_block: int, col_block: int, theme: Theme, z: int) -> list[Primitive]:
    """Dark lines between blocks of ``row_block`` rows and ``col_block`` columns (channels)."""
    rows, cols = grid.shape
    width = grid_width(theme, grid.s)
    (x0, y0), x1, y1 = grid.origin, grid.right, grid.bottom
    prims: list[Primitive] = [Segment(start=(x0, y0 + r * grid.s), end=(x1, y0 + r * grid.s), color=theme.grid,
                                      width=width, z=z) for r in range(row_block, rows, row_block)]
    prims += [Segment(start=(x0 + c * grid.s, y0), end=(x0 + c * grid.s, y1), color=theme.grid, width=width, z=z)
              for c in range(col_block, cols, col_block)]
    return prims


def column_labels(grid: CellGrid, labels: Sequence[str], size: float, theme: Theme, z: int,
                  gap: float) -> list[Primitive]:
    """One label centred above each column, ``gap`` pixels over the grid."""
    return [Text(xy=(grid.center(0, c)[0], grid.origin[1] - gap), text=text, size=size, color=theme.caption,
                 anchor="ms", font="sans", z=z) for c, text in enumerate(labels)]


def row_labels(grid: CellGrid, labels: Sequence[str], size: float, theme: Theme, z: int,
               gap: float) -> list[Primitive]:
    """One label right-aligned left of each row, ``gap`` pixels from the grid."""
    return [Text(xy=(grid.origin[0] - gap, grid.center(r, 0)[1]), text=text, size=size, color=theme.caption,
                 anchor="rm", font="sans", z=z) for r, text in enumerate(labels)]


def index_labels(size: tuple[int, ...], channels: int) -> list[str]:
    """Each flattened cell's index within its channel: ``1,2`` (2-D) or ``5`` (1-D), channel by channel."""
    cells = [",".join(map(str, idx)) for idx in np.ndindex(*size)]
    return cells * channels


def widest(texts: Sequence[str], size: float) -> float:
    return max((text_width(t, size, "sans") for t in texts), default=0.0)
