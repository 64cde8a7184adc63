"""SVG: one frame as a standalone SVG, sized in pixels, its text kept as text (selectable, searchable).

The same painting as the player's (``encode.html``): shapes of one look merged into one path, text at its
Pillow anchor's baseline with the real font's measured width (``textLength``), so the layout matches the GIF
even where the viewer lacks DejaVu. ``render.transparent`` leaves the background (and the empty cells painted
in its colour) out. No dates: equal scenes give equal bytes.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..core.files import write_text_atomic
from ..core.options import RenderOptions
from ..core.scene import Polygon, Primitive, Scene
from .html import Styles, markup


def visible(scene: Scene, step: int) -> list[Primitive]:
    """What frame ``step`` shows, in drawing order (a static shape under a moving one at equal z)."""
    static = [(p.z, 0, n, p) for n, p in enumerate(scene.static) if p.reveal <= step]
    moving = [(p.z, 1, n, p) for n, p in enumerate(scene.frame(step)) if p.reveal <= step]
    return [p for *_, p in sorted(static + moving, key=lambda t: t[:3])]


def document(scene: Scene, step: int, *, transparent: bool = False) -> str:
    """Frame ``step`` as an SVG document."""
    prims = visible(scene, step)
    bg = scene.background.lower()
    if transparent:
        prims = [p for p in prims if not (isinstance(p, Polygon) and p.fill.lower() == bg)]
    styles = Styles()
    shapes = markup(prims, styles)
    css = "".join(f".{name}{{{rule}}}" for rule, name in styles.names.items())
    w, h = scene.width, scene.height
    back = "" if transparent else f'<rect width="{w}" height="{h}" fill="{scene.background}"/>'
    title = f"<title>{html.escape(scene.alt or scene.title)}</title>" if (scene.alt or scene.title) else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}px" height="{h}px" viewBox="0 0 {w} {h}" '
            f'role="img">{title}<style>{css}</style>{back}{shapes}</svg>\n')


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """Frame ``step`` (default 0) as an SVG."""
    return write_text_atomic(path, document(scene, step or 0, transparent=options.transparent))
