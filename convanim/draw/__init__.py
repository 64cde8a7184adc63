"""Stage 4, drawing: a Scene to RGB frames (numpy rasterizer) or to SVG/PDF pages (matplotlib, loaded lazily)."""

from __future__ import annotations

from pathlib import Path

from ..core.scene import Scene
from .raster import RasterRenderer, render_frame, render_frames

__all__ = ["RasterRenderer", "render_frame", "render_frames", "render_vector"]


def render_vector(scene: Scene, path: str | Path, fmt: str, step: int | None = None) -> Path:
    """Write ``scene`` as SVG (one frame: ``step``, default 0) or PDF (every frame, or only ``step``)."""
    from .vector import render_vector as _render_vector

    return _render_vector(scene, path, fmt, step)
