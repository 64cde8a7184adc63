"""The legend (``render: {legend: true}``): a row of swatches under the figure naming only the roles it draws.

The roles are read off the built scene (which colours it fills, whether it dashes padding, shades a window)
and the spec (what the padding holds, whether the kernel is applied flipped), so every kind gets the same
legend and it never names a role the figure does not show.
"""

from __future__ import annotations

from dataclasses import replace

from ..config.model import Config
from ..core.scene import Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..core.theme import Theme
from .fit import word_size

Z_LEGEND = 45

Entry = tuple[str, str, str]  # (swatch kind: "fill" | "dashed" | "shade" | "none", colour, words)


def _fills(prims: tuple[Primitive, ...]) -> set[str]:
    return {p.fill.lower() for p in prims if isinstance(p, Polygon) and p.alpha >= 1.0}


def entries(scene: Scene, config: Config) -> list[Entry]:
    """The roles the scene draws, in reading order, each once."""
    th, spec = config.render.theme, config.spec
    first = scene.frame(0) if scene.n_frames else ()
    fills = _fills(scene.static) | _fills(first)
    out: list[Entry] = []
    if th.input.lower() in fills:
        out.append(("fill", th.input, "input"))
    dashed = any(isinstance(p, Segment) and p.dash for p in scene.static)
    if dashed and (spec.transposed or any(spec.pad_before) or any(spec.pad_after)):
        mode = spec.padding_mode.value if hasattr(spec.padding_mode, "value") else str(spec.padding_mode)
        out.append(("dashed", th.background, "padding" + ("" if mode == "zeros" else f" ({mode})")))
    if th.inserted.lower() in fills:
        out.append(("fill", th.inserted, "inserted zeros"))
    if th.overhang.lower() in fills:
        out.append(("fill", th.overhang, "overhang (ceil_mode, not counted)"))
    if any(isinstance(p, Polygon) and p.fill == th.shade and p.alpha < 1 for p in first):
        out.append(("shade", th.shade, "pooling window" if spec.is_pool else "kernel window"))
    if th.output.lower() in fills:
        out.append(("fill", th.output, "output"))
    if not spec.is_pool and (spec.transposed or spec.flip_kernel):
        out.append(("none", th.caption, "kernel applied flipped" + (" (transposed convolution)"
                                                                      if spec.transposed else "")))
    return out


def _swatch(kind: str, color: str, x: float, y: float, size: float, th: Theme) -> list[Primitive]:
    box = ((x, y), (x + size, y), (x + size, y + size), (x, y + size))
    edges = [Segment(start=a, end=b, color=th.grid, width=1.0, z=Z_LEGEND, dash=(3.0, 2.0) if kind == "dashed"
                     else None) for a, b in zip(box, box[1:] + box[:1])]
    if kind == "fill":
        return [Polygon(points=box, fill=color, z=Z_LEGEND), *edges]
    if kind == "shade":
        return [Polygon(points=box, fill=th.background, z=Z_LEGEND),
                Polygon(points=box, fill=th.shade, alpha=th.shade_alpha, z=Z_LEGEND), *edges]
    if kind == "dashed":
        return [Polygon(points=box, fill=th.background, z=Z_LEGEND), *edges]
    return []


def with_legend(scene: Scene, config: Config) -> Scene:
    """``scene`` with a legend of its roles under it (wrapped to the figure's width)."""
    items = entries(scene, config)
    if not items:
        return scene
    th = config.render.theme
    size = word_size(0, max(scene.width, scene.height), 0)
    box, gap = 1.1 * size, 1.2 * size
    margin = 0.6 * size
    widths = [(box + 0.4 * size if kind != "none" else 0) + text_width(words, size, "sans") for kind, _, words in items]
    rows: list[list[int]] = [[]]
    x = margin
    for n, w in enumerate(widths):
        if rows[-1] and x + w > max(scene.width, 2 * margin + max(widths)) - margin:
            rows.append([])
            x = margin
        rows[-1].append(n)
        x += w + gap
    line_h = 1.6 * size
    prims: list[Primitive] = []
    for r, row in enumerate(rows):
        y = scene.height + r * line_h
        x = margin
        for n in row:
            kind, color, words = items[n]
            prims += _swatch(kind, color, x, y, box, th)
            tx = x + (box + 0.4 * size if kind != "none" else 0)
            prims.append(Text(xy=(tx, y + box / 2), text=words, size=size, color=th.caption, anchor="lm", font="sans",
                              z=Z_LEGEND))
            x += widths[n] + gap
    width = max(scene.width, round(2 * margin + max(sum(widths[n] for n in row) + gap * (len(row) - 1)
                                                    for row in rows)))
    height = round(scene.height + len(rows) * line_h + margin)
    return replace(scene, width=width, height=height, static=scene.static + tuple(prims),
                   regions={**scene.regions, "legend": [words for _, _, words in items]})
