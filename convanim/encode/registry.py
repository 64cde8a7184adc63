"""The output-format registry, in the style of imageio's plugin table: a name, the file it writes, whether it
is an animation, and the writer that makes it, loaded only when a file of that format is written.

A new format is one module with a ``save(scene, path, *, options, step)`` function and one ``register``
call (the built-in ones are the table at the bottom). The CLI's ``--format`` choices, the Sphinx directive,
notebook display and output paths all read this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..core.options import RenderOptions
    from ..core.scene import Scene


@dataclass(frozen=True, slots=True, kw_only=True)
class Format:
    """One output format."""

    name: str
    suffix: str  # of the file written: ".gif"; "" for a folder
    mimetype: str
    animated: bool  # True: every frame (or only ``step``); False: one frame, ``step`` or 0
    writer: str  # "module:function", imported on first use
    help: str  # what ``--format`` says about it
    step_suffix: str | None = None  # the suffix when only one step is drawn (PNG frames: ".png")
    extra: str | None = None  # the optional dependency extra it needs (pip install 'convanim[extra]')

    def output(self, out_dir: Path, name: str, step: int | None = None) -> Path:
        """Where a config named ``name`` is written in ``out_dir``."""
        suffix = self.step_suffix if step is not None and self.step_suffix is not None else self.suffix
        return out_dir / f"{name}{suffix}"

    @property
    def save(self) -> Callable[..., Path]:
        """The writer: ``save(scene, path, *, options, step)``."""
        module, _, function = self.writer.partition(":")
        return getattr(import_module(module), function)

    def write(self, scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
        """Write ``scene`` to ``path`` atomically; returns the path."""
        return self.save(scene, path, options=options, step=step)


_FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add an output format (its name must be new); returns it."""
    if fmt.name in _FORMATS:
        raise ValueError(f"an output format named {fmt.name!r} is already registered")
    _FORMATS[fmt.name] = fmt
    return fmt


def get(name: str) -> Format:
    """The format called ``name``; KeyError if there is none."""
    return _FORMATS[name]


def names() -> tuple[str, ...]:
    """Every format's name, in the order registered."""
    return tuple(_FORMATS)


def formats() -> tuple[Format, ...]:
    return tuple(_FORMATS.values())


def by_suffix(suffix: str) -> Format | None:
    """The format that writes files ending in ``suffix`` (``.png``: a single PNG frame), or None."""
    suffix = suffix.lower()
    for fmt in _FORMATS.values():
        if suffix and suffix in (fmt.suffix, fmt.step_suffix):
            return fmt
    return None


for _fmt in (
    Format(name="gif", suffix=".gif", mimetype="image/gif", animated=True, writer="convanim.encode.gif:save",
           help="an animated GIF (DIR/NAME.gif)"),
    Format(name="png", suffix="", step_suffix=".png", mimetype="image/png", animated=True,
           writer="convanim.encode.png:save",
           help="one PNG per frame in DIR/NAME/, or DIR/NAME.png with --step"),
    Format(name="apng", suffix=".apng", mimetype="image/apng", animated=True, writer="convanim.encode.apng:save",
           help="an animated PNG (DIR/NAME.apng)"),
    Format(name="webp", suffix=".webp", mimetype="image/webp", animated=True, writer="convanim.encode.webp:save",
           help="an animated lossless WebP"),
    Format(name="mp4", suffix=".mp4", mimetype="video/mp4", animated=True, writer="convanim.encode.mp4:save",
           extra="mp4", help="H.264 video (needs pip install 'convanim[mp4]')"),
    Format(name="svg", suffix=".svg", mimetype="image/svg+xml", animated=False,
           writer="convanim.encode.svg:save", help="one frame as SVG (text kept as text): --step, default 0"),
    Format(name="pdf", suffix=".pdf", mimetype="application/pdf", animated=True,
           writer="convanim.encode.vector:save_pdf", help="one page per frame, or only --step"),
    Format(name="html", suffix=".html", mimetype="text/html", animated=True, writer="convanim.encode.html:save",
           help="an interactive player: one self-contained page (DIR/NAME.html); --step starts it paused there"),
):
    register(_fmt)
