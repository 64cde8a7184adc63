"""The MkDocs plugin: a fenced ``convanim`` block in a page becomes the figure, rendered at build time.

In ``mkdocs.yml``::

    plugins:
      - convanim            # options: format (default gif), cache_dir (default .convanim-cache)

In a page, inline YAML or a config file, and the options of the Sphinx directive as ``key=value`` after the
fence's language::

    ```convanim format=png step=4 alt="The fifth step"
    input_size: 5
    kernel_size: 3
    ```

    ```convanim file=../configs/padding_strides.yaml caption="A 3×3 kernel, stride 2, padding 1."
    ```

Options: ``file`` (a config, relative to the page), ``format`` (gif, apng, webp, png, svg or html, the
player), ``step``, ``alt`` (default: generated from the spec, as the Sphinx directive's), ``caption`` (a
figure caption), ``width``. Figures are named by content hash and cached (``cache_dir``), so an unchanged
config is never rendered twice; the files a build uses are copied into ``site/_convanim/``. A bad config is a
warning naming the page, its line and the key (``mkdocs build --strict`` makes it an error); the build goes on.
"""

from __future__ import annotations

import html
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.plugins import BasePlugin, get_plugin_logger

from .. import encode
from ..core.errors import ConfigError, ConvanimError

log = get_plugin_logger("convanim")

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})convanim(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)"
                   r"(?P=fence)[ \t]*$", re.S | re.M)
OPTIONS = ("file", "format", "step", "alt", "caption", "width")
SITE_FOLDER = "_convanim"


class InlineError(ConfigError):
    """A bad inline config, at its line in the page."""


class ConvanimPlugin(BasePlugin):  # type: ignore[type-arg]
    """Render ``convanim`` fences into figures (images, or the interactive player)."""

    config_scheme = (
        ("format", config_options.Type(str, default="gif")),
        ("cache_dir", config_options.Type(str, default=".convanim-cache")),
    )

    def on_config(self, config: Any) -> Any:
        self.used: set[Path] = set()
        root = Path(config.config_file_path or ".").parent
        self.cache = (root / self.config["cache_dir"]).resolve()
        return config

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        self.player_code = False  # the player's script and CSS: once per page
        return FENCE.sub(lambda m: self.figure(m, markdown, page, config), markdown)

    def figure(self, match: re.Match[str], markdown: str, page: Any, config: Any) -> str:
        line = markdown.count("\n", 0, match.start()) + 1
        where = f"{page.file.src_uri}:{line}"
        try:
            return self.rendered_figure(match, page, config, line)
        except InlineError as err:  # already at its line in the page
            log.warning("%s", err)
        except ConvanimError as err:
            log.warning("%s: %s", where, err)
        except MemoryError:
            log.warning("%s: out of memory while drawing this figure", where)
        return f'<p class="convanim-error">convanim: this figure could not be drawn ({html.escape(where)})</p>'

    def options(self, info: str) -> dict[str, str]:
        """The fence's ``key=value`` options."""
        try:
            pairs = shlex.split(info)
        except ValueError as err:
            raise ConvanimError(f"the fence's options: {err}") from None
        out = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or key not in OPTIONS:
                raise ConvanimError(f"unknown fence option {pair!r} (use {', '.join(f'{o}=...' for o in OPTIONS)})")
            out[key] = value
        return out

    def config_of(self, opts: dict[str, str], body: str, page: Any, config: Any, line: int) -> tuple[bytes, Any]:
        from ..config import parse_config
        from ..core.errors import ConfigError
        from .batch import read_config

        if "file" in opts:
            if body.strip():
                raise ConvanimError("give file=... or inline YAML in the fence, not both")
            path = (Path(config.docs_dir) / page.file.src_uri).parent / opts["file"]
            return read_config(path, source=opts["file"])
        if not body.strip():
            raise ConvanimError("give a config: inline YAML in the fence, or file=path/to/config.yaml")
        try:
            return body.encode(), parse_config(body, source=page.file.src_uri, default_name="convanim")
        except ConfigError as err:  # point at the line in the page, not in the block
            raise InlineError(page.file.src_uri, line + (err.line or 1), err.key, err.message) from None

    def rendered_figure(self, match: re.Match[str], page: Any, config: Any, line: int) -> str:
        from .docs import alt_of, is_still, rendered, stem_of, step_problem

        opts = self.options(match["info"])
        data, cfg = self.config_of(opts, match["body"], page, config, line)
        try:
            fmt = encode.get(opts.get("format", self.config["format"]))
        except ConvanimError as err:
            raise ConvanimError(f"format={opts.get('format', self.config['format'])}: {err}") from None
        if "step" in opts and not opts["step"].isdigit():
            raise ConvanimError(f"step={opts['step']}: expected a frame number (0, 1, ...)")
        step = int(opts["step"]) if "step" in opts else (0 if is_still(fmt) else None)
        problem = step_problem(cfg, step, "step=")
        if problem:
            raise ConvanimError(problem)
        stem = stem_of(data, cfg, fmt, step)
        alt = alt_of(cfg, opts.get("alt"), step)
        if fmt.name == "html":
            shown = self.player(cfg, stem, step, alt)
        else:
            path, new = rendered(cfg, fmt, stem, step, self.cache)
            if new:
                log.info("rendered %s", path.name)
            self.used.add(path)
            width = f' width="{html.escape(opts["width"])}"' if "width" in opts else ""
            shown = (f'<img src="{self.url(page, path.name)}" alt="{html.escape(alt)}"{width} loading="lazy" '
                     f'decoding="async">')
        if "caption" in opts:
            return (f'<figure class="convanim">{shown}<figcaption>{html.escape(opts["caption"])}</figcaption>'
                    f"</figure>")
        return f'<p class="convanim">{shown}</p>'

    def player(self, cfg: Any, stem: str, step: int | None, alt: str) -> str:
        """The interactive player, its script and CSS with the page's first one."""
        import dataclasses

        from ..core.files import write_text_atomic
        from ..encode.html import fragment
        from .pipeline import scene_of

        target = self.cache / "players" / f"{stem}.html"
        first = not self.player_code
        self.player_code = True
        if not target.exists():
            scene = dataclasses.replace(scene_of(cfg), alt=alt)
            write_text_atomic(target, fragment(scene, cfg.render, start=step, code=False))
            log.info("rendered %s", target.name)
        player = target.read_text(encoding="utf-8")
        if first:
            from ..encode.html import player_code

            css, js = player_code()
            return f"<style>{css}</style>{player}<script>{js}</script>"
        return player

    @staticmethod
    def url(page: Any, name: str) -> str:
        """``name`` in ``site/_convanim/`` as a URL relative to the page."""
        depth = page.url.count("/") if page.url else 0
        return "../" * depth + f"{SITE_FOLDER}/{name}"

    def on_post_build(self, config: Any) -> None:
        """Copy the files this build used into the site."""
        folder = Path(config.site_dir) / SITE_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.used):
            shutil.copy2(path, folder / path.name)
