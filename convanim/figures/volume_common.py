"""What the 3-D figures share (see ``volume``): channels drawn, depth slices and their names, frames, captions.

The 3-D figure kind: a volume drawn as its depth slices, the input and the output, one frame per output voxel.

``stacked`` draws every volume as a column of conv_arithmetic's sheared sheets, depth 0 on top (padding and
inserted-zero sheets dashed); the kernel is a box through the ``k_d`` sheets it spans (its footprint shaded on
each tapped sheet, four lines joining the corners from the first to the last) and four lines join it to the
current voxel of the output column on the right. ``flat`` draws the depth slices side by side as numbered grids,
wrapped into rows, with the output's slices under them, the weights as subscripts and the step's equation.

Channels: one column (stacked) or one band (flat) per channel drawn; more than ``MAX_VOLUMES`` are elided (the
first two, an ellipsis, the last), and frames are made for the output channels drawn only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.arithmetic import describe
from ..core.options import RenderOptions, Reveal
from ..core.scene import Links, Scene, Text
from ..core.spec import ConvSpec
from ..core.text import text_width
from ..core.words import dims
from ..engine import Role, Step, Trace
from .geometry import Plane, Z, group_hue
from .links import plane_group, volume_links
from .multichannel import Channels
from .values import caption_of, sum_line

MAX_VOLUMES = 3  # channels drawn per side; more are elided: the first two, an ellipsis, the last


def shown_volumes(count: int) -> tuple[int | None, ...]:
    """The channels drawn as volumes, in order; None marks the ellipsis."""
    return tuple(range(count)) if count <= MAX_VOLUMES else (0, 1, None, count - 1)


def volume_channels(spec: ConvSpec) -> Channels:
    """The channels drawn and the frames (trace steps) of a 3-D layer."""
    outs = shown_volumes(spec.out_channels)
    per = math.prod(spec.output_size)
    steps = tuple(c * per + j for c in outs if c is not None for j in range(per))
    return Channels(inputs=shown_volumes(spec.in_channels), outputs=outs, steps=steps)


@dataclass(frozen=True, slots=True)
class Window:
    """A step's kernel box: the tapped cells of every tapped depth slice, and the box (start, extent) per axis."""

    slices: dict[int, list[tuple[int, int]]]  # depth -> (row, column) taps, in tap order
    order: dict[int, list[int]]  # depth -> the indices of those taps in the step's tap list
    origin: tuple[int, int, int]
    extent: tuple[int, int, int]


def window_of(step: Step) -> Window:
    slices: dict[int, list[tuple[int, int]]] = {}
    order: dict[int, list[int]] = {}
    for n, (d, r, c) in enumerate(step.taps.tolist()):
        slices.setdefault(d, []).append((r, c))
        order.setdefault(d, []).append(n)
    return Window(slices=slices, order=order, origin=tuple(step.origin), extent=tuple(step.extent))  # type: ignore[arg-type]


class VolumeFigure:
    """What both styles of the 3-D figure share: the channels drawn, the slices, their names, the frames."""

    def __init__(self, trace: Trace, options: RenderOptions):
        spec = trace.spec
        self.trace, self.options, self.theme, self.spec = trace, options, options.theme, spec
        self.chans = volume_channels(spec)
        self.style = options.resolved_style(spec.ndim)
        self.role = trace.grid.role  # (D', H', W') the drawn input: padded, zeros inserted
        self.out_shape: tuple[int, int, int] = spec.output_size  # type: ignore[assignment]
        self.steps = trace.steps
        self.n_frames = len(self.chans.steps) + options.hold_last
        self.groups = 1 if spec.is_pool else spec.groups
        self.multi = spec.in_channels > 1 or spec.out_channels > 1

    def step_of(self, frame: int) -> Step:
        return self.steps[self.chans.steps[min(frame, len(self.chans.steps) - 1)]]

    def slice_role(self, d: int) -> int:
        """The role of input slice ``d`` along the depth axis (its least role: INPUT if it holds input)."""
        return int(self.role[d].min())

    def slice_name(self, d: int) -> str:
        """``d 2`` for a slice of the input (its depth in x), ``pad`` or ``zeros`` for the others."""
        role = self.slice_role(d)
        if role == Role.INPUT:
            r, c = np.argwhere(self.role[d] == Role.INPUT)[0]
            return f"d {int(self.trace.grid.source[0, d, r, c])}"
        return {Role.INSERTED: "zeros", Role.PADDING: "pad"}.get(Role(role), "over")

    def in_group(self, ci: int) -> int:
        return 0 if self.spec.is_pool else ci // (self.spec.in_channels // self.groups)

    def out_group(self, co: int) -> int:
        return 0 if self.spec.is_pool else co // (self.spec.out_channels // self.groups)

    def hue(self, group: int) -> str:
        return group_hue(self.theme, group, self.groups) if self.groups > 1 else self.theme.caption

    def heading(self, kind: str, c: int) -> str:
        """A volume's heading: ``input 5×5×5`` (one channel) or ``in 1 · g0``."""
        size = dims(self.spec.input_size if kind == "in" else self.spec.output_size)
        if not self.multi:
            return f"{'input' if kind == 'in' else 'output'} {size}"
        group = self.in_group(c) if kind == "in" else self.out_group(c)
        return f"{kind} {c}" + (f" · g{group}" if self.groups > 1 else "")

    def heading_color(self, kind: str, c: int) -> str:
        return self.hue(self.in_group(c) if kind == "in" else self.out_group(c))

    def reveal_of(self, co: int, pos: tuple[int, int, int]) -> int:
        if self.options.reveal is Reveal.ALL:
            return 0
        index = co * math.prod(self.out_shape) + int(np.ravel_multi_index(pos, self.out_shape))
        return self.chans.steps.index(index) if index in self.chans.steps else 0

    def captions(self) -> list[str]:
        """The equation of every frame: the sum across channels (several), or the step's own (with caption)."""
        if self.multi:
            return [sum_line(self.trace, self.steps[i], self.chans.inputs) for i in self.chans.steps]
        if self.options.caption:
            return [caption_of(self.trace, self.steps[i]) for i in self.chans.steps]
        return []

    def text_size(self, s: float) -> float:
        return max(11.0, 0.42 * s)

    def title_height(self, s: float) -> float:
        """Room for the ``labels:`` line at the top (0 without it)."""
        return round(1.8 * self.text_size(s)) if self.options.labels else 0

    def title_texts(self, width: float, margin: float, s: float) -> list[Text]:
        """``labels: true``: the layer described on one line at the top."""
        if not self.options.labels:
            return []
        return [Text(xy=(width / 2, margin + 0.6 * self.text_size(s)), text=describe(self.spec),
                     size=self.text_size(s), color=self.theme.caption, font="sans", z=Z.TEXT)]

    def title_width(self, s: float) -> float:
        return text_width(describe(self.spec), self.text_size(s), "sans") if self.options.labels else 0.0

    def narration(self, frame: int) -> str:
        """What frame ``frame`` shows: the step's equation (the sum across channels when there are several)."""
        step = self.step_of(frame)
        return sum_line(self.trace, step, self.chans.inputs) if self.multi else caption_of(self.trace, step)

    def links(self, planes: dict[tuple[str, int, int], Plane]) -> Callable[[], Links]:
        """One group per drawn depth slice of every drawn channel (``planes`` by (kind, channel, depth)); an output
        voxel reads its window's taps on the slices of every drawn input channel of its group."""
        def build() -> Links:
            ins = {(c, d): plane_group(f"{self.heading('in', c)}, slice {self.slice_name(d)}", p, self.role.shape[1:])
                   for (k, c, d), p in planes.items() if k == "in"}
            outs = {(c, d): plane_group(f"{self.heading('out', c)}, slice d {d}", p, self.out_shape[1:])
                    for (k, c, d), p in planes.items() if k == "out"}
            return volume_links(self.trace, ins, outs, range(len(self.chans.steps)), self.n_frames, self.step_of)

        return build

    def scene(self) -> Scene:
        raise NotImplementedError
