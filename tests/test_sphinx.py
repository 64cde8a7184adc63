"""The Sphinx extension, through a real ``sphinx-build`` of a tiny project: images with alt text, figures with
captions, inline YAML, a cache that survives rebuilds, and bad configs as warnings naming file and key."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"

INDEX = """\
Demo
====

.. toctree::

   guide/page

.. convanim:: configs/ps.yaml
   :caption: Padding and *strides*
   :name: fig-ps

.. convanim::
   :format: png
   :step: 2

   title: Inline
   input_size: 4
   kernel_size: 3

.. convanim:: configs/ps.yaml
   :alt: My own words
"""

PAGE = """\
Guide
=====

.. convanim:: ../configs/ps.yaml

.. convanim:: /configs/ps.yaml
   :format: svg
"""

BAD = """\
Bad
===

.. convanim:: configs/bad.yaml

.. convanim::

   input_size: 4
   paddding: 1

.. convanim:: configs/missing.yaml

Still here.
"""


class Imgs(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.imgs.append(dict(attrs))


@pytest.fixture(scope="module")
def sphinx() -> None:
    try:
        import sphinx  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        if IN_CI:
            pytest.fail(f"sphinx is required when CI=true: {err}", pytrace=False)
        pytest.skip("sphinx is not installed")


def project(tmp: Path, index: str) -> Path:
    src = tmp / "src"
    (src / "configs").mkdir(parents=True)
    (src / "guide").mkdir()
    shutil.copy(ROOT / "configs" / "padding_strides.yaml", src / "configs" / "ps.yaml")
    (src / "conf.py").write_text('project = "demo"\nextensions = ["convanim.sphinx"]\n')
    (src / "index.rst").write_text(index)
    (src / "guide" / "page.rst").write_text(PAGE)
    return src


def build(src: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", *args, str(src), str(src.parent / "out")],
                          capture_output=True, text=True, timeout=180)


def cached(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / ".doctrees" / "convanim").iterdir()}


def test_build_renders_images_with_alt_text_and_caches_them(sphinx: None, tmp_path: Path) -> None:
    from convanim.app.pipeline import load_config
    from convanim.figures.alt import alt_text

    src = project(tmp_path, INDEX)
    out = tmp_path / "out"
    first = build(src)
    assert first.returncode == 0, first.stderr
    assert "WARNING" not in first.stderr, first.stderr
    alt = alt_text(load_config(src / "configs" / "ps.yaml").spec)

    index = (out / "index.html").read_text()
    imgs = Imgs(index).imgs
    assert [i["alt"] for i in imgs] == [alt, "Convolution: 4×4 input, 3×3 kernel, stride 1, no padding → 2×2 output; "
                                             "frame 3", "My own words"]
    for img in imgs:
        assert img["src"].startswith("_images/") and (out / img["src"]).stat().st_size > 0
    assert imgs[0]["src"].endswith(".gif") and imgs[1]["src"].endswith(".png")
    assert imgs[0]["src"] == imgs[2]["src"]  # one config, one file
    assert re.search(r'<figure[^>]*id="fig-ps"', index) and "Padding and <em>strides</em>" in index
    page = Imgs((out / "guide" / "page.html").read_text()).imgs
    assert [i["src"] for i in page][0] == "../" + imgs[0]["src"]  # relative to the document, or to the source
    assert page[1]["src"].endswith(".svg") and (out / "guide" / page[1]["src"]).exists()

    # A fresh build (-E: every document read again) finds every figure in the cache: nothing is rendered.
    before = cached(out)
    assert len(before) == 3
    second = build(src, "-E")
    assert second.returncode == 0, second.stderr
    assert cached(out) == before
    assert "convanim: rendered" not in second.stdout and "convanim: rendered" in first.stdout

    # Editing the config rebuilds the documents that show it, with a new figure.
    ps = src / "configs" / "ps.yaml"
    ps.write_text(ps.read_text().replace("stride: 2", "stride: 1"))  # a key written twice would be refused
    third = build(src)
    assert third.returncode == 0, third.stderr
    assert "convanim: rendered" in third.stdout
    assert len(cached(out)) == 5  # the gif and the svg again; the inline png is unchanged
    new = Imgs((out / "index.html").read_text()).imgs[0]
    assert new["src"] != imgs[0]["src"] and "stride 1" in new["alt"]


def test_bad_configs_are_warnings_naming_file_and_key(sphinx: None, tmp_path: Path) -> None:
    src = project(tmp_path, BAD)
    (src / "configs" / "bad.yaml").write_text("input_size: 5\nstride: 0\n")
    result = build(src)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Exception occurred" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING: convanim" in line]
    assert len(warnings) == 3, result.stderr
    assert "index.rst:4: WARNING: convanim: configs/bad.yaml:2: stride: must be >= 1, got 0" in warnings[0]
    assert "index.rst:9: paddding: unknown key (did you mean 'padding'?)" in warnings[1]  # the line in the .rst
    assert "configs/missing.yaml: no such file" in warnings[2]
    assert "Still here." in (tmp_path / "out" / "index.html").read_text()
    strict = build(src, "-W", "-E")  # -W makes them errors, as for any warning
    assert strict.returncode != 0
