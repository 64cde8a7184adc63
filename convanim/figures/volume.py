"""The 3-D figure kind (``input_size: [d, h, w]``): stacked sheets or flat numbered slices (see volume_common)."""

from __future__ import annotations

from ..config.model import Config
from ..core.options import RenderOptions, Style
from ..core.scene import Scene
from ..engine import Trace
from .alt import alt_text
from .registry import FigureKind, register
from .single import check_strip, trace_of
from .volume_common import volume_channels
from .volume_flat import VolumeFlat
from .volume_stacked import VolumeStacked


def volume_scene(trace: Trace, options: RenderOptions) -> Scene:
    """The scene of a 3-D trace in the style the options resolve to (stacked or flat)."""
    style = options.resolved_style(trace.spec.ndim)
    return (VolumeFlat if style is Style.FLAT else VolumeStacked)(trace, options).scene()


class Volume(FigureKind):
    """A 3-D layer (``input_size: [d, h, w]``): convolution, transposed convolution or pooling."""

    name = "volume"

    def applies(self, config: Config) -> bool:
        return config.spec.ndim == 3 and not config.layers

    def check(self, config: Config) -> None:
        check_strip(config.render.resolved_style(3), 3)

    def steps(self, config: Config) -> int:
        return len(volume_channels(config.spec).steps)

    def scene(self, config: Config) -> Scene:
        return volume_scene(trace_of(config), config.render)

    def alt_text(self, config: Config) -> str:
        return alt_text(config.spec) + ", drawn as its depth slices"


register(Volume(), precedence=80)
