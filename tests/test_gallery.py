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


def test_page_shows_every_figure_with_title_parameters_pytorch_line_and_config_link(gallery: Path) -> None:
    from convanim.app.batch import read_config
    from convanim.core.arithmetic import describe

    text = (gallery / "index.html").read_text()
    page = Page(text)
    configs = sorted((gallery.parent / "my configs").glob("*.yaml"))
    imgs = page.all("img")
    assert len(imgs) == len(configs) >= 2
    words = html.unescape("".join(page.text))
    for img, path in zip(imgs, configs):  # in the order given: a folder's files by name
        _, config = read_config(path)
        assert img["src"] == f"{config.name}.gif" and (gallery / img["src"]).exists()
        assert img["alt"] == alt_text(config.spec)
        with Image.open(gallery / img["src"]) as im:
            assert (int(img["width"]), int(img["height"])) == im.size
        assert config.title in words and describe(config.spec) in words and config.spec.torch_line() in words
    links = [a["href"] for a in page.all("a") if a["href"] and a["href"].endswith(".yaml")]
    assert [(gallery / unquote(h)).resolve() for h in links] == [p.resolve() for p in configs]
    assert all(not h.startswith(("/", "file:")) for h in links)  # relative: works when the folder moves


def test_page_is_self_contained_and_escaped(gallery: Path) -> None:
    text = (gallery / "index.html").read_text()
    page = Page(text)
    assert not page.all("script") and not page.all("link") and "@import" not in text and "url(" not in text
    for tag, attrs in page.tags:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "").startswith(("http:", "https:", "//")), (tag, attrs)
    assert not [a for a in page.all("b") if a.get("id") == "inj"]  # the title is text, not markup
    assert html.escape(HOSTILE) in text
    assert '<meta name="viewport"' in text and "grid-template-columns" in text


def test_readme_lists_the_same_figures(gallery: Path) -> None:
    md = (gallery / "README.md").read_text()
    images = re.findall(r"!\[([^\n]*?)\]\(([^)\s]+)\)", md)
    assert [src for _, src in images] == [a["src"] for a in Page((gallery / "index.html").read_text()).all("img")]
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
    assert [a["src"] for a in Page((tmp_path / "site" / "index.html").read_text()).all("img")] == ["good.gif"]


def test_makefile_gallery_target_uses_the_gallery_command() -> None:
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^gallery:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert target and "$(PY) -m convanim gallery configs -o output" in target.group(1)


# ---------------------------------------------------------------- in a real browser

def chromium() -> str:
    """The Chromium binary; skip without it, except under CI=true, where that fails."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if IN_CI:
        pytest.fail("chromium is required when CI=true (make test installs Debian's chromium)", pytrace=False)
    pytest.skip("chromium is not installed (apt-get install chromium)")


CHECK = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map(img => ({
    src: img.getAttribute("src"), complete: img.complete, naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight, alt: img.getAttribute("alt")}));
  const injected = document.getElementById("inj") !== null;
  const columns = getComputedStyle(document.querySelector("main")).gridTemplateColumns.split(" ").length;
  const pre = document.createElement("pre");
  pre.id = "result";
  pre.textContent = JSON.stringify({images, injected, columns});
  document.body.appendChild(pre);
});
</script>
"""


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--hide-scrollbars", f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args],
                          capture_output=True, text=True, timeout=120)


def test_every_image_loads_in_chromium_and_has_alt_text(gallery: Path, tmp_path: Path) -> None:
    binary = chromium()
    check = gallery / "check.html"  # a copy with the probe script; the real page stays script-free
    check.write_text((gallery / "index.html").read_text().replace("</body>", CHECK + "</body>"))
    try:
        result = run_chromium(binary, tmp_path / "profile", "--window-size=1280,2000", "--dump-dom",
                              check.as_uri())
    finally:
        check.unlink()
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    report = json.loads(html.unescape(found.group(1)))
    images = report["images"]
    assert len(images) == len(list((gallery.parent / "my configs").glob("*.yaml")))
    for img in images:
        assert img["complete"] and img["naturalWidth"] > 0 and img["naturalHeight"] > 0, img
        assert img["alt"] and img["alt"].strip(), img
    assert report["injected"] is False
    assert report["columns"] >= 3  # a grid of cards at 1280 px

    shot = tmp_path / "gallery.png"
    result = run_chromium(binary, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1280,2000",
                          (gallery / "index.html").as_uri())
    assert shot.exists(), result.stderr[-2000:]
    with Image.open(shot) as im:
        pixels = im.convert("RGB")
        assert im.size == (1280, 2000)
        colours = pixels.getcolors(maxcolors=1 << 20) or []
    # conv_arithmetic's input blue and output green were painted: the GIFs really are on screen.
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
