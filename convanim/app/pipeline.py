"""The render pipeline, the verbs users call: ``load_config``, ``render``, and the steps between.

``as_config`` takes whatever a user has (a Config, a path, YAML text, keyword arguments); ``scene_of`` asks
the figure registry for the Scene; ``output_paths`` asks the format registry where each file goes;
``render`` writes them, each atomically.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import encode, figures
from ..config import Config, parse_config
from ..config import load_config as _load_file
from ..config.load import config_from_mapping
from ..core.errors import ConvanimError, SpecError
from ..core.scene import Scene
from ..encode import Format

__all__ = ["as_config", "load_config", "output_paths", "render", "scene_of"]


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


def formats_of(config: Config, formats: Iterable[str]) -> list[Format]:
    """The formats named, each once; a ConfigError for an unknown one."""
    out = []
    for name in formats:
        try:
            out.append(encode.get(name))
        except KeyError:
            raise config.error(None, f"--format: unknown format {name!r} (use {', '.join(encode.names())})") from None
    return out


def output_paths(config: Config, out_dir: str | Path, formats: Iterable[str], step: int | None = None) -> list[Path]:
    """Where ``render`` writes each format: ``DIR/NAME.EXT`` (``DIR/NAME/`` for PNG frames)."""
    out_dir = Path(out_dir)
    name = config.name
    target = (out_dir / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(out_dir.resolve()):
        raise config.error("name", f"must stay inside the output folder, got {name!r}")
    return [fmt.output(out_dir, name, step) for fmt in formats_of(config, formats)]


def render(config: Config | str | Path, out_dir: str | Path = "output", formats: Iterable[str] = ("gif",),
           step: int | None = None) -> list[Path]:
    """Render a config (or a path to one) into ``out_dir``; return the written paths.

    ``formats``: any registered format (gif, png frames, apng, webp, mp4, svg, pdf). ``step`` draws one frame
    only. Every file is written atomically: it appears whole or not at all.
    """
    cfg = as_config(config)
    fmts = formats_of(cfg, formats)
    paths = output_paths(cfg, out_dir, formats, step)
    scene = scene_of(cfg)
    if step is not None and not 0 <= step < scene.n_frames:
        raise cfg.error(None, f"--step: must be between 0 and {scene.n_frames - 1}, got {step}")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for fmt, path in zip(fmts, paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fmt.write(scene, path, options=cfg.render, step=step)
        except ConvanimError as err:
            raise ConvanimError(f"{cfg.source}: {err}") from None
    return paths
