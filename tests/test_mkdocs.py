"""The MkDocs plugin, through a real ``mkdocs build`` of a tiny site: fenced blocks and file references become
images with alt text (the Sphinx directive's), the player, a cache that survives rebuilds, and bad configs as
warnings naming the page and line while the build goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"

PAGE = """\
# Figures

```convanim alt="A small layer"
input_size: 4
kernel_size: 3
```

```convanim file=../configs/ps.yaml format=png step=2 caption="Stride 2, padding 1."
```

Still here.
"""

GUIDE = """\
# Guide

```convanim format=html
input_size: 4
kernel_size: 3
```

```convanim
input_size: 4
stride: 0
```

```convanim format=png step=99
input_size: 4
```
"""


@pytest.fixture(scope="module")
def mkdocs() -> None:
    try:
        import mkdocs  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        if IN_CI:
            pytest.fail(f"mkdocs is required when CI=true: {err}", pytrace=False)
        pytest.skip("mkdocs is not installed")


def site(tmp_path: Path) -> Path:
    (tmp_path / "docs" / "guide").mkdir(parents=True)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "ps.yaml").write_text((ROOT / "configs" / "padding_strides.yaml").read_text())
    (tmp_path / "docs" / "index.md").write_text(PAGE)
    (tmp_path / "docs" / "guide" / "page.md").write_text(GUIDE)
    (tmp_path / "mkdocs.yml").write_text("site_name: test\nplugins:\n  - convanim\n")
    return tmp_path


def build(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "-f", str(root / "mkdocs.yml"), *args],
                          capture_output=True, text=True, timeout=300, cwd=root)


class Imgs(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.imgs.append(dict(attrs))


def test_mkdocs_build_renders_figures_with_alt_text_and_a_cache(mkdocs: None, tmp_path: Path) -> None:
    from convanim import load_config
    from convanim.app.pipeline import alt_text

    root = site(tmp_path)
    first = build(root)
    assert first.returncode == 0, first.stderr
    index = (root / "site" / "index.html").read_text()
    imgs = Imgs(index).imgs
    assert [i["alt"] for i in imgs] == ["A small layer",
                                        alt_text(load_config(root / "configs" / "ps.yaml")) + "; frame 3"]
    for img in imgs:
        assert img["loading"] == "lazy" and (root / "site" / str(img["src"])).is_file(), img
    assert imgs[0]["src"].endswith(".gif") and imgs[1]["src"].endswith(".png")  # type: ignore[union-attr]
    assert "<figcaption>Stride 2, padding 1.</figcaption>" in index and "Still here." in index
    guide = (root / "site" / "guide" / "page" / "index.html").read_text()
    assert guide.count('class="cv-player') == 1 and guide.count("window.convanim") >= 1  # the player, its code
    # bad configs: one warning each, naming the page and the line, and the build went on
    warnings = [ln for ln in first.stderr.splitlines() if "WARNING" in ln and "convanim" in ln]
    assert len(warnings) == 2, first.stderr
    assert "convanim: guide/page.md:10: stride: must be >= 1, got 0" in warnings[0]  # its line in the page
    assert "guide/page.md:13: step= 99 is past the last frame; this figure's frames are 0 to 3" in warnings[1]
    # the cache: a second build renders nothing
    rendered = first.stderr.count("rendered ")
    assert rendered == 3, first.stderr
    second = build(root)
    assert second.returncode == 0 and "rendered " not in second.stderr, second.stderr
    strict = build(root, "--strict")  # --strict makes the warnings errors, as for any warning
    assert strict.returncode != 0
