"""The ``layers:`` figure kind: the receptive field of each output cell of the last layer, shaded down to the input.

Which layout draws it: sheared planes (2-D, ``receptive``), rows of cells (1-D), columns of depth sheets (3-D,
``receptive_volumes``), or numbered grids with every plane's values (``numbers: true`` or ``style: flat``,
``receptive_values``).
"""

from __future__ import annotations

import math

from ..config.model import Config
from ..core.limits import Footprint, spec_arrays
from ..core.options import RenderOptions, Style
from ..core.scene import Scene
from ..core.text import text_width
from ..engine.receptive import Layer, describe_stack
from ..engine.receptive import info_lines as stack_info_lines
from .receptive import THIN, Planes, Stack, Strips, padded_sizes, plane_cells, stack_canvas
from .receptive_values import ValueGrids, row_starts
from .receptive_volumes import Volumes
from .registry import FigureKind, register, unshown
from .steps import FrameGrid
from .volume_common import shown_volumes


def stack_scene(config: Config) -> Scene:
    """The receptive-field scene of a ``layers:`` config."""
    specs, options = tuple(config.layers), config.render
    if options.numbers or options.style is Style.FLAT:
        return ValueGrids(specs, options, config).scene()
    layout = {1: Strips, 2: Planes, 3: Volumes}[specs[0].ndim]
    return layout(specs, options).scene()


def thin_planes(specs: tuple[Layer, ...]) -> list[bool]:
    """Which planes are an element-wise step's output (drawn thin)."""
    return [p > 0 and specs[p - 1].is_elementwise for p in range(len(specs) + 1)]


def volumes_canvas(specs: tuple[Layer, ...], options: RenderOptions) -> tuple[int, int]:
    """The canvas of a 3-D stack (``Volumes``' arithmetic): columns of depth sheets side by side."""
    sizes = padded_sizes(specs)
    squeeze = [THIN if t else 1.0 for t in thin_planes(specs)]
    tall = max(d * (h * 0.36 * q + w * 0.3 + 0.4) for (d, h, w), q in zip(sizes, squeeze))
    s = float(options.scale or max(8, min(22, round(600 / tall))))
    width = sum((w + 0.75 * h * q + 1.3) * s for (_d, h, w), q in zip(sizes, squeeze)) + s
    size = min(16.0, max(12.0, 0.34 * s))
    return round(width), round(tall * s + 3 * s + 8 * size)


def values_canvas(specs: tuple[Layer, ...], options: RenderOptions) -> tuple[int, int]:
    """The canvas of a stack drawn with its values: ``ValueGrids.arrange``'s arithmetic (blocks of numbered grids
    under their labels, wrapped into balanced rows), with cells of 40 px (the values are not simulated here)."""
    s = float(options.scale or 40)
    size = min(16.0, max(12.0, 0.34 * s))
    counts = [specs[0].in_channels, *(getattr(spec, "out_channels", 1) for spec in specs)]
    shown = [len(shown_volumes(count)) for count in counts]
    label_w = text_width("c 0", 0.85 * size, "sans") + 0.3 * s if max(shown) > 1 else 0.0
    stack = Stack(specs, options)
    widths, heights = [], []
    for p, (size_p, n) in enumerate(zip(padded_sizes(specs), shown)):
        d, h, w = (1, 1, *size_p)[-3:]
        block_w = d * w * s + (d - 1) * 0.4 * s
        labels = [text_width(t, z * size, "sans") for t, z in zip(stack.label(p), (1.0, 0.9))]
        widths.append(max(label_w + block_w, *labels))
        heights.append(2.9 * size + n * h * s + (n - 1) * 0.3 * s)
    starts = sorted(row_starts(widths, 1.2 * s)) + [len(widths)]
    rows = [range(a, b) for a, b in zip(starts, starts[1:])]
    width = max(sum(widths[p] for p in row) + 1.2 * s * (len(row) - 1) for row in rows)
    height = sum(max(heights[p] for p in row) for row in rows) + 0.9 * s * (len(rows) - 1)
    top = round(0.5 * s) + (round(s) if options.labels else 0)
    return round(width + 2 * round(0.5 * s)), round(top + height + round(0.5 * s))


class ReceptiveStack(FigureKind):
    """A ``layers:`` config: the receptive field of each output cell of the last layer, down to the input."""

    name = "layers"

    def applies(self, config: Config) -> bool:
        return bool(config.layers)

    def steps(self, config: Config) -> int:
        return math.prod(config.layers[-1].output_size)

    def frame_grid(self, config: Config) -> FrameGrid:
        size = tuple(config.layers[-1].output_size)
        return FrameGrid(shape=size, rows_axis=len(size) - 2 if len(size) > 1 else None)

    def footprint(self, config: Config) -> Footprint:
        specs, options = tuple(config.layers), config.render
        arrays = [a for n, spec in enumerate(specs) if not spec.is_elementwise
                  for a in spec_arrays(spec, f"layers[{n}]." if n else "", simulated=False)]
        arrays += plane_cells(specs)
        if options.numbers or options.style is Style.FLAT:
            canvas, layers = values_canvas(specs, options), 2
        elif specs[0].ndim == 3:
            canvas, layers = volumes_canvas(specs, options), 2
        else:
            canvas, layers = stack_canvas(specs, options), len(specs) + 1 if specs[0].ndim == 2 else 1
        return Footprint(frames=self.steps(config) + options.hold_last, arrays=tuple(arrays), canvas=canvas,
                         layers=layers, canvas_key="layers" if len(specs) > 4 else "input_size")

    def scene(self, config: Config) -> Scene:
        return stack_scene(config)

    def ignored(self, config: Config) -> list[tuple[str, str]]:
        return unshown(config, caption=False, reveal=False, what="a layers: figure",
                       fix="its planes' values show with numbers: true")

    def alt_text(self, config: Config) -> str:
        return "Receptive field across layers: " + describe_stack(config.layers)

    def info_lines(self, config: Config) -> list[str]:
        return stack_info_lines(config.layers)


register(ReceptiveStack(), precedence=50)
