"""PDF: the scene as vector pages (every frame, or the step); SVG is ``encode.svg``."""

from __future__ import annotations

from pathlib import Path

from ..core.options import RenderOptions
from ..core.scene import Scene


def save_pdf(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """Every frame as a page of a PDF, or only frame ``step``."""
    from ..draw import render_vector

    return render_vector(scene, path, "pdf", step)
