"""The gallery page: every rendered figure as a card (title, parameters, PyTorch line, config link, alt text).

``write_gallery(tasks, out_dir)`` writes ``out_dir/index.html`` (one self-contained file: inline CSS and the
player's script once, no fonts or CDNs; every card holds the figure's interactive player, taken from its
``NAME.html``, and links its GIF, by relative path, so it works offline and on GitHub Pages) and
``out_dir/README.md`` (the same with the GIFs, for GitHub's file view). Both are deterministic: figures in
the order given, no dates.
"""

from __future__ import annotations

import html
import os
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..core.arithmetic import describe
from ..core.errors import ConvanimError
from ..core.files import Unreadable, ensure_dir, read_regular, write_text_atomic
from ..encode.html import figure_of, player_code
from .batch import Task

WIDE = 2.2  # a figure this many times wider than tall spans the whole row
MARK_HTML = '<meta name="generator" content="convanim gallery">'
MARK_MD = "<!-- Written by `convanim gallery`; edits are overwritten. -->"


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One card of the gallery; every path is a URL relative to the page."""

    name: str
    title: str
    image: str
    width: int  # pixels, 0 if unknown
    height: int
    alt: str
    params: str  # arithmetic.describe(spec)
    torch: str  # spec.torch_line()
    config: str  # link to the config file
    config_label: str  # the config's path as given
    player: str = ""  # the interactive player's <figure>, "" when none was rendered
    page: str = ""  # link to the player's own page


def _href(target: Path, page_dir: Path) -> str:
    """A URL relative to the page; a file name's raw bytes are percent-encoded as they are on disk."""
    rel = Path(os.path.relpath(os.path.abspath(target), os.path.abspath(page_dir))).as_posix()
    return quote(os.fsencode(rel))


def _image_size(path: Path) -> tuple[int, int]:
    """Width and height from a GIF's header (0, 0 if it is not a readable GIF)."""
    try:
        with open(path, "rb") as f:
            head = f.read(10)
    except OSError:
        return 0, 0
    if head[:6] not in (b"GIF87a", b"GIF89a"):
        return 0, 0
    return struct.unpack("<HH", head[6:10])


def _player(page: Path | None) -> str:
    """The player in a figure's ``NAME.html``, or "" (no such file, or not one of ours)."""
    try:
        return (figure_of(page.read_text(encoding="utf-8")) or "") if page is not None else ""
    except OSError:
        return ""


def describe_task(task: Task) -> tuple[str, str]:
    """A card's parameters line and PyTorch code: the layer's, or for a ``layers:`` config the whole stack's
    (``nn.Sequential`` of every layer and element-wise step, in order)."""
    if not task.layers:
        return describe(task.spec), task.spec.torch_line()
    from ..engine.receptive import describe_stack

    body = ",\n    ".join(layer.torch_line() for layer in task.layers)
    return describe_stack(task.layers), f"nn.Sequential(\n    {body},\n)"


def figures(tasks: Iterable[Task], out_dir: str | os.PathLike[str]) -> list[Figure]:
    """The cards for ``tasks`` (configs rendered as GIF into ``out_dir``), in the order given."""
    out = Path(out_dir)
    cards = []
    for task in tasks:
        image = next((p for p in task.outputs if p.suffix == ".gif"), task.outputs[0])
        width, height = _image_size(image)
        page = next((p for p in task.outputs if p.suffix == ".html"), None)
        player = _player(page)
        params, torch = describe_task(task)
        cards.append(Figure(name=task.name, title=task.title, image=_href(image, out), width=width, height=height,
                            alt=task.alt, params=params, torch=torch,
                            config=_href(task.path, out), config_label=_text(Path(task.path).as_posix()),
                            player=player, page=_href(page, out) if player and page else ""))
    return cards


CSS = """
:root { --bg: #f6f7f9; --card: #ffffff; --text: #1f2328; --muted: #59636e; --line: #d1d9e0;
        --code: #f3f5f7; --link: #0550ae; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #9198a1; --line: #30363d;
          --code: #0d1117; --link: #4493f8; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); line-height: 1.5;
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 2rem; padding-bottom: 1rem; }
h1 { margin: 0 0 .25rem; font-size: 1.75rem; letter-spacing: -.01em; }
header p, footer { color: var(--muted); margin: 0; }
main { display: grid; gap: 1.25rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 19rem), 1fr));
       padding-bottom: 2rem; }
.card { display: flex; flex-direction: column; gap: .6rem; margin: 0; padding: 1rem; background: var(--card);
        border: 1px solid var(--line); border-radius: 12px; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h2 { margin: 0; font-size: 1.05rem; line-height: 1.3; }
.card h2 a { color: inherit; text-decoration: none; }
.card h2 a:hover { text-decoration: underline; }
.figure { display: flex; align-items: center; justify-content: center; min-height: 8rem; padding: .5rem;
          flex-direction: column;
          background: #ffffff; border-radius: 8px; overflow: hidden; }
.figure img { display: block; max-width: 100%; height: auto; }
.figure .cv-player { width: 100%; color: #1f2328; color-scheme: light; }
.files { margin: 0; font-size: .85rem; }
.files a { color: var(--link); }
.params { margin: 0; color: var(--muted); font-size: .9rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; }
pre { margin: 0; padding: .5rem .65rem; background: var(--code); border: 1px solid var(--line); border-radius: 6px;
      font-size: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.config { margin: auto 0 0; font-size: .85rem; }
.config a { color: var(--link); word-break: break-all; }
footer { padding-bottom: 2rem; font-size: .85rem; }
"""


def _card(fig: Figure) -> str:
    e = html.escape
    wide = " wide" if fig.height and fig.width / fig.height > WIDE else ""
    size = f' width="{fig.width}" height="{fig.height}"' if fig.width and fig.height else ""
    anchor = re.sub(r"[^\w-]", "-", fig.name)
    return f"""<article class="card{wide}" id="{e(anchor)}">
<h2><a href="#{e(anchor)}">{e(fig.title)}</a></h2>
{_figure(fig, size)}
<p class="params">{e(fig.params)}</p>
<pre><code>{e(fig.torch)}</code></pre>
<p class="config">Config: <a href="{e(fig.config)}">{e(fig.config_label)}</a></p>
</article>"""


def _figure(fig: Figure, size: str) -> str:
    """The card's figure: the player (and links to the GIF and the player's page), or the GIF."""
    e = html.escape
    if not fig.player:
        return (f'<a class="figure" href="{e(fig.image)}"><img src="{e(fig.image)}" alt="{e(fig.alt)}"{size} '
                f'loading="lazy" decoding="async"></a>')
    return (f'<div class="figure">{fig.player}</div>\n<p class="files">Files: <a href="{e(fig.image)}">GIF</a> · '
            f'<a href="{e(fig.page)}">player page</a></p>')


def gallery_html(cards: list[Figure], title: str = "convanim gallery") -> str:
    """The page: a responsive grid of cards, self-contained, every text escaped."""
    e = html.escape
    count = f"{len(cards)} figure{'s' if len(cards) != 1 else ''}"
    players = any(c.player for c in cards)
    css, js = player_code()
    body = "\n".join(_card(c) for c in cards)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{MARK_HTML}
<title>{e(title)}</title>
<style>{CSS}</style>
{f"<style>{css}</style>" if players else ""}
</head>
<body>
<header>
<h1>{e(title)}</h1>
<p>{count}, each drawn step by step exactly as PyTorch computes it.</p>
</header>
<main>
{body}
</main>
<footer>Made with convanim. Blue: input, dashed: padding, green: output. Hover a cell to see what it reads
and what reads it; click to pin.</footer>
{f"<script>{js}</script>" if players else ""}
</body>
</html>
"""


def _md(text: str) -> str:
    """Text safe inside Markdown (and the HTML GitHub allows in it)."""
    return re.sub(r"([\\`*_{}\[\]()#+!|<>~])", r"\\\1", text)


def gallery_markdown(cards: list[Figure], title: str = "convanim gallery") -> str:
    """The same gallery as Markdown, for GitHub's view of the folder."""
    lines = [f"# {_md(title)}", "", MARK_MD, ""]
    for c in cards:
        lines += [f"## {_md(c.title)}", "", f"![{_md(c.alt)}]({c.image})", "", _md(c.params), "",
                  "```python", c.torch, "```", "", f"Config: [{_md(c.config_label)}]({c.config})", ""]
    return "\n".join(lines)


def _check_ours(path: Path, mark: str) -> None:
    """Refuse to replace a page that the gallery did not write (say, a project's own README.md)."""
    try:
        head = read_regular(path, 4096, head=True).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return
    except Unreadable as err:
        raise ConvanimError(f"{path}: {err}; not replacing it (choose another --out-dir)") from None
    if mark not in head:
        raise ConvanimError(f"{path}: exists and was not written by convanim gallery; not replacing it "
                            "(choose another --out-dir)")


def check_title(title: str) -> str:
    """``title`` if it can be written into the pages (valid Unicode); ConvanimError otherwise."""
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        raise ConvanimError(f"--title: is not valid Unicode text, got {title!r}") from None
    return title


def _text(text: str) -> str:
    """Text for a page: a file name's undecodable bytes (surrogate escapes) shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_pages(out_dir: str | os.PathLike[str]) -> None:
    """Raise ConvanimError if ``out_dir`` holds an index.html or README.md that the gallery did not write."""
    out = Path(out_dir)
    for path, mark in ((out / "index.html", MARK_HTML), (out / "README.md", MARK_MD)):
        _check_ours(path, mark)


def write_gallery(tasks: Iterable[Task], out_dir: str | os.PathLike[str], *,
                  title: str = "convanim gallery") -> tuple[Path, Path]:
    """Write ``out_dir/index.html`` and ``out_dir/README.md`` (atomically) for configs rendered as GIFs."""
    out = Path(out_dir)
    check_title(title)
    check_pages(out)
    ensure_dir(out)
    cards = figures(tasks, out)
    return (write_text_atomic(out / "index.html", gallery_html(cards, title)),
            write_text_atomic(out / "README.md", gallery_markdown(cards, title)))
