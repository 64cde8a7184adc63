"""Scene: the drawing contract between layout and the renderers: shapes in pixels, split into what is
drawn once and what each frame adds.

A scene knows nothing of convolution; it is polygons, line segments and text in a pixel coordinate system
(origin top-left, y pointing down, one unit = one output pixel at the configured scale). Every primitive
has a ``z`` (drawing order, lower first). Static primitives are drawn once per animation; per-frame
primitives come from ``Scene.frame(i)`` and are a pure function of the frame index. A static primitive
with ``reveal=k`` is visible from frame ``k`` on (progressive output); ``reveal=0`` means always.

Renderers (``convanim.draw``) turn a scene into RGB frames or vector pages.

Interactive outputs (the HTML player) also read two optional parts that pixel renderers ignore:
``narration(i)``, one line saying what frame ``i`` shows (the step's equation), and ``links()``, the cells a
reader can point at and how they connect (see ``Links``). A figure kind without them still plays; it just
has no hover linking and says "step 3 of 9" instead of an equation.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field, replace

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


def shift(prim: Primitive, dx: float, dy: float) -> Primitive:
    """A primitive moved by (dx, dy) pixels."""
    if isinstance(prim, Polygon):
        return replace(prim, points=tuple((x + dx, y + dy) for x, y in prim.points))
    if isinstance(prim, Segment):
        return replace(prim, start=(prim.start[0] + dx, prim.start[1] + dy), end=(prim.end[0] + dx, prim.end[1] + dy))
    return replace(prim, xy=(prim.xy[0] + dx, prim.xy[1] + dy))

# A cell of the figure: (group number in ``Links.groups``, cell number: row-major index within the group).
CellRef = tuple[int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class CellGroup:
    """A grid of cells a reader can point at: an input plane, an output plane, one layer of a stack."""

    name: str  # words for people: "input", "output channel 1", "layer 2"
    shape: tuple[int, int]  # (rows, columns)
    cells: tuple[tuple[Point, ...], ...]  # each cell's outline in scene pixels, row-major (rows * columns)


@dataclass(frozen=True, slots=True, kw_only=True)
class Links:
    """What the cells of a figure mean, for linking: which cell is computed from which, and when.

    ``reads`` maps a cell to the cells its value is computed from (an output cell to its window's taps on
    every input channel it reads; a cell of layer n to the cells of layer n - 1 under its kernel). Hovering
    a cell then shows everything below it (the transitive reads: its receptive field) and everything above
    it (the transitive readers: what it feeds). ``writes[i]`` are the cells frame ``i`` computes (one entry
    per frame), so pointing at such a cell can show its frame.
    """

    groups: tuple[CellGroup, ...]
    reads: tuple[tuple[CellRef, tuple[CellRef, ...]], ...]
    writes: tuple[tuple[CellRef, ...], ...]

    def __post_init__(self) -> None:
        for g, group in enumerate(self.groups):
            if len(group.cells) != group.shape[0] * group.shape[1]:
                raise ValueError(f"group {g} ({group.name}): {len(group.cells)} cells for shape {group.shape}")
        for ref in (r for cell, read in self.reads for r in (cell, *read)):
            self.check(ref)
        for ref in (r for frame in self.writes for r in frame):
            self.check(ref)

    def check(self, ref: CellRef) -> None:
        g, n = ref
        if not (0 <= g < len(self.groups) and 0 <= n < len(self.groups[g].cells)):
            raise ValueError(f"cell {ref} is not a cell of these groups")


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
    # Optional, for interactive outputs; both are computed only when asked for (pixel renderers never do).
    narration: Callable[[int], str] | None = None  # frame -> one line: what it shows (the step's equation)
    links: Callable[[], Links] | None = None  # the cells a reader can point at, and how they connect
    # Words about the whole figure (set by the pipeline from the config): its title and alt text.
    title: str = ""
    alt: str = ""


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
