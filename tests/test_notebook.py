"""``convanim.show`` in Jupyter, through IPython's display formatter (no notebook server): an inline GIF with alt
text, a PNG for a still, nothing written to the working directory; and the top-level ``convanim.render``."""

from __future__ import annotations

import base64
import io
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

import convanim

ROOT = Path(__file__).resolve().parents[1]
PS = ROOT / "configs" / "padding_strides.yaml"
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture
def display(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """format(obj) -> (data, metadata) as Jupyter would get it, run from an empty working directory."""
    try:
        from IPython.core.formatters import DisplayFormatter
    except ImportError as err:  # pragma: no cover - depends on the environment
        if IN_CI:
            pytest.fail(f"IPython is required when CI=true: {err}", pytrace=False)
        pytest.skip("IPython is not installed")
    monkeypatch.chdir(tmp_path)
    yield DisplayFormatter().format
    assert list(tmp_path.iterdir()) == []  # no stray files


def img_of(html_text: str) -> dict[str, str | None]:
    class P(HTMLParser):
        found: list[dict[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img":
                self.found.append(dict(attrs))

    p = P()
    p.found = []
    p.feed(html_text)
    [img] = p.found
    return img


def decode(src: str | None, mimetype: str) -> bytes:
    assert src and src.startswith(f"data:{mimetype};base64,")
    return base64.b64decode(src.split(",", 1)[1], validate=True)


def test_an_animation_is_the_inline_player_with_alt_text(display) -> None:
    anim = convanim.show(str(PS))
    data, _ = display(anim)
    assert "image/png" not in data  # an animation is not stored twice
    html_text = data["text/html"]
    assert html_text.count('<figure class="cv-player') == 1 and html_text.count("<script>") == 1
    alt = "Convolution: 5×5 input, 3×3 kernel, stride 2, padding 1 → 3×3 output"
    assert f'aria-label="{alt}"' in html_text  # the SVG's alt text
    with Image.open(io.BytesIO(anim.gif)) as im:  # the GIF stays at hand
        assert im.format == "GIF" and im.n_frames == anim.n_frames == 9
    assert "padding_strides" in data["text/plain"] and "9 frames" in data["text/plain"]


def test_a_step_is_a_still_png(display) -> None:
    anim = convanim.show(str(PS), step=4)
    data, _ = display(anim)
    png = data["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = img_of(data["text/html"])
    assert decode(img["src"], "image/png") == png
    assert img["alt"].endswith("; frame 5 of 9")
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == anim.frames[4].shape[1::-1]
        assert (Image.open(io.BytesIO(png)).convert("RGB").tobytes() == anim.frame(4).tobytes())


def test_a_single_frame_animation_is_a_still_and_keywords_make_a_config(display) -> None:
    anim = convanim.show(input_size=3, kernel_size=3, title="One step")
    assert anim.n_frames == 1 and anim.still
    data, _ = display(anim)
    assert data["image/png"][:4] == b"\x89PNG"
    assert img_of(data["text/html"])["title"] == "One step"


def test_show_takes_a_config_or_yaml_text(display) -> None:
    config = convanim.load_config(PS)
    assert convanim.show(config).n_frames == 9
    anim = convanim.show("input_size: 4\nkernel_size: 3\nstride: 1\n")
    assert anim.n_frames == 4 and '<figure class="cv-player' in display(anim)[0]["text/html"]


def test_bad_step_and_bad_config_raise_one_line_errors() -> None:
    with pytest.raises(convanim.ConfigError, match=r"step: must be between 0 and 8, got 9"):
        convanim.show(str(PS), step=9)
    with pytest.raises(convanim.ConfigError, match=r"stride: must be >= 1, got 0"):
        convanim.show(input_size=5, stride=0)


def test_frames_and_save(tmp_path: Path) -> None:
    anim = convanim.show(str(PS))
    frames = anim.frames
    assert len(frames) == anim.n_frames and frames[0].dtype.name == "uint8" and frames[0].ndim == 3
    gif = anim.save(tmp_path / "a.gif")
    assert gif == tmp_path / "a.gif" and gif.read_bytes() == anim.data
    with Image.open(anim.save(tmp_path / "sub" / "one.PNG")) as im:
        assert im.format == "PNG"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.gif", "one.PNG", "sub"]
    with pytest.raises(ValueError, match="unknown suffix"):
        anim.save(tmp_path / "a.bmp")


def test_top_level_render_returns_written_paths(tmp_path: Path) -> None:
    paths = convanim.render(str(PS), out_dir=tmp_path / "out", formats=("gif", "png"))
    assert paths == [tmp_path / "out" / "padding_strides.gif", tmp_path / "out" / "padding_strides"]
    assert all(p.exists() for p in paths) and len(list(paths[1].glob("*.png"))) == 9
    assert convanim.render(PS, tmp_path)[0].exists()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", convanim.__version__)
    assert {"render", "show"} <= set(dir(convanim))
