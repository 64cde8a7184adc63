"""Config: a layer (or a stack of layers), its data and how to draw it; and errors that point at a key's line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.elementwise import ElementwiseSpec
from ..core.errors import ConfigError, SpecError
from ..core.limits import MAX_NAME_BYTES
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
    # A ``layers:`` config: every layer in turn, element-wise steps included (spec, weight and bias are the
    # first convolution or pooling layer's); () for one layer.
    layers: tuple[ConvSpec | ElementwiseSpec, ...] = ()
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


def check_name(name: object, from_file: bool = False) -> str:
    """``name`` if it can name output files everywhere; SpecError("name", ...) otherwise.

    A name is a non-empty string of valid Unicode without control characters; ``/`` makes subfolders, and
    every part is at most ``MAX_NAME_BYTES`` bytes of UTF-8 (the temporary file beside an output adds its
    own bytes to the 255 a file system allows).
    """
    where = " (taken from the file name; give the config a name: key)" if from_file else ""
    if not isinstance(name, str) or not name.strip():
        raise SpecError("name", f"expected a non-empty string, got {name!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise SpecError("name", f"is not valid Unicode text, got {name!r}{where}") from None
    control = next((c for c in name if ord(c) < 32 or ord(c) == 127), None)
    if control is not None:
        raise SpecError("name", f"must not contain control characters, got {control!r} in {name!r}{where}")
    for part in name.split("/"):
        size = len(part.encode("utf-8"))
        if size > MAX_NAME_BYTES:
            raise SpecError("name", f"{size} bytes in one file name, over convanim's limit of {MAX_NAME_BYTES} "
                                    f"(the temporary file beside it needs the rest of the 255 bytes a file "
                                    f"system allows){where}")
    return name


def name_and_title(data: dict[str, Any], default_name: str,
                   fail: Callable[[str | None, str], ConfigError]) -> tuple[str, str]:
    """The config's ``name`` and ``title`` (checked), and that it has an ``input_size``."""
    if "input_size" not in data:
        raise fail("input_size", "required (an int, or a list of 1 or 2 ints)")
    name = data.get("name", default_name)
    try:
        check_name(name, from_file="name" not in data)
    except SpecError as err:
        raise fail(err.key, err.message) from None
    title = data.get("title", name.replace("_", " "))
    if not isinstance(title, str):
        raise fail("title", f"expected a string, got {title!r}")
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        raise fail("title", f"is not valid Unicode text, got {title!r}") from None
    return name, title
