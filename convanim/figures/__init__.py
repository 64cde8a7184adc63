"""Stage 3: figures. A ``Config`` becomes a ``Scene`` (pure geometry: cells, roles, lines, text).

One module per figure kind, each registered with the registry; ``scene(config)`` asks the registry which
kind draws the config. Importing this package registers the built-in kinds.
"""

from . import (  # noqa: F401 - each registers its figure kind
    backward_bias,
    backward_gather,
    backward_scatter,
    backward_weight,
    channels,
    compare,
    forward,
    im2col,
    learn,
    matrix,
    scatter,
    single,
    stack,
    volume,
)
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
    scene,
    selected,
    steps_words,
)

__all__ = ["FigureKind", "alt_text", "check_frames", "check_limits", "info_lines", "kind_of", "kinds", "n_frames",
           "register", "scene", "selected", "steps_words"]
