"""What the multi-channel figures share: which channels are drawn, groups and their hues, the footprint.

Groups are tinted: with ``groups > 1`` every plane sits on a sheet of its group's hue and its label says
which group; the footprint is outlined in that hue. Frames: one per output element, channel by channel.

More than ``MAX_PLANES`` (8) channels are elided: the first six, a "⋮" (stacked, strip) or "…" (flat)
slot, and the last one. Frames are made only for the output channels drawn; a sum over input channels
that are not drawn is shown as one term, so every number on the figure still equals PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.arithmetic import describe
from ..core.options import RenderOptions, Reveal, Style
from ..core.scene import Links, Point, Primitive, Segment, Text
from ..core.spec import ConvSpec
from ..engine import Role, Step, Trace
from .fit import caption_width, label_lines, word_size
from .geometry import (
    DEFAULT_SCALE,
    Plane,
    as_rows,
    edges_over_padding,
    grid_width,
    group_hue,
    outline,
    rc,
    shade,
    shape2,
)
from .links import cells_group, plane_group, trace_links
from .values import sum_line

MAX_PLANES = 8  # more channels than this are elided: the first KEEP_FIRST, an ellipsis, the last
KEEP_FIRST = 6


def shown_channels(count: int) -> tuple[int | None, ...]:
    """The channels drawn, in order; None marks the ellipsis slot of an elided stack."""
    if count <= MAX_PLANES:
        return tuple(range(count))
    return (*range(KEEP_FIRST), None, count - 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Channels:
    """Which channels a multi-channel figure draws, and the steps it animates."""

    inputs: tuple[int | None, ...]
    outputs: tuple[int | None, ...]
    steps: tuple[int, ...]  # trace step index of every frame (before hold_last)


def channels_of_spec(spec: ConvSpec) -> Channels:
    """The channels drawn and the frames of a layer."""
    outs = shown_channels(spec.out_channels)
    per = math.prod(spec.output_size)
    steps = tuple(c * per + j for c in outs if c is not None for j in range(per))
    return Channels(inputs=shown_channels(spec.in_channels), outputs=outs, steps=steps)


class ChannelFigure:
    """What the three multi-channel styles share: channels drawn, groups, hues, footprints."""

    def __init__(self, trace: Trace, options: RenderOptions):
        chans = channels_of_spec(trace.spec)
        self.trace, self.options, self.theme, self.chans = trace, options, options.theme, chans
        self.spec = spec = trace.spec
        self.nd = spec.ndim
        self.style = options.resolved_style(spec.ndim)
        self.role = as_rows(trace.grid.role, self.nd)
        self.out_shape = shape2(spec.output_size)
        self.steps = trace.steps
        self.made: dict[int, Step] = {}
        self.n_frames = len(chans.steps) + options.hold_last
        self.groups = 1 if spec.is_pool else spec.groups
        self.numbers = options.numbers or self.style is Style.FLAT
        planes = max(len(chans.inputs), len(chans.outputs))
        default = DEFAULT_SCALE[self.style]
        self.s = float(options.scale or (default if planes <= 3 else round(default * (0.8 if planes <= 5 else 0.65))))

    def step_of(self, frame: int) -> Step:
        """The step frame ``frame`` shows (built once: the frames, narration and links all ask)."""
        i = min(frame, len(self.chans.steps) - 1)
        if i not in self.made:
            self.made[i] = self.steps[self.chans.steps[i]]
        return self.made[i]

    def in_group(self, ci: int) -> int:
        return 0 if self.spec.is_pool else ci // (self.spec.in_channels // self.groups)

    def out_group(self, co: int) -> int:
        return 0 if self.spec.is_pool else co // (self.spec.out_channels // self.groups)

    def hue(self, group: int) -> str:
        return group_hue(self.theme, group, self.groups)

    def name(self, kind: str, c: int, group: int) -> str:
        return f"{kind} {c}" + (f" · g{group}" if self.groups > 1 else "")

    def label_color(self, group: int) -> str:
        return self.hue(group) if self.groups > 1 else self.theme.caption

    def reveal_of(self, co: int, r: int, c: int) -> int:
        if self.options.reveal is Reveal.ALL:
            return 0
        per = self.out_shape[0] * self.out_shape[1]
        index = co * per + r * self.out_shape[1] + c
        return self.chans.steps.index(index) if index in self.chans.steps else 0

    def value(self, co: int, r: int, c: int) -> float:
        out = self.trace.output[co]
        return float(out[c] if self.nd == 1 else out[r, c])

    def in_values(self, ci: int) -> np.ndarray:
        return as_rows(self.trace.grid.values[ci], self.nd)

    def window(self, step: Step) -> tuple[list[tuple[int, int]], tuple[int, int, int, int]]:
        """The step's taps as (row, col) on the drawn grid, and its window (r0, c0, rows, cols)."""
        taps = [rc(t, self.nd) for t in step.taps]
        r0, c0 = rc(step.origin, self.nd)
        er, ec = (1, step.extent[0]) if self.nd == 1 else step.extent
        return taps, (r0, c0, er, ec)

    def footprint(self, plane: Plane, step: Step, z_shade: int, z_line: int, group: int) -> list[Primitive]:
        """The footprint on one plane: shade (one polygon for a solid window), solid lines over padding, and
        with groups an outline in the group's hue."""
        th, s = self.theme, self.s
        taps, (r0, c0, er, ec) = self.window(step)
        box = plane.box(r0, c0, er, ec)
        if len(set(taps)) == er * ec:
            prims: list[Primitive] = [shade(box, th, z_shade)]
        else:
            prims = [shade(plane.cell(r, c), th, z_shade) for r, c in sorted(set(taps))]
        grid_w = grid_width(th, s)
        for e0, f0, e1, f1, _ in edges_over_padding(taps, self.role == Role.INPUT):
            prims.append(Segment(start=plane.at(e0, f0), end=plane.at(e1, f1), color=th.grid, width=grid_w,
                                 z=z_line))
        if self.groups > 1:
            prims += outline(box, self.hue(group), max(2.0, 0.09 * s), z_line)
        return prims

    def narration(self, frame: int) -> str:
        """What frame ``frame`` shows: the sum across the planes (a pooling step's equation)."""
        return sum_line(self.trace, self.step_of(frame), self.chans.inputs)

    def links(self, inputs: dict[int, Plane],
              outputs: dict[int, Callable[[int, int], tuple[Point, ...]]]) -> Callable[[], Links]:
        """Every drawn input channel's grid and output channel's cells; an output cell reads its taps on each
        drawn input channel of its group."""
        def build() -> Links:
            groups_in = {c: plane_group(f"input channel {c}", p, self.role.shape) for c, p in inputs.items()}
            groups_out = {c: cells_group(f"output channel {c}", self.out_shape, cell) for c, cell in outputs.items()}
            return trace_links(self.trace, groups_in, groups_out, range(len(self.chans.steps)), self.n_frames,
                               self.step_of)

        return build

    def title(self) -> str:
        return describe(self.spec)

    def title_block(self, content: float, extent: float) -> tuple[float, list[str], int]:
        """The label line's size (readable on a figure ``extent`` pixels across), its lines (wrapped at " · "
        to the content's width) and the height they take; no lines without ``labels: true``."""
        size = word_size(self.s, extent, 0.4)
        if not self.options.labels:
            return size, [], 0
        lines = label_lines(self.title(), size, caption_width(content, size))
        return size, lines, round(1.3 * size * len(lines) + 0.5 * size)

    def title_texts(self, width: float, top: float, size: float, lines: list[str], z: int) -> list[Primitive]:
        return [Text(xy=(width / 2, top + 1.3 * size * (n + 0.5)), text=line, size=size, color=self.theme.caption,
                     font="sans", z=z) for n, line in enumerate(lines)]

    def text_size(self) -> float:
        return max(11.0, 0.42 * self.s)

    def regions(self, planes: dict[tuple[str, int], Plane], shape_in: tuple[int, int],
                shape_out: tuple[int, int], **extra: object) -> dict[str, object]:
        return {"input_centers": {c: pl.centers(shape_in) for (k, c), pl in planes.items() if k == "in"},
                "output_centers": {c: pl.centers(shape_out) for (k, c), pl in planes.items() if k == "out"},
                "input_role": self.role, "frame_steps": self.chans.steps, "trace": self.trace, "named_planes": True,
                **extra}
