"""The ``layers:`` key: a stack of conv / pool layers applied in turn, sizes and channels chained, as one Config.

A layers config names the input once (``input_size``, ``in_channels``, ``input``) and lists the layers::

    input_size: 9
    layers:
      - {kernel_size: 3}
      - {kernel_size: 3, stride: 2}
      - {op: max_pool, kernel_size: 2}

Each entry takes ConvSpec's keys except ``input_size`` (the previous layer's output size), plus an
optional ``weight`` (and ``bias`` values). ``in_channels`` is chained from the previous ``out_channels``;
give it only to check it. Errors name the entry: ``layers[2].kernel_size`` with its line in the file.

An entry may also be an element-wise step (``{op: relu}``, ``{op: batch_norm, running_mean: [...], ...}``,
see ``core.elementwise``): sizes and channels pass through it. A stack holds at least one convolution or
pooling layer; a ``flatten`` goes last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.elementwise import ELEMENTWISE_KEYS, ELEMENTWISE_OPS, PARAMETERS, Elementwise, ElementwiseSpec
from ..core.errors import ConfigError, SpecError
from ..core.limits import MAX_LAYERS, check_arrays, check_channels, spec_arrays
from ..core.options import parse_render
from ..core.spec import SPEC_FIELDS, ConvSpec
from ..core.words import dims
from .data import check_range, make_values
from .model import Config, failer, name_and_title

TOP_KEYS = ("name", "title", "render", "input_size", "in_channels", "input", "layers")
LAYER_KEYS: tuple[str, ...] = tuple(k for k in SPEC_FIELDS if k != "input_size") + ("weight",)


Fail = Callable[[str | None, str], ConfigError]


def layers_config(data: dict[str, Any], *, source: str, default_name: str, lines: dict[str, int]) -> Config:
    """A Config for a ``layers:`` mapping: ``.layers`` holds every spec, ``.spec`` the first."""
    fail = failer(source, lines)
    for key in data:
        if key not in TOP_KEYS:
            raise fail(str(key), "goes inside each entry of layers: when layers: is given (the top level "
                                 "takes only name, title, render, input_size, in_channels and input)")
    name, title = name_and_title(data, default_name, fail)
    entries = data["layers"]
    if not isinstance(entries, list) or not entries:
        raise fail("layers", f"expected a non-empty list of layer mappings, got {entries!r}")
    if len(entries) > MAX_LAYERS:
        raise fail("layers", f"{len(entries)} layers are over convanim's limit of {MAX_LAYERS} (a documented limit; "
                             "see the README's Limits)")
    try:
        render = parse_render(data.get("render"))
    except SpecError as err:
        raise fail(err.key, err.message) from None
    size: Any = data["input_size"]
    channels = data.get("in_channels")
    specs: list[ConvSpec | ElementwiseSpec] = []
    weights, biases = [], []
    for n, entry in enumerate(entries):
        if _is_elementwise(entry):
            spec: ConvSpec | ElementwiseSpec = _step(n, entry, size, channels, len(entries), fail)
            weight = bias = None
        else:
            spec, weight, bias = _layer(n, entry, size, channels, "in_channels" in data, fail, render.max_elements)
        specs.append(spec)
        weights.append(weight)
        biases.append(bias)
        size, channels = spec.output_size, spec.out_channels
    first = next((n for n, spec in enumerate(specs) if not spec.is_elementwise), None)
    if first is None:
        raise fail("layers", "needs at least one convolution or pooling layer (element-wise steps keep their "
                             "input's size)")
    try:
        x = make_values("input", data.get("input"), specs[first])
        bound = None
        for n, (spec, weight, bias) in enumerate(zip(specs, weights, biases)):
            if spec.is_elementwise:  # the bounds of the supported steps are the conv layers' (a sigmoid, a relu,
                continue  # batch norm's affine step) up to their own parameters, checked where they are read
            bound = check_range(spec, x, weight, bias, prefix=f"layers[{n}]." if n else "", x_bound=bound)
    except SpecError as err:
        raise fail(err.key, err.message) from None
    return Config(name=name, title=title, spec=specs[first], input=x, weight=weights[first], bias=biases[first],
                  render=render, source=source, raw=dict(data), lines=lines, layers=tuple(specs),
                  layer_weights=tuple(weights), layer_biases=tuple(biases))


def _is_elementwise(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("op"), str) and entry["op"] in ELEMENTWISE_OPS


def _step(n: int, entry: dict[str, Any], size: Any, channels: Any, count: int, fail: Fail) -> ElementwiseSpec:
    """Entry ``n``, an element-wise step (``{op: relu}``), on an input of ``size`` and ``channels``."""
    at = f"layers[{n}]"
    op = entry["op"]
    takes = PARAMETERS.get(op, {})
    for key in entry:
        if key not in ("op", "in_channels", *takes):
            known = f"it takes {', '.join(takes)}" if takes else "it takes no parameters"
            raise fail(f"{at}.{key}", f"not a key of op: {op} ({known})")
    if "in_channels" in entry and channels is not None and entry["in_channels"] != channels:
        before = "in_channels" if n == 0 else f"layers[{n - 1}].out_channels"
        raise fail(f"{at}.in_channels", f"must equal {before}={channels}, got {entry['in_channels']!r}")
    if op == Elementwise.FLATTEN and n != count - 1:
        raise fail(f"{at}.op", "flatten goes last: after it the values have no spatial layout")
    try:  # the size and channels normalised and checked as a layer's
        shape = ConvSpec(input_size=size, kernel_size=1, in_channels=channels if channels is not None else 1)
    except SpecError as err:
        raise fail(err.key, err.message) from None
    try:
        return ElementwiseSpec(op=op, input_size=shape.input_size, in_channels=shape.in_channels,
                               **{k: entry[k] for k in takes if k in entry})
    except SpecError as err:
        raise fail(f"{at}.{err.key}", err.message) from None


def _check_layer_keys(at: str, entry: Any, fail: Fail) -> None:
    """A layer entry is a mapping of known layer keys (a hint for keys of element-wise steps)."""
    if not isinstance(entry, dict):
        raise fail(at, f"expected a mapping of layer keys (kernel_size: 3, ...), got {entry!r}")
    for key in entry:
        if not isinstance(key, str):
            raise fail(at, f"the key {key!r} is not a name")
        if key not in LAYER_KEYS:
            hint = " (the previous layer's output size is used)" if key == "input_size" else ""
            if key in ELEMENTWISE_KEYS:
                owners = [op for op, keys in PARAMETERS.items() if key in keys]
                hint = f" (it belongs to op: {' or '.join(owners)})"
            raise fail(f"{at}.{key}", f"unknown layer key{hint}")


def _layer(n: int, entry: Any, size: Any, channels: Any, top_channels: bool, fail: Fail,
           max_elements: int) -> tuple[ConvSpec, np.ndarray | None, np.ndarray | None]:
    """Entry ``n`` of ``layers:`` on an input of ``size`` and ``channels``: its spec, weight and bias."""
    at = f"layers[{n}]"
    _check_layer_keys(at, entry, fail)
    args = {k: entry[k] for k in SPEC_FIELDS if k in entry}
    if "count_include_pad" in entry and entry.get("op", "conv") != "avg_pool":
        raise fail(f"{at}.count_include_pad", f"only avg_pool divides by a count of cells; "
                                              f"{entry.get('op', 'conv')} has none (remove the key)")
    if "in_channels" in entry and channels is not None and entry["in_channels"] != channels:
        before = "in_channels" if n == 0 else f"layers[{n - 1}].out_channels"
        raise fail(f"{at}.in_channels", f"must equal {before}={channels}, got {entry['in_channels']!r}")
    if channels is not None:
        args["in_channels"] = channels
    bias_value = args.get("bias")
    if "bias" in args and not isinstance(bias_value, bool):
        args["bias"] = True
    try:
        spec = ConvSpec(input_size=size, **args)
    except SpecError as err:
        if err.key == "input_size" and n > 0:
            shown = dims(size) if isinstance(size, tuple) else size
            raise fail(at, f"does not fit its input {shown} from layers[{n - 1}]: {err.message}") from None
        top = err.key == "input_size" or (n == 0 and err.key == "in_channels" and top_channels)
        raise fail(err.key if top else f"{at}.{err.key}", err.message) from None
    try:
        check_channels(spec)
        check_arrays(spec_arrays(spec, simulated=False), max_elements)  # before the arrays are made
    except SpecError as err:
        top = n == 0 and (err.key == "input_size" or (err.key == "in_channels" and top_channels))
        raise fail(err.key if top else f"{at}.{err.key}", err.message) from None
    try:
        default = None if spec.is_pool else {"random": {"seed": 1 + n}}
        weight = make_values("weight", entry.get("weight", default), spec)
        bias = make_values("bias", bias_value, spec)
    except SpecError as err:
        raise fail(f"{at}.{err.key}", err.message) from None
    return spec, weight, bias
