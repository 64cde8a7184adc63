"""The render pipeline, the verbs users call: ``load_config``, ``render``, and the steps between.

``as_config`` takes whatever a user has (a Config, a path, YAML text, keyword arguments); ``scene_of`` asks
the figure registry for the Scene; ``output_paths`` asks the format registry where each file goes;
``render`` writes them, each atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import encode, figures
from ..config import Config, parse_config
from ..config import load_config as _load_file
from ..config.load import config_from_mapping
from ..core.errors import ConvanimError, SpecError, UsageError
from ..core.files import ensure_dir, sweep_stale
from ..core.scene import Scene
from ..encode import Format

__all__ = ["as_config", "load_config", "output_paths", "render", "scene_of"]


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read a YAML config: ``.spec``, ``.input``, ``.weight``, ``.bias`` (numpy arrays), ``.name``."""
    return _load_file(path)


def as_config(config: Config | str | os.PathLike[str] | None = None, /, **keys: Any) -> Config:
    """A Config from a Config, a path, YAML text, or config keys given as keyword arguments."""
    if config is not None and keys:
        raise UsageError("give either a config or keyword arguments, not both")
    if isinstance(config, Config):
        return config
    if config is None:
        name = keys.get("name", "convanim")
        return config_from_mapping(keys, source="<arguments>", default_name=name if isinstance(name, str) else "")
    if isinstance(config, os.PathLike) or (isinstance(config, str) and "\n" not in config and ":" not in config):
        return _load_file(config)
    if not isinstance(config, str):
        raise UsageError(f"expected a Config, a path, YAML text or config keys, got {type(config).__name__}")
    return parse_config(config, source="<yaml>", default_name="convanim")


def scene_of(config: Config) -> Scene:
    """The config's scene, titled and with its alt text; a bad render option becomes a ConfigError naming the
    file and key."""
    try:
        scene = figures.scene(config)
        return replace(scene, title=scene.title or config.title, alt=scene.alt or figures.alt_text(config))
    except SpecError as err:
        raise config.error(err.key, err.message) from None


def n_frames(config: Config) -> int:
    """The config's frame count (the frame limit checked), from the spec alone."""
    try:
        return figures.check_frames(config)
    except SpecError as err:
        raise config.error(err.key, err.message) from None


def alt_text(config: Config) -> str:
    """The config's alt text."""
    try:
        return figures.alt_text(config)
    except SpecError as err:
        raise config.error(err.key, err.message) from None


def format_names(formats: str | Iterable[str]) -> list[str]:
    """``"gif"`` or ``("gif", "pdf")`` as a list of names (a string is one format, never its letters)."""
    if isinstance(formats, str):
        return [formats]
    try:
        return list(formats)
    except TypeError:
        raise UsageError(f"formats: expected a format name or a list of them, got {formats!r}") from None


def formats_of(config: Config, formats: str | Iterable[str]) -> list[Format]:
    """The formats named, each once; a ConfigError for an unknown one."""
    out = []
    for name in format_names(formats):
        try:
            out.append(encode.get(name))
        except (KeyError, TypeError):
            raise config.error(None, f"formats: unknown format {name!r} (use {', '.join(encode.names())})") from None
    return out


def output_paths(config: Config, out_dir: str | os.PathLike[str], formats: str | Iterable[str],
                 step: int | None = None) -> list[Path]:
    """Where ``render`` writes each format: ``DIR/NAME.EXT`` (``DIR/NAME/`` for PNG frames)."""
    if not isinstance(out_dir, (str, os.PathLike)):
        raise UsageError(f"out_dir: expected a folder's path, got {type(out_dir).__name__}")
    out_dir = Path(out_dir)
    name = config.name
    target = (out_dir / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(out_dir.resolve()):
        raise config.error("name", f"must stay inside the output folder, got {name!r}")
    return [fmt.output(out_dir, name, step) for fmt in formats_of(config, formats)]


def check_step(config: Config, step: object) -> int | None:
    """``step`` if it is None or a frame of the config's animation (every limit checked first)."""
    if step is None:
        return None
    frames = n_frames(config)
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step < frames:
        raise config.error(None, f"step: must be between 0 and {frames - 1}, got {step!r}")
    return step


_SWEPT: set[str] = set()  # folders whose stale temporary files this process has swept


def sweep_once(folder: Path) -> None:
    """Remove the temporary files that killed writers left in ``folder`` (once per process)."""
    key = os.path.abspath(folder)
    if key not in _SWEPT:
        _SWEPT.add(key)
        sweep_stale(folder)


def render(config: Config | str | os.PathLike[str], out_dir: str | os.PathLike[str] = "output",
           formats: str | Iterable[str] = ("gif",), step: int | None = None) -> list[Path]:
    """Render a config (or a path to one) into ``out_dir``; return the written paths.

    ``formats``: any registered format (gif, png frames, apng, webp, mp4, svg, pdf), one name or several.
    ``step`` draws one frame only. Every file is written atomically: it appears whole or not at all. Every
    error is a ConvanimError (a bad config, a limit, a full disk, memory running out).
    """
    cfg = as_config(config)
    fmts = formats_of(cfg, formats)
    paths = output_paths(cfg, out_dir, formats, step)
    step = check_step(cfg, step)
    try:
        scene = scene_of(cfg)
        for fmt, path in zip(fmts, paths):
            sweep_once(ensure_dir(path.parent))
            try:
                fmt.write(scene, path, options=cfg.render, step=step)
            except ConvanimError as err:
                raise ConvanimError(f"{cfg.source}: {err}") from None
    except MemoryError:
        raise cfg.error(None, "out of memory while drawing; lower render.max_elements, render.max_pixels or "
                              "render.max_frames") from None
    return paths
