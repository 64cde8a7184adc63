"""The 3-D figure kind (``input_size: [d, h, w]``): stacked sheets or flat numbered slices (see volume_common)."""

from __future__ import annotations

import math

from ..config.model import Config
from ..core.arithmetic import describe
from ..core.limits import Footprint, drawn_size, spec_arrays
from ..core.options import RenderOptions, Style
from ..core.scene import Scene
from ..core.spec import ConvSpec
from ..core.text import text_width
from ..engine import Trace
from .alt import alt_text
from .footprint import canvas_key
from .registry import FigureKind, register, unshown
from .single import check_strip, trace_of
from .volume_common import shown_volumes, volume_channels
from .volume_flat import MAX_ROW, VolumeFlat
from .volume_stacked import VolumeStacked


def volume_scene(trace: Trace, options: RenderOptions) -> Scene:
    """The scene of a 3-D trace in the style the options resolve to (stacked or flat)."""
    style = options.resolved_style(trace.spec.ndim)
    return (VolumeFlat if style is Style.FLAT else VolumeStacked)(trace, options).scene()


def stacked_canvas(spec: ConvSpec, options: RenderOptions) -> tuple[int, int]:
    """The canvas of ``VolumeStacked`` from the sizes alone: columns of sheared depth sheets side by side."""
    shapes = [drawn_size(spec)] * len(shown_volumes(spec.in_channels))
    shapes += [spec.output_size] * len(shown_volumes(spec.out_channels))
    tall = max(d * (h * 0.36 + w * 0.3 + 0.4) for d, h, w in shapes)
    s = float(options.scale or max(10, min(26, round(640 / tall))))
    width = sum((w + 0.75 * h + 0.8) * s for _d, h, w in shapes) + 6 * s
    height = max(d * ((0.3 * w + 0.36 * h) * s + 0.4 * s) for d, h, w in shapes) + 3 * s
    width = max(width, title_width(spec, options, s))
    return round(width), round(height + (0.9 * s if options.caption else 0))


def title_width(spec: ConvSpec, options: RenderOptions, s: float) -> float:
    """``labels: true``: the line describing the layer at the top (``VolumeFigure.title_texts``) and margins."""
    return text_width(describe(spec), max(11.0, 0.42 * s), "sans") + s if options.labels else 0.0


def flat_canvas(spec: ConvSpec, options: RenderOptions) -> tuple[int, int]:
    """The canvas of ``VolumeFlat`` from the sizes alone: bands of numbered slices, cells of about 40 px."""
    s = float(options.scale or 40)
    size = max(11.0, 0.4 * s)
    shapes = [drawn_size(spec)] * len(shown_volumes(spec.in_channels))
    shapes += [spec.output_size] * len(shown_volumes(spec.out_channels))
    width, height = 0.0, s
    for depth, rows, cols in shapes:
        per_row = max(1, min(depth, int((MAX_ROW + 0.6 * s) // (cols * s + 0.6 * s))))
        n_rows = math.ceil(depth / per_row)
        width = max(width, per_row * (cols * s + 0.6 * s))
        height += 1.3 * size + n_rows * (1.1 * size + rows * s + 0.35 * s) + 0.5 * s
    return round(max(width + s, title_width(spec, options, s))), round(height + (1.1 * s if options.caption else 0))


class Volume(FigureKind):
    """A 3-D layer (``input_size: [d, h, w]``): convolution, transposed convolution or pooling."""

    name = "volume"

    def applies(self, config: Config) -> bool:
        return config.spec.ndim == 3 and not config.layers

    def check(self, config: Config) -> None:
        check_strip(config.render.resolved_style(3), 3)

    def steps(self, config: Config) -> int:
        return len(volume_channels(config.spec).steps)

    def footprint(self, config: Config) -> Footprint:
        spec, options = config.spec, config.render
        flat = options.resolved_style(3) is Style.FLAT
        canvas = (flat_canvas if flat else stacked_canvas)(spec, options)
        layers = 2 if flat else 3  # stacked: the title and an elision's dots sit above the moving lines
        return Footprint(frames=self.steps(config) + options.hold_last, arrays=tuple(spec_arrays(spec)),
                         canvas=canvas, layers=layers, canvas_key=canvas_key(spec))

    def scene(self, config: Config) -> Scene:
        return volume_scene(trace_of(config), config.render)

    def ignored(self, config: Config) -> list[tuple[str, str]]:
        return unshown(config, numbers=config.render.resolved_style(3) is not Style.STACKED,
                       what="the stacked 3-D style", fix="use style: flat (numbers: true alone picks it)")

    def alt_text(self, config: Config) -> str:
        return alt_text(config.spec) + ", drawn as its depth slices"


register(Volume(), precedence=80)
