"""Vector renderer: a Scene as SVG (one frame) or PDF (one page per frame) drawn with matplotlib.

One scene pixel is one PostScript point (figure dpi 72), y points down, and the shapes match the raster
renderer's: polygons without outlines, strokes with square caps, dashes starting "on" at the segment's
start with butt ends (the segment's own two ends keep their square caps), the same TrueType fonts. At equal
z a static primitive is below a dynamic one. Output is deterministic (no dates, fixed SVG ids).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..core.files import atomic_path
from ..core.scene import Polygon, Primitive, Scene, Segment, Text
from ..core.text import font_path

_RC = {"svg.hashsalt": "convanim", "svg.fonttype": "path", "pdf.fonttype": 42,
       "lines.scale_dashes": False, "path.simplify": False}
_HA = {"l": "left", "m": "center", "r": "right"}
_VA = {"a": "top", "t": "top", "m": "center", "s": "baseline", "b": "bottom", "d": "bottom"}


def dash_pieces(seg: Segment) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The "on" pieces of a segment as (start, end) pairs, the outer ends pushed out by half the width
    (square caps) so that the pieces can be stroked with butt caps."""
    (sx, sy), (ex, ey) = seg.start, seg.end
    length = math.hypot(ex - sx, ey - sy)
    ux, uy = ((ex - sx) / length, (ey - sy) / length) if length > 1e-9 else (1.0, 0.0)
    hw = max(float(seg.width), 1.0) / 2

    def at(t: float) -> tuple[float, float]:
        return sx + ux * t, sy + uy * t

    if seg.dash is None or seg.dash[1] <= 0:
        return [(at(-hw), at(length + hw))]
    on, period = float(seg.dash[0]), float(seg.dash[0]) + float(seg.dash[1])
    if on <= 0:
        return []
    pieces = []
    for k in range(math.ceil(length / period - 1e-9) or 1):
        a, b = k * period, min(k * period + on, length)
        pieces.append((at(a - hw if k == 0 else a), at(b + hw if b >= length - 1e-9 else b)))
    return pieces


def _draw(ax, prim: Primitive) -> list:
    """Add one primitive to the axes; returns the artists made."""
    from matplotlib.collections import LineCollection
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Polygon as MplPolygon

    if isinstance(prim, Polygon):
        opaque = prim.alpha >= 1
        # opaque cells get a hairline of their own colour so that viewers show no seams between them
        patch = MplPolygon(prim.points, closed=True, facecolor=prim.fill,
                           alpha=None if opaque else prim.alpha, edgecolor=prim.fill if opaque else "none",
                           linewidth=0.3 if opaque else 0, zorder=prim.z)
        ax.add_patch(patch)
        return [patch]
    if isinstance(prim, Segment):
        if prim.width <= 0 or prim.alpha <= 0:
            return []
        width, alpha = (1.0, prim.alpha * prim.width) if prim.width < 1 else (float(prim.width), prim.alpha)
        lines = LineCollection(dash_pieces(prim), colors=prim.color, linewidths=width, alpha=alpha,
                               capstyle="butt", joinstyle="miter", zorder=prim.z)
        ax.add_collection(lines, autolim=False)
        return [lines]
    if isinstance(prim, Text):
        path = font_path(prim.font)
        props = FontProperties(fname=path, size=prim.size) if path else FontProperties(size=prim.size)
        text = ax.text(prim.xy[0], prim.xy[1], prim.text, color=prim.color, fontproperties=props,
                       ha=_HA.get(prim.anchor[:1], "center"), va=_VA.get(prim.anchor[1:2], "center"),
                       zorder=prim.z, parse_math=False)
        return [text]
    raise TypeError(f"not a scene primitive: {prim!r}")


def render_vector(scene: Scene, path: str | Path, fmt: str, step: int | None = None) -> Path:
    """Write ``scene`` as ``fmt="svg"`` (frame ``step``, default 0) or ``fmt="pdf"`` (one page per frame,
    or only ``step``). The file is replaced atomically."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    fmt = fmt.lower()
    if fmt not in ("svg", "pdf"):
        raise ValueError(f"vector format must be 'svg' or 'pdf', got {fmt!r}")
    if step is not None and not 0 <= step < max(scene.n_frames, 1):
        raise ValueError(f"step {step} is outside 0..{scene.n_frames - 1}")
    steps = [step or 0] if fmt == "svg" or step is not None else list(range(max(scene.n_frames, 1)))
    path = Path(path)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(scene.width / 72, scene.height / 72), dpi=72, facecolor=scene.background)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, scene.width)
        ax.set_ylim(scene.height, 0)
        ax.set_axis_off()
        static = [(p.reveal, a) for p in sorted(scene.static, key=lambda p: p.z) for a in _draw(ax, p)]

        def pose(i: int) -> list:
            for reveal, artist in static:
                artist.set_visible(reveal <= i)
            prims = scene.frame(i) if scene.n_frames > 0 else ()
            return [a for p in sorted(prims, key=lambda p: p.z) if p.reveal <= i for a in _draw(ax, p)]

        with atomic_path(path) as tmp:
            if fmt == "svg":
                pose(steps[0])
                fig.savefig(tmp, format="svg", metadata={"Date": None, "Creator": None})
            else:
                meta = {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}
                with PdfPages(tmp, metadata=meta) as pdf:
                    for i in steps:
                        made = pose(i)
                        pdf.savefig(fig)
                        for artist in made:
                            artist.remove()
    return path
