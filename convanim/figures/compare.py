"""The flip comparison (``render: {compare: flip_kernel}``): PyTorch's cross-correlation beside the true convolution.

The same input and weights are drawn twice, with the kernel as PyTorch applies it (``flip_kernel: false``)
and flipped as the mathematical definition of convolution does (``flip_kernel: true``): each side is the
figure the registry draws for that layer alone, placed under a heading; the two step together, frame for frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..config.model import Config
from ..core.errors import SpecError
from ..core.limits import Footprint
from ..core.options import Compare
from ..core.scene import Links, Point, Primitive, Scene, Segment, Text, shift
from ..core.spec import ConvSpec
from ..core.text import text_width, wrap_text
from .fit import word_size
from .geometry import shift_region
from .links import merge
from .registry import FigureKind, kind_of, kinds, register

Z_HEADING = 0
HEADING_SIZE = 15.0


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


def plain(config: Config) -> Config:
    """The config without the comparison: one layer figure."""
    return replace(config, render=replace(config.render, compare=Compare.NONE))


def sides(config: Config) -> tuple[Config, Config]:
    """The layer with the kernel as PyTorch applies it, and flipped."""
    one = plain(config)
    plain_side, flipped = (replace(one, spec=replace(one.spec, flip_kernel=flip)) for flip in (False, True))
    return plain_side, flipped


SIDES = ("PyTorch", "flipped")


def narration(scenes: list[Scene]) -> Callable[[int], str] | None:
    """Both sides' equations, named."""
    if any(scene.narration is None for scene in scenes):
        return None
    return lambda i: " · ".join(f"{side}: {scene.narration(i)}" for side, scene in zip(SIDES, scenes))  # type: ignore[misc]


def links(scenes: list[Scene], offsets: list[Point]) -> Callable[[], Links] | None:
    """Both sides' cells, named and placed, stepping together."""
    if any(scene.links is None for scene in scenes):
        return None
    return lambda: merge([(f"{side}: ", scene.links(), off)  # type: ignore[misc]
                          for side, scene, off in zip(SIDES, scenes, offsets)], scenes[0].n_frames)


class FlipComparison(FigureKind):
    """Two layer figures side by side, stepping together."""

    name = "compare"

    def applies(self, config: Config) -> bool:
        return config.render.compare is Compare.FLIP_KERNEL

    def check(self, config: Config) -> None:
        if config.layers:
            raise SpecError("render.compare", "compares one layer's kernel flipped and not; a layers: config draws "
                                              "its receptive field instead (remove compare)")
        if config.spec.is_pool:
            raise SpecError("render.compare", f"{config.spec.op.value} has no kernel to flip; compare needs a "
                                              f"convolution")

    def steps(self, config: Config) -> int:
        one = plain(config)
        return kind_of(one).steps(one)

    def ignored(self, config: Config) -> list[tuple[str, str]]:
        """What each side would not draw (the same options reach both)."""
        one = plain(config)
        return next(kind for kind in kinds() if kind.applies(one)).ignored(one)

    def footprint(self, config: Config) -> Footprint:
        left, right = (kind_of(side).footprint(side) for side in sides(config))
        both = left + right
        head, gap = round(2.2 * HEADING_SIZE), round(2.0 * HEADING_SIZE)
        return replace(both, canvas=(both.canvas[0] + gap, both.canvas[1] + head))

    def scene(self, config: Config) -> Scene:
        scenes = [kind_of(side).scene(side) for side in sides(config)]
        th = config.render.theme
        size = max(HEADING_SIZE, word_size(0, scenes[0].width + scenes[1].width))
        # each heading wrapped at its comma to its side's width; a side narrower than its heading's longest
        # line is widened (centred in its column), so no heading is ever cut
        texts = headings(config.spec)
        lines = [wrap_text(t, size, "serif", max(sc.width, 12 * size), seps=(", ", " "))
                 for t, sc in zip(texts, scenes)]
        cols = [max(sc.width, round(max(text_width(ln, size, "serif") for ln in ls) + size))
                for sc, ls in zip(scenes, lines)]
        line_h = round(1.3 * size)
        head = round(0.9 * size) + line_h * max(len(ls) for ls in lines)
        gap = round(2.0 * size)
        offsets = [((cols[0] - scenes[0].width) / 2, float(head)),
                   (cols[0] + gap + (cols[1] - scenes[1].width) / 2, float(head))]
        width = cols[0] + gap + cols[1]
        height = head + max(s.height for s in scenes)
        static: list[Primitive] = []
        for n, (scene, (dx, dy), heading) in enumerate(zip(scenes, offsets, lines, strict=True)):
            static += [shift(p, dx, dy) for p in scene.static]
            mid = cols[0] / 2 if n == 0 else cols[0] + gap + cols[1] / 2
            static += [Text(xy=(mid, round(0.45 * size) + line_h * (k + 0.5)), text=line, size=size, color=th.caption,
                            font="serif", z=Z_HEADING) for k, line in enumerate(heading)]
        x_sep = cols[0] + gap / 2
        static.append(Segment(start=(x_sep, head * 0.3), end=(x_sep, height - head * 0.3), color=th.grid, width=1.0,
                              alpha=0.35, z=Z_HEADING))

        def frame(i: int) -> tuple[Primitive, ...]:
            out: list[Primitive] = []
            for scene, (dx, dy) in zip(scenes, offsets, strict=True):
                out += [shift(p, dx, dy) for p in scene.frame(i)]
            return tuple(out)

        regions = {side: {k: shift_region(k, v, dx, dy) for k, v in scene.regions.items()}
                   for side, scene, (dx, dy) in zip(("left", "right"), scenes, offsets, strict=True)}
        regions["traces"] = (regions["left"]["trace"], regions["right"]["trace"])
        return Scene(width=width, height=height, background=th.background, static=tuple(static),
                     n_frames=scenes[0].n_frames, frame=frame, dynamic_z=scenes[0].dynamic_z | scenes[1].dynamic_z,
                     regions=regions, narration=narration(scenes), links=links(scenes, offsets))

    def alt_text(self, config: Config) -> str:
        one = plain(config)
        text = kind_of(one).alt_text(one)
        return text + "; beside it the same with the kernel flipped (true convolution)"

    def info_lines(self, config: Config) -> list[str]:
        one = plain(config)
        return kind_of(one).info_lines(one)


register(FlipComparison(), precedence=10)
