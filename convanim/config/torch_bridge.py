"""from_torch(): a PyTorch conv / pool module (or an nn.Sequential of them) as a convanim Config; torch loads here only.

    >>> import torch.nn as nn
    >>> from convanim import from_torch, to_yaml
    >>> config = from_torch(nn.Conv2d(3, 2, 3, stride=2), 8, weights=True)
    >>> print(to_yaml(config))            # a config file for ``convanim render``

Supported: ``nn.Conv1d/2d``, ``nn.ConvTranspose1d/2d``, ``nn.MaxPool1d/2d``, ``nn.AvgPool1d/2d`` and an
``nn.Sequential`` of them (nested Sequentials are flattened), which becomes a ``layers:`` config.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ConvanimError
from .load import config_from_mapping
from .model import Config

SUPPORTED = ("Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
             "AvgPool2d")
_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "output_padding": 0, "groups": 1, "padding_mode": "zeros",
             "ceil_mode": False, "count_include_pad": True}


class TorchBridgeError(ConvanimError, ValueError):
    """A module convanim cannot draw; the message names the layer and the attribute."""


def _ndim(module: Any) -> int:
    return 1 if type(module).__name__.endswith("1d") else 2


def _size(value: Any, nd: int) -> int | list[int]:
    """A torch size argument as a config value: one int when every axis agrees."""
    values = list(value) if isinstance(value, (tuple, list)) else [value] * nd
    values = [int(v) for v in values]
    return values[0] if len(set(values)) == 1 else values


def _array(tensor: Any) -> Any:
    return tensor.detach().to(dtype=__import__("torch").float64).cpu().numpy().tolist()


def layer_mapping(module: Any, *, weights: bool = False, where: str = "module") -> dict[str, Any]:
    """The config keys (except input_size and in_channels for pooling) of one supported module."""
    name = type(module).__name__
    if name not in SUPPORTED:
        raise TorchBridgeError(f"{where}: nn.{name} is not a convolution or pooling layer "
                               f"(convanim draws nn.{', nn.'.join(SUPPORTED)})")
    nd = _ndim(module)
    out: dict[str, Any] = {}
    if name.startswith("Conv"):
        out["in_channels"] = int(module.in_channels)
        out["out_channels"] = int(module.out_channels)
        out["kernel_size"] = _size(module.kernel_size, nd)
        out["stride"] = _size(module.stride, nd)
        out["padding"] = module.padding if isinstance(module.padding, str) else _size(module.padding, nd)
        out["dilation"] = _size(module.dilation, nd)
        if name.startswith("ConvTranspose"):
            out["transposed"] = True
            out["output_padding"] = _size(module.output_padding, nd)
        out["groups"] = int(module.groups)
        out["padding_mode"] = str(module.padding_mode)
        has_bias = module.bias is not None
        if weights:
            out["weight"] = _array(module.weight)
            if has_bias:
                out["bias"] = _array(module.bias)
        elif has_bias:
            out["bias"] = True
    else:
        out["op"] = "max_pool" if name.startswith("Max") else "avg_pool"
        out["kernel_size"] = _size(module.kernel_size, nd)
        out["stride"] = _size(module.stride if module.stride is not None else module.kernel_size, nd)
        out["padding"] = _size(module.padding, nd)
        out["ceil_mode"] = bool(module.ceil_mode)
        if out["op"] == "max_pool":
            out["dilation"] = _size(module.dilation, nd)
            if getattr(module, "return_indices", False):
                raise TorchBridgeError(f"{where}: return_indices=True returns a tuple; convanim draws the values "
                                       f"only (build the module without it)")
        else:
            out["count_include_pad"] = bool(module.count_include_pad)
            if getattr(module, "divisor_override", None) is not None:
                raise TorchBridgeError(f"{where}: divisor_override={module.divisor_override} is not supported")
        if out["stride"] == out["kernel_size"]:
            del out["stride"]  # pooling's default stride is the kernel size
    keep = {"stride"} if "op" in out else set()  # a pooling stride's default is the kernel size, not 1
    return {k: v for k, v in out.items() if k in keep or not (k in _DEFAULTS and v == _DEFAULTS[k])}


def _flatten(module: Any) -> list[Any]:
    if type(module).__name__ == "Sequential":
        return [m for child in module for m in _flatten(child)]
    return [module]


def from_torch(module: Any, input_size: int | tuple[int, ...] | list[int], weights: bool = False, *,
               in_channels: int | None = None, name: str | None = None, render: dict[str, Any] | None = None) -> Config:
    """The Config of a PyTorch layer (or an ``nn.Sequential`` of layers: a ``layers:`` config).

    ``input_size``: the spatial size (an int: the same along every axis of the module). ``weights``: copy
    the module's weights and bias (otherwise convanim's seeded random integers). ``in_channels``: the input
    channels when the first layer is a pooling layer (which does not know them; default 1). ``render``: a
    ``render:`` mapping. ``to_yaml(config)`` writes the config file.
    """
    layers = _flatten(module)
    if not layers:
        raise TorchBridgeError("module: an empty nn.Sequential has no layer to draw")
    maps = [layer_mapping(m, weights=weights, where=f"layers[{n}]" if len(layers) > 1 or layers[0] is not module
                          else "module") for n, m in enumerate(layers)]
    nd = _ndim(layers[0])
    for n, m in enumerate(layers):
        if _ndim(m) != nd:
            raise TorchBridgeError(f"layers[{n}]: nn.{type(m).__name__} is {_ndim(m)}-D but layers[0] is {nd}-D")
    if isinstance(input_size, int):
        size: list[int] = [input_size] * nd
    else:
        size = [int(v) for v in input_size]
        if len(size) != nd:
            raise TorchBridgeError(f"input_size: nn.{type(layers[0]).__name__} takes {nd} spatial size"
                                   f"{'s' if nd > 1 else ''}, got {size}")
    first = maps[0]
    channels = first.get("in_channels", in_channels if in_channels is not None else 1)
    mapping: dict[str, Any] = {"name": name or _default_name(layers, module)}
    mapping["title"] = _title(layers, module)
    mapping["input_size"] = size
    if len(layers) == 1 and type(module).__name__ != "Sequential":
        mapping.update(first)
        if "in_channels" not in first and channels != 1:
            mapping["in_channels"] = channels
    else:
        if channels != 1:
            mapping["in_channels"] = channels
        mapping["layers"] = maps
    if render:
        mapping["render"] = dict(render)
    return config_from_mapping(mapping, source="<torch>", default_name=mapping["name"])


def _default_name(layers: list[Any], module: Any) -> str:
    if type(module).__name__ == "Sequential":
        return "sequential_" + "_".join(type(m).__name__.lower() for m in layers)[:60]
    return type(module).__name__.lower()


def _title(layers: list[Any], module: Any) -> str:
    text = " → ".join(repr(m) for m in layers)
    return text if len(text) <= 160 else f"nn.Sequential of {len(layers)} layers"


def module_from_expression(expression: str, *, seed: int = 0) -> Any:
    """The module an expression such as ``nn.Conv2d(3, 2, 3, stride=2)`` describes: parsed into an allow-listed
    tree of ``nn.X(...)`` calls and literals and built (``torch_expression``), never evaluated as Python.

    The module's initial weights come from ``torch.manual_seed(seed)`` inside a forked RNG, so the global
    random state is left alone and the same expression always gives the same weights.
    """
    from .torch_expression import ExpressionError
    from .torch_expression import module_from_expression as build

    try:
        return build(expression, seed=seed)
    except ExpressionError as err:
        raise TorchBridgeError(str(err)) from None
