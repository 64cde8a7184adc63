"""Scene: the drawing contract between layout and the renderers: shapes in pixels, split into what is
drawn once and what each frame adds.

A scene knows nothing of convolution; it is polygons, line segments and text in a pixel coordinate system
(origin top-left, y pointing down, one unit = one output pixel at the configured scale). Every primitive
has a ``z`` (drawing order, lower first). Static primitives are drawn once per animation; per-frame
primitives come from ``Scene.frame(i)`` and are a pure function of the frame index. A static primitive
with ``reveal=k`` is visible from frame ``k`` on (progressive output); ``reveal=0`` means always.

Renderers (``convanim.draw``) turn a scene into RGB frames or vector pages.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

Point = tuple[float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Polygon:
    """A filled convex polygon (cells are parallelograms or rectangles)."""

    points: tuple[Point, ...]
    fill: str  # "#rrggbb"
    alpha: float = 1.0
    z: int = 0
    reveal: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """A straight line of a given width in pixels; ``dash=(on, off)`` in pixels for dashed lines."""

    start: Point
    end: Point
    color: str
    width: float = 1.0
    dash: tuple[float, float] | None = None
    alpha: float = 1.0
    z: int = 0
    reveal: int = 0
    # False: a crisp pixel line, no anti-aliasing (raster only); it costs far fewer GIF bytes when it moves
    antialias: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A line of text; ``anchor`` uses Pillow's two-letter anchors ("mm" = centred, "ls" = left baseline)."""

    xy: Point
    text: str
    size: float  # pixel height of the font's em
    color: str
    anchor: str = "mm"
    font: str = "serif"  # "serif" | "sans" | "mono"
    z: int = 0
    reveal: int = 0


Primitive = Polygon | Segment | Text


def _no_frame(_i: int) -> tuple[Primitive, ...]:
    return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    """Everything a renderer needs: the canvas, what never changes, and what each frame adds."""

    width: int
    height: int
    background: str
    static: tuple[Primitive, ...]
    n_frames: int
    frame: Callable[[int], tuple[Primitive, ...]] = field(default=_no_frame)
    # z values used by per-frame primitives; renderers use them to cache the static layers between them.
    dynamic_z: frozenset[int] = frozenset()
    # A description of the scene for alt text and for tests: named regions in pixel space.
    regions: dict[str, object] = field(default_factory=dict)


def text_dump(scene: Scene, frame: int | None = None) -> str:
    """The scene's text as golden text: one line per Text primitive (static, then frame ``frame``'s)."""
    prims = list(scene.static) + (list(scene.frame(frame)) if frame is not None else [])
    lines = []
    for p in prims:
        if isinstance(p, Text):
            when = f" from frame {p.reveal}" if p.reveal else ""
            lines.append(f"z={p.z:<3} ({p.xy[0]:7.1f}, {p.xy[1]:7.1f}) {p.anchor} {p.size:4.1f} {p.text!r}{when}")
    return "\n".join(lines) + "\n"


def static_layers(scene: Scene) -> int:
    """The image layers a raster renderer keeps for ``scene``: the static drawing below the first moving z
    level, and one more for each run of static z levels between two moving ones (its memory is about
    ``width × height × static_layers`` pixels)."""
    first = scene.frame(0) if scene.n_frames > 0 else ()
    levels = sorted(set(scene.dynamic_z) | {p.z for p in first})
    used = {bisect.bisect_left(levels, p.z) for p in scene.static}
    return 1 + len(used - {0})
