"""Several channels and groups: every number a figure shows equals PyTorch's, frames go channel by channel,
the planes an output channel reads are the ones shaded, groups are tinted, wide stacks are elided."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convanim.app.pipeline import as_config, scene_of
from convanim.core.errors import ConfigError
from convanim.core.scene import Polygon, Text
from convanim.draw import render_frame
from convanim.figures.geometry import Z
from convanim.figures.multichannel import MAX_PLANES, shown_channels
from convanim.figures.single import trace_of
from convanim.figures.values import format_value

CONFIGS = Path(__file__).parents[1] / "configs"
BLUE, SHADED_BLUE = (0x26, 0x8B, 0xD2), (0x1A, 0x69, 0x98)


def texts_at(prims, xy, tol=1.0):
    return [p.text for p in prims if isinstance(p, Text) and abs(p.xy[0] - xy[0]) < tol and abs(p.xy[1] - xy[1]) < tol]


def torch_layer(torch, cfg):
    """The config's layer as torch.nn.functional would run it: (x, per-channel conv of (ci, co), full output)."""
    F = torch.nn.functional
    spec = cfg.spec
    x = torch.from_numpy(cfg.input)[None]
    w = torch.from_numpy(cfg.weight)
    b = None if cfg.bias is None else torch.from_numpy(cfg.bias)
    conv = F.conv1d if spec.ndim == 1 else F.conv2d
    args = dict(stride=spec.stride, padding=spec.padding, dilation=spec.dilation)
    full = conv(x, w, b, groups=spec.groups, **args)[0].numpy()
    cg = spec.in_channels // spec.groups

    def partial(ci, co):  # output channel co's sum over input channel ci alone
        return conv(x[:, ci:ci + 1], w[co:co + 1, ci % cg:ci % cg + 1], **args)[0, 0].numpy()

    return full, partial


MULTI = [
    dict(input_size=5, in_channels=3, out_channels=2, kernel_size=3, bias=[1, -2], render={"numbers": True}),
    dict(input_size=4, in_channels=4, out_channels=6, groups=2, kernel_size=3, padding=1, stride=2,
         render={"numbers": True}),
    dict(input_size=[5, 4], in_channels=3, out_channels=3, groups=3, kernel_size=2, dilation=[2, 1],
         weight={"random": {"seed": 7, "low": -2, "high": 2}}, render={"numbers": True}),
    dict(input_size=3, in_channels=3, out_channels=2, kernel_size=1, bias=True, render={"numbers": True}),
    dict(input_size=[7], in_channels=4, out_channels=2, groups=2, kernel_size=3, padding=1, bias=True,
         render={"numbers": True}),
    dict(input_size=[6], in_channels=2, out_channels=3, kernel_size=2, stride=2, render={"numbers": True,
                                                                                        "style": "flat"}),
]


def case_id(k):
    nd = len(k["input_size"]) if isinstance(k["input_size"], list) else 2
    return f"c{k['in_channels']}-{k['out_channels']}-g{k.get('groups', 1)}-{nd}d"


@pytest.mark.parametrize("keys", MULTI, ids=case_id)
def test_every_number_in_the_scene_equals_torch(torch, keys):
    cfg = as_config(**keys)
    trace = trace_of(cfg)
    scene = scene_of(cfg)
    full, partial = torch_layer(torch, cfg)
    spec = cfg.spec
    regions = scene.regions
    out_size = spec.output_size
    # output grids: every cell shows PyTorch's value
    for co, centers in regions["output_centers"].items():
        values = full[co].reshape(centers.shape[:2])
        for (r, c), v in np.ndenumerate(values):
            assert texts_at(scene.static, centers[r, c]) == [format_value(v)], (co, r, c)
    # input grids: the (padded) input values
    for ci, centers in regions["input_centers"].items():
        values = trace.grid.values[ci].reshape(centers.shape[:2])
        for (r, c), v in np.ndenumerate(values):
            assert texts_at(scene.static, centers[r, c]) == [format_value(v)], (ci, r, c)
    # every frame: the partial sum under each plane read, and the sum line, against torch
    assert len(regions["frame_steps"]) == spec.n_steps
    for frame, index in enumerate(regions["frame_steps"]):
        step = trace.steps[index]
        prims = scene.frame(frame)
        pos = step.position
        for ci, xy in regions["sum_xy"].items():
            shown = texts_at(prims, xy)
            if ci in step.in_channels:
                assert shown == [f"Σ = {format_value(partial(ci, step.channel)[pos])}"], (frame, ci)
            else:
                assert shown == [], (frame, ci)
        line = [p.text for p in prims if isinstance(p, Text) and p.text.startswith("y[")]
        assert len(line) == 1
        terms = [format_value(partial(ci, step.channel)[pos]) for ci in step.in_channels]
        if spec.bias:
            terms.append(f"{format_value(cfg.bias[step.channel])} (bias)")
        where = ",".join(map(str, (step.channel, *pos)))
        body = " + ".join(terms).replace("+ −", "− ")
        assert line[0] == f"y[{where}] = {body} = {format_value(full[(step.channel, *pos)])}"
        assert step.value == pytest.approx(float(full[(step.channel, *pos)]))
    assert scene.n_frames == spec.out_channels * int(np.prod(out_size))


def test_frames_go_channel_by_channel_and_mark_the_current_output_plane():
    cfg = as_config(input_size=4, in_channels=2, out_channels=3, kernel_size=3, render={"hold_last": 2})
    scene = scene_of(cfg)
    assert scene.n_frames == 3 * 4  # the hold is the last frame's duration, not extra frames
    assert scene.regions["frame_steps"] == tuple(range(12))
    oc = scene.regions["output_centers"]
    for frame, (co, r, c) in [(0, (0, 0, 0)), (5, (1, 0, 1)), (11, (2, 1, 1))]:
        img = render_frame(scene, frame)
        for channel, centers in oc.items():
            for (rr, cc), _ in np.ndenumerate(centers[..., 0]):
                x, y = centers[rr, cc]
                marked = tuple(img[int(y), int(x)]) == (0x1C, 0x76, 0x76)
                assert marked == ((channel, rr, cc) == (co, r, c)), (frame, channel, rr, cc)


@pytest.mark.parametrize("name, reads", [("grouped_conv", {0: (0, 1), 1: (0, 1), 2: (2, 3), 3: (2, 3)}),
                                         ("depthwise_conv", {0: (0,), 1: (1,), 2: (2,)})])
def test_the_planes_read_are_shaded_and_only_those(name, reads):
    cfg = as_config(CONFIGS / f"{name}.yaml")
    trace = trace_of(cfg)
    scene = scene_of(cfg)
    ic = scene.regions["input_centers"]
    per = int(np.prod(cfg.spec.output_size))
    for co, channels in reads.items():
        frame = co * per  # the first output cell of channel co
        step = trace.steps[scene.regions["frame_steps"][frame]]
        assert step.in_channels == channels
        img = render_frame(scene, frame)
        for ci, centers in ic.items():
            for r, c in {(int(t[0]), int(t[1])) for t in step.taps}:
                if trace.grid.role[r, c] != 0:
                    continue  # padding: no blue to compare with
                x, y = centers[r, c]
                got = tuple(int(v) for v in img[int(round(y)), int(round(x))])
                want = SHADED_BLUE if ci in channels else BLUE
                assert max(abs(a - b) for a, b in zip(got, want)) <= 3, (co, ci, r, c, got)


def sheet_fills(scene):
    return {p.fill for p in scene.static if isinstance(p, Polygon) and p.z == Z.FILL - 2}


def test_standard_grouped_and_depthwise_are_tinted_differently():
    standard = scene_of(as_config(input_size=4, in_channels=4, out_channels=4, kernel_size=3))
    grouped = scene_of(as_config(input_size=4, in_channels=4, out_channels=4, groups=2, kernel_size=3))
    depthwise = scene_of(as_config(input_size=4, in_channels=4, out_channels=4, groups=4, kernel_size=3))
    assert len(sheet_fills(standard)) == 0
    assert len(sheet_fills(grouped)) == 2
    assert len(sheet_fills(depthwise)) == 4
    labels = [p for p in grouped.static if isinstance(p, Text) and p.text.startswith("in ")]
    by_group = {p.text.split("g")[-1]: p.color for p in labels}
    assert len(set(by_group.values())) == 2 and [p.text for p in labels].count("in 3 · g1") == 1


def test_strip_shows_one_kernel_row_per_plane_read_with_torchs_weights():
    cfg = as_config(input_size=[6], in_channels=4, out_channels=2, groups=2, kernel_size=3,
                    render={"numbers": True})
    trace = trace_of(cfg)
    scene = scene_of(cfg)
    kc = scene.regions["kernel_centers"]
    for step in trace.steps:
        prims = scene.frame(step.index)
        for ci, centers in kc.items():
            row = [texts_at(prims, centers[0, c]) for c in range(centers.shape[1])]
            shown = [t[0] for t in row if t]
            if ci in step.in_channels:
                j = step.in_channels.index(ci)
                assert shown == [format_value(v) for v in cfg.weight[step.channel, j]]
            else:
                assert shown == []


def test_shown_channels_elides_wide_stacks():
    assert shown_channels(8) == tuple(range(8))
    assert shown_channels(12) == (0, 1, 2, 3, 4, 5, None, 11)
    assert len(shown_channels(300)) == MAX_PLANES


def test_elided_stack_keeps_every_number_equal_to_torch(torch):
    cfg = as_config(input_size=3, in_channels=12, out_channels=10, groups=2, kernel_size=2,
                    render={"numbers": True})
    trace = trace_of(cfg)
    scene = scene_of(cfg)
    full, partial = torch_layer(torch, cfg)
    assert set(scene.regions["input_centers"]) == {0, 1, 2, 3, 4, 5, 11}
    assert set(scene.regions["output_centers"]) == {0, 1, 2, 3, 4, 5, 9}
    assert scene.n_frames == 7 * 4  # frames only for the output channels drawn
    dots = [p for p in scene.static if isinstance(p, Text) and p.text == "…"]
    assert len(dots) == 2
    frame = scene.regions["frame_steps"].index(9 * 4 + 3)  # output channel 9 (group 1: inputs 6..11), last cell
    step = trace.steps[9 * 4 + 3]
    line = [p.text for p in scene.frame(frame) if isinstance(p, Text) and p.text.startswith("y[")][0]
    hidden = sum(partial(ci, 9)[1, 1] for ci in range(6, 11))
    assert line == (f"y[9,1,1] = [in 6…10: {format_value(hidden)}] + {format_value(partial(11, 9)[1, 1])} = "
                    f"{format_value(full[9, 1, 1])}")
    assert step.in_channels == tuple(range(6, 12))


def test_gallery_multi_channel_configs_keep_frames_cheap():
    for name in ("rgb_to_2_channels", "grouped_conv", "depthwise_conv", "pointwise_conv"):
        scene = scene_of(as_config(CONFIGS / f"{name}.yaml"))
        assert 10 <= scene.n_frames <= 200
        assert max(len(scene.frame(i)) for i in range(scene.n_frames)) <= 150, name


def test_strip_style_on_a_2d_multichannel_input_is_an_error_naming_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("input_size: 4\nin_channels: 2\nrender:\n  style: strip\n")
    with pytest.raises(ConfigError) as info:
        scene_of(as_config(path))
    assert info.value.key == "render.style" and info.value.line == 4


def test_gif_keeps_the_group_hues(tmp_path):
    from PIL import Image

    from convanim.app.pipeline import render
    from convanim.figures.geometry import GROUP_HUES

    (path,) = render(CONFIGS / "grouped_conv.yaml", tmp_path, ["gif"])
    with Image.open(path) as im:
        frame = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
    for hue in GROUP_HUES[:2]:
        rgb = np.array([int(hue[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(frame - rgb).max(axis=1) <= 4).sum() > 100, hue
