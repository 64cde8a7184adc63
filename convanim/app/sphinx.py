"""Sphinx extension: ``.. convanim:: config.yaml`` renders a figure at docs build time, cached by content hash.

In ``conf.py``: ``extensions = ["convanim.sphinx"]``. Then, in a document::

    .. convanim:: ../configs/padding_strides.yaml
       :caption: A 3×3 kernel, stride 2, padding 1.

    .. convanim::
       :format: png
       :step: 4

       input_size: 5
       kernel_size: 3
       render: {numbers: true}

The path is relative to the document, or to the source folder when it starts with ``/`` (as for Sphinx's
``image``). Options: ``:format:`` gif (default), apng, webp, html (the interactive player), or png / svg
for one frame (``:step:``, default 0); ``:step:``; ``:caption:`` (makes a figure); ``:alt:`` (default:
generated from the spec); ``:width:``, ``:align:``, ``:class:``, ``:name:`` as for ``figure``. Builders
that are not HTML (LaTeX and PDF, man, text, ...) get a still of ``:step:`` (default the first frame) as
PDF or PNG instead of an animation or an SVG they cannot include; the player's script and CSS are added
to HTML builds as static files, once per page. Figures are rendered into
``<doctreedir>/convanim/NAME-HASH.EXT`` with the batch manifest's content hash, so an unchanged config is
never rendered twice, not even by a fresh build (``-E``); the builder copies them into ``_images/`` like
any image. Editing a config file rebuilds the documents that show it. A bad config is a warning that names
the file, line and key (type ``convanim``, so ``suppress_warnings = ["convanim"]`` silences it); every size
limit is checked before anything is drawn, and the build goes on.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .. import encode
from .._version import __version__
from ..core.errors import ConvanimError
from .docs import is_still

logger = logging.getLogger(__name__)


def image_formats() -> tuple[str, ...]:
    """The directive's choices: the registered formats a browser shows as an image (not video or PDF), and
    the HTML player."""
    return tuple(f.name for f in encode.formats() if f.mimetype.startswith("image/") or f.mimetype == "text/html")


def _format(argument: str) -> str:
    return directives.choice(argument, image_formats())


def _align(argument: str) -> str:
    return directives.choice(argument, ("left", "center", "right"))


class OptionError(ConvanimError):
    """A directive option the figure cannot take, reported at the option's line."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


class ConvanimDirective(SphinxDirective):
    """``.. convanim:: path`` or inline YAML content: an image (a figure with ``:caption:``)."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "format": _format,
        "step": directives.nonnegative_int,
        "caption": directives.unchanged,
        "alt": directives.unchanged,
        "width": directives.length_or_percentage_or_unitless,
        "align": _align,
        "class": directives.class_option,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        try:
            return self._run()
        except OptionError as err:
            logger.warning("convanim: %s", err, location=(self.env.docname, err.line), type="convanim",
                           subtype="config")
        except ConvanimError as err:
            logger.warning("convanim: %s", err, location=self.get_location(), type="convanim", subtype="config")
        except MemoryError:
            logger.warning("convanim: out of memory while drawing this figure", location=self.get_location(),
                           type="convanim", subtype="config")
        except Exception as err:  # a bug in convanim: say so, and let the rest of the build go on
            logger.warning("convanim: internal error: %s: %s", type(err).__name__, err,
                           location=self.get_location(), type="convanim", subtype="bug")
        return []

    def _config(self) -> tuple[bytes, Any]:
        from ..config import parse_config
        from ..core.errors import ConfigError
        from .batch import read_config

        if self.arguments and self.content:
            raise ConvanimError("give a config file or inline YAML content, not both")
        if self.arguments:
            rel, absolute = self.env.relfn2path(self.arguments[0])
            self.env.note_dependency(absolute)  # an edited config rebuilds this document
            return read_config(absolute, source=rel)
        if not self.content:
            raise ConvanimError("give a config file (.. convanim:: path/to/config.yaml) or inline YAML content")
        text = "\n".join(self.content) + "\n"
        doc = self.env.doc2path(self.env.docname, False)
        try:
            return text.encode(), parse_config(text, source=str(doc), default_name="convanim")
        except ConfigError as err:  # point at the line in the document, not in the block
            line = self.content_offset + err.line if err.line else self.lineno
            raise ConfigError(str(doc), line, err.key, err.message) from None

    def _run(self) -> list[nodes.Node]:
        from .docs import alt_of, stem_of
        from .pipeline import alt_text

        data, config = self._config()
        fmt = encode.get(self.options.get("format", "gif"))
        step = self.options.get("step", 0 if is_still(fmt) else None)
        self._check_step(config, step)
        stem = stem_of(data, config, fmt, step)
        alt = alt_of(config, self.options.get("alt"), step)
        if fmt.mimetype == "image/png":  # every builder can include a PNG
            return self._wrap([self._image(self._rendered(config, fmt, stem, step), alt)])
        if fmt.name == "html":
            shown: nodes.Node = nodes.raw("", self._player(config, stem, step, alt), format="html")
        else:
            shown = self._image(self._rendered(config, fmt, stem, step), alt)
        # Builders that are not HTML (LaTeX/PDF, ...) get a still of the step (default the first), as PDF or PNG.
        still_step = step or 0
        still = f"{stem}-still{still_step}"
        for name in ("pdf", "png"):
            self._rendered(config, encode.get(name), still, still_step)
        cache = Path(self.env.doctreedir) / "convanim"
        still_uri = "/" + Path(os.path.relpath(cache / f"{still}.*", self.env.srcdir)).as_posix()
        still_alt = self.options.get("alt") or f"{alt_text(config)}; frame {still_step + 1}"
        return self._wrap([addnodes.only("", shown, expr="html"),
                           addnodes.only("", self._image(still_uri, still_alt), expr="not html")])

    def _check_step(self, config: Any, step: int | None) -> None:
        """``:step:`` names a frame of the figure: else one warning in the directive's words, at its line."""
        from .docs import step_problem

        problem = step_problem(config, step)
        if problem:
            raise OptionError(problem, self.option_line("step"))

    def option_line(self, name: str) -> int:
        """The line of the directive's ``:name:`` option in its document (the directive's line if not found)."""
        for n, text in enumerate(self.block_text.splitlines()):
            if text.strip().startswith(f":{name}:"):
                return self.lineno + n
        return self.lineno

    def _rendered(self, config: Any, fmt: encode.Format, stem: str, step: int | None) -> str:
        """Render ``config`` as ``fmt`` into the cache (unless it is there); its URI relative to the source."""
        from .docs import rendered

        cache = Path(self.env.doctreedir) / "convanim"
        target, new = rendered(config, fmt, stem, step, cache)
        if new:
            logger.info("convanim: rendered %s", target.name)
        return "/" + Path(os.path.relpath(target, self.env.srcdir)).as_posix()  # "/": relative to srcdir

    def _player(self, config: Any, stem: str, step: int | None, alt: str) -> str:
        """The player's ``<figure>`` (its script and CSS come once per page, as static files)."""
        from ..core.files import write_text_atomic
        from ..encode.html import fragment
        from .pipeline import scene_of

        target = Path(self.env.doctreedir) / "convanim" / "players" / f"{stem}.html"
        if not target.exists():
            scene = dataclasses.replace(scene_of(config), alt=alt)
            write_text_atomic(target, fragment(scene, config.render, start=step, code=False))
            logger.info("convanim: rendered %s", target.name)
        player = target.read_text(encoding="utf-8")
        if "width" in self.options:  # as for an image: the player is scaled down to it
            from html import escape

            width = self.options["width"]
            width = f"{width}px" if re.fullmatch(r"[\d.]+", str(width)) else str(width)
            player = f'<div class="convanim-player" style="max-width:{escape(width)}">{player}</div>'
        return player

    def _image(self, uri: str, alt: str) -> nodes.image:
        image = nodes.image(uri=uri, alt=alt, loading="lazy")  # docutils' HTML writer: <img loading="lazy">
        if "width" in self.options:
            image["width"] = self.options["width"]
        image["classes"] += self.options.get("class", [])
        return image

    def _wrap(self, content: list[nodes.Node]) -> list[nodes.Node]:
        """The content as is (aligned, named), or in a figure with the caption."""
        caption = self.options.get("caption")
        if not caption:
            target = content[0]
            if "align" in self.options and isinstance(target, nodes.image):
                target["align"] = self.options["align"]
            if len(content) > 1:
                target = nodes.container("", *content, classes=["convanim"])
                content = [target]
            self.set_source_info(target)
            self.add_name(target)
            return content
        figure = nodes.figure("", *content)
        if "align" in self.options:
            figure["align"] = self.options["align"]
        inline, messages = self.state.inline_text(caption, self.lineno)
        figure += nodes.caption(caption, "", *inline)
        self.set_source_info(figure)
        self.add_name(figure)
        return [figure, *messages]


def add_player_files(app: Any) -> None:
    """HTML builders: the player's CSS and script, once per page, as static files."""
    if getattr(app.builder, "format", "") != "html":
        return
    from ..core.files import write_text_atomic
    from ..encode.html import player_code

    static = Path(app.doctreedir) / "convanim-static"
    css, js = player_code()
    write_text_atomic(static / "convanim-player.css", css)
    write_text_atomic(static / "convanim-player.js", js)
    app.config.html_static_path.append(str(static))
    app.add_css_file("convanim-player.css")
    app.add_js_file("convanim-player.js")


def setup(app: Any) -> dict[str, Any]:
    """Register the ``convanim`` directive."""
    app.add_directive("convanim", ConvanimDirective)
    app.connect("builder-inited", add_player_files)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
