"""Config: a layer (or a stack of layers), its data and how to draw it; and errors that point at a key's line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..core.options import RenderOptions
from ..core.spec import ConvSpec

if TYPE_CHECKING:
    from .grads import Learn


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """A layer, its data and how to draw it."""

    name: str
    title: str
    spec: ConvSpec
    input: np.ndarray
    weight: np.ndarray | None
    bias: np.ndarray | None
    render: RenderOptions = field(default_factory=RenderOptions)
    source: str = "<config>"  # the file it came from, for messages
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    # A ``layers:`` config: every layer in turn (spec, weight, bias is the first); () for one layer.
    layers: tuple[ConvSpec, ...] = ()
    layer_weights: tuple[np.ndarray | None, ...] = field(default=(), repr=False, compare=False)
    layer_biases: tuple[np.ndarray | None, ...] = field(default=(), repr=False, compare=False)
    # The backward pass (render: {pass: backward}): the gradient arriving at the output, (C_out, *output_size).
    grad_output: np.ndarray | None = field(default=None, repr=False, compare=False)
    learn: Learn | None = None  # learn: gradient descent towards a target output

    def error(self, key: str | None, message: str) -> ConfigError:
        """A ConfigError about ``key`` of this config, pointing at its line."""
        return failer(self.source, self.lines)(key, message)


def line_of(key: str, lines: dict[str, int]) -> int | None:
    while key:
        if key in lines:
            return lines[key]
        key = key.rpartition(".")[0]
    return None


def failer(source: str, lines: dict[str, int]) -> Callable[[str | None, str], ConfigError]:
    """A function making ConfigErrors about ``key`` that point at its line in ``source``."""

    def fail(key: str | None, message: str) -> ConfigError:
        return ConfigError(source, line_of(key or "", lines) or (1 if lines else None), key, message)

    return fail


def name_and_title(data: dict[str, Any], default_name: str,
                   fail: Callable[[str | None, str], ConfigError]) -> tuple[str, str]:
    """The config's ``name`` and ``title`` (checked), and that it has an ``input_size``."""
    if "input_size" not in data:
        raise fail("input_size", "required (an int, or a list of 1 or 2 ints)")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise fail("name", f"expected a non-empty string, got {name!r}")
    title = data.get("title", name.replace("_", " "))
    if not isinstance(title, str):
        raise fail("title", f"expected a string, got {title!r}")
    return name, title
