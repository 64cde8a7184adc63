"""The few verbs users call: load_config, simulate, render, show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import Config, config_from_mapping, load_config as _load_file, parse_config
from .engine import Trace, simulate

__all__ = ["load_config", "simulate", "trace_of", "as_config"]


def load_config(path: str | Path) -> Config:
    """Read a YAML config: ``.spec``, ``.input``, ``.weight``, ``.bias`` (numpy arrays), ``.name``."""
    return _load_file(path)


def as_config(config: Config | str | Path | None = None, /, **keys: Any) -> Config:
    """A Config from a Config, a path, YAML text, or config keys given as keyword arguments."""
    if isinstance(config, Config):
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
