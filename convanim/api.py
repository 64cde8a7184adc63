"""The few verbs users call: load_config, simulate, render, show."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config, config_from_mapping, parse_config
from .config import load_config as _load_file
from .engine import Trace, simulate
from .errors import ConvanimError
from .scene import Scene
from .spec import SpecError

__all__ = ["Format", "load_config", "simulate", "render", "trace_of", "as_config", "scene_of", "output_paths"]


class Format(StrEnum):
    """Output formats: animations, a folder of PNG frames, and vector pages."""

    GIF = "gif"
    PNG = "png"  # one PNG per frame in DIR/NAME/ (or DIR/NAME.png with a step)
    APNG = "apng"
    WEBP = "webp"
    MP4 = "mp4"
    SVG = "svg"  # one frame: the step, default 0
    PDF = "pdf"  # one page per frame (or only the step)


EXTENSIONS = {Format.GIF: ".gif", Format.PNG: "", Format.APNG: ".apng", Format.WEBP: ".webp",
              Format.MP4: ".mp4", Format.SVG: ".svg", Format.PDF: ".pdf"}


def load_config(path: str | Path) -> Config:
    """Read a YAML config: ``.spec``, ``.input``, ``.weight``, ``.bias`` (numpy arrays), ``.name``."""
    return _load_file(path)


def as_config(config: Config | str | Path | None = None, /, **keys: Any) -> Config:
    """A Config from a Config, a path, YAML text, or config keys given as keyword arguments."""
    if isinstance(config, Config):
        if keys:
            raise TypeError("give either a config or keyword arguments, not both")
        return config
    if config is None:
        return config_from_mapping(keys, source="<arguments>", default_name=keys.get("name", "convanim"))
    if keys:
        raise TypeError("give either a config or keyword arguments, not both")
    if isinstance(config, Path) or (isinstance(config, str) and "\n" not in config and ":" not in config):
        return _load_file(config)
    return parse_config(str(config), source="<yaml>", default_name="convanim")


def trace_of(config: Config) -> Trace:
    """Simulate a config's layer on its data."""
    return simulate(config.spec, config.input, config.weight, config.bias)


def scene_of(config: Config) -> Scene:
    """The config's scene; a bad render option becomes a ConfigError naming the file and key."""
    from .layout import layout

    try:
        if config.layers:  # a stack of layers: its receptive field
            from .layout_receptive import layout_layers

            return layout_layers(config.layers, config.render)
        return layout(trace_of(config), config.render)
    except SpecError as err:
        raise config.error(err.key, err.message) from None


def output_paths(config: Config, out_dir: str | Path, formats: Iterable[str], step: int | None = None) -> list[Path]:
    """Where ``render`` writes each format: ``DIR/NAME.EXT`` (``DIR/NAME/`` for PNG frames)."""
    out_dir = Path(out_dir)
    name = config.name
    target = (out_dir / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(out_dir.resolve()):
        raise config.error("name", f"must stay inside the output folder, got {name!r}")
    paths = []
    for fmt in _formats(config, formats):
        if fmt is Format.PNG and step is not None:
            paths.append(out_dir / f"{name}.png")
        else:
            paths.append(out_dir / f"{name}{EXTENSIONS[fmt]}")
    return paths


def _formats(config: Config, formats: Iterable[str]) -> list[Format]:
    out = []
    for f in formats:
        try:
            out.append(Format(f))
        except ValueError:
            raise config.error(None, f"--format: unknown format {f!r} (use {', '.join(Format)})") from None
    return out


def gif_palette(scene: Scene, theme: Any) -> list[tuple[int, int, int]]:
    """The GIF palette: the theme's flat colours, the footprint overlay over them, and anti-aliasing blends.

    A figure without text needs few blends: 16 colours (4-bit LZW codes) keep its GIF small. Text needs
    finer ramps between the text colour and every cell colour, so figures with numbers get 64.
    """
    from .encode import build_palette
    from .scene import Polygon, Text

    th = theme
    has_text = any(isinstance(p, Text) for p in (*scene.static, *scene.frame(0)))
    # The grid and text colours come first so that their blends with every cell colour are kept.
    keys = [th.grid, th.text, th.background, th.input, th.output, th.padding, th.pending, th.connector, th.caption]
    # Colours the scene uses beyond the theme's (group hues and their tinted sheets) are flat colours too.
    used = {(p.fill if isinstance(p, Polygon) else p.color).lower() for p in (*scene.static, *scene.frame(0))
            if getattr(p, "alpha", 1.0) >= 1.0}
    extras = sorted(used - {k.lower() for k in keys})
    if has_text:
        return build_palette(keys + extras, ramps=3, overlays=[(th.shade, th.shade_alpha)], limit=63)
    return build_palette([th.grid, th.background, th.input, th.output, th.padding, th.pending, th.connector] + extras,
                         ramps=1, overlays=[(th.shade, th.shade_alpha)], limit=15 + 2 * len(extras))


def _repeats(loop: int) -> int | None:
    """RenderOptions.loop (0 forever, n plays) as the encoders' repeat count (None: play once)."""
    return 0 if loop == 0 else None if loop == 1 else loop - 1


def render(config: Config | str | Path, out_dir: str | Path = "output", formats: Iterable[str] = ("gif",),
           step: int | None = None) -> list[Path]:
    """Render a config (or a path to one) into ``out_dir``; return the written paths.

    ``formats``: gif, png (frames), apng, webp, mp4, svg, pdf. ``step`` draws one frame only (png, svg,
    pdf). Every file is written atomically: it appears whole or not at all.
    """
    from . import encode
    from .draw import render_frame, render_frames, render_vector

    cfg = as_config(config)
    fmts = _formats(cfg, formats)
    paths = output_paths(cfg, out_dir, fmts, step)
    scene = scene_of(cfg)
    if step is not None and not 0 <= step < scene.n_frames:
        raise cfg.error(None, f"--step: must be between 0 and {scene.n_frames - 1}, got {step}")
    opts = cfg.render
    repeats = _repeats(opts.loop)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for fmt, path in zip(fmts, paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        frames: Iterator[np.ndarray] = (
            iter([render_frame(scene, step)]) if step is not None else render_frames(scene))
        try:
            if fmt is Format.GIF:
                encode.write_gif(path, frames, fps=opts.fps, loop=repeats, palette=gif_palette(scene, opts.theme))
            elif fmt is Format.PNG:
                if step is not None:
                    encode.write_png(path, next(frames))
                else:
                    encode.write_png_frames(path, frames)
            elif fmt is Format.APNG:
                encode.write_apng(path, frames, fps=opts.fps, loop=repeats)
            elif fmt is Format.WEBP:
                encode.write_webp(path, frames, fps=opts.fps, loop=repeats)
            elif fmt is Format.MP4:
                encode.write_mp4(path, frames, fps=opts.fps)
            else:
                render_vector(scene, path, fmt.value, step)
        except ConvanimError as err:
            raise ConvanimError(f"{cfg.source}: {err}") from None
    return paths


def show(config: Config | str | Path | None = None, /, *, step: int | None = None, **keys: Any) -> Any:
    """An object that displays the animation inline in Jupyter (GIF as HTML; PNG for one frame or a step).

    ``config``: a Config, a path, YAML text, or config keys as keyword arguments. ``step``: show that frame
    only, as a still PNG. See ``convanim.notebook.Animation`` (``.save(path)``, ``.frames``, ``.n_frames``).
    """
    from .notebook import Animation

    return Animation(as_config(config, **keys), step=step)
