"""Stage 3: figures. A ``Config`` becomes a ``Scene`` (pure geometry: cells, roles, lines, text).

One module per figure kind, each registered with the registry; ``scene(config)`` asks the registry which
kind draws the config. Importing this package registers the built-in kinds *deferred*: each by its module,
its precedence and a cheap test on the config, the module (and the engine code it needs) imported the first
time a config passes the test; a run of plain convolutions loads one kind, not all of them.
"""

from ..config.model import Config
from ..core.options import Compare, Pass, View, Wrt
from .registry import (
    FigureKind,
    alt_text,
    check_frames,
    check_limits,
    info_lines,
    kind_of,
    kinds,
    n_frames,
    register,
    register_deferred,
    scene,
    selected,
    steps_words,
)


def _backward(config: Config, wrt: Wrt) -> bool:
    return config.render.pass_ is Pass.BACKWARD and config.learn is None and config.render.wrt is wrt


# (module, precedence, may the kind draw the config?): each test is the kind's ``applies`` or looser, and the
# precedence the module registers with (tests/test_registries.py checks both against the modules).
BUILT_IN_KINDS = (
    ("learn", 3, lambda c: c.learn is not None),
    ("backward_scatter", 5, lambda c: _backward(c, Wrt.INPUT)),
    ("backward_gather", 6, lambda c: _backward(c, Wrt.INPUT)),
    ("backward_weight", 7, lambda c: _backward(c, Wrt.WEIGHT)),
    ("backward_bias", 8, lambda c: _backward(c, Wrt.BIAS)),
    ("compare", 10, lambda c: c.render.compare is Compare.FLIP_KERNEL),
    ("forward", 11, lambda c: c.render.compare is Compare.FORWARD),
    ("scatter", 20, lambda c: c.render.view is View.SCATTER),
    ("matrix", 21, lambda c: c.render.view is View.MATRIX),
    ("im2col", 22, lambda c: c.render.view is View.IM2COL),
    ("stack", 50, lambda c: bool(c.layers)),
    ("volume", 80, lambda c: c.spec.ndim == 3),
    ("channels", 90, lambda c: c.spec.in_channels > 1 or c.spec.out_channels > 1),
    ("single", 100, lambda c: True),
)
for _module, _precedence, _test in BUILT_IN_KINDS:
    register_deferred(f"{__name__}.{_module}", precedence=_precedence, may_apply=_test)

__all__ = ["BUILT_IN_KINDS", "FigureKind", "alt_text", "check_frames", "check_limits", "info_lines", "kind_of",
           "kinds", "n_frames", "register", "register_deferred", "scene", "selected", "steps_words"]
