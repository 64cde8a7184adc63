"""Stacks of planes: conv_arithmetic's shear, group tints, and placing planes one above another without overlap."""

from __future__ import annotations

from collections.abc import Sequence

from .layout import _Plane
from .scene import Point, Polygon, Primitive, Segment
from .style import Theme

# A small distinct hue per group (Solarized's accents, the palette conv_arithmetic's colours come from).
GROUP_HUES = ("#cb4b16", "#d33682", "#6c71c4", "#b58900", "#859900", "#dc322f", "#268bd2", "#2aa198")


def shear(s: float, flat: bool = False) -> tuple[Point, Point]:
    """conv_arithmetic's plane axes for a cell side of ``s`` pixels: columns go right-up, rows right-down.

    ``flat``: a lower viewpoint (planes half as deep) for stacks of many planes, so a stack stays compact.
    """
    if flat:
        return (s, -round(0.3 * s)), (round(0.75 * s), round(0.36 * s))
    return (s, -round(s / 2)), (round(0.7 * s), round(0.65 * s))


def corners(plane: _Plane, rows: float, cols: float, pad: float = 0.0) -> tuple[Point, ...]:
    """The outline of ``rows`` x ``cols`` cells of ``plane``, grown by ``pad`` cells on every side."""
    return (plane.at(-pad, -pad), plane.at(-pad, cols + pad), plane.at(rows + pad, cols + pad),
            plane.at(rows + pad, -pad))


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
    return GROUP_HUES[group % len(GROUP_HUES)]


def tint(color: str, amount: float, background: str = "#ffffff") -> str:
    """``color`` mixed with ``background``: ``amount`` 1 is the colour, 0 the background."""
    a = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(background[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(q + (p - q) * amount):02x}" for p, q in zip(a, b))


def sheet(points: Sequence[Point], color: str, theme: Theme, z: int, width: float) -> list[Primitive]:
    """A plane's backing sheet in its group's tint, with an outline in the group's hue."""
    pts = tuple(points)
    out: list[Primitive] = [Polygon(points=pts, fill=tint(color, 0.16, theme.background), z=z)]
    for a, b in zip(pts, pts[1:] + pts[:1]):
        out.append(Segment(start=a, end=b, color=color, width=width, z=z))
    return out


def runs(values: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted ints as maximal runs of consecutive values ``[a, b)``."""
    out: list[tuple[int, int]] = []
    for v in sorted(values):
        if out and out[-1][1] == v:
            out[-1] = (out[-1][0], v + 1)
        else:
            out.append((v, v + 1))
    return out
