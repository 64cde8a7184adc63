"""What the docs builders share (the Sphinx directive, the MkDocs plugin): a figure's cached file name and its
alt text, so the same config renders once and reads the same in both."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import encode


def is_still(fmt: encode.Format) -> bool:
    """One frame (the step, default 0): a single PNG or an SVG."""
    return fmt.step_suffix is not None or not fmt.animated


def stem_of(data: bytes, config: Any, fmt: encode.Format, step: int | None) -> str:
    """``NAME-HASH``: the config's name and the content hash of its bytes, data, format, step and convanim."""
    from .batch import content_hash

    digest = content_hash(data, config.name, (fmt.name,), step)
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', config.name).strip('._') or 'convanim'}-{digest[:16]}"


def alt_of(config: Any, alt: str | None, step: int | None) -> str:
    """The figure's alt text: the one given, or the generated one (and which frame a still shows)."""
    from .pipeline import alt_text

    return alt or alt_text(config) + ("" if step is None else f"; frame {step + 1}")


def step_problem(config: Any, step: int | None, option: str = ":step:") -> str | None:
    """What is wrong with a step option (past the last frame), in the builder's words, or None."""
    from .pipeline import n_frames

    if step is None:
        return None
    frames = n_frames(config)
    return None if step < frames else (f"{option} {step} is past the last frame; this figure's frames are 0 to "
                                       f"{frames - 1}")


def rendered(config: Any, fmt: encode.Format, stem: str, step: int | None, cache: Path) -> tuple[Path, bool]:
    """``config`` rendered as ``fmt`` into ``cache`` (unless it is there already): its path, and whether it
    was rendered now."""
    import dataclasses

    from .pipeline import render

    target = fmt.output(cache, stem, step)
    if target.exists():
        return target, False
    [written] = render(dataclasses.replace(config, name=stem), cache, [fmt.name], step)
    return written, True
