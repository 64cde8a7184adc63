"""The multi-channel figure kind: input planes, the kernels read, their sum, output planes (see multichannel).

Stacked draws conv_arithmetic's sheared planes, the input channels stacked below the output channels. Flat
draws numbered input grids with each plane's partial sum ("Σ = 7") under it, the output grids on the right
and the sum across planes (plus bias) on the bottom line. Strip draws a 1-D ``(C, width)`` signal as one row
per channel with its kernel row beneath.
"""

from __future__ import annotations

import math

from ..config.model import Config
from ..core.arithmetic import info_lines
from ..core.limits import Footprint, spec_arrays
from ..core.options import RenderOptions, Style
from ..core.scene import Scene
from ..engine import Trace
from .alt import alt_text
from .channels_flat import ChannelsFlat
from .channels_stacked import ChannelsStacked
from .channels_strip import ChannelsStrip
from .footprint import canvas_key, channels_canvas
from .multichannel import MAX_PLANES, ChannelFigure, channels_of_spec, shown_channels
from .registry import FigureKind, register, unshown
from .single import check_strip, trace_of
from .steps import FrameGrid, output_grid

STYLES: dict[Style, type[ChannelFigure]] = {Style.STACKED: ChannelsStacked, Style.FLAT: ChannelsFlat,
                                            Style.STRIP: ChannelsStrip}


def channels_scene(trace: Trace, options: RenderOptions) -> Scene:
    """The scene of a trace with several channels in the style the options resolve to."""
    return STYLES[options.resolved_style(trace.spec.ndim)](trace, options).scene()


def _slots(slots: tuple[int | None, ...]) -> str:
    return ", ".join("…" if c is None else str(c) for c in slots)


class MultiChannel(FigureKind):
    """A layer with several input or output channels."""

    name = "channels"

    def applies(self, config: Config) -> bool:
        return config.spec.in_channels > 1 or config.spec.out_channels > 1

    def check(self, config: Config) -> None:
        check_strip(config.render.resolved_style(config.spec.ndim), config.spec.ndim)

    def steps(self, config: Config) -> int:
        drawn = sum(c is not None for c in shown_channels(config.spec.out_channels))
        return drawn * math.prod(config.spec.output_size)

    def ignored(self, config: Config) -> list[tuple[str, str]]:
        stacked = config.render.resolved_style(config.spec.ndim) is Style.STACKED
        return unshown(config, numbers=not stacked, caption=not stacked, what="the stacked style",
                       fix="use style: flat (numbers: true alone picks it)")

    def frame_grid(self, config: Config) -> FrameGrid:
        drawn = sum(c is not None for c in shown_channels(config.spec.out_channels))
        return output_grid(config.spec, drawn)

    def footprint(self, config: Config) -> Footprint:
        spec = config.spec
        return Footprint(frames=self.steps(config) + config.render.hold_last, arrays=tuple(spec_arrays(spec)),
                         canvas=channels_canvas(spec, config.render), layers=3, canvas_key=canvas_key(spec))

    def scene(self, config: Config) -> Scene:
        return channels_scene(trace_of(config), config.render)

    def alt_text(self, config: Config) -> str:
        return alt_text(config.spec)

    def info_lines(self, config: Config) -> list[str]:
        spec = config.spec
        lines = info_lines(spec)
        if max(spec.in_channels, spec.out_channels) > MAX_PLANES:
            drawn = channels_of_spec(spec)
            lines.append(f"drawn: input channels {_slots(drawn.inputs)}; output channels {_slots(drawn.outputs)} "
                         f"(more than {MAX_PLANES} planes are elided) · frames drawn: {len(drawn.steps)}")
        return lines


register(MultiChannel(), precedence=90)
