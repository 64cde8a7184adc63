"""Figures for slides and printed notes: a few representative steps (render.steps), held first and last frames in
every format, numbers to a precision (checked against PyTorch), transparent backgrounds, SVG with its text as
text, the dark theme, roles told apart with a legend, and options that would do nothing refused in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from convanim import figures, render
from convanim.app.cli import main
from convanim.app.pipeline import as_config, scene_of
from convanim.core.errors import ConfigError
from convanim.core.scene import Text
from convanim.figures.values import format_value, precision

# ---------------------------------------------------------------- render.steps


def test_corners_are_the_first_last_and_border_cases() -> None:
    cfg = as_config(input_size=6, kernel_size=3, padding=1, render={"steps": "corners"})
    # output 6x6: rows and columns 0 (reads padding before), 1 (inside), 5 (reads padding after)
    assert figures.selected(cfg) == tuple(r * 6 + c for r in (0, 1, 5) for c in (0, 1, 5))
    lenet = as_config(input_size=28, kernel_size=5, render={"steps": "corners"})
    assert figures.selected(lenet) == (0, 23, 552, 575)  # no padding: the four corners
    assert figures.steps_words(lenet) == "4 of 576 steps"
    assert "frames: 4 of 576 steps" in " ".join(figures.info_lines(lenet))
    assert figures.alt_text(lenet).endswith("; 4 of 576 steps shown")


@pytest.mark.parametrize("steps, expected", [
    ("2..4", (2, 3, 4)), ([0, 7, 3], (0, 3, 7)), ({"rows": [1]}, (4, 5, 6, 7)), ({"every": 5}, (0, 5, 10, 15)),
    ({"every": 6}, (0, 6, 12, 15)), ({"rows": [0, 3], "every": 2}, (0, 2, 12, 14, 15))])
def test_ranges_lists_rows_and_every(steps: object, expected: tuple[int, ...]) -> None:
    cfg = as_config(input_size=6, kernel_size=3, render={"steps": steps})  # 4x4 output: 16 steps
    assert figures.selected(cfg) == expected
    scene = scene_of(cfg)
    assert scene.n_frames == len(expected)
    full = scene_of(as_config(input_size=6, kernel_size=3))
    for i, step in enumerate(expected):  # each frame is the step it names
        assert scene.frame(i) == full.frame(step) and scene.narration(i) == full.narration(step)  # type: ignore


def test_steps_renumber_the_progressive_reveal_and_the_player_links() -> None:
    cfg = as_config(input_size=5, kernel_size=3, render={"steps": [0, 4, 8], "reveal": "progressive"})
    scene = scene_of(cfg)
    reveals = sorted({p.reveal for p in scene.static})
    assert reveals == [0, 1, 2]  # outputs 1..4 appear with frame 1 (step 4), 5..8 with frame 2 (step 8)
    assert len(scene.links().writes) == 3  # type: ignore[misc]


@pytest.mark.parametrize("steps, words", [
    (["a"], "a list of step numbers"), ("9..2", "a range like 0..8"), ([99], "step 99 is past the last step (15)"),
    ({"rows": [9]}, "row 9 is past the last row"), ({"size": 2}, "unknown key"), ({"every": 0}, "an int >= 1")])
def test_bad_steps_are_one_line(steps: object, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        scene_of(as_config(input_size=6, kernel_size=3, render={"steps": steps}))
    assert err.value.key.startswith("render.steps") and words in str(err.value), str(err.value)


def test_rows_on_a_figure_without_output_rows_is_refused() -> None:
    with pytest.raises(ConfigError, match="not rows of a 2-D output"):
        scene_of(as_config(input_size=[8], kernel_size=3, render={"steps": {"rows": [0]}}))


# ---------------------------------------------------------------- hold_first / hold_last: per-frame durations

def test_held_frames_last_longer_in_every_animated_format(tmp_path: Path) -> None:
    cfg = as_config(input_size=4, kernel_size=3, name="held", render={"fps": 2, "hold_first": 2, "hold_last": 1.5})
    paths = {p.suffix: p for p in render(cfg, tmp_path, ["gif", "apng", "webp", "html"])}
    want = [1500, 500, 500, 1250]
    for suffix in (".gif", ".apng", ".webp"):
        with Image.open(paths[suffix]) as im:
            got = []
            for k in range(im.n_frames):
                im.seek(k)
                im.load()  # WebP reads a frame's duration when it decodes it
                got.append(round(im.info["duration"]))
        assert got == want, (suffix, got)
    data = re.search(r'<script type="application/json" class="cv-data">(.*?)</script>', paths[".html"].read_text())
    assert json.loads(data.group(1).replace("<\\/", "</"))["durations"] == want  # type: ignore[union-attr]


# ---------------------------------------------------------------- precision, checked against PyTorch

def test_precision_writes_significant_digits_of_the_torch_values(torch) -> None:
    cfg = as_config(input_size=4, kernel_size=3, input={"random": {"seed": 5, "low": -1, "high": 1, "integers": False}},
                    weight={"random": {"seed": 6, "low": -1, "high": 1, "integers": False}},
                    render={"numbers": True, "precision": 3})
    scene = scene_of(cfg)
    y = torch.nn.functional.conv2d(torch.tensor(cfg.input[None]), torch.tensor(cfg.weight))[0, 0].numpy()
    shown = {p.text for p in scene.static if isinstance(p, Text)}
    for v in y.ravel():
        with precision(3):
            text = format_value(float(v))
        assert text in shown
        assert abs(float(text.replace("−", "-")) - v) <= 5e-3 * max(1.0, abs(v))
        digits = re.sub(r"^[−0.]+", "", text).replace(".", "")
        assert len(digits) <= 3
    assert format_value(12345.0) == "12345"  # integers stay exact
    with precision(2):
        assert format_value(12345.0) == "12345" and format_value(0.012345) == "0.012"


def test_captions_subtract_negative_terms_and_tag_the_bias() -> None:
    cfg = as_config(input_size=3, kernel_size=2, input=[[1, -2, 3], [4, 5, 6], [7, 8, 9]], weight=[[1, 1], [1, 1]],
                    bias=0.5)
    text = scene_of(cfg).narration(0)  # type: ignore[misc]
    assert text == "y[0,0] = 1·1 − 2·1 + 4·1 + 5·1 + 0.5 (bias) = 8.5"


# ---------------------------------------------------------------- transparent backgrounds, SVG, dark theme

def test_transparent_backgrounds(tmp_path: Path) -> None:
    cfg = as_config(input_size=4, kernel_size=3, padding=1, name="tr", render={"transparent": True})
    scene = scene_of(cfg)
    ic = scene.regions["input_centers"]
    [png] = render(cfg, tmp_path, ["png"], step=0)
    rgba = np.asarray(Image.open(png))
    assert rgba.shape[2] == 4 and rgba[0, 0, 3] == 0  # the background shows through
    x, y = (int(v) for v in ic[4, 4])  # outside frame 0's window
    assert rgba[y, x, 3] == 255 and tuple(rgba[y, x, :3]) == (0x26, 0x8B, 0xD2)  # an input cell, opaque
    x, y = (int(v) for v in ic[5, 5])
    assert rgba[y, x, 3] == 0  # a padding cell outside the window: empty, so transparent
    x, y = (int(v) for v in ic[0, 0])
    assert 0 < rgba[y, x, 3] < 255  # a padding cell under the window's translucent shade
    with Image.open(render(cfg, tmp_path, ["gif"])[0]) as gif:
        assert gif.info["transparency"] is not None
        frame = np.asarray(gif.convert("RGBA"))
        x, y = (int(v) for v in ic[5, 5])
        assert frame[0, 0, 3] == 0 and frame[y, x, 3] == 0
    for fmt in ("apng", "webp"):
        with Image.open(render(cfg, tmp_path, [fmt])[0]) as im:
            assert im.mode == "RGBA" and np.asarray(im)[0, 0, 3] == 0
    svg = render(cfg, tmp_path, ["svg"], step=0)[0].read_text()
    assert '<rect width=' not in svg  # no background


@pytest.mark.parametrize("fmt", ["apng", "webp", "gif"])
def test_transparent_animations_match_every_frame(fmt: str, tmp_path: Path) -> None:
    """Every frame decoded equals the RGBA frame drawn on black and white (GIF: its alpha cut at half), so a
    pixel that turns transparent later (the window leaving the padding) does not keep the frame before."""
    from convanim.encode.common import rgba_frames
    from convanim.encode.gif import gif_palette
    from convanim.encode.palette import lookup, quantize

    cfg = as_config(input_size=4, kernel_size=3, padding=1, stride=2, name="tr", render={"transparent": True})
    scene = scene_of(cfg)
    expected = [f.copy() for f in rgba_frames(scene)]
    palette = np.array(gif_palette(scene, cfg.render.theme), np.uint8)
    [path] = render(cfg, tmp_path, [fmt])
    with Image.open(path) as im:
        assert im.n_frames == len(expected)
        for k, want in enumerate(expected):
            im.seek(k)
            got = np.asarray(im.convert("RGBA"))
            if fmt == "gif":  # one transparent index: alpha is all or nothing, colours the palette's nearest
                shown = want[..., 3] >= 128
                assert np.array_equal(got[..., 3] == 255, shown), k
                nearest = palette[quantize(np.ascontiguousarray(want[..., :3]), lookup([tuple(c) for c in palette]))]
                assert np.array_equal(got[shown][:, :3], nearest[shown]), k
            else:
                assert np.array_equal(got, want), k
    assert len({f.tobytes() for f in expected}) > 1  # the frames differ: the check follows a change


def test_svg_is_sized_in_px_with_its_text_as_text(tmp_path: Path) -> None:
    cfg = as_config(input_size=4, kernel_size=3, name="sv", render={"numbers": True, "caption": True})
    scene = scene_of(cfg)
    svg = render(cfg, tmp_path, ["svg"], step=2)[0].read_text()
    assert f'width="{scene.width}px" height="{scene.height}px"' in svg
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    full = scene.narration(2)  # type: ignore[misc]
    assert full in texts or any("…" in t and t.startswith(full.split(" = ")[0]) for t in texts)
    assert "<path" in svg and "glyph" not in svg


def test_the_dark_theme(tmp_path: Path) -> None:
    cfg = as_config(input_size=4, kernel_size=3, name="dk", render={"theme": "dark"})
    frame = np.asarray(Image.open(render(cfg, tmp_path, ["png"], step=0)[0]).convert("RGB"))
    assert tuple(frame[0, 0]) == (0x11, 0x14, 0x18)


# ---------------------------------------------------------------- roles told apart, the legend

def test_inserted_zeros_and_overhang_have_their_own_colours_and_the_legend_names_only_present_roles() -> None:
    t = scene_of(as_config(input_size=3, kernel_size=3, stride=2, padding=1, transposed=True,
                           render={"legend": True, "theme": {"inserted": "#123456"}}))
    fills = {p.fill for p in t.static if hasattr(p, "fill")}
    assert "#123456" in fills
    assert t.regions["legend"] == ["input", "padding", "inserted zeros", "kernel window", "output",
                                   "kernel applied flipped (transposed convolution)"]
    pool = scene_of(as_config(input_size=5, op="max_pool", kernel_size=2, ceil_mode=True, render={"legend": True}))
    assert pool.regions["legend"] == ["input", "overhang (ceil_mode, not counted)", "pooling window", "output"]
    plain = scene_of(as_config(input_size=4, kernel_size=3, render={"legend": True}))
    assert plain.regions["legend"] == ["input", "kernel window", "output"]  # no padding, no zeros: not named


def test_group_hues_are_distinct_for_many_groups() -> None:
    from convanim.core.theme import Theme
    from convanim.figures.geometry import group_hue

    hues = [group_hue(Theme(), g, 16) for g in range(16)]
    assert len(set(hues)) == 16 and not {Theme().input, Theme().output} & set(hues)


# ---------------------------------------------------------------- options that do nothing are errors

@pytest.mark.parametrize("keys, key", [
    (dict(input_size=5, render={"style": "stacked", "numbers": True}), "render.numbers"),
    (dict(input_size=5, render={"style": "stacked", "caption": True}), "render.caption"),
    (dict(input_size=5, in_channels=2, render={"style": "stacked", "caption": True}), "render.caption"),
    (dict(input_size=5, layers=[{"kernel_size": 3}], render={"caption": True}), "render.caption"),
    (dict(input_size=5, layers=[{"kernel_size": 3}], render={"reveal": "progressive"}), "render.reveal"),
    (dict(input_size=5, render={"precision": 3}), "render.precision"),
    (dict(input_size=5, op="max_pool", kernel_size=2, count_include_pad=True), "count_include_pad"),
    (dict(input_size=5, layers=[{"op": "max_pool", "kernel_size": 2, "count_include_pad": False}]),
     "layers[0].count_include_pad"),
])
def test_options_that_would_do_nothing_are_refused(keys: dict, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        scene_of(as_config(**keys))
    assert err.value.key == key and "\n" not in str(err.value), str(err.value)


def test_the_cli_refuses_them_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("input_size: 5\nrender:\n  style: stacked\n  numbers: true\n")
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "render.numbers: the stacked style draws no numbers" in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()[0]) < 400
