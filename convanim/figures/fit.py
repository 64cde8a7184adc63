"""Text that fits: every text of a built scene measured with the real font, none below the minimum size for
the final image, none touching the canvas edge (the canvas grows and everything moves with it).

Figures place their text measured (``core.text``): captions elided to the figure's width, labels wrapped,
words sized for the image (``word_size``). ``fit_scene`` is the guarantee behind them, run on every scene
the registry builds: it measures the ink of every text of every frame, lifts a text below
``min_text_size(width, height)`` to it, and grows the canvas so that no ink comes closer than
``edge_margin`` to an edge.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ..core.scene import CellGroup, Links, Primitive, Scene, Text, shift
from ..core.text import fit_equation, text_box, text_width, wrap_text
from .geometry import shift_region

MIN_TEXT_PX = 10.0  # no text is drawn smaller than this many pixels (its em)...
TEXT_RATIO = 100.0  # ... nor smaller than the image's longer side over this: readable when the image is shrunk
WORD_RATIO = 64.0  # words (titles, labels, captions) aim higher: the longer side over this
SHRUNK_AT_MOST = 2400.0  # a longer side beyond this is read zoomed or scrolled, not shrunk whole: no larger floor


def min_text_size(width: float, height: float) -> float:
    """The smallest em, in pixels, any text of a ``width`` x ``height`` image may have."""
    return max(MIN_TEXT_PX, min(max(width, height), SHRUNK_AT_MOST) / TEXT_RATIO)


def word_size(cell: float, extent: float, factor: float = 0.4) -> float:
    """The size of words (titles, labels, captions, headings) on a figure of ``cell``-pixel cells whose
    content is ``extent`` pixels on its longer side: ``factor`` of a cell, but at least 12 px and the
    extent over ``WORD_RATIO``, so they stay readable when a large figure is shown small."""
    return max(factor * cell, 12.0, min(extent, SHRUNK_AT_MOST) / WORD_RATIO)


def edge_margin(width: float, height: float) -> float:
    """The least room, in pixels, between any text's ink and the canvas edge."""
    return 4.0 + min(max(width, height), SHRUNK_AT_MOST) / 200


def ink(text: Text) -> tuple[float, float, float, float]:
    """The ink box of a text in scene pixels."""
    x0, y0, x1, y1 = text_box(text.text, float(text.size), text.font, text.anchor)
    return (text.xy[0] + x0, text.xy[1] + y0, text.xy[0] + x1, text.xy[1] + y1)


CACHED_PRIMITIVES = 200_000  # fit_scene keeps the frames it builds while they hold no more primitives (~40 MB)


def _keep_frames(scene: Scene) -> Scene:
    """``scene`` with its frames built once and kept, if they hold at most ``CACHED_PRIMITIVES`` primitives."""
    frames, count = [], 0
    for i in range(scene.n_frames):
        prims = scene.frame(i)
        count += len(prims)
        if count > CACHED_PRIMITIVES:
            return scene
        frames.append(prims)
    return replace(scene, frame=tuple(frames).__getitem__)


def texts_of(scene: Scene) -> Iterable[Text]:
    """Every text of the scene: the static ones, then every frame's."""
    for p in scene.static:
        if isinstance(p, Text):
            yield p
    for i in range(scene.n_frames):
        for p in scene.frame(i):
            if isinstance(p, Text):
                yield p


def _bounds(texts: Iterable[Text], floor: float) -> tuple[float, float, float, float] | None:
    box = None
    for t in texts:
        if not t.text.strip():
            continue
        x0, y0, x1, y1 = ink(replace(t, size=max(float(t.size), floor)))
        box = (x0, y0, x1, y1) if box is None else (min(box[0], x0), min(box[1], y0), max(box[2], x1),
                                                     max(box[3], y1))
    return box


def fit_scene(scene: Scene) -> Scene:
    """``scene`` with every text at least ``min_text_size`` of its final canvas and clear of the edges: the
    canvas grows (everything moved by the same offset) where a text would touch an edge.

    Measuring needs every frame; the frames built for it are kept (so they are not built again for drawing)
    unless they hold more than ``CACHED_PRIMITIVES`` primitives in all: then they are built again when drawn,
    and memory stays flat."""
    scene = _keep_frames(scene)
    texts = list(texts_of(scene))
    width, height, dx, dy, floor = float(scene.width), float(scene.height), 0.0, 0.0, 0.0
    for _ in range(4):  # the floor grows with the canvas, the canvas with the floor: a few rounds settle it
        floor = min_text_size(width, height)
        box = _bounds(texts, floor)
        if box is None:
            break
        m = edge_margin(width, height)
        grow_left, grow_top = max(0.0, m - box[0]), max(0.0, m - box[1])
        new_dx, new_dy = math.ceil(grow_left), math.ceil(grow_top)
        new_w = max(float(scene.width) + new_dx, math.ceil(box[2] + new_dx + m))
        new_h = max(float(scene.height) + new_dy, math.ceil(box[3] + new_dy + m))
        if (new_w, new_h, new_dx, new_dy) == (width, height, dx, dy):
            break
        width, height, dx, dy = new_w, new_h, new_dx, new_dy
    small = any(float(t.size) < floor for t in texts)
    if not small and (dx, dy, width, height) == (0, 0, scene.width, scene.height):
        return scene
    return moved(scene, dx, dy, int(width), int(height), floor)


def _fix(prim: Primitive, dx: float, dy: float, floor: float) -> Primitive:
    if isinstance(prim, Text) and float(prim.size) < floor:
        prim = replace(prim, size=floor)
    return shift(prim, dx, dy) if dx or dy else prim


def moved(scene: Scene, dx: float, dy: float, width: int, height: int, floor: float = 0.0) -> Scene:
    """``scene`` on a ``width`` x ``height`` canvas with everything moved by (dx, dy) and every text at
    least ``floor`` pixels: static and frame primitives, regions and the player's cell outlines."""
    frame = scene.frame

    def frame_fn(i: int) -> tuple[Primitive, ...]:
        return tuple(_fix(p, dx, dy, floor) for p in frame(i))

    links = scene.links
    return replace(scene, width=width, height=height, static=tuple(_fix(p, dx, dy, floor) for p in scene.static),
                   frame=frame_fn, regions={k: shift_region(k, v, dx, dy) for k, v in scene.regions.items()},
                   links=None if links is None else _moved_links(links, dx, dy))


def _moved_links(links: Callable[[], Links], dx: float, dy: float) -> Callable[[], Links]:
    def build() -> Links:
        built = links()
        if not (dx or dy):
            return built
        groups = tuple(CellGroup(name=g.name, shape=g.shape,
                                 cells=tuple(tuple((x + dx, y + dy) for x, y in cell) for cell in g.cells))
                       for g in built.groups)
        return Links(groups=groups, reads=built.reads, writes=built.writes)

    return build


def widest_em(texts: Iterable[str], font: str = "serif") -> float:
    """The widest of ``texts`` in ems (its width at 1 px), at least a digit's."""
    return max((text_width(t, 100.0, font) / 100 for t in set(texts)), default=0.64)


@dataclass(frozen=True, slots=True, kw_only=True)
class CellText:
    """The sizes of the numbers in cells and of the weights written as subscripts in their corners.

    A number fills at most 85 % of its cell's width (and 0.42 of its side); a subscript at most 44 % of the
    width and 0.3 of the side, and always smaller than the numbers, so a large weight never outweighs the
    value it multiplies. ``cell`` is the cell side that holds both at a readable size (``MIN_TEXT_PX`` and
    a little more) when the figure chooses its own scale."""

    number: float
    subscript: float

    @staticmethod
    def cell_for(number_em: float, subscript_em: float | None, default: float) -> float:
        need = max(default, 13.0 * number_em / 0.85)
        if subscript_em is not None:
            need = max(need, 11.0 * subscript_em / 0.44, 11.0 / 0.3)
        return float(math.ceil(need))

    def lift(self, cell: float, numbers: Iterable[str], subscripts: Iterable[str], font: str = "serif") -> float:
        """How far (pixels) to raise the numbers centred in cells so that their ink clears a subscript written
        at the cell's bottom-right corner (anchored "rd" at 0.93 of the side): 0 when the widest of each do
        not meet (single digits), else just enough for a gap of 5 % of the side, at most up to the top."""
        gap = 0.05 * cell
        boxes = [text_box(t, self.number, font, "mm") for t in set(numbers)]
        subs = [text_box(t, self.subscript, font, "rd") for t in set(subscripts)]
        if not boxes or not subs:
            return 0.0
        right, bottom, top = max(b[2] for b in boxes), max(b[3] for b in boxes), min(b[1] for b in boxes)
        sub_left, sub_top = min(b[0] for b in subs), min(b[1] for b in subs)
        if 0.5 * cell + right <= 0.93 * cell + sub_left - gap:  # side by side: no need
            return 0.0
        need = (0.5 * cell + bottom) - (0.93 * cell + sub_top - gap)
        room = 0.5 * cell + top - gap  # never above the cell's top
        return float(max(0.0, min(need, room)))

    @staticmethod
    def of(cell: float, number_em: float, subscript_em: float | None = None) -> CellText:
        number = min(0.42 * cell, 0.85 * cell / number_em)
        subscript = min(0.3 * cell, 0.44 * cell / (subscript_em or 1.0), 0.8 * number)
        return CellText(number=number, subscript=subscript)


def caption_width(content: float, size: float) -> float:
    """How wide a figure's equations may be: its content's width, but room for 18 ems on a narrow figure."""
    return max(content, 18 * size)


def fit_lines(texts: Iterable[str], size: float, width: float, font: str = "serif") -> list[str]:
    """Equations elided to ``width`` (first terms and the result kept)."""
    return [fit_equation(t, size, font, width) for t in texts]


def label_lines(text: str, size: float, width: float, font: str = "sans") -> list[str]:
    """A label line ("input 5×5 · kernel 3×3 · ...") wrapped at its " · " to ``width``."""
    return wrap_text(text, size, font, width)
