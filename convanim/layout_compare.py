"""layout_compare(): ``render: {compare: flip_kernel}``: PyTorch's cross-correlation beside the true convolution.

The same input and weights are simulated twice, with the kernel as PyTorch applies it (``flip_kernel:
false``) and flipped as the mathematical definition of convolution does (``flip_kernel: true``); the two
scenes are drawn side by side under a heading each and step together, frame for frame.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .engine import Trace, simulate
from .options import Compare, RenderOptions
from .scene import Polygon, Primitive, Scene, Segment, Text
from .spec import ConvSpec, SpecError

Z_HEADING = 0


def _index(s: int, sign: str, d: int, const: int) -> str:
    text = f"{s if s > 1 else ''}n{sign}{d if d > 1 else ''}k"
    return text + (f"+{const}" if const > 0 else f"−{-const}" if const < 0 else "")


def headings(spec: ConvSpec) -> tuple[str, str]:
    """The two panels' headings; for a direct 1-D layer, each side's formula with the layer's numbers."""
    if spec.ndim == 1 and not spec.transposed:
        k, s, d, p = spec.kernel_size[0], spec.stride[0], spec.dilation[0], spec.pad_before[0]
        return (f"PyTorch: cross-correlation, y[n] = Σₖ x[{_index(s, '+', d, -p)}]·w[k]",
                f"convolution: kernel flipped, y[n] = Σₖ x[{_index(s, '−', d, (k - 1) * d - p)}]·w[k]")
    return ("PyTorch: cross-correlation, kernel as stored", "convolution: kernel flipped, as the textbook defines it")


def shift(prim: Primitive, dx: float, dy: float) -> Primitive:
    """A primitive moved by (dx, dy) pixels."""
    if isinstance(prim, Polygon):
        return replace(prim, points=tuple((x + dx, y + dy) for x, y in prim.points))
    if isinstance(prim, Segment):
        return replace(prim, start=(prim.start[0] + dx, prim.start[1] + dy), end=(prim.end[0] + dx, prim.end[1] + dy))
    return replace(prim, xy=(prim.xy[0] + dx, prim.xy[1] + dy))


def _shift_region(key: str, value: Any, dx: float, dy: float) -> Any:
    """Region values moved with their scene: point arrays (``*_centers``) and points (``*_xy``)."""
    if isinstance(value, dict):
        return {k: _shift_region(key, v, dx, dy) for k, v in value.items()}
    if key.endswith("centers") and isinstance(value, np.ndarray):
        return value + np.array([dx, dy])
    if key.endswith("_xy") and isinstance(value, tuple) and len(value) == 2:
        return (value[0] + dx, value[1] + dy)
    return value


def traces_of(trace: Trace) -> tuple[Trace, Trace]:
    """The layer simulated with the kernel as PyTorch applies it, and flipped."""
    spec = trace.spec
    if spec.is_pool:
        raise SpecError("render.compare", f"{spec.op.value} has no kernel to flip; compare needs a convolution")
    plain, flipped = (simulate(replace(spec, flip_kernel=flip), trace.x, trace.weight, trace.bias)
                      for flip in (False, True))
    return plain, flipped


def layout_compare(trace: Trace, options: RenderOptions) -> Scene:
    """Both scenes side by side: left as PyTorch computes, right with the kernel flipped."""
    from .layout import layout

    plain = replace(options, compare=Compare.NONE)
    traces = traces_of(trace)
    scenes = [layout(t, plain) for t in traces]
    th = options.theme
    size = 15.0
    head = round(2.2 * size)
    gap = round(2.0 * size)
    offsets = [(0.0, float(head)), (float(scenes[0].width + gap), float(head))]
    width = scenes[0].width + gap + scenes[1].width
    height = head + max(s.height for s in scenes)
    static: list[Primitive] = []
    for scene, (dx, dy), text in zip(scenes, offsets, headings(trace.spec), strict=True):
        static += [shift(p, dx, dy) for p in scene.static]
        static.append(Text(xy=(dx + scene.width / 2, head * 0.6), text=text, size=size, color=th.caption,
                           font="serif", z=Z_HEADING))
    x_sep = scenes[0].width + gap / 2
    static.append(Segment(start=(x_sep, head * 0.3), end=(x_sep, height - head * 0.3), color=th.grid, width=1.0,
                          alpha=0.35, z=Z_HEADING))

    def frame(i: int) -> tuple[Primitive, ...]:
        out: list[Primitive] = []
        for scene, (dx, dy) in zip(scenes, offsets, strict=True):
            out += [shift(p, dx, dy) for p in scene.frame(i)]
        return tuple(out)

    regions = {side: {k: _shift_region(k, v, dx, dy) for k, v in scene.regions.items()}
               for side, scene, (dx, dy) in zip(("left", "right"), scenes, offsets, strict=True)}
    regions["traces"] = traces  # type: ignore[assignment]
    return Scene(width=width, height=height, background=th.background, static=tuple(static),
                 n_frames=scenes[0].n_frames, frame=frame, dynamic_z=scenes[0].dynamic_z | scenes[1].dynamic_z,
                 regions=regions)
