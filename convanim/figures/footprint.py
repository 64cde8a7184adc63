"""Estimates of what a figure will allocate, from the spec and render options alone (nothing simulated or drawn).

The figure registry checks these against the limits of ``core.limits`` before a kind's ``scene`` runs, so a
config that would need gigabytes is refused in microseconds. The canvas estimates follow each layout's own
arithmetic (cell size, shear, gaps) closely: ``tests/test_limits.py`` holds every one within a factor of
two of the scene really built, for every config in ``configs/`` and for random specs.
"""

from __future__ import annotations

import math

import numpy as np

from ..config.model import Config
from ..core.limits import Footprint, drawn_size, spec_arrays
from ..core.options import RenderOptions, Style
from ..core.spec import ConvSpec
from ..core.text import text_width
from .geometry import DEFAULT_SCALE, shape2
from .multichannel import shown_channels
from .values import MAX_CAPTION_TERMS, format_value

LABEL_EMS = 14  # a plane label ("out 3 · g1", "2: kernel 3×3 · stride 2 → 5×5") is about this many ems wide


def longest_number(config: Config) -> int:
    """The characters of the longest number a cell can show, from the input's range and the largest output
    (bounded by the weights' sums); what sets a numbers figure's default cell size."""
    x, w = config.input, config.weight
    if not x.size:
        return 1
    xmax = float(np.abs(x).max())
    mag, negative = xmax, float(x.min()) < 0
    fraction = not np.all(x == np.round(x)) or config.spec.op.value == "avg_pool"
    if w is not None and w.size:
        aw = np.abs(w)
        mag = max(mag, xmax * float(aw.reshape(aw.shape[0], -1).sum(axis=1).max()), float(aw.max()))
        negative = negative or float(w.min()) < 0
        fraction = fraction or not np.all(w == np.round(w))
    if mag >= 1e12:
        return len(format_value(-mag))
    return len(str(int(mag))) + (2 if fraction else 0) + (1 if negative else 0)  # "0.9", "−1.5": one decimal typical


def cell_size(config: Config, style: Style) -> float:
    """The cell side a single-layer figure uses: the scale option, or the style's default (wider for long
    numbers in flat and strip figures)."""
    if config.render.scale:
        return float(config.render.scale)
    default = DEFAULT_SCALE[style]
    if style is not Style.STACKED:
        default = max(default, 12 * longest_number(config))
    return float(default)


def sheared(rows: int, cols: int, s: float, flat: bool = False) -> tuple[float, float]:
    """Width and height of a sheared plane of ``rows`` x ``cols`` cells (geometry.shear's axes)."""
    if flat:
        return (cols + 0.75 * rows) * s, (0.3 * cols + 0.36 * rows) * s
    return (cols + 0.7 * rows) * s, (0.5 * cols + 0.65 * rows) * s


def thickness(rows: int, cols: int, s: float, flat: bool = False) -> float:
    """The tallest vertical chord of a sheared plane: how far the plane above it is lifted."""
    det, vx = (0.585, 0.75) if flat else (1.0, 0.7)
    return det * rows * cols * s / max(cols, vx * rows)


def layer_canvas(spec: ConvSpec, options: RenderOptions, s: float) -> tuple[int, int]:
    """The canvas of one layer's figure (stacked, flat or strip) with ``s``-pixel cells."""
    style = options.resolved_style(spec.ndim)
    h, w = shape2(drawn_size(spec))
    ho, wo = shape2(spec.output_size)
    label = 0.8 * s if options.labels else 0.0
    caption = 0.9 * s if options.caption else 0.0
    if style is Style.STACKED:
        (xi, yi), (xo, yo) = sheared(h, w, s), sheared(ho, wo, s)
        return round(max(xi, xo) + 0.8 * s), round(yi + yo + 0.5 * s + label)
    if style is Style.FLAT:
        return round((w + wo + 2.5) * s), round((max(h, ho) + 1) * s + label + caption)
    # a strip: its rows drawn apart enough for their names, which grow with a long strip (fit.word_size)
    size = max(0.42 * s, 12.0, min(w * s, 2400) / 64)
    name = max(0.36 * s, 0.85 * size)
    pitch = max(1.4 * s, 1.3 * name)
    caption = 1.9 * size if options.caption else 0.0
    return round((w + 3.5) * s), round(2 * pitch + 2 * s + label + caption)


def caption_width(config: Config, s: float) -> float:
    """About how wide the widest step caption is: its terms written with numbers of the longest width (the
    caption elides terms past ``values.MAX_CAPTION_TERMS``)."""
    x, w = "8" * longest_value(config.input), "8" * longest_value(config.weight)
    taps = math.prod(config.spec.kernel_size)
    shown = taps if taps <= MAX_CAPTION_TERMS else 6
    term = {"conv": f"{x}·({w})", "lp_pool": f"({x})²"}.get(config.spec.op.value, x)
    body = "(" + " + ".join([term] * shown) + ")^(1/2)"
    where = ",".join("88" for _ in config.spec.output_size)
    return text_width(f"y[{where}] = {body} = {'8' * longest_number(config)}", 0.42 * s, "serif") + s


def longest_value(values: np.ndarray | None) -> int:
    """The characters of the longest of ``values`` as a cell shows it (from its extremes: no pass over every
    value's text)."""
    if values is None or not values.size:
        return 1
    lo, hi = float(values.min()), float(values.max())
    whole = np.all(values == np.round(values)) if values.size <= 1_000_000 else False
    digits = max(len(str(int(abs(v)))) for v in (lo, hi)) if max(abs(lo), abs(hi)) < 1e12 else 8
    return digits + (0 if whole else 2) + (1 if lo < 0 else 0)


def layer_footprint(config: Config, frames: int) -> Footprint:
    """The footprint of a figure of one simulated layer (``config.spec``) drawn as a single-layer figure:
    the default of ``FigureKind.footprint``."""
    spec = config.spec
    style = config.render.resolved_style(spec.ndim)
    s = cell_size(config, style)
    canvas = layer_canvas(spec, config.render, s)
    if config.render.caption and style is not Style.STACKED:  # captions are elided to the figure's width
        room = max(canvas[0], 18 * max(0.42 * s, 12.0) + s)
        canvas = (max(canvas[0], round(min(caption_width(config, s), room))), canvas[1])
    return Footprint(frames=frames, arrays=tuple(spec_arrays(spec)), canvas=canvas, layers=2,
                     canvas_key=canvas_key(spec))


def canvas_key(spec: ConvSpec) -> str:
    """The key to name for a canvas too large: what makes the drawn grid big."""
    size = math.prod(spec.input_size)
    drawn = math.prod(drawn_size(spec))
    if drawn > 4 * size:
        return "stride" if spec.transposed and max(spec.stride) > 1 else "padding"
    if math.prod(spec.kernel_size) > size:
        return "kernel_size"
    return "input_size"


def channel_scale(options: RenderOptions, style: Style, planes: int) -> float:
    """The cell side of a multi-channel figure (multichannel.ChannelFigure's rule)."""
    default = DEFAULT_SCALE[style]
    return float(options.scale or (default if planes <= 3 else round(default * (0.8 if planes <= 5 else 0.65))))


def channels_canvas(spec: ConvSpec, options: RenderOptions) -> tuple[int, int]:
    """The canvas of a multi-channel figure: one plane (or row) per channel drawn, at most 8 each way."""
    style = options.resolved_style(spec.ndim)
    ins, outs = shown_channels(spec.in_channels), shown_channels(spec.out_channels)
    n_in, n_out = sum(c is not None for c in ins), sum(c is not None for c in outs)
    dots = (len(ins) - n_in) + (len(outs) - n_out)
    s = channel_scale(options, style, max(len(ins), len(outs)))
    h, w = shape2(drawn_size(spec))
    ho, wo = shape2(spec.output_size)
    label = 0.9 * s if options.labels else 0.0
    if style is Style.STACKED:
        (xi, yi), (xo, yo) = sheared(h, w, s, flat=True), sheared(ho, wo, s, flat=True)
        pitch_in, pitch_out = thickness(h, w, s, True) + 0.45 * s, thickness(ho, wo, s, True) + 0.45 * s
        height = (n_in - 1) * pitch_in + (n_out - 1) * pitch_out + yi + yo + 1.4 * s + dots * 0.9 * s + s + label
        return round(max(xi, xo) + LABEL_EMS / 3 * s + s), round(height)
    if style is Style.FLAT:
        area = (n_in * (w + 0.6) * (h + 2.2) + n_out * (wo + 0.6) * (ho + 1.4) + dots * 1.5 * h) * s * s
        width = max(math.sqrt(area * 1.5), (w + wo + 2) * s) + s
        return round(width), round(area / width + 2.5 * s + label)
    height = (n_in * 2.7 + n_out * 1.35 + dots * 1.2 + 0.6) * s + s + label + (0.9 * s if options.numbers else 0)
    return round((w + 2.5) * s + LABEL_EMS / 5 * s + (2.3 * s if options.numbers else 0)), round(height)
