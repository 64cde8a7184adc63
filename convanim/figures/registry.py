"""The figure-kind registry: which kind draws a config, how many frames it makes, its Scene, alt text and info.

A figure kind is one module of this folder holding a ``FigureKind`` subclass that it registers at its bottom
with a precedence (lower is asked first). The pipeline, ``convanim info``, the gallery and alt text ask the
registry (``kind_of``, ``scene``, ``n_frames``, ``alt_text``, ``info_lines``) and never branch on the kind.
``check_frames`` is the one ``max_frames`` guard: it counts frames from the spec alone, before any data is
simulated or drawn.
"""

from __future__ import annotations

import bisect
from typing import ClassVar

from ..config.model import Config
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.scene import Scene


class FigureKind:
    """One kind of figure. Subclasses set ``name`` and implement ``applies``, ``steps``, ``scene``, ``alt_text``."""

    name: ClassVar[str]

    def applies(self, config: Config) -> bool:
        """Whether this kind draws ``config`` (kinds are asked in order of precedence)."""
        raise NotImplementedError

    def check(self, config: Config) -> None:
        """Refuse render options this kind cannot honour (raise SpecError naming the key); called first."""

    def steps(self, config: Config) -> int:
        """The frames the animation steps through, before ``hold_last``: from the spec alone, cheap."""
        raise NotImplementedError

    def scene(self, config: Config) -> Scene:
        """Simulate and lay out the figure."""
        raise NotImplementedError

    def alt_text(self, config: Config) -> str:
        """One sentence a screen reader can say."""
        raise NotImplementedError

    def info_lines(self, config: Config) -> list[str]:
        """What ``convanim info`` prints under the config's heading."""
        return layer_info_lines(config.spec)


_KINDS: list[tuple[int, FigureKind]] = []


def register(kind: FigureKind, *, precedence: int) -> FigureKind:
    """Add a figure kind; kinds with a lower ``precedence`` are asked first. Returns the kind."""
    if any(k.name == kind.name for _, k in _KINDS):
        raise ValueError(f"a figure kind named {kind.name!r} is already registered")
    bisect.insort(_KINDS, (precedence, kind), key=lambda item: item[0])
    return kind


def kinds() -> tuple[FigureKind, ...]:
    """Every registered kind, in the order they are asked."""
    return tuple(kind for _, kind in _KINDS)


def kind_of(config: Config) -> FigureKind:
    """The kind that draws ``config``, its options checked."""
    for _, kind in _KINDS:
        if kind.applies(config):
            kind.check(config)
            return kind
    raise SpecError("render", "no figure kind draws this config")  # pragma: no cover - the layer kind takes all


def n_frames(config: Config) -> int:
    """Frames of the animation: the kind's steps plus ``hold_last``."""
    return kind_of(config).steps(config) + config.render.hold_last


def check_frames(config: Config) -> int:
    """The animation's frame count; raises SpecError (``render.max_frames``) when it is over the limit."""
    frames = n_frames(config)
    limit = config.render.max_frames
    if frames > limit:
        raise SpecError("render.max_frames", f"the animation would have {frames} frames, over the limit of "
                                             f"{limit}; raise it with render: {{max_frames: {frames}}}")
    return frames


def scene(config: Config) -> Scene:
    """The config's Scene, after the frame limit is checked."""
    check_frames(config)
    return kind_of(config).scene(config)


def alt_text(config: Config) -> str:
    """The figure's alt text."""
    return kind_of(config).alt_text(config)


def info_lines(config: Config) -> list[str]:
    """What ``convanim info`` prints for the config."""
    return kind_of(config).info_lines(config)
