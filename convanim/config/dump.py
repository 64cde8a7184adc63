"""to_yaml(): a Config (or a config mapping) back to YAML text that load_config reads to the same Config."""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from .model import Config

KEY_ORDER = ("name", "title", "op", "input_size", "output_size", "in_channels", "out_channels", "kernel_size",
             "stride", "padding", "dilation", "transposed", "output_padding", "groups", "padding_mode",
             "padding_value", "ceil_mode", "count_include_pad", "divisor_override", "norm_type", "flip_kernel",
             "input", "weight", "bias", "layers", "render")


class _Dumper(yaml.SafeDumper):
    """Block style for mappings and lists of layers; flow style (one line per row) for lists of numbers."""


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "value") and isinstance(value.value, str):  # StrEnum
        return value.value
    return value


def _numeric(value: Any) -> bool:
    if isinstance(value, list):
        return all(_numeric(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flat = _numeric(value) and (not value or not isinstance(value[0], list) or len(str(value)) <= 60)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat or None)


def _dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.Node:
    ordered = sorted(value.items(), key=lambda kv: KEY_ORDER.index(kv[0]) if kv[0] in KEY_ORDER else len(KEY_ORDER))
    small = all(not isinstance(v, (dict, list)) or (_numeric(v) and len(str(v)) <= 40) for _, v in ordered)
    return dumper.represent_mapping("tag:yaml.org,2002:map", ordered, flow_style=bool(small and len(str(value)) < 90
                                                                                       and "name" not in value))


_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)


def to_yaml(config: Config | dict[str, Any], *, header: str | None = None) -> str:
    """YAML text for a Config (its mapping as given) or a mapping; ``header`` becomes a leading comment."""
    mapping = config.raw if isinstance(config, Config) else config
    text = yaml.dump(_plain(dict(mapping)), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    if header:
        text = "".join(f"# {line}\n" for line in header.splitlines()) + text
    return text
