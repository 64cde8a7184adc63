"""The gallery page: alt text from the spec, a self-contained escaped page, and every image loading in a real
browser (headless Chromium)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image

from convanim.core.spec import ConvSpec
from convanim.figures.alt import alt_text

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


# ---------------------------------------------------------------- alt text

ALT = [
    (dict(input_size=2, kernel_size=3, stride=2, transposed=True),
     "Transposed convolution: 2×2 input, 3×3 kernel, stride 2, no padding → 5×5 output"),
    (dict(input_size=5, kernel_size=3, stride=2, padding=1),
     "Convolution: 5×5 input, 3×3 kernel, stride 2, padding 1 → 3×3 output"),
    (dict(input_size=[5], kernel_size=3),
     "1-D convolution: 5-wide input, 3-wide kernel, stride 1, no padding → 3-wide output"),
    (dict(input_size=[7], kernel_size=3, padding=2, dilation=2, transposed=True, stride=2, output_padding=1),
     "1-D transposed convolution: 7-wide input, 3-wide kernel, stride 2, padding 2, dilation 2, "
     "output padding 1 → 14-wide output"),
    (dict(input_size=4, kernel_size=2, op="max_pool"),
     "Max pooling: 4×4 input, 2×2 window, stride 2, no padding → 2×2 output"),
    (dict(input_size=5, kernel_size=2, op="max_pool", ceil_mode=True),
     "Max pooling: 5×5 input, 2×2 window, stride 2, no padding, ceil mode → 3×3 output"),
    (dict(input_size=5, kernel_size=3, stride=2, padding=1, op="avg_pool", count_include_pad=False),
     "Average pooling: 5×5 input, 3×3 window, stride 2, padding 1 (left out of the average) → 3×3 output"),
    (dict(input_size=[8], kernel_size=2, op="avg_pool"),
     "1-D average pooling: 8-wide input, 2-wide window, stride 2, no padding → 4-wide output"),
    (dict(input_size=5, kernel_size=3, padding="same"),
     "Convolution: 5×5 input, 3×3 kernel, stride 1, 'same' padding → 5×5 output"),
    (dict(input_size=5, kernel_size=3, padding="valid"),
     "Convolution: 5×5 input, 3×3 kernel, stride 1, no padding ('valid') → 3×3 output"),
    (dict(input_size=5, kernel_size=3, padding=1, padding_mode="reflect"),
     "Convolution: 5×5 input, 3×3 kernel, stride 1, reflect padding 1 → 5×5 output"),
    (dict(input_size=5, kernel_size=3, padding="same", padding_mode="circular"),
     "Convolution: 5×5 input, 3×3 kernel, stride 1, 'same' circular padding → 5×5 output"),
    (dict(input_size=[4, 6], kernel_size=[3, 2], padding=[1, 0], stride=[1, 2]),
     "Convolution: 4×6 input, 3×2 kernel, stride 1×2, padding 1×0 → 4×3 output"),
    (dict(input_size=7, kernel_size=3, dilation=2),
     "Convolution: 7×7 input, 3×3 kernel, stride 1, no padding, dilation 2 → 3×3 output"),
    (dict(input_size=4, kernel_size=3, in_channels=4, out_channels=2, groups=2, bias=True),
     "Convolution: 4×4 input with 4 channels, 3×3 kernel, stride 1, no padding, 2 groups, plus bias "
     "→ 2×2 output with 2 channels"),
    (dict(input_size=4, kernel_size=3, out_channels=2),
     "Convolution: 4×4 input with 1 channel, 3×3 kernel, stride 1, no padding → 2×2 output with 2 channels"),
    (dict(input_size=[4], kernel_size=3, padding=2, flip_kernel=True),
     "1-D convolution: 4-wide input, 3-wide kernel, stride 1, padding 2, flipped kernel (true convolution) "
     "→ 6-wide output"),
]


@pytest.mark.parametrize("args, text", ALT, ids=[t.split(":")[0] + str(i) for i, (_, t) in enumerate(ALT)])
def test_alt_text(args: dict, text: str) -> None:
    assert alt_text(ConvSpec(**args)) == text


# ---------------------------------------------------------------- the page

class Page(HTMLParser):
    """Tags and attributes of a page, and its text."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


HOSTILE = 'A <b id="inj">bold</b> & "quoted" title'


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gallery of three configs from configs/ and one with a hostile title, in a folder beside them."""
    base = tmp_path_factory.mktemp("gallery")
    cfg = base / "my configs"
    cfg.mkdir()
    for name in ("padding_strides.yaml", "numerical_max_pooling.yaml", "conv1d_textbook.yaml"):
        if (ROOT / "configs" / name).exists():
            shutil.copy(ROOT / "configs" / name, cfg / name)
    (cfg / "zz_hostile.yaml").write_text(f"title: {json.dumps(HOSTILE)}\ninput_size: 4\nkernel_size: 3\n"
                                         "transposed: true\nstride: 2\n")
    result = subprocess.run([sys.executable, "-m", "convanim", "gallery", str(cfg), "-o", str(base / "site")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return base / "site"


def players(page: Page) -> list[dict[str, str | None]]:
    """The players' SVGs (their aria-label is the alt text), in page order."""
    return [a for t, a in page.tags if t == "svg" and "cv-svg" in (a.get("class") or "")]


def test_page_shows_every_figure_with_title_parameters_pytorch_line_and_config_link(gallery: Path) -> None:
    from convanim.app.batch import read_config
    from convanim.core.arithmetic import describe

    text = (gallery / "index.html").read_text()
    page = Page(text)
    configs = sorted((gallery.parent / "my configs").glob("*.yaml"))
    svgs = players(page)
    assert len(svgs) == len(configs) >= 2 and not page.all("img")  # every card holds the player
    gifs = [a["href"] for a in page.all("a") if (a["href"] or "").endswith(".gif")]
    words = html.unescape("".join(page.text))
    for svg, gif, path in zip(svgs, gifs, configs):  # in the order given: a folder's files by name
        _, config = read_config(path)
        assert gif == f"{config.name}.gif" and (gallery / gif).exists()  # the GIF, linked
        assert (gallery / f"{config.name}.html").exists()  # and the player's own page
        assert svg["aria-label"] == alt_text(config.spec)
        with Image.open(gallery / gif) as im:
            assert (int(svg["width"]), int(svg["height"])) == im.size  # the same Scene
        assert config.title in words and describe(config.spec) in words and config.spec.torch_line() in words
    links = [a["href"] for a in page.all("a") if a["href"] and a["href"].endswith(".yaml")]
    assert [(gallery / unquote(h)).resolve() for h in links] == [p.resolve() for p in configs]
    assert all(not h.startswith(("/", "file:")) for h in links)  # relative: works when the folder moves


def test_page_is_self_contained_and_escaped(gallery: Path) -> None:
    text = (gallery / "index.html").read_text()
    page = Page(text)
    scripts = page.all("script")
    assert [s for s in scripts if s.get("type") != "application/json"] == [{}]  # the player's code, once
    assert not any(s.get("src") for s in scripts)
    assert not page.all("link") and "@import" not in text and "url(" not in text
    for tag, attrs in page.tags:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "").startswith(("http:", "https:", "//")), (tag, attrs)
    assert not [a for a in page.all("b") if a.get("id") == "inj"]  # the title is text, not markup
    assert html.escape(HOSTILE) in text
    assert '<meta name="viewport"' in text and "grid-template-columns" in text


def test_readme_lists_the_same_figures(gallery: Path) -> None:
    md = (gallery / "README.md").read_text()
    images = re.findall(r"!\[([^\n]*?)\]\(([^)\s]+)\)", md)
    page = Page((gallery / "index.html").read_text())
    assert [src for _, src in images] == [a["href"] for a in page.all("a") if (a["href"] or "").endswith(".gif")]
    assert all(alt.replace("\\", "") and (gallery / src).exists() for alt, src in images)
    for target in re.findall(r"Config: \[[^\n]*\]\(([^)\s]+)\)", md):
        assert (gallery / unquote(target)).exists()
    assert "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, bias=False)" in md
    assert not re.search(r"(?<!\\)<b id", md)  # escaped: shown as text


def test_gallery_is_deterministic_and_incremental(gallery: Path) -> None:
    before = {p.name: p.read_bytes() for p in gallery.iterdir() if p.is_file() and not p.name.startswith(".")}
    cfg = gallery.parent / "my configs"
    result = subprocess.run([sys.executable, "-m", "convanim", "gallery", str(cfg), "-o", str(gallery)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{len(list(cfg.glob('*.yaml')))} up to date, 0 rendered"
    after = {p.name: p.read_bytes() for p in gallery.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert after == before


def test_gallery_with_a_bad_config_shows_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("input_size: 3\nkernel_size: 2\n")
    (tmp_path / "bad.yaml").write_text("input_size: 3\nkernel_size: 2\nstride: -1\n")
    result = subprocess.run([sys.executable, "-m", "convanim", "gallery", str(tmp_path), "-o",
                             str(tmp_path / "site")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'bad.yaml'}:3: stride: must be >= 1, got -1"
    page = Page((tmp_path / "site" / "index.html").read_text())
    assert [a["href"] for a in page.all("a") if (a["href"] or "").endswith(".gif")] == ["good.gif"]
    assert len(players(page)) == 1


def test_makefile_gallery_target_uses_the_gallery_command() -> None:
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^gallery:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert target and "$(PY) -m convanim gallery configs -o output" in target.group(1)


# ---------------------------------------------------------------- in a real browser

def test_every_player_works_in_chromium_and_has_alt_text(gallery: Path, browser, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 2000}, reduced_motion="reduce")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((gallery / "index.html").as_uri())
    page.wait_for_load_state("load")
    figs = page.locator("figure.cv-player[data-ready]")
    assert figs.count() == len(list((gallery.parent / "my configs").glob("*.yaml")))
    for k in range(figs.count()):
        fig = figs.nth(k)
        assert (fig.locator("svg.cv-svg").get_attribute("aria-label") or "").strip()
        assert fig.locator(".cv-controls button").count() == 5
    assert page.evaluate("document.getElementById('inj')") is None
    columns = page.evaluate("getComputedStyle(document.querySelector('main')).gridTemplateColumns.split(' ').length")
    assert columns >= 3  # a grid of cards at 1280 px
    # Dozens of players, one page: stepping one leaves the others where they were.
    figs.nth(0).locator("button[data-act=next]").click()
    frames = [figs.nth(k).get_attribute("data-frame") for k in range(figs.count())]
    assert frames[0] == "1" and set(frames[1:]) == {"0"}
    assert errors == []

    shot = tmp_path / "gallery.png"
    page.screenshot(path=str(shot))
    page.close()
    with Image.open(shot) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
    # conv_arithmetic's input blue and output green were painted: the players really are on screen.
    near = lambda c, ref: all(abs(a - b) < 12 for a, b in zip(c, ref))  # noqa: E731
    assert sum(n for n, c in colours if near(c, (0x26, 0x8B, 0xD2))) > 2000
    assert sum(n for n, c in colours if near(c, (0x2A, 0xA1, 0x98))) > 2000
    print(f"gallery screenshot: {shot}")


def test_gallery_never_replaces_a_page_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("input_size: 3\nkernel_size: 2\n")
    (tmp_path / "README.md").write_text("# My project\n")
    result = subprocess.run([sys.executable, "-m", "convanim", "gallery", str(tmp_path / "c.yaml"), "-o",
                             str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: {tmp_path / 'README.md'}: exists and was not written by convanim "
                                     "gallery; not replacing it (choose another --out-dir)")
    assert (tmp_path / "README.md").read_text() == "# My project\n"
    assert not (tmp_path / "c.gif").exists() and not (tmp_path / "index.html").exists()


def test_alt_text_of_stacks_and_comparisons() -> None:
    from convanim.app.pipeline import alt_text as config_alt_text
    from convanim.config import load_config

    configs = ROOT / "configs"
    stack = config_alt_text(load_config(configs / "receptive_field_3_layers.yaml"))
    assert stack.startswith("Receptive field across layers: receptive field of 3 layers on a 12×12 input")
    compare = config_alt_text(load_config(configs / "compare_flip_1d.yaml"))
    assert compare.endswith("beside it the same with the kernel flipped (true convolution)")
    plain = config_alt_text(load_config(configs / "padding_strides.yaml"))
    assert plain == "Convolution: 5×5 input, 3×3 kernel, stride 2, padding 1 → 3×3 output"


def test_a_layers_card_describes_the_whole_stack_and_images_load_lazily(tmp_path: Path) -> None:
    from convanim.app.batch import plan
    from convanim.app.gallery import Figure, _card, describe_task

    [task] = plan([ROOT / "configs" / "vgg_block.yaml"], tmp_path, ("gif",), None).tasks
    params, torch_code = describe_task(task)
    lines = [layer.torch_line() for layer in task.layers]
    assert len(lines) > 2 and torch_code.startswith("nn.Sequential(") and all(ln in torch_code for ln in lines)
    assert params.startswith(f"receptive field of {len(lines)} layers")
    card = _card(Figure(name="x", title="x", image="x.gif", width=10, height=10, alt="a", params=params,
                        torch=torch_code, config="x.yaml", config_label="x.yaml"))
    assert 'loading="lazy"' in card
