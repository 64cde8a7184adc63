"""Rendering end to end: decode what was written and check frames, timing, looping and the colours at cells."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convanim.app.pipeline import as_config, render, scene_of
from convanim.config import load_config

ROOT = Path(__file__).parents[1]
CONFIGS = ROOT / "configs"


def hexrgb(color):
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])


def gif_frames(path):
    with Image.open(path) as im:
        frames, durations = [], []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
            frames.append(np.asarray(im.convert("RGB")))
        return frames, durations, im.info.get("loop")


def at(frame, xy):
    """The colour at a cell's centre: the median of a 5x5 patch, so a 1-px connector line crossing it
    does not count."""
    x, y = int(round(xy[0])), int(round(xy[1]))
    patch = frame[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(int)
    return np.median(patch, axis=0)


def close(rgb, color, tol=4):
    return np.abs(rgb - hexrgb(color)).max() <= tol


@pytest.fixture(scope="module")
def padding_strides(tmp_path_factory):
    out = tmp_path_factory.mktemp("ps")
    cfg = load_config(CONFIGS / "padding_strides.yaml")
    [path] = render(cfg, out)
    return cfg, scene_of(cfg), path


def test_gif_has_one_frame_per_output_element_one_second_each_looping(padding_strides):
    cfg, scene, path = padding_strides
    frames, durations, loop = gif_frames(path)
    assert len(frames) == 9 == cfg.spec.n_steps
    assert durations == [1000] * 9
    assert loop == 0  # forever
    assert frames[0].shape == (scene.height, scene.width, 3)


def test_colours_at_cell_centres_follow_the_trace(padding_strides):
    cfg, scene, path = padding_strides
    frames, _, _ = gif_frames(path)
    ic, oc, role = scene.regions["input_centers"], scene.regions["output_centers"], scene.regions["input_role"]
    from convanim.figures.single import trace_of

    trace = trace_of(cfg)
    for step in trace.steps:
        frame = frames[step.index]
        taps = {tuple(t) for t in step.taps}
        for (r, c), cell_role in np.ndenumerate(role):
            rgb = at(frame, ic[r, c])
            if (r, c) in taps:
                assert close(rgb, "#1a6998" if cell_role == 0 else "#9cafb3"), (step.index, r, c, rgb)
            else:
                assert close(rgb, "#268bd2" if cell_role == 0 else "#ffffff"), (step.index, r, c, rgb)
        for (r, c), _ in np.ndenumerate(oc[..., 0]):
            expected = "#1c7676" if (r, c) == step.position else "#2aa198"
            assert close(at(frame, oc[r, c]), expected), (step.index, r, c)


def test_transposed_draws_inserted_zeros_apart_from_padding(tmp_path):
    cfg = load_config(CONFIGS / "no_padding_strides_transposed.yaml")
    [path] = render(cfg, tmp_path)
    frames, _, _ = gif_frames(path)
    scene = scene_of(cfg)
    ic, role = scene.regions["input_centers"], scene.regions["input_role"]
    assert len(frames) == 25
    inputs = [tuple(p) for p in np.argwhere(role == 0)]
    assert inputs == [(2, 2), (2, 4), (4, 2), (4, 4)]
    last = frames[-1]  # the footprint is at the bottom right: (2,2) is outside it
    assert close(at(last, ic[2, 2]), "#268bd2")
    assert close(at(last, ic[3, 3]), "#e9e4d4")  # an inserted zero: the theme's inserted colour
    assert close(at(last, ic[0, 0]), "#ffffff")  # padding: drawn empty


def test_dilation_shades_only_the_taps(tmp_path):
    cfg = load_config(CONFIGS / "dilation.yaml")
    frame = np.asarray(Image.open(render(cfg, tmp_path, ["png"], step=0)[0]).convert("RGB"))
    ic = scene_of(cfg).regions["input_centers"]
    assert close(at(frame, ic[0, 0]), "#1a6998") and close(at(frame, ic[0, 2]), "#1a6998")
    assert close(at(frame, ic[0, 1]), "#268bd2") and close(at(frame, ic[1, 1]), "#268bd2")


def test_progressive_reveal_and_fps_and_hold_last(tmp_path):
    cfg = as_config(input_size=4, kernel_size=3, name="prog",
                    render={"reveal": "progressive", "fps": 2, "hold_first": 1, "hold_last": 2, "loop": 3})
    [path] = render(cfg, tmp_path)
    frames, durations, loop = gif_frames(path)
    assert len(frames) == 4 and durations == [1000, 500, 500, 1500]  # held frames last longer, never repeat
    assert loop == 2  # played 3 times: 2 repeats
    oc = scene_of(cfg).regions["output_centers"]
    assert close(at(frames[0], oc[0, 0]), "#1c7676")  # current
    assert close(at(frames[0], oc[1, 1]), "#ffffff")  # not computed yet
    assert close(at(frames[3], oc[0, 0]), "#2aa198")


def test_colour_blind_theme_and_custom_colours(tmp_path):
    cfg = as_config(input_size=4, kernel_size=3, name="cb", render={"theme": "colorblind"})
    frame = np.asarray(Image.open(render(cfg, tmp_path, ["png"], step=3)[0]).convert("RGB"))
    ic = scene_of(cfg).regions["input_centers"]
    assert close(at(frame, ic[0, 0]), "#56b4e9")
    cfg = as_config(input_size=4, kernel_size=3, name="custom",
                    render={"theme": {"input": "#ff0000", "output": "#00ff00"}})
    frame = np.asarray(Image.open(render(cfg, tmp_path, ["png"], step=3)[0]).convert("RGB"))
    sc = scene_of(cfg)
    assert close(at(frame, sc.regions["input_centers"][0, 0]), "#ff0000")
    assert close(at(frame, sc.regions["output_centers"][0, 0]), "#00ff00")


@pytest.mark.parametrize("fmt", ["gif", "png", "apng", "webp", "svg", "pdf", "mp4"])
def test_rendering_is_deterministic(tmp_path, fmt):
    cfg = load_config(CONFIGS / "numerical_padding_strides.yaml")
    a = render(cfg, tmp_path / "a", [fmt])[0]
    b = render(cfg, tmp_path / "b", [fmt])[0]
    if a.is_dir():
        names = sorted(p.name for p in a.iterdir())
        assert len(names) == 9 and names == sorted(p.name for p in b.iterdir())
        assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    else:
        assert a.read_bytes() == b.read_bytes()
        assert a.stat().st_size > 0


def test_pdf_has_one_page_per_frame_and_step_gives_one(tmp_path):
    cfg = load_config(CONFIGS / "no_padding_no_strides.yaml")
    [pdf] = render(cfg, tmp_path, ["pdf"])
    data = pdf.read_bytes()
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") == 4
    [one] = render(cfg, tmp_path / "one", ["pdf"], step=2)
    assert one.stat().st_size < pdf.stat().st_size


def test_every_config_renders(tmp_path):
    paths = sorted(CONFIGS.glob("*.yaml"))
    for path in paths:
        cfg = load_config(path)
        [gif] = render(cfg, tmp_path)
        with Image.open(gif) as im:
            assert im.n_frames == scene_of(cfg).n_frames, path.name


BAD_RENDER = [
    ("render:\n  fps: 0\n", "render.fps"),
    ("render:\n  style: wavy\n", "render.style"),
    ("render:\n  theme: neon\n", "render.theme"),
    ("render:\n  theme: {inptu: '#ff0000'}\n", "render.theme.inptu"),
    ("render:\n  theme: {input: red}\n", "render.theme.input"),
    ("render:\n  scale: 2\n", "render.scale"),
    ("render:\n  style: strip\n", "render.style"),
    ("render:\n  max_frames: 3\n", "render.max_frames"),
    ("render:\n  loop: -1\n", "render.loop"),
]


@pytest.mark.parametrize("extra, key", BAD_RENDER, ids=[k for _, k in BAD_RENDER])
def test_bad_render_options_one_line_and_no_file(tmp_path, extra, key):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("input_size: 4\nkernel_size: 3\n" + extra)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "convanim", "render", str(cfg), "-o", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert str(cfg) in lines[0] and f"{key}:" in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_step_out_of_range_is_refused(tmp_path):
    cfg = tmp_path / "ok.yaml"
    cfg.write_text("input_size: 4\nkernel_size: 3\n")
    result = subprocess.run([sys.executable, "-m", "convanim", "render", str(cfg), "-o", str(tmp_path / "o"),
                             "-f", "png", "--step", "4"], capture_output=True, text=True)
    assert result.returncode == 2 and ": step: must be between 0 and 3, got 4" in result.stderr
    assert not (tmp_path / "o" / "ok.png").exists()


def test_a_failed_render_keeps_the_older_file(tmp_path, monkeypatch):
    import convanim.draw.raster as raster

    cfg = load_config(CONFIGS / "no_padding_no_strides.yaml")
    [gif] = render(cfg, tmp_path)
    before = gif.read_bytes()

    def boom(self, i):
        if i == 2:
            raise RuntimeError("disk on fire")
        return original(self, i)

    original = raster.RasterRenderer.update
    monkeypatch.setattr(raster.RasterRenderer, "update", boom)
    with pytest.raises(RuntimeError):
        render(cfg, tmp_path)
    assert gif.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [gif.name]


def test_gif_render_never_imports_torch_or_matplotlib(tmp_path):
    code = ("import sys; from convanim.app.pipeline import render; "
            f"render({str(CONFIGS / 'padding_strides.yaml')!r}, {str(tmp_path)!r}, ['gif', 'png', 'apng']); "
            "bad = [m for m in ('torch', 'matplotlib') if m in sys.modules]; assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
