"""The figure-kind registry: which kind draws a config, how many frames it makes, its Scene, alt text and info.

A figure kind is one module of this folder holding a ``FigureKind`` subclass that it registers at its bottom
with a precedence (lower is asked first). The pipeline, ``convanim info``, the gallery and alt text ask the
registry (``kind_of``, ``scene``, ``n_frames``, ``alt_text``, ``info_lines``) and never branch on the kind.

``check_limits`` is the one guard of every size limit (``core.limits``): it asks the kind for its
``footprint`` (frames, arrays, canvas, from the spec alone) and refuses the config before anything is
simulated or drawn; ``scene`` checks the canvas it built once more before a pixel is allocated. The
pipeline, ``convanim info``, batch planning and the Sphinx directive all go through it.

A kind can also be registered *deferred* (``register_deferred``): its module's name, its precedence and a cheap
test of whether it may draw a config (never False where the kind's ``applies`` is True). Its module is
imported the first time a config passes the test (importing it runs its ``register`` call, which takes the
deferred entry's place), so a run that draws plain convolutions loads one kind's code, not every kind's.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import import_module
from typing import ClassVar

from ..config.model import Config
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.limits import Footprint, check_canvas, check_footprint
from ..core.scene import Scene, static_layers
from .fit import fit_scene
from .footprint import layer_footprint
from .legend import with_legend
from .steps import FrameGrid, line, output_grid, select, select_frames
from .values import precision, with_precision


class FigureKind:
    """One kind of figure. Subclasses set ``name`` and implement ``applies``, ``steps``, ``scene``, ``alt_text``."""

    name: ClassVar[str]

    def applies(self, config: Config) -> bool:
        """Whether this kind draws ``config`` (kinds are asked in order of precedence)."""
        raise NotImplementedError

    def check(self, config: Config) -> None:
        """Refuse render options this kind cannot honour (raise SpecError naming the key); called first."""

    def ignored(self, config: Config) -> list[tuple[str, str]]:
        """Render options given that this figure would not draw: (key, why) pairs, refused by ``kind_of`` in
        one line each, so an option never silently does nothing. By default none."""
        return []

    def steps(self, config: Config) -> int:
        """The frames the animation steps through, before ``hold_last``: from the spec alone, cheap (integer
        arithmetic: never a list of the steps, which a hostile config can make astronomically long)."""
        raise NotImplementedError

    def frame_grid(self, config: Config) -> FrameGrid:
        """The kind's frames laid out for ``render.steps`` (``figures.steps``): by default the output cells of
        ``config.spec`` when the step count says each frame is one of them, else one axis of frames."""
        steps = self.steps(config)
        spec = config.spec
        if steps == spec.n_steps and spec.out_channels > 0:
            return output_grid(spec, spec.out_channels)
        return line(steps)

    def footprint(self, config: Config) -> Footprint:
        """What drawing ``config`` will allocate, from its spec and render options alone: checked against
        every limit (``core.limits``) before ``scene`` is called.

        Return a ``core.limits.Footprint``: ``frames`` (``steps`` + ``hold_last``); ``arrays``, one ``Amount``
        per large array the kind makes (the key that sets its size, what it is, its elements); ``canvas``,
        the (width, height) in pixels the scene will have; ``layers``, the static image layers a raster
        renderer keeps (``core.scene.static_layers`` of the scene); ``canvas_key``, the key to name when the
        canvas is too large. It must be cheap (integer arithmetic, no arrays, no simulation) and close to
        the truth: never less than half of what ``scene`` then builds, nor more than twice.

        The default covers a kind that simulates ``config.spec`` once and draws it like the single-layer
        figure (stacked, flat or strip): ``core.limits.spec_arrays(spec)`` and
        ``figures.footprint.layer_canvas``. Override it when a kind simulates more (several layers, a
        gradient), draws more planes, or lays out another canvas; build on the helpers of
        ``figures.footprint``.
        """
        return layer_footprint(config, self.steps(config) + config.render.hold_last)

    def scene(self, config: Config) -> Scene:
        """Simulate and lay out the figure."""
        raise NotImplementedError

    def alt_text(self, config: Config) -> str:
        """One sentence a screen reader can say."""
        raise NotImplementedError

    def info_lines(self, config: Config) -> list[str]:
        """What ``convanim info`` prints under the config's heading."""
        return layer_info_lines(config.spec)


def unshown(config: Config, *, numbers: bool = True, caption: bool = True, labels: bool = True,
            reveal: bool = True, what: str = "this figure", fix: str = "use style: flat") -> list[tuple[str, str]]:
    """The options ``config`` gives that a figure drawing only what the flags say would ignore: ``numbers``
    (values in cells), ``caption`` (an equation per frame), ``labels`` (the describe line), ``reveal:
    progressive``; and ``precision`` when it writes no number at all."""
    r = config.render
    out = []
    if r.numbers and not numbers:
        out.append(("render.numbers", f"{what} draws no numbers in its cells; {fix} (or remove numbers)"))
    if r.caption and not caption:
        out.append(("render.caption", f"{what} writes no equation under its frames; {fix} (or remove caption)"))
    if r.labels and not labels:
        out.append(("render.labels", f"{what} has no describe line; remove labels"))
    if r.reveal.value != "all" and not reveal:
        out.append(("render.reveal", f"{what} draws every frame whole; remove reveal"))
    if r.precision is not None and not (numbers and r.numbers or caption and r.caption):
        out.append(("render.precision", "formats the numbers and equations a figure writes; add numbers: true or "
                                        "caption: true (or remove precision)"))
    return out


@dataclass(frozen=True, slots=True)
class Deferred:
    """A kind not loaded yet: the module that registers it, and a cheap test of whether it may draw a config."""

    module: str  # absolute, e.g. "convanim.figures.single"
    may_apply: Callable[[Config], bool]


_KINDS: list[tuple[int, FigureKind | Deferred]] = []


def register(kind: FigureKind, *, precedence: int) -> FigureKind:
    """Add a figure kind; kinds with a lower ``precedence`` are asked first. Returns the kind. It takes the
    place of a deferred entry of its module."""
    if any(k.name == kind.name for _, k in _KINDS if not isinstance(k, Deferred)):
        raise ValueError(f"a figure kind named {kind.name!r} is already registered")
    module = type(kind).__module__
    _KINDS[:] = [(p, k) for p, k in _KINDS if not (isinstance(k, Deferred) and k.module == module)]
    bisect.insort(_KINDS, (precedence, kind), key=lambda item: item[0])
    return kind


def register_deferred(module: str, *, precedence: int, may_apply: Callable[[Config], bool]) -> None:
    """Register the kind that importing ``module`` registers, without importing it yet: it is imported the first
    time ``may_apply(config)`` is True for a config that no kind of lower precedence draws (or by ``kinds()``).
    ``may_apply`` must be cheap and True wherever the kind's ``applies`` is."""
    if any(not isinstance(k, Deferred) and type(k).__module__ == module for _, k in _KINDS):
        return  # imported already: its kind is registered
    bisect.insort(_KINDS, (precedence, Deferred(module, may_apply)), key=lambda item: item[0])


def _load(entry: Deferred) -> FigureKind:
    """Import a deferred kind's module; returns the kind it registered."""
    import_module(entry.module)
    found = [k for _, k in _KINDS if not isinstance(k, Deferred) and type(k).__module__ == entry.module]
    if len(found) != 1 or any(k is entry for _, k in _KINDS):
        raise RuntimeError(f"{entry.module} should register one figure kind (it registered {len(found)})")
    return found[0]


def kinds() -> tuple[FigureKind, ...]:
    """Every registered kind, in the order they are asked (deferred ones are loaded)."""
    for _, kind in list(_KINDS):
        if isinstance(kind, Deferred):
            _load(kind)
    return tuple(kind for _, kind in _KINDS)


def kind_of(config: Config) -> FigureKind:
    """The kind that draws ``config``, its options checked (loading a deferred kind only when it may draw it)."""
    for _, kind in list(_KINDS):
        if isinstance(kind, Deferred):
            if not kind.may_apply(config):
                continue
            kind = _load(kind)
        if kind.applies(config):
            kind.check(config)
            for key, why in kind.ignored(config):
                raise SpecError(key, why)
            return kind
    raise SpecError("render", "no figure kind draws this config")  # pragma: no cover - the layer kind takes all


def drawn(config: Config) -> Config:
    """The config a kind draws: every step, each frame once (``render.steps`` picks frames afterwards, and
    ``hold_first`` / ``hold_last`` are frame durations the encoders apply)."""
    render = config.render
    if not (render.hold_first or render.hold_last or render.steps):
        return config
    return replace(config, render=replace(render, hold_first=0, hold_last=0, steps=None))


def selected(config: Config) -> tuple[int, ...] | None:
    """The frames ``render.steps`` picks (None: all of them); SpecError when it picks none or a missing one."""
    if config.render.steps is None:
        return None
    base = drawn(config)
    kind = kind_of(base)
    grid = kind.frame_grid(base)
    return select(config.render.steps, grid)


def n_steps(config: Config) -> int:
    """The steps the figure animates before ``render.steps`` picks some."""
    base = drawn(config)
    return kind_of(base).steps(base)


def n_frames(config: Config) -> int:
    """Frames of the animation: the steps ``render.steps`` picks (every step by default)."""
    frames = selected(config)
    return n_steps(config) if frames is None else len(frames)


def check_limits(config: Config) -> Footprint:
    """The config's footprint; raises SpecError naming the key, the size and how to raise the limit when it
    is over any of them (frames first, then arrays, then the canvas)."""
    base = drawn(config)
    footprint = kind_of(base).footprint(base)
    frames = selected(config)
    if frames is not None:
        footprint = replace(footprint, frames=len(frames))
    check_footprint(footprint, config.render)
    return footprint


def check_frames(config: Config) -> int:
    """The animation's frame count, every limit checked (``check_limits``)."""
    return check_limits(config).frames


def scene(config: Config) -> Scene:
    """The config's Scene, after every limit is checked; its canvas is checked again before it is returned.

    The kind draws every step (``drawn``); the frames ``render.steps`` picks are kept, every text is fitted
    (``fit.fit_scene``) and numbers are written to ``render.precision``, also in frames drawn later."""
    footprint = check_limits(config)
    base = drawn(config)
    digits = config.render.precision
    with precision(digits):
        built = kind_of(base).scene(base)
        frames = selected(config)
        if frames is not None:
            built = select_frames(built, frames)
        if config.render.legend:
            built = with_legend(built, config)
        built = fit_scene(built)
    built = replace(built, frame=with_precision(digits, built.frame),
                    narration=None if built.narration is None else with_precision(digits, built.narration))
    check_canvas(built.width, built.height, static_layers(built), config.render.max_pixels, footprint.canvas_key)
    return built


def steps_words(config: Config) -> str | None:
    """"9 of 576 steps" when ``render.steps`` picks some (None otherwise)."""
    frames = selected(config)
    if frames is None:
        return None
    return f"{len(frames):,} of {n_steps(config):,} steps"


def alt_text(config: Config) -> str:
    """The figure's alt text ("...; 9 of 576 steps shown" when ``render.steps`` picks some)."""
    base = drawn(config)
    text = kind_of(base).alt_text(base)
    words = steps_words(config)
    return text if words is None else f"{text}; {words} shown"


def info_lines(config: Config) -> list[str]:
    """What ``convanim info`` prints for the config, every limit checked first."""
    check_limits(config)
    base = drawn(config)
    lines = kind_of(base).info_lines(base)
    words = steps_words(config)
    if words is None:
        return lines
    return [re.sub(r"frames: [\d,]+", f"frames: {words}", ln) for ln in lines]
