"""Stage 4, drawing: a Scene to RGB frames (numpy rasterizer, handing encoders the rectangles that changed) or to
SVG/PDF pages. Names load on first use, so the stages above can name ``FrameUpdate`` without loading Pillow."""

from __future__ import annotations

import importlib.util
from importlib import import_module
from pathlib import Path
from typing import Any

from ..core.scene import Scene

_EXPORTS = {"FrameUpdate": "frame", "RasterRenderer": "raster", "render_frame": "raster", "render_frames": "raster",
            "render_updates": "raster"}

__all__ = ["FrameUpdate", "RasterRenderer", "render_frame", "render_frames", "render_updates", "render_vector"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_vector(scene: Scene, path: str | Path, fmt: str, step: int | None = None) -> Path:
    """Write ``scene`` as SVG (one frame: ``step``, default 0; drawn by matplotlib) or PDF (every frame, or only
    ``step``; written directly, each static layer once, with fontTools embedding the fonts; without fontTools,
    drawn by matplotlib, a page at a time)."""
    if fmt.lower() == "pdf" and importlib.util.find_spec("fontTools") is not None:
        from .pdf import render_pdf

        return render_pdf(scene, path, step)
    from .vector import render_vector as _render_vector

    return _render_vector(scene, path, fmt, step)
