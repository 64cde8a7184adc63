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

.. convanim::
   :format: png
   :step: 99

   input_size: 4

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


def build(src: Path, *args: str, builder: str = "html", out: str = "out") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", builder, *args, str(src), str(src.parent / out)],
                          capture_output=True, text=True, timeout=180)


def cached(out: Path) -> dict[str, int]:
    """The rendered figures in the cache (stills for other builders aside)."""
    return {p.name: p.stat().st_mtime_ns for p in (out / ".doctrees" / "convanim").iterdir()
            if p.is_file() and "-still" not in p.name}


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
    assert len(warnings) == 4, result.stderr
    assert "index.rst:4: WARNING: convanim: configs/bad.yaml:2: stride: must be >= 1, got 0" in warnings[0]
    assert "index.rst:9: paddding: unknown key (did you mean 'padding'?)" in warnings[1]  # the line in the .rst
    assert "configs/missing.yaml: no such file" in warnings[2]
    # the directive's own option, in its words, at the directive's line (4 frames: 0 to 3)
    assert "index.rst:15: WARNING: convanim: :step: 99 is past the last frame; this figure's frames are 0 to 3" \
        in warnings[3], warnings[3]
    assert "Still here." in (tmp_path / "out" / "index.html").read_text()
    strict = build(src, "-W", "-E")  # -W makes them errors, as for any warning
    assert strict.returncode != 0


PLAYERS = """\
Players
=======

.. toctree::

   guide/page

.. convanim:: configs/ps.yaml
   :format: html
   :caption: The first player.
   :name: fig-player

Some text between them.

.. convanim::
   :format: html

   title: Second
   input_size: 7
   kernel_size: 3
   dilation: 2

.. convanim:: configs/ps.yaml
   :format: svg

.. convanim:: configs/ps.yaml
"""


def test_html_build_embeds_two_players_that_work(sphinx: None, browser, tmp_path: Path) -> None:
    src = project(tmp_path, PLAYERS)
    result = build(src)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    out = tmp_path / "out"
    index = (out / "index.html").read_text()
    assert index.count('<figure class="cv-player') == 2 and "convanim-player.js" in index
    assert (out / "_static" / "convanim-player.js").exists() and (out / "_static" / "convanim-player.css").exists()
    assert re.search(r'<figure[^>]*id="fig-player"', index) and "The first player." in index
    assert [i["src"].rsplit(".", 1)[1] for i in Imgs(index).imgs] == ["svg", "gif"]  # HTML shows them as asked
    page = browser.new_page(reduced_motion="reduce")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "index.html").as_uri())
    page.wait_for_selector("figure.cv-player[data-ready] >> nth=1")
    figs = page.locator("figure.cv-player")
    assert figs.count() == 2
    figs.nth(1).locator("button[data-act=last]").click()
    assert [figs.nth(k).get_attribute("data-frame") for k in range(2)] == ["0", "8"]
    figs.nth(0).focus()
    page.keyboard.press("ArrowRight")
    assert [figs.nth(k).get_attribute("data-frame") for k in range(2)] == ["1", "8"]
    assert figs.nth(1).locator(".cv-status").inner_text().startswith("Step 9 of 9: y[2,2] = ")
    shot = tmp_path / "sphinx.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"sphinx screenshot: {shot}")
    assert errors == []
    page.close()


def test_latex_build_includes_stills_never_a_gif_or_svg(sphinx: None, tmp_path: Path) -> None:
    src = project(tmp_path, PLAYERS + "\n.. convanim:: configs/ps.yaml\n   :format: png\n   :step: 2\n")
    (src / "conf.py").write_text('project = "demo"\nextensions = ["convanim.sphinx"]\n'
                                 'latex_documents = [("index", "demo.tex", "Demo", "me", "manual")]\n')
    result = build(src, builder="latex", out="latex")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    tex = (tmp_path / "latex" / "demo.tex").read_text()
    included = re.findall(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{?([^}]+?)\}?(\.\w+)\}", tex)
    suffixes = [suffix for _, suffix in included]
    assert len(included) == 7, included  # two players, a png, two svgs and two gifs (one on the guide page)
    assert not {".gif", ".svg", ".html"} & set(suffixes), suffixes
    assert set(suffixes) <= {".pdf", ".png"}
    assert "cv-player" not in tex and "<figure" not in tex
    for name, suffix in included:
        assert (tmp_path / "latex" / f"{name}{suffix}").exists(), name
    assert "The first player." in tex
