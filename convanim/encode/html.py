"""HTML: the scene as a self-contained interactive player: SVG painted once, each frame's changes, controls, linking.

The page holds the scene's static part as SVG (one path per run of same-styled shapes), an empty ``<g>`` slot
at every dynamic z level, and as JSON a table of the distinct per-frame shapes and, for each frame, which
of them it shows. The poster frame is painted into the slots, so without scripts (nbconvert's static
HTML, a feed reader) the figure is still there; the script (``player/player.js``, shared by every player
on a page) adds the controls, the keyboard, the live equation and the hover linking from ``Scene.links``.
Text keeps the measured width of the real font (``textLength``), placed at its Pillow anchor's baseline,
so the layout matches the GIF even where the browser lacks DejaVu. No network, no dates: equal scenes give
equal bytes.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from ..core.files import write_text_atomic
from ..core.options import RenderOptions, Reveal
from ..core.scene import CellGroup, Links, Polygon, Primitive, Scene, Segment, Text, shift
from ..core.text import text_width, truetype
from ..draw.vector import dash_pieces
from .common import durations

FONTS = {"serif": '"DejaVu Serif","Bitstream Vera Serif",serif',
         "sans": '"DejaVu Sans","Bitstream Vera Sans",Verdana,sans-serif',
         "mono": '"DejaVu Sans Mono",monospace'}
_ANCHOR = {"l": "start", "m": "middle", "r": "end"}


@cache
def player_code() -> tuple[str, str]:
    """The player's (CSS, JavaScript), from the package's data files."""
    folder = resources.files("convanim.encode") / "player"
    return (folder / "player.css").read_text(encoding="utf-8"), (folder / "player.js").read_text(encoding="utf-8")


@lru_cache(maxsize=1 << 16)
def num(v: float) -> str:
    """A coordinate as short text: two decimals at most, no trailing zeros."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@cache
def baseline_shift(font: str, size: float, vertical: str) -> int:
    """Pixels from a Pillow anchor's y to the text's baseline ("m": half the ascender minus the descender)."""
    f = truetype(font, size)
    return int(f.getbbox("Hg", anchor="l" + vertical)[1] - f.getbbox("Hg", anchor="ls")[1])


# ---------------------------------------------------------------- shapes as SVG

class Styles:
    """CSS classes for the distinct looks of the shapes (fill, stroke, font), named a, b, ... in order of use."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def of(self, rule: str) -> str:
        if rule not in self.names:
            n, name = len(self.names), ""
            while True:
                name = "abcdefghijklmnopqrstuvwxyz"[n % 26] + name
                n = n // 26 - 1
                if n < 0:
                    break
            self.names[rule] = "c" + name
        return self.names[rule]

    def css(self, scope: str) -> str:
        return "".join(f".{scope} .{name}{{{rule}}}" for rule, name in self.names.items())


@lru_cache(maxsize=1 << 14)
def rule_of(prim: Primitive) -> str:
    """The CSS declarations of a primitive's look."""
    if isinstance(prim, Polygon):
        alpha = f";fill-opacity:{num(prim.alpha)}" if prim.alpha < 1 else ""
        return f"fill:{prim.fill}{alpha}"
    if isinstance(prim, Segment):
        width, alpha = (1.0, prim.alpha * prim.width) if prim.width < 1 else (prim.width, prim.alpha)
        extra = (f";stroke-opacity:{num(alpha)}" if alpha < 1 else "") + (
            "" if prim.antialias else ";shape-rendering:crispEdges")
        return f"fill:none;stroke:{prim.color};stroke-width:{num(width)}{extra}"
    anchor = _ANCHOR.get(prim.anchor[:1], "middle")
    return f"fill:{prim.color};font:{num(prim.size)}px {FONTS.get(prim.font, FONTS['serif'])};text-anchor:{anchor}"


def path_of(prim: Polygon | Segment) -> str:
    """The ``d`` of a polygon (closed) or a segment's pieces (butt-ended, the ends pushed out as square caps)."""
    if isinstance(prim, Polygon):
        return "M" + "L".join(f"{num(x)} {num(y)}" for x, y in prim.points) + "Z"
    return "".join(f"M{num(a[0])} {num(a[1])}L{num(b[0])} {num(b[1])}" for a, b in dash_pieces(prim))


def text_of(prim: Text, cls: str, quote: str = '"') -> str:
    x, y = prim.xy
    y += baseline_shift(prim.font, float(prim.size), prim.anchor[1:2] or "m")
    width = text_width(prim.text, float(prim.size), prim.font)
    q = quote
    return (f"<text class={q}{cls}{q} x={q}{num(x)}{q} y={q}{num(y)}{q} textLength={q}{num(width)}{q}>"
            f"{html.escape(prim.text, quote=False)}</text>")


def markup(prims: Sequence[Primitive], styles: Styles, quote: str = '"') -> str:
    """SVG for primitives in drawing order; consecutive shapes of one look merge into one path."""
    out: list[str] = []
    run_cls, run_d = None, []
    q = quote
    for prim in prims:
        if isinstance(prim, Text):
            if run_cls is not None:
                out.append(f"<path class={q}{run_cls}{q} d={q}{''.join(run_d)}{q}/>")
                run_cls, run_d = None, []
            out.append(text_of(prim, styles.of(rule_of(prim)), q))
            continue
        cls = styles.of(rule_of(prim))
        if cls != run_cls and run_cls is not None:
            out.append(f"<path class={q}{run_cls}{q} d={q}{''.join(run_d)}{q}/>")
            run_d = []
        run_cls = cls
        run_d.append(path_of(prim))
    if run_cls is not None:
        out.append(f"<path class={q}{run_cls}{q} d={q}{''.join(run_d)}{q}/>")
    return "".join(out)


def in_order(prims: Iterable[Primitive]) -> list[tuple[int, list[Primitive]]]:
    """Static primitives as runs of (reveal frame, primitives) in drawing order: by z, and within one z the
    always-shown ones first, grouped by look (so equal looks merge into one path), then each reveal frame's."""
    by_z: dict[int, dict[tuple[int, str], list[Primitive]]] = {}
    for p in prims:
        look = "text" if isinstance(p, Text) else rule_of(p)
        by_z.setdefault(p.z, {}).setdefault((p.reveal, look), []).append(p)
    runs: list[tuple[int, list[Primitive]]] = []
    for z in sorted(by_z):
        for (reveal, _look), group in sorted(by_z[z].items(), key=lambda item: item[0][0]):
            if runs and runs[-1][0] == reveal:
                runs[-1][1].extend(group)
            else:
                runs.append((reveal, list(group)))
    return runs


# ---------------------------------------------------------------- the scene as SVG and frame data

@dataclass(frozen=True, slots=True, kw_only=True)
class Painted:
    """A scene painted for the player: its SVG (the poster frame in the slots) and the frames as data."""

    svg: str
    styles: Styles
    table: list[tuple[int, str]]  # distinct per-frame shapes at the origin: (slot, SVG)
    frames: list[list[float | int]]  # per frame: [index into ``table``, x, y, ...]


def dynamic_levels(scene: Scene, frames: list[tuple[Primitive, ...]]) -> list[int]:
    return sorted(set(scene.dynamic_z) | {p.z for f in frames for p in f})


def anchor_of(prim: Primitive) -> tuple[float, float]:
    """The point a primitive is placed by: its first corner, its start, or its text anchor (rounded)."""
    x, y = prim.points[0] if isinstance(prim, Polygon) else prim.start if isinstance(prim, Segment) else prim.xy
    return round(float(x), 2), round(float(y), 2)


def short(v: float) -> float | int:
    return int(v) if v == int(v) else v


def frame_table(frames: list[tuple[Primitive, ...]], levels: list[int],
                styles: Styles) -> tuple[list[tuple[int, str]], list[list[float | int]]]:
    """The distinct shapes of every frame, each drawn at the origin, and per frame the flat list
    ``[shape, x, y, shape, x, y, ...]`` of the shapes it shows and where. A frame's polygons and lines in one
    slot form one shape (a footprint that only moves is stored once); each text is a shape of its own."""
    index: dict[tuple[int, str], int] = {}
    table: list[tuple[int, str]] = []
    out = []
    for i, prims in enumerate(frames):
        shown: list[float | int] = []
        for slot, group in pieces(sorted((p for p in prims if p.reveal <= i), key=lambda p: p.z), levels):
            ax, ay = anchor_of(group[0])
            key = (slot, markup([shift(p, -ax, -ay) for p in group], styles, "'"))
            if key not in index:
                index[key] = len(table)
                table.append(key)
            shown += [index[key], short(ax), short(ay)]
        out.append(shown)
    return table, out


def pieces(prims: list[Primitive], levels: list[int]) -> list[tuple[int, list[Primitive]]]:
    """A frame's primitives (in drawing order) as (slot, group): consecutive shapes of one slot together,
    each text alone."""
    out: list[tuple[int, list[Primitive]]] = []
    for prim in prims:
        slot = levels.index(prim.z)
        if out and out[-1][0] == slot and not isinstance(prim, Text) and not isinstance(out[-1][1][-1], Text):
            out[-1][1].append(prim)
        else:
            out.append((slot, [prim]))
    return out


def placed(table: list[tuple[int, str]], frame: list[float | int], slots: int) -> list[str]:
    """Each slot's SVG for one frame (as the script builds it)."""
    out = ["" for _ in range(slots)]
    for k in range(0, len(frame), 3):
        slot, shape = table[int(frame[k])]
        out[slot] += f"<g transform='translate({num(frame[k + 1])} {num(frame[k + 2])})'>{shape}</g>"
    return out


def paint(scene: Scene, poster: int, label: str) -> Painted:
    """The static SVG with the poster frame in its slots, and the per-frame table."""
    styles = Styles()
    frames = [scene.frame(i) for i in range(scene.n_frames)]
    levels = dynamic_levels(scene, frames)
    bands: list[list[Primitive]] = [[] for _ in range(len(levels) + 1)]
    for p in scene.static:
        bands[bisect.bisect_left(levels, p.z)].append(p)
    table, order = frame_table(frames, levels, styles)
    slots = placed(table, order[poster], len(levels)) if order else ["" for _ in levels]
    parts = [f'<rect width="{scene.width}" height="{scene.height}" fill="{scene.background}"/>']
    for j, band in enumerate(bands):
        for reveal, run in in_order(band):
            shapes = markup(run, styles)
            hidden = ' style="display:none"' if reveal > poster else ""
            parts.append(f'<g data-r="{reveal}"{hidden}>{shapes}</g>' if reveal else shapes)
        if j < len(levels):
            parts.append(f'<g class="cv-d">{slots[j]}</g>')
    svg = (f'<svg class="cv-svg" viewBox="0 0 {scene.width} {scene.height}" width="{scene.width}" '
           f'height="{scene.height}" role="img" aria-label="{html.escape(label)}">{"".join(parts)}</svg>')
    return Painted(svg=svg, styles=styles, table=table, frames=order)


# ---------------------------------------------------------------- links as data

def group_data(group: CellGroup) -> dict[str, object]:
    """A cell group for the script: a regular grid as its first cell and two steps, otherwise every outline."""
    rows, cols = group.shape
    cells = [[(float(num(x)), float(num(y))) for x, y in cell] for cell in group.cells]
    out: dict[str, object] = {"name": group.name, "shape": [rows, cols]}
    first = cells[0] if cells else []

    def step(n: int) -> tuple[float, float]:
        return (cells[n][0][0] - first[0][0], cells[n][0][1] - first[0][1]) if n < len(cells) else (0.0, 0.0)

    du, dv = step(1) if cols > 1 else (0.0, 0.0), step(cols) if rows > 1 else (0.0, 0.0)
    regular = all(len(cells[r * cols + c]) == len(first) and all(
        abs(x - (fx + c * du[0] + r * dv[0])) < 0.02 and abs(y - (fy + c * du[1] + r * dv[1])) < 0.02
        for (x, y), (fx, fy) in zip(cells[r * cols + c], first)) for r in range(rows) for c in range(cols))
    if regular and first:
        out.update(first=[v for pt in first for v in pt], du=list(du), dv=list(dv))
    else:
        out["cells"] = [[v for pt in cell for v in pt] for cell in cells]
    return out


def links_data(links: Links) -> dict[str, object]:
    """The links as plain lists: groups, reads as ``[g, n, g1, n1, ...]``, writes per frame as ``[g, n, ...]``."""
    return {"groups": [group_data(g) for g in links.groups],
            "reads": [[*cell, *(v for ref in read for v in ref)] for cell, read in links.reads],
            "writes": [[v for ref in frame for v in ref] for frame in links.writes]}


# ---------------------------------------------------------------- the player

def poster_frame(scene: Scene, options: RenderOptions) -> int:
    """The frame shown before anything plays: the first, or the last when the output fills in progressively."""
    return max(scene.n_frames - 1, 0) if options.reveal is Reveal.PROGRESSIVE else 0


def fragment(scene: Scene, options: RenderOptions, *, start: int | None = None, code: bool = True) -> str:
    """One player as an HTML fragment (a ``<figure>``); with ``code`` the shared CSS before it and the script
    after it come along (the script defines itself once per page, so any number of fragments may carry it)."""
    poster = poster_frame(scene, options) if start is None else start
    label = scene.alt or scene.title or "an animation of a convolution"
    painted = paint(scene, poster, label)
    texts = [scene.narration(i) for i in range(scene.n_frames)] if scene.narration else []
    data = {"frames": painted.frames, "table": painted.table, "fps": options.fps, "loop": options.loop,
            "durations": durations(options, scene.n_frames, 1000) if options.hold_first or options.hold_last else None,
            "poster": poster, "start": start, "links": links_data(scene.links()) if scene.links else None}
    blob = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    e = html.escape
    status = (f'<p class="cv-status" aria-live="polite"><span class="cv-step">Step {poster + 1} of '
              f'{scene.n_frames}</span>{": " + e(texts[poster]) if texts else ""}</p>')
    transcript = ""
    if texts:
        items = "".join(f"<li>{e(t)}</li>" for t in texts)
        transcript = (f'<details class="cv-transcript"><summary>Every step as text ({scene.n_frames})</summary>'
                      f"<ol>{items}</ol></details>")
    body = painted.svg + status + transcript + blob
    scope = "cv-" + hashlib.sha256(body.encode()).hexdigest()[:10]
    css, js = player_code()
    figure = (f'<figure class="cv-player {scope}" aria-label="{e(scene.title or label)}">'
              f"<style>{painted.styles.css(scope)}</style>"
              f'<div class="cv-stage">{painted.svg}</div>{status}{transcript}'
              f'<script type="application/json" class="cv-data">{blob}</script></figure>')
    return f"<style>{css}</style>{figure}<script>{js}</script>" if code else figure


def figure_of(page: str) -> str | None:
    """The player's ``<figure>`` (without the shared CSS and script) in a page this module wrote, or None."""
    start = page.find('<figure class="cv-player')
    end = page.find("</figure>", start)
    return page[start:end + len("</figure>")] if start >= 0 and end >= 0 else None


def document(scene: Scene, options: RenderOptions, *, start: int | None = None) -> str:
    """A whole page holding one player: works from file://, offline, anywhere."""
    title = html.escape(scene.title or "convanim")
    return ('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="convanim">\n<title>{title}</title>\n'
            "<style>body{margin:1rem;font:16px/1.5 system-ui,sans-serif}</style>\n</head>\n<body>\n"
            f"{fragment(scene, options, start=start)}\n</body>\n</html>\n")


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """The scene as one self-contained HTML page with the player (paused on ``step`` when one is given)."""
    return write_text_atomic(path, document(scene, options, start=step))
