"""load_config(): a YAML file (or a mapping) -> Config; the only module that reads config files.

Errors are one line that names the file, the line and the key: ``configs/x.yaml:4: stride: must be >= 1, got 0``.
Sizes are checked before any array is made (``core.limits``): the file's size and the YAML's nesting and
aliases as it is read (``safe_yaml``), then channels and the elements of the input and weight from the spec,
then the values (finite numbers whose products stay within float64).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from ..core.elementwise import ELEMENTWISE_OPS
from ..core.errors import ConfigError, SpecError, UsageError
from ..core.limits import check_arrays, check_channels, spec_arrays
from ..core.options import parse_render
from ..core.spec import SPEC_FIELDS, ConvSpec
from .data import check_range, make_values
from .grads import backward_values
from .layers import layers_config
from .model import Config, failer, name_and_title
from .safe_yaml import load_yaml
from .source import config_text, read_config_bytes

META_KEYS = ("name", "title", "render")
CONFIG_KEYS: tuple[str, ...] = (*META_KEYS, *SPEC_FIELDS, "input", "weight", "layers",  # bias is a spec field too
                                 "grad_output", "learn")  # the backward pass (config/grads.py)


def read_config_file(path: str | os.PathLike[str], source: str | None = None) -> tuple[bytes, Config]:
    """A config file's bytes, read once, and its Config (named after the file unless it has ``name:``).

    Only a regular file of at most ``MAX_FILE_BYTES`` is read (a FIFO or a device is refused at once);
    ``source`` names the file in messages (default: ``path``).
    """
    data = read_config_bytes(path, source)
    path = Path(path)
    source = str(path) if source is None else source
    text = config_text(data, source)
    return data, parse_config(text, source=source, default_name=path.stem)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read a YAML config file; raise ConfigError (one line: file, line, key, message) if it is wrong."""
    return read_config_file(path)[1]


def parse_config(text: str, *, source: str = "<config>", default_name: str = "config") -> Config:
    """A Config from YAML text (``source`` is used in messages)."""
    data, lines = load_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, 1, None, f"expected a mapping of keys (input_size: 5, ...), got "
                                           f"{type(data).__name__}")
    return config_from_mapping(data, source=source, default_name=default_name, lines=lines)


def config_from_mapping(data: dict[str, Any], *, source: str = "<config>", default_name: str = "config",
                        lines: dict[str, int] | None = None) -> Config:
    """A Config from an already-parsed mapping (keyword arguments, inline YAML, ...)."""
    lines = lines or {}
    fail = failer(source, lines)
    if not isinstance(data, dict):
        raise UsageError(f"expected a mapping of config keys, got {type(data).__name__}")
    for key in data:
        if not isinstance(key, str):
            raise fail(None, f"the key {key!r} is not a name")
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
    if data.get("op") in ELEMENTWISE_OPS:
        raise fail("op", f"{data['op']} is an element-wise step: it goes in a layers: list, after a convolution or "
                         f"pooling layer")
    if "count_include_pad" in data and data.get("op", "conv") != "avg_pool":
        raise fail("count_include_pad", f"only avg_pool divides by a count of cells; {data.get('op', 'conv')} has "
                                        f"none (remove the key)")
    spec_args = {k: data[k] for k in SPEC_FIELDS if k in data}
    bias_value = spec_args.get("bias")
    if "bias" in spec_args and not isinstance(bias_value, bool):
        spec_args["bias"] = True  # values given: the layer has a bias
    try:
        spec = ConvSpec(**spec_args)
        render = parse_render(data.get("render"))
        check_channels(spec)
        check_arrays(spec_arrays(spec, simulated=False), render.max_elements)  # before the arrays are made
        arrays = {k: make_values(k, data.get(k), spec) for k in ("input", "weight")}
        bias = make_values("bias", bias_value, spec)
        check_range(spec, arrays["input"], arrays["weight"], bias)
        grads = backward_values(data, spec, render)
    except SpecError as err:
        raise fail(err.key, err.message) from None
    return Config(name=name, title=title, spec=spec, input=arrays["input"], weight=arrays["weight"], bias=bias,
                  render=render, source=source, raw=dict(data), lines=lines, **grads)
