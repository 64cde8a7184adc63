"""Layout: the numbers a figure shows equal the trace's, cell centres come from the layout, text as golden text."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from convanim.app.pipeline import as_config
from convanim.config import load_config
from convanim.core.errors import SpecError
from convanim.core.scene import Text, text_dump
from convanim.engine import Role
from convanim.figures.single import layer_scene as layout
from convanim.figures.single import trace_of
from convanim.figures.values import caption_of, format_value

CONFIGS = Path(__file__).parents[1] / "configs"
GOLDEN = Path(__file__).parent / "golden"


def scene_of(name_or_config):
    cfg = load_config(CONFIGS / f"{name_or_config}.yaml") if isinstance(name_or_config, str) else name_or_config
    trace = trace_of(cfg)
    return cfg, trace, layout(trace, cfg.render)


def texts_near(prims, xy, tol=1.0):
    return [p.text for p in prims if isinstance(p, Text) and abs(p.xy[0] - xy[0]) < tol and abs(p.xy[1] - xy[1]) < tol]


@pytest.mark.parametrize("name, frame", [("numerical_padding_strides", 0), ("numerical_padding_strides", 4),
                                         ("numerical_max_pooling", 8), ("worked_np_convolve", 2),
                                         ("worked_arange_2x2", 3)])
def test_text_layout_golden(name, frame):
    _, _, scene = scene_of(name)
    text = text_dump(scene, frame)
    path = GOLDEN / f"{name}.frame{frame}.txt"
    if os.environ.get("CONVANIM_UPDATE_GOLDEN") == "1" or not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"golden file {path.name} missing (run with CONVANIM_UPDATE_GOLDEN=1 locally)")
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("name", ["numerical_padding_strides", "numerical_no_padding_no_strides",
                                  "numerical_average_pooling", "numerical_max_pooling", "worked_arange_2x2"])
def test_numbers_shown_match_the_trace(name):
    cfg, trace, scene = scene_of(name)
    centers = scene.regions["input_centers"]
    values = trace.grid.values[0]
    for (r, c), _role in np.ndenumerate(trace.grid.role):
        shown = texts_near(scene.static, centers[r, c])
        assert shown == [format_value(values[r, c])], (r, c)
    out_centers = scene.regions["output_centers"]
    for (r, c), v in np.ndenumerate(trace.output[0]):
        assert texts_near(scene.static, out_centers[r, c]) == [format_value(v)]
    for step in trace.steps:
        prims = scene.frame(step.index)
        subs = [p.text for p in prims if isinstance(p, Text) and p.anchor == "rd"]
        if cfg.spec.is_pool:
            assert subs == []
        else:
            assert subs == [format_value(w) for w in step.weights[0]]


def test_reflect_padding_shows_reflected_values():
    cfg = as_config(input_size=4, kernel_size=3, padding=1, padding_mode="reflect", input="arange",
                    render={"numbers": True})
    _, trace, scene = scene_of(cfg)
    centers = scene.regions["input_centers"]
    # padded row 0 reflects input row 1: values 4..7 with reflected corners (each number inside its cell:
    # two-digit values sit raised, clear of the weight in the corner)
    cell = float(centers[0, 1][0] - centers[0, 0][0])
    shown = [texts_near(scene.static, centers[0, c], tol=0.45 * cell)[0] for c in range(6)]
    assert shown == ["5", "4", "5", "6", "7", "6"]
    assert trace.grid.role[0, 0] == Role.PADDING


def test_caption_is_the_steps_equation():
    cfg = as_config(input_size=3, kernel_size=2, input="arange", weight=[[0, 1], [2, 3]])
    trace = trace_of(cfg)
    assert caption_of(trace, trace.steps[0]) == "y[0,0] = 0·0 + 1·1 + 3·2 + 4·3 = 19"
    assert caption_of(trace, trace.steps[3]) == "y[1,1] = 4·0 + 5·1 + 7·2 + 8·3 = 43"


def test_textbook_true_convolution_table():
    cfg = as_config(input_size=[4], kernel_size=3, padding=2, flip_kernel=True, input=[1, 2, 3, 4],
                    weight=[1, 2, 3], render={"numbers": True, "caption": True})
    _, trace, scene = scene_of(cfg)
    assert trace.output[0].tolist() == [1, 4, 10, 16, 17, 12]
    assert caption_of(trace, trace.steps[2]) == "y[2] = 1·3 + 2·2 + 3·1 = 10"
    kernel_centers = scene.regions["kernel_centers"]
    for step in trace.steps:  # the kernel row shows the kernel reversed, under the window
        prims = scene.frame(step.index)
        row = [texts_near(prims, kernel_centers[0, c]) for c in range(kernel_centers.shape[1])]
        assert [t[0] for t in row if t] == ["3", "2", "1"]


def test_pooling_caption():
    cfg = as_config(op="avg_pool", input_size=[4], kernel_size=2, input=[1, 2, 3, 5])
    trace = trace_of(cfg)
    assert caption_of(trace, trace.steps[1]) == "y[1] = (3 + 5) / 2 = 4"
    cfg = as_config(op="max_pool", input_size=[4], kernel_size=2, input=[1, 2, 3, 5])
    trace = trace_of(cfg)
    assert caption_of(trace, trace.steps[0]) == "y[0] = max(1, 2) = 2"


def test_format_value():
    assert [format_value(v) for v in (17.0, -3.0, 0.25, 1 / 3, -0.001, float("-inf"))] == \
        ["17", "−3", "0.25", "0.33", "0", "−∞"]


def test_max_frames_refused_with_how_to_raise_it_before_simulating(monkeypatch):
    import convanim.figures.single as single
    from convanim import figures

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before the frame limit was checked")

    monkeypatch.setattr(single, "simulate", no_simulation)
    cfg = as_config(input_size=40, kernel_size=3)
    with pytest.raises(SpecError) as info:
        figures.scene(cfg)
    assert info.value.key == "render.max_frames" and "max_frames: 1444" in str(info.value)


def test_hold_last_is_a_duration_not_frames():
    from convanim import figures

    cfg = as_config(input_size=4, kernel_size=3, render={"hold_last": 2})
    assert figures.scene(cfg).n_frames == 4 and figures.n_frames(cfg) == 4


def test_stacked_centres_lie_on_a_sheared_plane_above_the_input():
    _, trace, scene = scene_of("padding_strides")
    ic, oc = scene.regions["input_centers"], scene.regions["output_centers"]
    assert ic.shape[:2] == trace.grid.shape and oc.shape[:2] == (3, 3)
    assert oc[..., 1].max() < ic[..., 1].max()  # output above
    col_step, row_step = ic[0, 1] - ic[0, 0], ic[1, 0] - ic[0, 0]
    assert col_step[0] > 0 and col_step[1] < 0 and row_step[0] > 0 and row_step[1] > 0  # conv_arithmetic's shear
