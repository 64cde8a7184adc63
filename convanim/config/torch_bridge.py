"""from_torch(): a PyTorch conv / pool module (or an nn.Sequential of them) as a convanim Config; torch loads here only.

    >>> import torch.nn as nn
    >>> from convanim import from_torch, to_yaml
    >>> config = from_torch(nn.Conv2d(3, 2, 3, stride=2), 8, weights=True)
    >>> print(to_yaml(config))            # a config file for ``convanim render``

Supported: ``nn.Conv1d/2d/3d``, ``nn.ConvTranspose1d/2d/3d``, ``nn.MaxPool*d``, ``nn.AvgPool*d``, ``nn.LPPool*d``,
``nn.AdaptiveAvgPool*d``, ``nn.AdaptiveMaxPool*d``, and an ``nn.Sequential`` of them (nested Sequentials are
flattened), which becomes a ``layers:`` config. In a Sequential, a padding module (``nn.ZeroPad*d``,
``nn.ConstantPad*d``, ``nn.ReflectionPad*d``, ``nn.ReplicationPad*d``, ``nn.CircularPad*d``) is folded into the
convolution after it (padding per side, its mode), and the element-wise modules between layers (``nn.ReLU``,
``nn.BatchNorm2d`` in eval mode, ``nn.Dropout``, ``nn.Flatten`` at the end, ...) become element-wise steps.
An unsupported module is named by its path (``module[2][0]``) in a one-line error.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ConvanimError
from .load import config_from_mapping
from .model import Config

SUPPORTED = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d",
             "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
             "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d",
             "LPPool3d")
PADS = {f"{kind}{n}d": mode for n in (1, 2, 3) for kind, mode in
        (("ZeroPad", "zeros"), ("ConstantPad", "zeros"), ("ReflectionPad", "reflect"),
         ("ReplicationPad", "replicate"), ("CircularPad", "circular"))}
ELEMENTWISE = {"ReLU": "relu", "ReLU6": "relu6", "LeakyReLU": "leaky_relu", "ELU": "elu", "GELU": "gelu",
               "SiLU": "silu", "Hardswish": "hardswish", "Hardsigmoid": "hardsigmoid", "Sigmoid": "sigmoid",
               "Tanh": "tanh", "BatchNorm1d": "batch_norm", "BatchNorm2d": "batch_norm", "BatchNorm3d": "batch_norm",
               "Dropout": "dropout", "Dropout1d": "dropout", "Dropout2d": "dropout", "Dropout3d": "dropout",
               "AlphaDropout": "dropout", "FeatureAlphaDropout": "dropout", "Identity": "identity",
               "Flatten": "flatten"}
WHAT_IS_SUPPORTED = ("convanim draws nn.Conv*d, nn.ConvTranspose*d, nn.MaxPool*d, nn.AvgPool*d, nn.LPPool*d, "
                     "nn.AdaptiveAvgPool*d and nn.AdaptiveMaxPool*d, in an nn.Sequential with a padding module "
                     "(nn.ZeroPad*d, ...) before a convolution and element-wise modules between layers (nn.ReLU, "
                     "nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, "
                     "nn.Tanh, nn.BatchNorm*d, nn.Dropout*, nn.Identity; nn.Flatten last)")
_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "output_padding": 0, "groups": 1, "padding_mode": "zeros",
             "ceil_mode": False, "count_include_pad": True}


class TorchBridgeError(ConvanimError, ValueError):
    """A module convanim cannot draw; the message names the layer and the attribute."""


def _ndim(module: Any) -> int | None:
    """The spatial dimensions a module works on (None: any, as an activation)."""
    name = type(module).__name__
    return int(name[-2]) if name[-2:] in ("1d", "2d", "3d") and not name.startswith("Dropout") else None


def _size(value: Any, nd: int) -> int | list[int]:
    """A torch size argument as a config value: one int when every axis agrees."""
    values = list(value) if isinstance(value, (tuple, list)) else [value] * nd
    values = [int(v) for v in values]
    return values[0] if len(set(values)) == 1 else values


def _array(tensor: Any) -> Any:
    return tensor.detach().to(dtype=__import__("torch").float64).cpu().numpy().tolist()


def _conv_mapping(module: Any, nd: int, weights: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"in_channels": int(module.in_channels), "out_channels": int(module.out_channels),
                           "kernel_size": _size(module.kernel_size, nd), "stride": _size(module.stride, nd),
                           "padding": module.padding if isinstance(module.padding, str) else _size(module.padding, nd),
                           "dilation": _size(module.dilation, nd)}
    if type(module).__name__.startswith("ConvTranspose"):
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
    return out


def _pool_mapping(module: Any, nd: int, where: str) -> dict[str, Any]:
    name = type(module).__name__
    if name.startswith("Adaptive"):
        if getattr(module, "return_indices", False):
            raise TorchBridgeError(f"{where}: return_indices=True returns a tuple; convanim draws the values only "
                                   f"(build the module without it)")
        size = module.output_size
        size = list(size) if isinstance(size, (tuple, list)) else [size] * nd
        return {"op": "adaptive_max_pool" if "Max" in name else "adaptive_avg_pool",
                "output_size": _size(size, nd) if None not in size else size}
    if name.startswith("LPPool"):
        out: dict[str, Any] = {
            "op": "lp_pool", "norm_type": float(module.norm_type), "kernel_size": _size(module.kernel_size, nd),
            "stride": _size(module.stride if module.stride is not None else module.kernel_size, nd),
            "ceil_mode": bool(module.ceil_mode)}
        if out["stride"] == out["kernel_size"]:
            del out["stride"]
        return out
    out = {"op": "max_pool" if name.startswith("Max") else "avg_pool",
           "kernel_size": _size(module.kernel_size, nd),
           "stride": _size(module.stride if module.stride is not None else module.kernel_size, nd),
           "padding": _size(module.padding, nd), "ceil_mode": bool(module.ceil_mode)}
    if out["op"] == "max_pool":
        out["dilation"] = _size(module.dilation, nd)
        if getattr(module, "return_indices", False):
            raise TorchBridgeError(f"{where}: return_indices=True returns a tuple; convanim draws the values "
                                   f"only (build the module without it)")
    else:
        out["count_include_pad"] = bool(module.count_include_pad)
        if getattr(module, "divisor_override", None) is not None:
            out["divisor_override"] = int(module.divisor_override)
    if out["stride"] == out["kernel_size"]:
        del out["stride"]  # pooling's default stride is the kernel size
    return out


def layer_mapping(module: Any, *, weights: bool = False, where: str = "module") -> dict[str, Any]:
    """The config keys (except input_size and in_channels for pooling) of one supported module."""
    name = type(module).__name__
    if name in ELEMENTWISE:
        return elementwise_mapping(module, weights=weights, where=where)
    if name not in SUPPORTED:
        raise TorchBridgeError(f"{where}: nn.{name} is not supported; {WHAT_IS_SUPPORTED}")
    nd = _ndim(module) or 2
    out = _conv_mapping(module, nd, weights) if name.startswith("Conv") else _pool_mapping(module, nd, where)
    keep = {"stride"} if "op" in out else set()  # a pooling stride's default is the kernel size, not 1
    return {k: v for k, v in out.items() if k in keep or not (k in _DEFAULTS and v == _DEFAULTS[k])}


def elementwise_mapping(module: Any, *, weights: bool = False, where: str = "module") -> dict[str, Any]:
    """The ``layers:`` entry of an element-wise module (``{op: relu}``); batch norm in eval mode, its running
    statistics and affine values copied with ``weights``."""
    name = type(module).__name__
    op = ELEMENTWISE[name]
    out: dict[str, Any] = {"op": op}
    if op == "leaky_relu" and module.negative_slope != 0.01:
        out["negative_slope"] = float(module.negative_slope)
    elif op == "elu" and module.alpha != 1.0:
        out["alpha"] = float(module.alpha)
    elif op == "gelu" and module.approximate != "none":
        out["approximate"] = str(module.approximate)
    elif op == "dropout":
        out["p"] = float(module.p)
    elif op == "flatten" and (module.start_dim, module.end_dim) != (1, -1):
        raise TorchBridgeError(f"{where}: nn.Flatten(start_dim={module.start_dim}, end_dim={module.end_dim}); "
                               f"convanim flattens every axis but the batch (start_dim=1, end_dim=-1)")
    elif op == "batch_norm":
        if module.running_mean is None:
            raise TorchBridgeError(f"{where}: nn.{name}(track_running_stats=False) normalises with each batch's "
                                   f"statistics; convanim draws eval mode, which needs running statistics")
        if module.eps != 1e-5:
            out["eps"] = float(module.eps)
        if weights:
            out["running_mean"] = _array(module.running_mean)
            out["running_var"] = _array(module.running_var)
            if module.weight is not None:
                out["weight"] = _array(module.weight)
                out["bias"] = _array(module.bias)
    return out


def pad_mapping(pad: Any, conv: dict[str, Any], nd: int, where: str) -> dict[str, Any]:
    """A convolution's mapping with the padding module before it folded in: per-side padding, its mode."""
    name = type(pad).__name__
    sides = [int(v) for v in pad.padding]  # F.pad's order: the last axis first, (before, after) each
    pairs = [[sides[2 * (nd - 1 - n)], sides[2 * (nd - 1 - n) + 1]] for n in range(nd)]
    mode, value = PADS[name], float(getattr(pad, "value", 0.0))
    if conv.get("transposed"):
        raise TorchBridgeError(f"{where}: nn.{name} before a transposed convolution cannot be folded into it "
                               f"(its padding crops the output); {WHAT_IS_SUPPORTED}")
    own = conv.get("padding", 0)
    if own != 0:
        if mode != "zeros" or value != 0 or conv.get("padding_mode", "zeros") != "zeros" or own == "same":
            raise TorchBridgeError(f"{where}: nn.{name} and the convolution's own padding={own!r} are two paddings "
                                   f"that one layer cannot hold; pad in one place")
        own = [own] * nd if isinstance(own, int) else own
        pairs = [[b + p, a + p] for (b, a), p in zip(pairs, own)]
    out = {**conv, "padding": pairs}
    out.pop("padding_mode", None)
    if mode != "zeros":
        out["padding_mode"] = mode
    if value != 0:
        out["padding_value"] = value
    return out


def _flatten(module: Any, path: str = "module") -> list[tuple[str, Any]]:
    """The modules of a (nested) Sequential in order, each with its path (``module[2][0]``)."""
    if type(module).__name__ != "Sequential":
        return [(path, module)]
    out = []
    for key, child in module.named_children():
        out += _flatten(child, f"{path}[{key}]" if key.isdigit() else f"{path}.{key}")
    return out


def stack_mappings(layers: list[tuple[str, Any]], weights: bool) -> tuple[list[dict[str, Any]], int]:
    """The ``layers:`` entries of a Sequential's modules (padding modules folded into the convolution after
    them), and the spatial dimensions they share."""
    nd = next((d for _, m in layers if (d := _ndim(m)) is not None), 2)
    maps: list[dict[str, Any]] = []
    pending: tuple[str, Any] | None = None
    for n, (path, m) in enumerate(layers):
        name = type(m).__name__
        if _ndim(m) not in (None, nd):
            raise TorchBridgeError(f"{path}: nn.{name} is {_ndim(m)}-D but {layers[0][0]} is {nd}-D")
        if pending is not None and not (name.startswith("Conv") and name in SUPPORTED):
            raise TorchBridgeError(f"{pending[0]}: nn.{type(pending[1]).__name__} is folded into the convolution "
                                   f"after it, but {path} is nn.{name}")
        if name in PADS:
            pending = (path, m)
            continue
        if name == "Flatten" and n != len(layers) - 1:
            raise TorchBridgeError(f"{path}: nn.Flatten goes last (after it the values have no spatial layout)")
        entry = layer_mapping(m, weights=weights, where=path)
        if pending is not None:
            entry = pad_mapping(pending[1], entry, nd, pending[0])
            pending = None
        maps.append(entry)
    if pending is not None:
        raise TorchBridgeError(f"{pending[0]}: nn.{type(pending[1]).__name__} ends the Sequential; convanim folds "
                               f"a padding module into the convolution after it")
    return maps, nd


def from_torch(module: Any, input_size: int | tuple[int, ...] | list[int], weights: bool = False, *,
               in_channels: int | None = None, name: str | None = None, render: dict[str, Any] | None = None) -> Config:
    """The Config of a PyTorch layer (or an ``nn.Sequential`` of layers: a ``layers:`` config).

    ``input_size``: the spatial size (an int: the same along every axis of the module). ``weights``: copy
    the module's weights and bias, and batch norm's running statistics and affine values (otherwise
    convanim's seeded random integers, and batch norm's initial values). ``in_channels``: the input channels
    when the first layer does not know them (pooling, an element-wise step; default 1). ``render``: a
    ``render:`` mapping. ``to_yaml(config)`` writes the config file. Batch norm and dropout are taken in eval
    mode, as ``module.eval()`` computes them.
    """
    sequential = type(module).__name__ == "Sequential"
    layers = _flatten(module)
    if not layers:
        raise TorchBridgeError("module: an empty nn.Sequential has no layer to draw")
    if not sequential and type(module).__name__ in ELEMENTWISE:
        raise TorchBridgeError(f"module: nn.{type(module).__name__} is an element-wise step; give it in an "
                               f"nn.Sequential after a convolution or pooling layer")
    maps, nd = stack_mappings(layers, weights)
    if not any(m.get("op") not in ELEMENTWISE.values() for m in maps):
        raise TorchBridgeError(f"module: no convolution or pooling layer to draw; {WHAT_IS_SUPPORTED}")
    if isinstance(input_size, int):
        size: list[int] = [input_size] * nd
    else:
        size = [int(v) for v in input_size]
        if len(size) != nd:
            raise TorchBridgeError(f"input_size: nn.{type(layers[0][1]).__name__} takes {nd} spatial size"
                                   f"{'s' if nd > 1 else ''}, got {size}")
    known = next((m["in_channels"] for m in maps if "in_channels" in m), None)
    channels = known if known is not None else (in_channels if in_channels is not None else 1)
    mapping: dict[str, Any] = {"name": name or _default_name(layers, module)}
    mapping["title"] = _title(layers, module)
    mapping["input_size"] = size
    if not sequential:
        mapping.update(maps[0])
        if "in_channels" not in maps[0] and channels != 1:
            mapping["in_channels"] = channels
    else:
        if channels != 1:
            mapping["in_channels"] = channels
        mapping["layers"] = maps
    if render:
        mapping["render"] = dict(render)
    return config_from_mapping(mapping, source="<torch>", default_name=mapping["name"])


def _default_name(layers: list[tuple[str, Any]], module: Any) -> str:
    if type(module).__name__ == "Sequential":
        return "sequential_" + "_".join(type(m).__name__.lower() for _, m in layers)[:60]
    return type(module).__name__.lower()


MAX_TITLE = 80


def _short(m: Any) -> str:
    """A module in a few characters: ``Conv2d(3→8, 3×3, s2)``, ``MaxPool2d(2)``, ``ReLU``."""
    name = type(m).__name__

    def size(v: Any) -> str:
        v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        return str(v[0]) if len(set(v)) == 1 else "×".join(map(str, v))

    if hasattr(m, "in_channels") and hasattr(m, "kernel_size"):
        k = m.kernel_size if isinstance(m.kernel_size, tuple) else (m.kernel_size,)
        stride = size(m.stride)
        return (f"{name}({m.in_channels}→{m.out_channels}, {'×'.join(map(str, k))}"
                + ("" if stride == "1" else f", s{stride}") + ")")
    if hasattr(m, "kernel_size"):
        return f"{name}({size(m.kernel_size)})"
    if hasattr(m, "output_size"):
        return f"{name}({size(m.output_size)})"
    return name


def _title(layers: list[tuple[str, Any]], module: Any) -> str:
    """The layers in order, short (``Conv2d(3→8, 3×3) → ReLU → MaxPool2d(2)``); a long stack keeps its first and
    last layers and says how many there are."""
    names = [_short(m) for _, m in layers]
    text = " → ".join(names)
    if len(text) <= MAX_TITLE or len(names) <= 2:
        return text
    head, tail = names[:2], names[-1]
    return f"{' → '.join(head)} → … → {tail} ({len(names)} layers)"


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
