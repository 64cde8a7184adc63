"""Write the README's gallery section: every config in configs/ as a table row, its GIF beside its YAML.

Run after adding a config (and `make gallery`): `python tools/readme_gallery.py`. tests/test_readme.py fails
when the section is out of date.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"
# conv_arithmetic's figures first, in the order of their README, then convanim's new cases by name.
CONV_ARITHMETIC = [
    "no_padding_no_strides", "arbitrary_padding_no_strides", "same_padding_no_strides", "full_padding_no_strides",
    "no_padding_strides", "padding_strides", "padding_strides_odd",
    "no_padding_no_strides_transposed", "arbitrary_padding_no_strides_transposed",
    "same_padding_no_strides_transposed", "full_padding_no_strides_transposed", "no_padding_strides_transposed",
    "padding_strides_transposed", "padding_strides_odd_transposed", "dilation",
    "numerical_no_padding_no_strides", "numerical_padding_strides", "numerical_average_pooling",
    "numerical_max_pooling",
]
MAX_WIDTH = 340


def ordered_configs() -> list[Path]:
    paths = {p.stem: p for p in (ROOT / "configs").glob("*.yaml")}
    first = [paths.pop(n) for n in CONV_ARITHMETIC if n in paths]
    return first + [paths[n] for n in sorted(paths)]


def section() -> str:
    from PIL import Image

    from convanim.app.pipeline import alt_text as config_alt_text
    from convanim.config import load_config

    rows = []
    for path in ordered_configs():
        config = load_config(path)
        gif = ROOT / "output" / f"{config.name}.gif"
        with Image.open(gif) as im:
            width = min(im.size[0], MAX_WIDTH)
        rel = path.relative_to(ROOT).as_posix()
        rows.append(
            f'<tr><td><img src="output/{config.name}.gif" width="{width}" loading="lazy" '
            f'alt="{html.escape(config_alt_text(config))}"></td>\n'
            f'<td><a href="{rel}"><code>{rel}</code></a>\n<pre>{html.escape(path.read_text().strip())}</pre></td></tr>')
    return f"{START}\n<table>\n" + "\n".join(rows) + f"\n</table>\n{END}"


def updated(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + section() + tail


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)
