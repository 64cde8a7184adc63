"""load_config(): a YAML file (or a mapping) -> Config; the only module that reads YAML.

Errors are one line that names the file, the line and the key: ``configs/x.yaml:4: stride: must be >= 1, got 0``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import ConfigError, SpecError
from ..core.options import parse_render
from ..core.spec import SPEC_FIELDS, ConvSpec
from .data import make_values
from .grads import backward_values
from .layers import layers_config
from .model import Config, failer, name_and_title

META_KEYS = ("name", "title", "render")
CONFIG_KEYS: tuple[str, ...] = (*META_KEYS, *SPEC_FIELDS, "input", "weight", "layers",  # bias is a spec field too
                                 "grad_output", "learn")  # the backward pass (config/grads.py)


def key_lines(text: str) -> dict[str, int]:
    """1-based line of every top-level key, and of every key one level down as ``parent.child``."""
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if not isinstance(node, yaml.MappingNode):
        return lines
    for k, v in node.value:
        lines[str(k.value)] = k.start_mark.line + 1
        if isinstance(v, yaml.MappingNode):
            for k2, _ in v.value:
                lines[f"{k.value}.{k2.value}"] = k2.start_mark.line + 1
        elif isinstance(v, yaml.SequenceNode):  # layers: [...]: ``layers[2]`` and ``layers[2].kernel_size``
            for i, item in enumerate(v.value):
                lines[f"{k.value}[{i}]"] = item.start_mark.line + 1
                if isinstance(item, yaml.MappingNode):
                    for k2, _ in item.value:
                        lines[f"{k.value}[{i}].{k2.value}"] = k2.start_mark.line + 1
    return lines


def load_config(path: str | Path) -> Config:
    """Read a YAML config file; raise ConfigError (one line: file, line, key, message) if it is wrong."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, None, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(source, None, None, f"cannot read: {err}") from None
    return parse_config(text, source=source, default_name=path.stem)


def parse_config(text: str, *, source: str = "<config>", default_name: str = "config") -> Config:
    """A Config from YAML text (``source`` is used in messages)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(source, mark.line + 1 if mark else None, None, f"invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, 1, None, f"expected a mapping of keys (input_size: 5, ...), got "
                                           f"{type(data).__name__}")
    return config_from_mapping(data, source=source, default_name=default_name, lines=key_lines(text))


def config_from_mapping(data: dict[str, Any], *, source: str = "<config>", default_name: str = "config",
                        lines: dict[str, int] | None = None) -> Config:
    """A Config from an already-parsed mapping (keyword arguments, inline YAML, ...)."""
    lines = lines or {}
    fail = failer(source, lines)
    for key in data:
        if key not in CONFIG_KEYS:
            close = difflib.get_close_matches(str(key), CONFIG_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(str(key), f"unknown key{hint}")
    if "layers" in data:
        if "grad_output" in data or "learn" in data:
            key = "grad_output" if "grad_output" in data else "learn"
            raise fail(key, "applies to one layer; a layers: config draws its receptive field")
        return layers_config(data, source=source, default_name=default_name, lines=lines)
    name, title = name_and_title(data, default_name, fail)
    spec_args = {k: data[k] for k in SPEC_FIELDS if k in data}
    bias_value = spec_args.get("bias")
    if "bias" in spec_args and not isinstance(bias_value, bool):
        spec_args["bias"] = True  # values given: the layer has a bias
    try:
        spec = ConvSpec(**spec_args)
        arrays = {k: make_values(k, data.get(k), spec) for k in ("input", "weight")}
        bias = make_values("bias", bias_value, spec)
        render = parse_render(data.get("render"))
        grads = backward_values(data, spec, render)
    except SpecError as err:
        raise fail(err.key, err.message) from None
    return Config(name=name, title=title, spec=spec, input=arrays["input"], weight=arrays["weight"], bias=bias,
                  render=render, source=source, raw=dict(data), lines=lines, **grads)
