"""Animation: a config shown inline in Jupyter as the interactive player (or a still PNG), with alt text.

``convanim.show("configs/padding_strides.yaml")`` returns an Animation. Jupyter displays it through
``_repr_html_``: the HTML player (``encode.html``: SVG, controls, hover linking; its script defines itself
once per page, and without scripts, as in a static nbconvert page, the poster frame still shows). A still,
that is a one-frame animation or ``show(..., step=3)`` (that frame only), is a PNG ``<img>`` and also has
``_repr_png_`` for front ends without HTML; an animation has no PNG form (``_repr_png_`` returns None, so
notebooks do not store the figure twice). The GIF stays at hand: ``.gif`` (bytes) and ``.save("x.gif")``.
Rendering happens on first display, in memory or a temporary folder that is removed at once: nothing is
written to the working directory unless you call ``.save(path)``.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import encode
from ..config import Config
from ..core.errors import UsageError, WriteError
from ..core.scene import Scene
from .pipeline import alt_text, as_config, check_step, render, scene_of


class Animation:
    """A config's animation, rendered lazily; shows itself inline in Jupyter."""

    def __init__(self, config: Config, *, step: int | None = None):
        self.config = config
        self.step = step
        self._scene: Scene | None = None
        self._data: bytes | None = None
        self._gif: bytes | None = None
        check_step(config, step)

    # ---------------------------------------------------------------- what it is
    @property
    def scene(self) -> Scene:
        """The laid-out figure (computed once)."""
        if self._scene is None:
            self._scene = scene_of(self.config)
        return self._scene

    @property
    def n_frames(self) -> int:
        """Frames in the whole animation (``step`` aside)."""
        return self.scene.n_frames

    @property
    def still(self) -> bool:
        """True when shown as one PNG: a single-frame animation, or a ``step`` was given."""
        return self.step is not None or self.n_frames == 1

    @property
    def frames(self) -> list[np.ndarray]:
        """Every frame of the animation as an RGB uint8 (height, width, 3) array."""
        from ..draw import render_frames

        return list(render_frames(self.scene))

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as an RGB uint8 array."""
        from ..draw import render_frame

        if not 0 <= i < self.n_frames:
            raise IndexError(f"frame {i} of an animation of {self.n_frames} frames")
        return render_frame(self.scene, i)

    @property
    def alt(self) -> str:
        """The alt text: the spec in words (and which frame, for a step)."""
        text = alt_text(self.config)
        return text if self.step is None else f"{text}; frame {self.step + 1} of {self.n_frames}"

    @property
    def mimetype(self) -> str:
        return "image/png" if self.still else "image/gif"

    @property
    def data(self) -> bytes:
        """The displayed image's bytes: a GIF, or a PNG for a still (rendered once, in memory)."""
        if self._data is None:
            try:
                with tempfile.TemporaryDirectory(prefix="convanim-") as tmp:
                    path = self.save(Path(tmp) / ("still.png" if self.still else "animation.gif"))
                    self._data = path.read_bytes()
            except OSError as err:
                raise WriteError(tempfile.gettempdir(), err) from None
        return self._data

    @property
    def gif(self) -> bytes:
        """The whole animation as a GIF (rendered once)."""
        if self._gif is None:
            if not self.still:
                self._gif = self.data
            else:
                with tempfile.TemporaryDirectory(prefix="convanim-") as tmp:
                    self._gif = Animation(self.config).save(Path(tmp) / "animation.gif").read_bytes()
        return self._gif

    @property
    def html(self) -> str:
        """The interactive player as an HTML fragment, its CSS and script included."""
        from ..encode.html import fragment

        return fragment(self.scene, self.config.render, start=self.step)

    # ---------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the figure to ``path``; its suffix picks the format (.gif .apng .webp .mp4 .pdf: the animation,
        or only the step if one was given; .png .svg: one frame, the step or 0). Returns the path."""
        if not isinstance(path, (str, os.PathLike)):
            raise UsageError(f"expected a path to save to, got {type(path).__name__}")
        path = Path(path)
        fmt = encode.by_suffix(path.suffix)
        if fmt is None:
            suffixes = sorted({f.step_suffix or f.suffix for f in encode.formats()} - {""})
            raise UsageError(f"unknown suffix {path.suffix!r} (use {', '.join(suffixes)})")
        still = fmt.step_suffix is not None or not fmt.animated  # a single file of one frame: png, svg
        step = (self.step or 0) if still else self.step
        config = dataclasses.replace(self.config, name=path.stem)
        [written] = render(config, path.parent, [fmt.name], step)
        if written != path:  # the suffix in another case
            try:
                os.replace(written, path)
            except OSError as err:
                raise WriteError(path, err) from None
        return path

    # ---------------------------------------------------------------- display
    def _repr_html_(self) -> str:
        if not self.still:
            return self.html
        data = base64.b64encode(self.data).decode("ascii")
        return (f'<img src="data:{self.mimetype};base64,{data}" alt="{html.escape(self.alt)}" '
                f'title="{html.escape(self.config.title)}" style="max-width: 100%; height: auto">')

    def _repr_png_(self) -> bytes | None:
        return self.data if self.still else None

    def __repr__(self) -> str:
        shown = f"step {self.step}" if self.step is not None else f"{self.n_frames} frames"
        return f"<convanim.Animation {self.config.name!r}: {self.config.title}, {shown}: {self.alt}>"


def show(config: Config | str | Path | None = None, /, *, step: int | None = None, **keys: Any) -> Animation:
    """An object that displays the animation inline in Jupyter (GIF as HTML; PNG for one frame or a step).

    ``config``: a Config, a path, YAML text, or config keys as keyword arguments. ``step``: show that frame
    only, as a still PNG. See ``Animation`` (``.save(path)``, ``.frames``, ``.n_frames``).
    """
    return Animation(as_config(config, **keys), step=step)
