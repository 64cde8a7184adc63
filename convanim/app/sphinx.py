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
``image``). Options: ``:format:`` gif (default), apng, webp, or png / svg for one frame (``:step:``,
default 0); ``:step:``; ``:caption:`` (makes a figure); ``:alt:`` (default: generated from the spec);
``:width:``, ``:align:``, ``:class:``, ``:name:`` as for ``figure``. Figures are rendered into
``<doctreedir>/convanim/NAME-HASH.EXT`` with the batch manifest's content hash, so an unchanged config is
never rendered twice, not even by a fresh build (``-E``); the builder copies them into ``_images/`` like
any image. Editing a config file rebuilds the documents that show it. A bad config is a warning that names
the file, line and key (type ``convanim``, so ``suppress_warnings = ["convanim"]`` silences it).
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .. import encode
from .._version import __version__
from ..core.errors import ConvanimError

logger = logging.getLogger(__name__)


def image_formats() -> tuple[str, ...]:
    """The registered formats a browser shows as an image (not video or PDF): the directive's choices."""
    return tuple(f.name for f in encode.formats() if f.mimetype.startswith("image/"))


def is_still(fmt: encode.Format) -> bool:
    """One frame (the step, default 0): a single PNG or an SVG."""
    return fmt.step_suffix is not None or not fmt.animated


def _format(argument: str) -> str:
    return directives.choice(argument, image_formats())


def _align(argument: str) -> str:
    return directives.choice(argument, ("left", "center", "right"))


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
        except ConvanimError as err:
            logger.warning("convanim: %s", err, location=self.get_location(), type="convanim", subtype="config")
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
        from .batch import content_hash
        from .pipeline import alt_text, render

        data, config = self._config()
        fmt = encode.get(self.options.get("format", "gif"))
        step = self.options.get("step", 0 if is_still(fmt) else None)
        digest = content_hash(data, config.name, (fmt.name,), step)
        stem = f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', config.name).strip('._') or 'convanim'}-{digest[:16]}"
        cache = Path(self.env.doctreedir) / "convanim"
        target = fmt.output(cache, stem, step)
        if not target.exists():
            [written] = render(dataclasses.replace(config, name=stem), cache, [fmt.name], step)
            logger.info("convanim: rendered %s", written.name)
        alt = self.options.get("alt") or alt_text(config) + ("" if step is None else f"; frame {step + 1}")
        uri = "/" + Path(os.path.relpath(target, self.env.srcdir)).as_posix()  # "/": relative to srcdir
        image = nodes.image(uri=uri, alt=alt)
        if "width" in self.options:
            image["width"] = self.options["width"]
        image["classes"] += self.options.get("class", [])
        caption = self.options.get("caption")
        if not caption:
            if "align" in self.options:
                image["align"] = self.options["align"]
            self.set_source_info(image)
            self.add_name(image)
            return [image]
        figure = nodes.figure("", image)
        if "align" in self.options:
            figure["align"] = self.options["align"]
        inline, messages = self.state.inline_text(caption, self.lineno)
        figure += nodes.caption(caption, "", *inline)
        self.set_source_info(figure)
        self.add_name(figure)
        return [figure, *messages]


def setup(app: Any) -> dict[str, Any]:
    """Register the ``convanim`` directive."""
    app.add_directive("convanim", ConvanimDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
