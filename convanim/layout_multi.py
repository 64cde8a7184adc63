"""layout_multi(): a Trace with several channels -> Scene: input planes, the kernels read, their sum, output planes.

Stacked draws conv_arithmetic's sheared planes, the input channels stacked below the output channels, the
footprint shaded on every input plane the current output channel reads and lines from each of them to the
output cell. Flat draws a row of numbered input grids with each plane's partial sum ("Σ = 7") under it,
the output grids stacked on the right and the sum across planes (plus bias) on the bottom line. Strip draws
a 1-D ``(C, width)`` signal as one row per channel with its kernel row beneath.

Groups are tinted: with ``groups > 1`` every plane sits on a sheet of its group's hue and its label says
which group; the footprint is outlined in that hue. Frames: one per output element, channel by channel.

More than ``MAX_PLANES`` (8) channels are elided: the first six, a "⋮" (stacked, strip) or "…" (flat)
slot, and the last one. Frames are made only for the output channels drawn; a sum over input channels
that are not drawn is shown as one term, so every number on the figure still equals PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .arithmetic import describe
from .engine import Role, Step, Trace
from .layout import (
    DEFAULT_SCALE,
    Z_FILL,
    Z_GRID,
    Z_LINES,
    Z_MARK,
    Z_OUTPUT,
    Z_SHADE,
    Z_TEXT,
    _grid_lines,
    _merged,
    _Plane,
    _rc,
    caption_of,
    format_value,
    output_cell,
)
from .layout_stack import corners, group_hue, lift, shear, sheet
from .options import RenderOptions, Reveal, Style
from .scene import Point, Polygon, Primitive, Scene, Segment, Text
from .spec import ConvSpec, Op, SpecError

MAX_PLANES = 8  # more channels than this are elided: the first KEEP_FIRST, an ellipsis, the last
KEEP_FIRST = 6
Z_SHEET = Z_FILL - 2


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


def channels_of(trace: Trace) -> Channels:
    """The channels drawn and the frames of a trace."""
    return channels_of_spec(trace.spec)


def channels_of_spec(spec: ConvSpec) -> Channels:
    """The channels drawn and the frames of a layer."""
    outs = shown_channels(spec.out_channels)
    per = math.prod(spec.output_size)
    steps = tuple(c * per + j for c in outs if c is not None for j in range(per))
    return Channels(inputs=shown_channels(spec.in_channels), outputs=outs, steps=steps)


def sum_line(trace: Trace, step: Step, drawn: Sequence[int | None] | None = None) -> str:
    """The step's sum across input planes: ``y[0,1,1] = 7 + 3 + 5 + 1 (bias) = 16`` (pooling: its caption)."""
    spec = trace.spec
    if spec.is_pool:
        return caption_of(trace, step)
    shown = set(c for c in (drawn or range(spec.in_channels)) if c is not None)
    where = ",".join(map(str, (step.channel, *step.position)))
    terms, hidden = [], []
    for ci, products in zip(step.in_channels, step.products):
        if ci in shown:
            terms.append(format_value(float(products.sum())))
        else:
            hidden.append((ci, float(products.sum())))
    if hidden:
        lo, hi = hidden[0][0], hidden[-1][0]
        terms.insert(next((n for n, ci in enumerate(c for c in step.in_channels if c in shown) if ci > hi),
                          len(terms)), f"[in {lo}…{hi}: {format_value(sum(v for _, v in hidden))}]")
    if spec.bias:
        terms.append(f"{format_value(step.bias)} (bias)")
    return f"y[{where}] = {join_terms(terms)} = {format_value(step.value)}"


def join_terms(terms: Sequence[str]) -> str:
    """Terms of a sum, a negative one written as a subtraction: ``7 + 3 − 2``."""
    out = terms[0] if terms else "0"
    for term in terms[1:]:
        out += f" − {term[1:]}" if term.startswith("−") else f" + {term}"
    return out


def partial_text(trace: Trace, step: Step, j: int) -> str:
    """What is written under input plane ``step.in_channels[j]``: its partial sum, max or mean."""
    op = trace.spec.op
    if op is Op.MAX_POOL:
        return f"max = {format_value(step.value)}"
    if op is Op.AVG_POOL:
        return f"mean = {format_value(step.value)}"
    return f"Σ = {format_value(float(step.products[j].sum()))}"


def layout_multi(trace: Trace, options: RenderOptions | None = None) -> Scene:
    """The scene of a trace with several input or output channels (``layout()`` sends those here)."""
    options = options or RenderOptions()
    chans = channels_of(trace)
    frames = len(chans.steps) + options.hold_last
    if frames > options.max_frames:
        raise SpecError("render.max_frames", f"the animation would have {frames} frames, over the limit of "
                                             f"{options.max_frames}; raise it with render: {{max_frames: {frames}}}")
    lay = MultiLayout(trace, options, chans)
    if lay.style is Style.STACKED:
        return lay.stacked()
    if lay.style is Style.FLAT:
        from .layout_multi_flat import flat

        return flat(lay)
    if trace.spec.ndim != 1:
        raise SpecError("render.style", f"strip draws 1-D inputs; this input is {trace.spec.ndim}-D "
                                        f"(use stacked or flat)")
    from .layout_multi_strip import strip

    return strip(lay)


class MultiLayout:
    """What the three multi-channel styles share: channels drawn, groups, hues, footprints."""

    def __init__(self, trace: Trace, options: RenderOptions, chans: Channels):
        self.trace, self.options, self.theme, self.chans = trace, options, options.theme, chans
        self.spec = spec = trace.spec
        self.nd = spec.ndim
        self.style = options.resolved_style(spec.ndim)
        self.role = trace.grid.role if self.nd == 2 else trace.grid.role[None, :]
        out = spec.output_size
        self.out_shape = (out[0], out[1]) if self.nd == 2 else (1, out[0])
        self.steps = trace.steps
        self.n_frames = len(chans.steps) + options.hold_last
        self.groups = 1 if spec.is_pool else spec.groups
        self.numbers = options.numbers or self.style is Style.FLAT
        planes = max(len(chans.inputs), len(chans.outputs))
        default = DEFAULT_SCALE[self.style]
        self.s = float(options.scale or (default if planes <= 3 else round(default * (0.8 if planes <= 5 else 0.65))))

    # -- shared ---------------------------------------------------------------------------------------
    def step_of(self, frame: int) -> Step:
        return self.steps[self.chans.steps[min(frame, len(self.chans.steps) - 1)]]

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
        v = self.trace.grid.values[ci]
        return v if self.nd == 2 else v[None, :]

    def window(self, step: Step) -> tuple[list[tuple[int, int]], tuple[int, int, int, int]]:
        """The step's taps as (row, col) on the drawn grid, and its window (r0, c0, rows, cols)."""
        taps = [_rc(t, self.nd) for t in step.taps]
        r0, c0 = _rc(step.origin, self.nd)
        er, ec = (1, step.extent[0]) if self.nd == 1 else step.extent
        return taps, (r0, c0, er, ec)

    def footprint(self, plane: _Plane, step: Step, z_shade: int, z_line: int, group: int) -> list[Primitive]:
        """The footprint on one plane: shade (one polygon for a solid window), solid lines over padding, and
        with groups an outline in the group's hue."""
        th, s = self.theme, self.s
        taps, (r0, c0, er, ec) = self.window(step)
        prims: list[Primitive] = []
        box = (plane.at(r0, c0), plane.at(r0, c0 + ec), plane.at(r0 + er, c0 + ec), plane.at(r0 + er, c0))
        if len(set(taps)) == er * ec:
            prims.append(Polygon(points=box, fill=th.shade, alpha=th.shade_alpha, z=z_shade))
        else:
            prims += [Polygon(points=plane.cell(r, c), fill=th.shade, alpha=th.shade_alpha, z=z_shade)
                      for r, c in sorted(set(taps))]
        h, w = self.role.shape
        solid = self.role == Role.INPUT
        edges = set()
        for r, c in taps:
            edges |= {(r, c, r, c + 1), (r + 1, c, r + 1, c + 1), (r, c, r + 1, c), (r, c + 1, r + 1, c + 1)}
        dashed = []
        for e0, f0, e1, f1 in edges:
            beside = [(e0, f0), (e0 - 1, f0)] if e0 == e1 else [(e0, f0), (e0, f0 - 1)]
            if not any(0 <= a < h and 0 <= b < w and solid[a, b] for a, b in beside):
                dashed.append((e0, f0, e1, f1, True))
        grid_w = max(1.0, th.grid_width * s)
        for e0, f0, e1, f1, _ in _merged(dashed):
            prims.append(Segment(start=plane.at(e0, f0), end=plane.at(e1, f1), color=th.grid, width=grid_w,
                                 z=z_line))
        if self.groups > 1:
            hue = self.hue(group)
            for a, b in zip(box, box[1:] + box[:1]):
                prims.append(Segment(start=a, end=b, color=hue, width=max(2.0, 0.09 * s), z=z_line))
        return prims

    def title(self) -> str:
        return describe(self.spec)

    def text_size(self) -> float:
        return max(11.0, 0.42 * self.s)

    # -- stacked --------------------------------------------------------------------------------------
    def stacked(self) -> Scene:
        th, s, opts = self.theme, self.s, self.options
        u, v = shear(s, flat=True)
        h, w = self.role.shape
        ho, wo = self.out_shape
        gap = round(0.35 * s)
        # slots from the bottom up: input channels (last at the bottom), then output channels
        slots = [("in", c, (h, w)) for c in reversed(self.chans.inputs)]
        slots += [("out", c, (ho, wo)) for c in reversed(self.chans.outputs)]
        planes: dict[tuple[str, int], _Plane] = {}
        dots: dict[str, Point] = {}
        prev: tuple[Point, ...] | None = None
        y_next = 0.0
        for n, (kind, c, (rows, cols)) in enumerate(slots):
            x = -(cols * u[0] + rows * v[0]) / 2
            if c is None:  # the ellipsis: a gap with a vertical "⋮"
                dots[kind] = (0.0, y_next)
                continue
            plane = _Plane((x, 0.0), u, v)
            pts = corners(plane, rows, cols, 0.15)
            if prev is not None:
                between = gap * (2.5 if n > 0 and slots[n - 1][1] is None else 1)
                between += round(0.9 * s) if kind == "out" and slots[n - 1][0] == "in" else 0
                dy = lift(prev, pts, between)
                plane = _Plane((x, dy), u, v)
                pts = corners(plane, rows, cols, 0.15)
            if n + 1 < len(slots) and slots[n + 1][1] is None:
                y_next = min(p[1] for p in pts) - 1.4 * gap
            planes[(kind, c)] = plane
            prev = pts
        size = self.text_size()
        label_w = max(len(self.name("out", self.spec.out_channels - 1, self.groups - 1)),
                      len(self.name("in", self.spec.in_channels - 1, self.groups - 1))) * 0.6 * size
        margin = round(0.5 * s)
        pts_all = [p for (kind, _c), pl in planes.items()
                   for p in corners(pl, *((h, w) if kind == "in" else (ho, wo)), 0.15)]
        x0 = min(min(p[0] for p in pts_all), min(pl.origin[0] for pl in planes.values()) - label_w - 0.5 * s)
        x1, y0, y1 = max(p[0] for p in pts_all), min(p[1] for p in pts_all), max(p[1] for p in pts_all)
        title_h = round(0.9 * s) if opts.labels else 0
        dx, dy = round(margin - x0), round(margin + title_h - y0)
        planes = {k: _Plane((round(pl.origin[0] + dx), round(pl.origin[1] + dy)), u, v) for k, pl in planes.items()}
        width, height = round(x1 - x0 + 2 * margin), round(y1 - y0 + 2 * margin + title_h)

        static: list[Primitive] = []
        sheet_w = max(1.5, 0.06 * s)
        for (kind, c), plane in planes.items():
            if kind == "in":
                group = self.in_group(c)
                if self.groups > 1:
                    static += sheet(corners(plane, h, w, 0.15), self.hue(group), th, Z_SHEET, sheet_w)
                static += [Polygon(points=plane.cell(r, q), fill=th.input, z=Z_FILL)
                           for (r, q), rl in np.ndenumerate(self.role) if rl == Role.INPUT]
                static += _grid_lines(plane, self.role, th, s, Z_GRID, lambda role: role == Role.INPUT)
            else:
                group = self.out_group(c)
                if self.groups > 1:
                    static += sheet(corners(plane, ho, wo, 0.15), self.hue(group), th, Z_OUTPUT - 3, sheet_w)
                for r in range(ho):
                    for q in range(wo):
                        static += output_cell(plane.cell(r, q), self.reveal_of(c, r, q), th, Z_OUTPUT)
                static += _grid_lines(plane, np.zeros((ho, wo), np.int8), th, s, Z_OUTPUT + 1,
                                      lambda role: role == 0)
            static.append(Text(xy=(plane.origin[0] - 0.5 * s, plane.origin[1]), text=self.name(kind, c, group),
                               size=size, color=self.label_color(group), anchor="rm", font="sans",
                               z=Z_OUTPUT + 2 if kind == "out" else Z_TEXT))
        for x, y in dots.values():
            static.append(Text(xy=(x + dx, y + dy), text="⋮", size=1.4 * size, color=th.caption, font="sans",
                               z=Z_TEXT))
        if opts.labels:
            static.append(Text(xy=(width / 2, margin + title_h * 0.4), text=self.title(), size=0.4 * s,
                               color=th.caption, font="sans", z=Z_FILL))

        def frame(i: int) -> tuple[Primitive, ...]:
            step = self.step_of(i)
            prims: list[Primitive] = []
            outp = planes[("out", step.channel)]
            pr, pc = _rc(step.position, self.nd)
            _taps, (r0, c0, er, ec) = self.window(step)
            read = [planes[("in", ci)] for ci in step.in_channels if ("in", ci) in planes]
            box = ((0, 0), (0, 1), (1, 0), (1, 1))
            for ci in step.in_channels:
                if ("in", ci) in planes:
                    prims += self.footprint(planes[("in", ci)], step, Z_SHADE, Z_SHADE, self.in_group(ci))
            # the kernel as a column through the planes it reads, then conv_arithmetic's four lines up
            for upper, lower in zip(read, read[1:]):  # vertical: centred on a pixel column to stay 1 px wide
                for dr, dc in box:
                    (xa, ya), (xb, yb) = lower.at(r0 + dr * er, c0 + dc * ec), upper.at(r0 + dr * er, c0 + dc * ec)
                    prims.append(Segment(start=(xa + 0.5, ya), end=(xb + 0.5, yb), color=th.connector, width=1.0,
                                         z=Z_LINES, antialias=False))
            for dr, dc in box:
                prims.append(Segment(start=read[0].at(r0 + dr * er, c0 + dc * ec), end=outp.at(pr + dr, pc + dc),
                                     color=th.connector, width=1.0, z=Z_LINES, antialias=False))
            prims.append(Polygon(points=outp.cell(pr, pc), fill=th.shade, alpha=th.shade_alpha, z=Z_MARK))
            return tuple(prims)

        regions = self.regions(planes, (h, w), (ho, wo))
        return Scene(width=width, height=height, background=th.background, static=tuple(static),
                     n_frames=self.n_frames, frame=frame, dynamic_z=frozenset({Z_SHADE, Z_LINES, Z_MARK}),
                     regions=regions)

    def regions(self, planes: dict[tuple[str, int], _Plane], shape_in: tuple[int, int],
                 shape_out: tuple[int, int], **extra: object) -> dict[str, object]:
        return {"input_centers": {c: pl.centers(shape_in) for (k, c), pl in planes.items() if k == "in"},
                "output_centers": {c: pl.centers(shape_out) for (k, c), pl in planes.items() if k == "out"},
                "input_role": self.role, "frame_steps": self.chans.steps, **extra}


__all__ = ["Channels", "MAX_PLANES", "MultiLayout", "channels_of", "channels_of_spec", "layout_multi", "partial_text",
           "join_terms", "shown_channels", "sum_line"]
