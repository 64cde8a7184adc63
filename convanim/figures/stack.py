"""The ``layers:`` figure kind: the receptive field of each output cell of the last layer, shaded down to the input.

Which layout draws it: sheared planes (2-D, ``receptive``), rows of cells (1-D), columns of depth sheets (3-D,
``receptive_volumes``), or numbered grids with every plane's values (``numbers: true`` or ``style: flat``,
``receptive_values``).
"""

from __future__ import annotations

import math

from ..config.model import Config
from ..core.options import Style
from ..core.scene import Scene
from ..engine.receptive import describe_stack
from ..engine.receptive import info_lines as stack_info_lines
from .receptive import Planes, Strips
from .receptive_values import ValueGrids
from .receptive_volumes import Volumes
from .registry import FigureKind, register


def stack_scene(config: Config) -> Scene:
    """The receptive-field scene of a ``layers:`` config."""
    specs, options = tuple(config.layers), config.render
    if options.numbers or options.style is Style.FLAT:
        return ValueGrids(specs, options, config).scene()
    layout = {1: Strips, 2: Planes, 3: Volumes}[specs[0].ndim]
    return layout(specs, options).scene()


class ReceptiveStack(FigureKind):
    """A ``layers:`` config: the receptive field of each output cell of the last layer, down to the input."""

    name = "layers"

    def applies(self, config: Config) -> bool:
        return bool(config.layers)

    def steps(self, config: Config) -> int:
        return math.prod(config.layers[-1].output_size)

    def scene(self, config: Config) -> Scene:
        return stack_scene(config)

    def alt_text(self, config: Config) -> str:
        return "Receptive field across layers: " + describe_stack(config.layers)

    def info_lines(self, config: Config) -> list[str]:
        return stack_info_lines(config.layers)


register(ReceptiveStack(), precedence=50)
