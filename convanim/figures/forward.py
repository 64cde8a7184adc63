"""The forward comparison (``render: {compare: forward}``): a transposed convolution beside the forward
convolution whose shapes it swaps.

The forward convolution has the same ``kernel_size``, ``stride``, ``padding``, ``dilation``, groups and weight
tensor; its input has the transposed convolution's output size and its channels are swapped. Each side is the
figure the registry draws for that layer alone (the transposed side keeps its ``view``), every plane is named
"input" or "output" in words, and a line under them says which input sizes the forward division rounds to the
same output, so which one ``output_padding`` picks. The two sides start and end together (the side with fewer
frames holds each of its frames longer).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..config.data import make_values
from ..config.model import Config
from ..core.arithmetic import forward_of
from ..core.errors import SpecError
from ..core.limits import Footprint
from ..core.options import Compare, View
from ..core.scene import Links, Primitive, Scene, Segment, Text, shift
from ..core.spec import ConvSpec
from ..core.text import text_width
from ..core.words import dims, per_axis
from .geometry import shift_region
from .links import merge, paced
from .registry import FigureKind, kind_of, register

Z_HEADING = 0


def sides(config: Config) -> tuple[Config, Config]:
    """The forward convolution (its own seeded input, the same weight tensor) and the transposed one."""
    one = replace(config, render=replace(config.render, compare=Compare.NONE))
    spec = forward_of(config.spec)
    view = View.GATHER if one.render.view is View.SCATTER else one.render.view
    forward = replace(one, spec=spec, input=make_values("input", None, spec), bias=None,
                      render=replace(one.render, view=view, overlaps=False))
    return forward, one


def rounding(spec: ConvSpec) -> str:
    """Which forward input sizes give the transposed input's size, and which one output_padding picks."""
    fwd = forward_of(spec)
    lo = tuple((i - 1) * s + d * (k - 1) + 1 - 2 * p for i, s, d, k, p in
               zip(spec.input_size, spec.stride, spec.dilation, spec.kernel_size, spec.padding))
    hi = tuple(a + s - 1 for a, s in zip(lo, spec.stride))
    if max(spec.stride) == 1:
        return f"stride 1: only a {dims(fwd.input_size)} input gives {dims(spec.input_size)}, so no " \
               f"output_padding is needed"
    return (f"forward, every input from {dims(lo)} to {dims(hi)} gives {dims(spec.input_size)} (the stride-"
            f"{per_axis(spec.stride)} division rounds down): output_padding={per_axis(spec.output_padding)} picks "
            f"{dims(fwd.input_size)}")


def plane_points(scene: Scene, key: str) -> np.ndarray:
    """(n, 2) centres of every cell of a side's input or output grids."""
    value = scene.regions[key]
    if isinstance(value, dict):
        return np.concatenate([np.asarray(v).reshape(-1, 2) for v in value.values()])
    return np.asarray(value).reshape(-1, 2)


def named_planes(scene: Scene, in_name: str, out_name: str, size: float, color: str) -> tuple[list[Primitive], float]:
    """The words "input …" and "output …" by a side's grids (unless the figure names its own); returns them and
    how far left of the figure they reach (<= 0).

    Grids one above the other (conv_arithmetic's planes) are named on their left; grids side by side above them.
    """
    if scene.regions.get("named_planes"):
        return [], 0.0
    ins, outs = plane_points(scene, "input_centers"), plane_points(scene, "output_centers")
    prims: list[Primitive] = []
    reach = 0.0
    if outs[:, 0].min() > ins[:, 0].max():  # side by side: the names go above the grids
        for points, name in ((ins, in_name), (outs, out_name)):
            pitch = float(np.diff(np.unique(points[:, 0]))[:1].sum()) or 2 * size
            y = float(points[:, 1].min()) - pitch / 2 - 0.4 * size
            prims.append(Text(xy=(float(points[:, 0].mean()), y), text=name, size=size, color=color, anchor="ms",
                              font="sans", z=Z_HEADING))
        return prims, reach
    for points, name in ((ins, in_name), (outs, out_name)):
        x = float(points[:, 0].min()) - 1.6 * size
        prims.append(Text(xy=(x, float(points[:, 1].mean())), text=name, size=size, color=color, anchor="rm",
                          font="sans", z=Z_HEADING))
        reach = min(reach, x - text_width(name, size, "sans"))
    return prims, reach


class ForwardComparison(FigureKind):
    """The forward convolution and the transposed convolution, side by side."""

    name = "forward"

    def applies(self, config: Config) -> bool:
        return config.render.compare is Compare.FORWARD

    def check(self, config: Config) -> None:
        spec = config.spec
        if config.layers:
            raise SpecError("render.compare", "forward compares one transposed convolution with its forward "
                                              "convolution; remove compare from a layers: config")
        if spec.is_pool or not spec.transposed:
            raise SpecError("render.compare", "forward draws a transposed convolution beside the forward "
                                              "convolution whose shapes it swaps; set transposed: true")
        for side in sides(config):
            kind_of(side)  # each side's own options are checked

    def steps(self, config: Config) -> int:
        return max(kind_of(side).steps(side) for side in sides(config))

    def footprint(self, config: Config) -> Footprint:
        """Both sides' figures side by side, each with its plane names at its left, under two heading lines."""
        size = 15.0
        parts = []
        for side in sides(config):
            part = kind_of(side).footprint(side)
            names = max(text_width(f"{word} {dims(shape)}", size * 0.95, "sans")
                        for word, shape in (("input", side.spec.input_size), ("output", side.spec.output_size)))
            parts.append(replace(part, canvas=(round(part.canvas[0] + names + 0.4 * size), part.canvas[1])))
        both = parts[0] + parts[1]
        return replace(both, canvas=(both.canvas[0] + round(2.0 * size), both.canvas[1] + round(5.8 * size)))

    def scene(self, config: Config) -> Scene:
        configs = sides(config)
        scenes = [kind_of(side).scene(side) for side in configs]
        th = config.render.theme
        size = 15.0
        head, gap = round(4.0 * size), round(2.0 * size)
        texts, x = [], 0.0
        offsets = []
        for scene, side in zip(scenes, configs, strict=True):
            names, reach = named_planes(scene, f"input {dims(side.spec.input_size)}",
                                        f"output {dims(side.spec.output_size)}", size * 0.95, th.caption)
            dx = x - reach + 0.4 * size
            offsets.append((dx, float(head)))
            texts += [shift(p, dx, head) for p in names]
            x = dx + scene.width + gap
        width = round(x - gap)
        foot = round(1.8 * size)
        height = head + max(s.height for s in scenes) + foot
        static: list[Primitive] = list(texts)
        fwd = configs[0].spec
        titles = [("forward convolution", fwd.torch_line().replace(", bias=False", "")),
                  ("transposed convolution", config.spec.torch_line().replace(", bias=False", ""))]
        for scene, (dx, _), (title, line) in zip(scenes, offsets, titles, strict=True):
            static += [shift(p, dx, head) for p in scene.static]
            mid = dx + scene.width / 2
            static += [Text(xy=(mid, 0.4 * head), text=title, size=size, color=th.caption, font="sans", z=Z_HEADING),
                       Text(xy=(mid, 0.75 * head), text=line, size=0.8 * size, color=th.caption, font="mono",
                            z=Z_HEADING)]
            width = max(width, round(mid + text_width(line, 0.8 * size, "mono") / 2 + size))
        x_sep = offsets[1][0] - gap / 2 - 0.4 * size
        static.append(Segment(start=(x_sep, head * 0.2), end=(x_sep, height - foot), color=th.grid, width=1.0,
                              alpha=0.35, z=Z_HEADING))
        note = rounding(config.spec)
        width = max(width, round(text_width(note, size, "sans") + 2 * size))
        static.append(Text(xy=(width / 2, height - foot / 2), text=note, size=size, color=th.caption, font="sans",
                           z=Z_HEADING))
        return self.assemble(config, scenes, offsets, static, (width, height))

    def assemble(self, config: Config, scenes: list[Scene], offsets: list[tuple[float, float]],
                 static: list[Primitive], size: tuple[int, int]) -> Scene:
        """One scene of both sides, each paced so that both start and end together."""
        n = max(s.n_frames - config.render.hold_last for s in scenes)
        counts = [s.n_frames - config.render.hold_last for s in scenes]

        def frame(i: int) -> tuple[Primitive, ...]:
            out: list[Primitive] = []
            j = min(i, n - 1)
            for scene, (dx, dy), count in zip(scenes, offsets, counts, strict=True):
                out += [shift(p, dx, dy) for p in scene.frame(j * count // n)]
            return tuple(out)

        regions: dict[str, object] = {side: {k: shift_region(k, v, dx, dy) for k, v in scene.regions.items()}
                                      for side, scene, (dx, dy) in zip(("forward", "transposed"), scenes, offsets,
                                                                       strict=True)}
        regions["frame_of"] = tuple(tuple(min(i, n - 1) * c // n for c in counts) for i in range(n))
        n_frames = n + config.render.hold_last
        pace = [[min(i, n - 1) * c // n for i in range(n_frames)] for c in counts]

        def narration(i: int) -> str:
            return " · ".join(f"{side}: {scene.narration(p[i])}"  # type: ignore[misc]
                              for side, scene, p in zip(("forward", "transposed"), scenes, pace))

        def links() -> Links:
            return merge([(f"{side}: ", paced(scene.links(), p), off)  # type: ignore[misc]
                          for side, scene, p, off in zip(("forward", "transposed"), scenes, pace, offsets)], n_frames)

        ready = all(s.narration is not None and s.links is not None for s in scenes)
        return Scene(width=size[0], height=size[1], background=config.render.theme.background, static=tuple(static),
                     n_frames=n_frames, frame=frame, dynamic_z=scenes[0].dynamic_z | scenes[1].dynamic_z,
                     regions=regions, narration=narration if ready else None, links=links if ready else None)

    def alt_text(self, config: Config) -> str:
        forward, transposed = sides(config)
        return (f"{kind_of(transposed).alt_text(transposed)}; beside it the forward convolution whose shapes it "
                f"swaps: {kind_of(forward).alt_text(forward)}")

    def info_lines(self, config: Config) -> list[str]:
        forward, transposed = sides(config)
        return [*kind_of(transposed).info_lines(transposed), "forward convolution:",
                *(f"  {line}" for line in kind_of(forward).info_lines(forward)), rounding(config.spec)]


register(ForwardComparison(), precedence=11)
