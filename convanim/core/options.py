"""RenderOptions: how a figure is drawn and timed (the config's ``render:`` mapping), validated."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from .errors import SpecError
from .limits import DEFAULT_MAX_ELEMENTS, DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS
from .theme import COLOR_KEYS, THEMES, Theme, make_theme


class Style(StrEnum):
    AUTO = "auto"
    STACKED = "stacked"
    FLAT = "flat"
    STRIP = "strip"


class Reveal(StrEnum):
    ALL = "all"
    PROGRESSIVE = "progressive"


class Compare(StrEnum):
    NONE = "none"
    FLIP_KERNEL = "flip_kernel"  # PyTorch's cross-correlation beside the true (flipped-kernel) convolution
    FORWARD = "forward"  # a transposed convolution beside the forward convolution whose shapes it swaps


class View(StrEnum):
    """How a layer is explained: each view is one figure kind."""

    GATHER = "gather"  # each output cell gathers its window (conv_arithmetic's picture)
    SCATTER = "scatter"  # each input cell stamps value × kernel onto the output (transposed convolutions)
    MATRIX = "matrix"  # the layer as a matrix C times the flattened input, one row per frame
    IM2COL = "im2col"  # the patch matrix times the flattened kernel, as GEMM libraries compute it


class Pass(StrEnum):
    """Which way through the layer the figure goes."""

    FORWARD = "forward"  # the layer computing its output
    BACKWARD = "backward"  # the gradient of a loss sent back through it (render.wrt says which one)


class Wrt(StrEnum):
    """The gradient a backward figure draws."""

    INPUT = "input"  # ∂L/∂x: the output gradient sent back over the windows (view: scatter or gather)
    WEIGHT = "weight"  # ∂L/∂w: the correlation of the input with ∂L/∂y, one frame per weight
    BIAS = "bias"  # ∂L/∂b: the sum of ∂L/∂y per output channel


@dataclass(frozen=True, slots=True, kw_only=True)
class StepSelection:
    """Which of a figure's steps are drawn (``render.steps``); each field narrows the one before.

    ``indices``: these steps (a list, or a range ``a..b``); ``rows``: the steps of these output rows;
    ``every``: every k-th step (the last one always kept); ``corners``: the first and last step and one of
    each border case (the windows that reach into the padding differently).
    """

    indices: tuple[int, ...] | None = None
    rows: tuple[int, ...] | None = None
    every: int = 1
    corners: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderOptions:
    """Every ``render:`` key with its default."""

    style: Style = Style.AUTO  # auto: strip for 1-D, flat with numbers, stacked otherwise
    numbers: bool = False  # values in the cells
    caption: bool = False  # the step's equation under the figure
    labels: bool = False  # "input 5×5 · kernel 3×3 · stride 2 · padding 1 → 3×3" above the figure
    reveal: Reveal = Reveal.ALL  # all: whole output shown, current cell marked; progressive: fills in
    fps: float = 1.0  # frames per second (conv_arithmetic: one a second)
    loop: int = 0  # 0: loop forever; n: play n times
    hold_first: float = 0  # the first frame lasts this many frame times longer
    hold_last: float = 0  # the last frame lasts this many frame times longer (a pause before looping)
    steps: StepSelection | None = None  # a few representative steps instead of all of them
    precision: int | None = None  # significant digits of non-integers (None: two decimals); integers exact
    legend: bool = False  # name the roles drawn (input, padding, inserted zeros, ...) under the figure
    transparent: bool = False  # no background: PNG, APNG, WebP and SVG with alpha, GIF's transparent index
    scale: int = 0  # pixels per cell side; 0: the style's default
    theme: Theme = field(default_factory=Theme)
    max_frames: int = DEFAULT_MAX_FRAMES  # refuse larger animations (raise it here)
    compare: Compare = Compare.NONE  # flip_kernel: the kernel as PyTorch applies it beside it flipped
    view: View = View.GATHER  # gather, scatter, matrix or im2col
    overlaps: bool = False  # scatter: shade each output cell by how many stamps have covered it
    max_elements: int = DEFAULT_MAX_ELEMENTS  # refuse larger arrays (input, weight, products of the steps)
    max_pixels: int = DEFAULT_MAX_PIXELS  # refuse larger canvases (pixels x drawing layers)
    pass_: Pass = Pass.FORWARD  # written ``pass`` (a Python keyword): forward, or backward (the gradients)
    wrt: Wrt = Wrt.INPUT  # pass: backward: the gradient drawn, of the input, the weight or the bias

    def resolved_style(self, ndim: int) -> Style:
        if self.style is not Style.AUTO:
            return self.style
        if ndim == 1:
            return Style.STRIP
        return Style.FLAT if self.numbers else Style.STACKED


RENDER_KEYS: tuple[str, ...] = tuple(f.name.rstrip("_") for f in fields(RenderOptions))  # pass_ is written pass


def _bool(key: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise SpecError(key, f"expected true or false, got {v!r}")
    return v


def _int(key: str, v: Any, low: int) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise SpecError(key, f"expected an int >= {low}, got {v!r}")
    return v


def _theme(v: Any) -> Theme:
    if isinstance(v, str):
        if v not in THEMES:
            raise SpecError("render.theme", f"unknown theme {v!r} (use {', '.join(THEMES)} or a mapping)")
        return THEMES[v]
    if not isinstance(v, dict):
        raise SpecError("render.theme", f"expected a theme name or a mapping of colours, got {v!r}")
    colors = dict(v)
    base = colors.pop("base", "conv_arithmetic")
    if not isinstance(base, str) or base not in THEMES:
        raise SpecError("render.theme.base", f"unknown theme {base!r} (use {', '.join(THEMES)})")
    for key in colors:
        if not isinstance(key, str) or key not in COLOR_KEYS:
            raise SpecError(f"render.theme.{key}", f"unknown colour key (use base, {', '.join(COLOR_KEYS)})")
    try:
        return make_theme(base, **colors)
    except ValueError as err:
        raise SpecError(f"render.theme.{str(err).split(':')[0]}", str(err).split(": ", 1)[1]) from None


def _choice(enum: type[StrEnum]) -> Callable[[str, Any], StrEnum]:
    def parse(key: str, v: Any) -> StrEnum:
        try:
            return enum(v)
        except ValueError:
            raise SpecError(key, f"must be one of {', '.join(m.value for m in enum)}, got {v!r}") from None

    return parse


MIN_FPS, MAX_FPS = 0.01, 100  # a frame lasts at most 100 s (GIF delays are 16-bit centiseconds)
MAX_PLAYS = 65535  # GIF, APNG and WebP store the repeat count in 16 bits


def _fps(key: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v) or not (MIN_FPS <= v <= MAX_FPS):
        raise SpecError(key, f"expected a number of frames per second from {MIN_FPS} to {MAX_FPS}, got {v!r}")
    return float(v)


def _loop(key: str, v: Any) -> int:
    if v is True or v is False:
        return 0 if v else 1
    if not isinstance(v, int) or not 0 <= v <= MAX_PLAYS:
        raise SpecError(key, f"expected true (forever), false (once) or a number of plays from 0 (forever) to "
                             f"{MAX_PLAYS}, got {v!r}")
    return v


def _scale(key: str, v: Any) -> int:
    v = _int(key, v, 8)
    if v > 400:
        raise SpecError(key, f"expected at most 400 pixels per cell, got {v}")
    return v


MAX_HOLD = 100  # frame times


def _hold(key: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= MAX_HOLD:
        raise SpecError(key, f"expected a number of extra frame times from 0 to {MAX_HOLD}, got {v!r}")
    return v


def _precision(key: str, v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 15:
        raise SpecError(key, f"expected significant digits from 1 to 15 (or null: two decimals), got {v!r}")
    return v


def _index_list(key: str, v: Any) -> tuple[int, ...]:
    if not isinstance(v, list) or not v or any(isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in v):
        raise SpecError(key, f"expected a list of step numbers (ints >= 0), got {v!r}")
    return tuple(v)


def _range(key: str, v: str) -> tuple[int, ...]:
    parts = v.split("..")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts) or int(parts[0]) > int(parts[1]):
        raise SpecError(key, f"expected all, corners, a range like 0..8, a list, or a mapping of rows / every / "
                             f"corners, got {v!r}")
    a, b = int(parts[0]), int(parts[1])
    if b - a >= 1_000_000:
        raise SpecError(key, f"a range of {b - a + 1:,} steps; draw at most 1,000,000")
    return tuple(range(a, b + 1))


def parse_steps(key: str, v: Any) -> StepSelection | None:
    """``render.steps``: ``all``, ``corners``, a range ``a..b``, a list of steps, or a mapping with ``steps``
    (range or list), ``rows``, ``every`` and ``corners``."""
    if v is None or v == "all":
        return None
    if v == "corners":
        return StepSelection(corners=True)
    if isinstance(v, str):
        return StepSelection(indices=_range(key, v))
    if isinstance(v, list):
        return StepSelection(indices=_index_list(key, v))
    if not isinstance(v, dict):
        raise SpecError(key, f"expected all, corners, a range like 0..8, a list, or a mapping, got {v!r}")
    unknown = [k for k in v if k not in ("steps", "rows", "every", "corners")]
    if unknown:
        raise SpecError(f"{key}.{unknown[0]}", "unknown key (use steps, rows, every, corners)")
    inner = v.get("steps")
    indices = None if inner is None else _range(f"{key}.steps", inner) if isinstance(inner, str) else \
        _index_list(f"{key}.steps", inner)
    rows = None if v.get("rows") is None else _index_list(f"{key}.rows", v["rows"])
    every = _int(f"{key}.every", v.get("every", 1), 1)
    corners = _bool(f"{key}.corners", v.get("corners", False))
    return StepSelection(indices=indices, rows=rows, every=every, corners=corners)


# render key -> its parser (the key as written, ``render.<key>``, and the value) -> the option's value
_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "style": _choice(Style),
    "numbers": _bool,
    "caption": _bool,
    "labels": _bool,
    "reveal": _choice(Reveal),
    "fps": _fps,
    "loop": _loop,
    "hold_first": lambda key, v: _hold(key, v),
    "hold_last": lambda key, v: _hold(key, v),
    "steps": lambda key, v: parse_steps(key, v),
    "precision": lambda key, v: _precision(key, v),
    "legend": _bool,
    "transparent": _bool,
    "scale": _scale,
    "theme": lambda key, v: _theme(v),
    "max_frames": lambda key, v: _int(key, v, 1),
    "compare": _choice(Compare),
    "view": _choice(View),
    "overlaps": _bool,
    "max_elements": lambda key, v: _int(key, v, 1),
    "max_pixels": lambda key, v: _int(key, v, 1),
    "pass": _choice(Pass),
    "wrt": _choice(Wrt),
}


def parse_render(mapping: Any) -> RenderOptions:
    """RenderOptions from the ``render:`` mapping; raises SpecError naming ``render.<key>``."""
    if mapping is None:
        return RenderOptions()
    if not isinstance(mapping, dict):
        raise SpecError("render", f"expected a mapping of render options, got {mapping!r}")
    out: dict[str, Any] = {}
    for key, v in mapping.items():
        parse = _PARSERS.get(key) if isinstance(key, str) else None
        if parse is None:
            raise SpecError(f"render.{key}", f"unknown render option{_suggest(key, RENDER_KEYS)}")
        out["pass_" if key == "pass" else key] = parse(f"render.{key}", v)
    options = RenderOptions(**out)
    if options.overlaps and options.view is not View.SCATTER:
        raise SpecError("render.overlaps", f"shades the stamps of view: scatter; this figure's view is "
                                           f"{options.view.value}")
    if "wrt" in out and options.pass_ is not Pass.BACKWARD:
        raise SpecError("render.wrt", "names the gradient of pass: backward; add pass: backward")
    return options


def _suggest(key: str, choices: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(str(key), choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(choices)})"
