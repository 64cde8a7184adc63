"""Shared geometry of every figure: planes of cells (flat or sheared), grid lines, stacking, tints, z-order.

Pure geometry in pixels, no convolution: a ``Plane`` maps (row, column) cell coordinates to pixels, the grid
helpers turn a grid of cell roles into merged solid and dashed runs, and the stacking helpers place sheared
planes one above another without overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.options import Style
from ..core.scene import Point, Polygon, Primitive, Segment, Text
from ..core.theme import Theme


class Z:
    """Drawing order (lower first). Static layers sit between the dynamic ones; renderers cache the bands."""

    SHEET = -2  # a group's tinted sheet behind its plane
    FILL = 0  # cell fills; labels of stacked figures
    GRID = 5  # the input grid of stacked figures
    SHADE = 10  # the kernel footprint (dynamic)
    TEXT = 15  # numbers in cells, labels
    TOPGRID = 18  # grids drawn over the numbers (flat, strip)
    LINES = 20  # connector lines (dynamic)
    OUTPUT = 30  # the output plane of stacked figures (its grid at OUTPUT + 1, labels at OUTPUT + 2)
    MARK = 40  # the current output cell, captions, weights (dynamic)
    PLANE = 50  # receptive stacks: plane p draws at PLANE * p + an offset


DEFAULT_SCALE = {Style.STACKED: 30, Style.FLAT: 40, Style.STRIP: 40}  # stacked: conv_arithmetic's size
# Group hues: ten distinct hues, none near the input's blue or the output's teal (so a group's tint never
# reads as a role); more groups than that get hues spread by the golden angle outside that band.
GROUP_HUES = ("#cb4b16", "#d33682", "#6c71c4", "#b58900", "#859900", "#dc322f", "#8e44ad", "#8c564b",
              "#2e7d32", "#e377c2")
Edge = tuple[int, int, int, int, bool]  # (r0, c0, r1, c1, flag): a cell edge or a run of them


@dataclass(frozen=True, slots=True)
class Plane:
    """A grid of cells: corner(r, c) = origin + c*u + r*v (u, v in pixels; a shear for stacked)."""

    origin: Point
    u: Point
    v: Point

    def at(self, r: float, c: float) -> Point:
        return (self.origin[0] + c * self.u[0] + r * self.v[0], self.origin[1] + c * self.u[1] + r * self.v[1])

    def cell(self, r: int, c: int, inset: float = 0.0) -> tuple[Point, ...]:
        a, b = inset, 1 - inset
        return (self.at(r + a, c + a), self.at(r + a, c + b), self.at(r + b, c + b), self.at(r + b, c + a))

    def box(self, r0: float, c0: float, rows: float, cols: float) -> tuple[Point, ...]:
        """The outline of ``rows`` x ``cols`` cells from (r0, c0)."""
        return (self.at(r0, c0), self.at(r0, c0 + cols), self.at(r0 + rows, c0 + cols), self.at(r0 + rows, c0))

    def centers(self, shape: tuple[int, int]) -> np.ndarray:
        r, c = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
        return np.stack([self.origin[0] + c * self.u[0] + r * self.v[0],
                         self.origin[1] + c * self.u[1] + r * self.v[1]], axis=-1)

    def moved(self, dx: float, dy: float) -> Plane:
        return Plane((self.origin[0] + dx, self.origin[1] + dy), self.u, self.v)


def flat_plane(origin: Point, s: float) -> Plane:
    """An axis-aligned plane of ``s``-pixel cells."""
    return Plane(origin, (s, 0), (0, s))


def rc(point: Iterable[int], ndim: int) -> tuple[int, int]:
    """A drawn-grid index as (row, column): a 1-D index is row 0."""
    p = tuple(int(v) for v in point)
    return (0, p[0]) if ndim == 1 else (p[0], p[1])


def as_rows(array: np.ndarray, ndim: int) -> np.ndarray:
    """A 1-D grid as one row, a 2-D grid as it is."""
    return array[None, :] if ndim == 1 else array


def shape2(size: tuple[int, ...]) -> tuple[int, int]:
    """A spatial size as (rows, columns): a 1-D size is one row."""
    return (1, size[0]) if len(size) == 1 else (size[0], size[1])


# ---------------------------------------------------------------- grid lines

def cell_edges(role: np.ndarray, solid_if: Callable[[np.ndarray], np.ndarray]) -> Iterable[Edge]:
    """Every cell edge of a 2-D grid once, as (r0, c0, r1, c1, solid): solid when a cell beside it is."""
    h, w = role.shape
    solid = solid_if(role)
    for r in range(h + 1):
        for c in range(w):
            up = solid[r - 1, c] if r > 0 else False
            down = solid[r, c] if r < h else False
            yield r, c, r, c + 1, bool(up or down)
    for c in range(w + 1):
        for r in range(h):
            left = solid[r, c - 1] if c > 0 else False
            right = solid[r, c] if c < w else False
            yield r, c, r + 1, c, bool(left or right)


def merged(edges: Iterable[Edge]) -> list[Edge]:
    """Unit cell edges (r0, c0, r1, c1, flag) joined into the longest straight runs with the same flag."""
    runs_: dict[tuple[bool, int, bool], list[int]] = {}
    for r0, c0, r1, _c1, flag in edges:
        horizontal = r0 == r1
        runs_.setdefault((horizontal, r0 if horizontal else c0, flag), []).append(c0 if horizontal else r0)
    out = []
    for (horizontal, line, flag), starts in sorted(runs_.items()):
        for a, b in runs(starts):
            out.append((line, a, line, b, flag) if horizontal else (a, line, b, line, flag))
    return out


def grid_lines(plane: Plane, role: np.ndarray, theme: Theme, s: float, z: int,
               solid_if: Callable[[np.ndarray], np.ndarray]) -> list[Primitive]:
    """The grid: each line split into runs of solid edges (beside a solid cell) and dashed ones.

    One segment per run (not per cell edge) keeps the static layer cheap to draw; the dash period is a
    third of a cell, so every cell edge starts with a dash at its corner.
    """
    width = grid_width(theme, s)
    out: list[Primitive] = []
    for r0, c0, r1, c1, solid in merged(cell_edges(role, solid_if)):
        p = math.dist(plane.at(0, 0), plane.at(0, 1) if r0 == r1 else plane.at(1, 0)) / 3
        out.append(Segment(start=plane.at(r0, c0), end=plane.at(r1, c1), color=theme.grid, width=width, z=z,
                           dash=None if solid else (0.6 * p, 0.4 * p)))
    return out


def grid_width(theme: Theme, s: float) -> float:
    """The grid's line width for ``s``-pixel cells (at least one pixel)."""
    return max(1.0, theme.grid_width * s)


def outline(points: Sequence[Point], color: str, width: float, z: int) -> list[Primitive]:
    """A closed outline: one segment per side."""
    pts = tuple(points)
    return [Segment(start=a, end=b, color=color, width=width, z=z) for a, b in zip(pts, pts[1:] + pts[:1])]


def edges_over_padding(taps: Iterable[tuple[int, int]], solid: np.ndarray) -> list[Edge]:
    """The edges of the tapped cells that no solid cell touches (so they are dashed in the static grid),
    merged into runs: a footprint draws them solid."""
    h, w = solid.shape
    edges = set()
    for r, c in taps:
        edges |= {(r, c, r, c + 1), (r + 1, c, r + 1, c + 1), (r, c, r + 1, c), (r, c + 1, r + 1, c + 1)}
    dashed = []
    for e0, f0, e1, f1 in edges:
        beside = [(e0, f0), (e0 - 1, f0)] if e0 == e1 else [(e0, f0), (e0, f0 - 1)]
        if not any(0 <= a < h and 0 <= b < w and solid[a, b] for a, b in beside):
            dashed.append((e0, f0, e1, f1, True))
    return merged(dashed)


# ---------------------------------------------------------------- cells

def shade(points: Sequence[Point], theme: Theme, z: int) -> Polygon:
    """The kernel footprint's translucent overlay."""
    return Polygon(points=tuple(points), fill=theme.shade, alpha=theme.shade_alpha, z=z)


def output_cell(cell: tuple[Point, ...], reveal: int, theme: Theme, z: int) -> list[Polygon]:
    """An output cell: filled from frame ``reveal`` on, over the pending colour until then."""
    fills = [Polygon(points=cell, fill=theme.output, z=z, reveal=reveal)]
    if reveal:
        fills.append(Polygon(points=cell, fill=theme.pending, z=z - 1))
    return fills


def kernel_cell(row: Plane, c: int, text: str | None, theme: Theme, grid_w: float, size: float,
                z: int) -> list[Primitive]:
    """One cell of a strip's kernel row under tap column ``c``: shaded, outlined, with its weight."""
    cell = row.cell(0, c)
    prims: list[Primitive] = [shade(cell, theme, z), *outline(cell, theme.grid, grid_w, z)]
    if text is not None:
        prims.append(Text(xy=row.at(0.5, c + 0.5), text=text, size=size, color=theme.text, z=z))
    return prims


def center(points: Sequence[Point]) -> Point:
    """The centre of a cell's four corners (opposite corners 0 and 2)."""
    return ((points[0][0] + points[2][0]) / 2, (points[0][1] + points[2][1]) / 2)


# ---------------------------------------------------------------- stacks of sheared planes

def shear(s: float, flat: bool = False) -> tuple[Point, Point]:
    """conv_arithmetic's plane axes for a cell side of ``s`` pixels: columns go right-up, rows right-down.

    ``flat``: a lower viewpoint (planes half as deep) for stacks of many planes, so a stack stays compact.
    """
    if flat:
        return (s, -round(0.3 * s)), (round(0.75 * s), round(0.36 * s))
    return (s, -round(s / 2)), (round(0.7 * s), round(0.65 * s))


def corners(plane: Plane, rows: float, cols: float, pad: float = 0.0) -> tuple[Point, ...]:
    """The outline of ``rows`` x ``cols`` cells of ``plane``, grown by ``pad`` cells on every side."""
    return (plane.at(-pad, -pad), plane.at(-pad, cols + pad), plane.at(rows + pad, cols + pad),
            plane.at(rows + pad, -pad))


def extent(u: Point, v: Point, rows: int, cols: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of ``rows`` x ``cols`` cells of a plane at the origin with axes ``u``, ``v``."""
    xs = [0, cols * u[0], rows * v[0], cols * u[0] + rows * v[0]]
    ys = [0, cols * u[1], rows * v[1], cols * u[1] + rows * v[1]]
    return min(xs), min(ys), max(xs), max(ys)


def _span_at(poly: Sequence[Point], x: float) -> tuple[float, float] | None:
    """(top, bottom) y of a convex polygon on the vertical line at ``x`` (None when the line misses it)."""
    ys = []
    n = len(poly)
    for i in range(n):
        (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
        if x0 == x1:
            if abs(x - x0) < 1e-9:
                ys += [y0, y1]
            continue
        t = (x - x0) / (x1 - x0)
        if -1e-9 <= t <= 1 + 1e-9:
            ys.append(y0 + t * (y1 - y0))
    return (min(ys), max(ys)) if ys else None


def lift(below: Sequence[Point], above: Sequence[Point], gap: float) -> float:
    """The vertical shift (negative: up) that puts ``above`` just over ``below`` with ``gap`` pixels between."""
    lo = max(min(p[0] for p in below), min(p[0] for p in above))
    hi = min(max(p[0] for p in below), max(p[0] for p in above))
    if lo > hi:  # side by side: stack the bounding boxes
        return min(p[1] for p in below) - gap - max(p[1] for p in above)
    xs = sorted({lo, hi, *(p[0] for p in (*below, *above) if lo <= p[0] <= hi)})
    shifts = []
    for x in xs:
        a, b = _span_at(below, x), _span_at(above, x)
        if a is not None and b is not None:
            shifts.append(a[0] - gap - b[1])
    return min(shifts)


def group_hue(theme: Theme, group: int, groups: int) -> str:
    """The colour of a group: the grid colour when there is one group, a distinct hue per group otherwise."""
    if groups <= 1:
        return theme.grid
    if group < len(GROUP_HUES):
        return GROUP_HUES[group]
    import colorsys

    spread = ((group - len(GROUP_HUES)) * 0.618034) % 1.0
    hue = ((235 + 270 * spread) % 360) / 360  # from 235° round to 145°: never the blue or teal between them
    lightness = 0.36 if (group // len(GROUP_HUES)) % 2 else 0.48
    r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.62)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def tint(color: str, amount: float, background: str = "#ffffff") -> str:
    """``color`` mixed with ``background``: ``amount`` 1 is the colour, 0 the background."""
    a = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(background[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(q + (p - q) * amount):02x}" for p, q in zip(a, b))


def sheet(points: Sequence[Point], color: str, theme: Theme, z: int, width: float) -> list[Primitive]:
    """A plane's backing sheet in its group's tint, with an outline in the group's hue."""
    pts = tuple(points)
    return [Polygon(points=pts, fill=tint(color, 0.16, theme.background), z=z), *outline(pts, color, width, z)]


def runs(values: Iterable[int]) -> list[tuple[int, int]]:
    """Ints as maximal runs of consecutive values ``[a, b)``, sorted."""
    out: list[tuple[int, int]] = []
    for v in sorted(values):
        if out and out[-1][1] == v:
            out[-1] = (out[-1][0], v + 1)
        else:
            out.append((v, v + 1))
    return out


# ---------------------------------------------------------------- moving whole scenes

def shift_region(key: str, value: Any, dx: float, dy: float) -> Any:
    """Region values moved with their scene: point arrays (``*_centers``) and points (``*_xy``)."""
    if isinstance(value, dict):
        return {k: shift_region(key, v, dx, dy) for k, v in value.items()}
    if key.endswith("centers") and isinstance(value, np.ndarray):
        return value + np.array([dx, dy])
    if key.endswith("_xy") and isinstance(value, tuple) and len(value) == 2:
        return (value[0] + dx, value[1] + dy)
    return value


def _inside_span(a: Point, b: Point, poly: Sequence[Point]) -> tuple[float, float] | None:
    """The parameters (t0, t1) of segment a→b inside a convex polygon (Cyrus–Beck), or None."""
    cx, cy = sum(p[0] for p in poly) / len(poly), sum(p[1] for p in poly) / len(poly)
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in zip(poly, (*poly[1:], poly[0])):
        nx, ny = q[1] - p[1], p[0] - q[0]  # a normal of the edge, turned to point inside
        if nx * (cx - p[0]) + ny * (cy - p[1]) < 0:
            nx, ny = -nx, -ny
        num = nx * (a[0] - p[0]) + ny * (a[1] - p[1])
        den = nx * dx + ny * dy
        if abs(den) < 1e-12:
            if num < 0:
                return None
            continue
        t = -num / den
        if den > 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 >= t1:
            return None
    return t0, t1


def clip_outside(a: Point, b: Point, polygons: Iterable[Sequence[Point]]) -> list[tuple[Point, Point]]:
    """The pieces of segment a→b outside every (convex) polygon: a line that passes behind planes."""
    spans = sorted(s for s in (_inside_span(a, b, poly) for poly in polygons) if s is not None)
    pieces, t = [], 0.0
    for t0, t1 in spans:
        if t0 > t:
            pieces.append((t, t0))
        t = max(t, t1)
    if t < 1.0:
        pieces.append((t, 1.0))
    def at(u: float) -> Point:
        return (a[0] + u * (b[0] - a[0]), a[1] + u * (b[1] - a[1]))

    return [(at(u0), at(u1)) for u0, u1 in pieces if u1 - u0 > 1e-6]


def role_fill(theme: Theme, role: int) -> str | None:
    """A drawn input cell's fill by its role (``engine.Role``): real cells, inserted zeros and a pooling
    window's overhang each their own colour; padding is left empty (dashed) unless the theme fills it."""
    from ..engine import Role

    fill = {Role.INPUT: theme.input, Role.INSERTED: theme.inserted, Role.OVERHANG: theme.overhang,
            Role.PADDING: theme.padding}[Role(int(role))]
    return None if role == Role.PADDING and fill.lower() == theme.background.lower() else fill
