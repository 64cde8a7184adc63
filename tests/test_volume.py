"""The 3-D figure: every number it shows equals PyTorch's (F.pad, F.conv3d, F.conv_transpose3d, the pools), the
kernel's box shades exactly the taps on the slices it spans, frames walk the output volume, info and alt text."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convanim import figures
from convanim.app.pipeline import as_config, render, scene_of
from convanim.core.errors import ConfigError
from convanim.core.scene import Polygon, Segment, Text
from convanim.figures.geometry import Z
from convanim.figures.values import format_value
from convanim.figures.volume_common import shown_volumes

CONFIGS = Path(__file__).parents[1] / "configs"


def texts_at(prims, xy, tol=1.0):
    return [p.text for p in prims if isinstance(p, Text) and abs(p.xy[0] - xy[0]) < tol and abs(p.xy[1] - xy[1]) < tol]


def torch_run(torch, cfg):
    """The config's layer in torch.nn.functional (float64): the padded input as F.pad gives it (direct
    convolutions and pooling) and the output."""
    F = torch.nn.functional
    spec = cfg.spec
    x = torch.from_numpy(cfg.input)[None]
    w = None if cfg.weight is None else torch.from_numpy(cfg.weight)
    b = None if cfg.bias is None else torch.from_numpy(cfg.bias)
    pads = [v for n in reversed(range(3)) for v in (spec.pad_before[n], spec.pad_after[n])]
    if spec.is_pool:
        pool = {"max_pool": lambda: F.max_pool3d(x, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
                                                 ceil_mode=spec.ceil_mode),
                "avg_pool": lambda: F.avg_pool3d(x, spec.kernel_size, spec.stride, spec.padding,
                                                 ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad,
                                                 divisor_override=spec.divisor_override),
                "adaptive_avg_pool": lambda: F.adaptive_avg_pool3d(x, spec.output_size),
                "adaptive_max_pool": lambda: F.adaptive_max_pool3d(x, spec.output_size)}[spec.op.value]
        value = float("-inf") if spec.op.value == "max_pool" else 0.0
        return F.pad(x, pads, value=value)[0].numpy(), pool()[0].numpy()
    if spec.transposed:
        out = F.conv_transpose3d(x, w, b, stride=spec.stride, padding=spec.padding, output_padding=spec.output_padding,
                                 groups=spec.groups, dilation=spec.dilation)
        return None, out[0].numpy()
    mode = "constant" if spec.padding_mode.value == "zeros" else spec.padding_mode.value
    extra = {"value": spec.padding_value} if mode == "constant" else {}
    padded = F.pad(x, pads, mode=mode, **extra)
    out = F.conv3d(padded, w, b, stride=spec.stride, dilation=spec.dilation, groups=spec.groups)
    return padded[0].numpy(), out[0].numpy()


FLAT = {
    "gallery numbers": CONFIGS / "conv3d_numbers.yaml",
    "grouped reflect": dict(input_size=[3, 4, 3], in_channels=2, out_channels=4, groups=2, kernel_size=[2, 3, 2],
                            padding=[[1, 0], 1, [0, 1]], padding_mode="reflect", bias=True,
                            weight={"random": {"seed": 4, "low": -2, "high": 2}}, render={"numbers": True}),
    "elided channels": dict(input_size=[2, 3, 3], in_channels=5, out_channels=4, kernel_size=[1, 2, 2],
                            padding_value=0.5, padding=1, render={"numbers": True}),
    "max pool ceil_mode": dict(input_size=[3, 4, 5], op="max_pool", kernel_size=2, padding=1, ceil_mode=True,
                               in_channels=2, render={"numbers": True}),
    "avg pool divisor": dict(input_size=[4, 4, 4], op="avg_pool", kernel_size=3, stride=2, padding=1,
                             divisor_override=5, render={"numbers": True, "caption": True}),
    "adaptive": dict(input_size=[5, 4, 6], op="adaptive_avg_pool", output_size=[2, 3, 4],
                     render={"numbers": True, "caption": True}),
    "transposed": dict(input_size=[2, 2, 3], kernel_size=2, stride=2, transposed=True, in_channels=2, out_channels=1,
                       render={"numbers": True}),
}


@pytest.mark.parametrize("name", list(FLAT))
def test_flat_volume_numbers_equal_torch(torch, name):
    cfg = as_config(FLAT[name]) if isinstance(FLAT[name], Path) else as_config(**FLAT[name])
    spec = cfg.spec
    padded, want = torch_run(torch, cfg)
    scene = scene_of(cfg)
    assert figures.kind_of(cfg).name == "volume"
    trace = scene.regions["trace"]
    np.testing.assert_allclose(trace.output, want, rtol=1e-12, atol=1e-12)
    for (c, d), centers in scene.regions["output_centers"].items():  # every output number: torch's
        for (r, q) in np.ndindex(*centers.shape[:2]):
            assert texts_at(scene.static, centers[r, q]) == [format_value(want[c, d, r, q])], (c, d, r, q)
    role = scene.regions["input_role"]
    for (c, d), centers in scene.regions["input_centers"].items():  # every input number: the padded input
        for (r, q) in np.ndindex(*centers.shape[:2]):
            shown = texts_at(scene.static, centers[r, q])
            if role[d, r, q] == 3:  # a ceil_mode window's overhang: no value
                assert shown == []
            elif padded is not None:
                assert shown == [format_value(padded[c, d, r, q])], (c, d, r, q)
            else:  # transposed: x's values where the grid holds them, 0 between and around
                src = tuple(trace.grid.source[:, d, r, q])
                assert shown == [format_value(cfg.input[(c, *src)] if min(src) >= 0 else 0.0)]
    assert [c for c in shown_volumes(spec.in_channels) if c is not None] == \
        sorted({c for c, _ in scene.regions["input_centers"]})
    check_frames(scene, cfg, want)


def check_frames(scene, cfg, want):
    """Each frame marks its output voxel and writes every tap's weight under the taps (direct convolution: the
    weight PyTorch applies at that offset)."""
    spec, trace = cfg.spec, scene.regions["trace"]
    steps = scene.regions["frame_steps"]
    drawn_out = [c for c in shown_volumes(spec.out_channels) if c is not None]
    assert scene.n_frames == len(steps) == len(drawn_out) * int(np.prod(spec.output_size))
    for frame in sorted({0, len(steps) // 2, len(steps) - 1}):
        step = trace.steps[steps[frame]]
        prims = scene.frame(frame)
        d, r, q = step.position
        center = scene.regions["output_centers"][(step.channel, d)][r, q]
        assert any(isinstance(p, Polygon) and p.z == Z.SHADE and np.allclose(np.mean(p.points, axis=0), center)
                   for p in prims)
        assert step.value == pytest.approx(float(want[(step.channel, *step.position)]), abs=1e-12)
        subs = [p.text for p in prims if isinstance(p, Text) and p.anchor == "rd"]
        if spec.is_pool:
            assert subs == []
        elif not spec.transposed:
            drawn = [ci for ci in step.in_channels if (ci, int(step.taps[0][0])) in scene.regions["input_centers"]]
            cg = spec.in_channels // spec.groups
            expected = []
            for ci in drawn:
                for tap in step.taps:
                    off = tuple((t - o) // dl for t, o, dl in zip(tap, step.origin, spec.dilation))
                    expected.append(format_value(cfg.weight[(step.channel, ci % cg, *off)]))
            assert sorted(subs) == sorted(expected)
        if cfg.render.caption or spec.in_channels > 1 or spec.out_channels > 1:
            caption = [p.text for p in prims if isinstance(p, Text) and p.anchor == "mm" and p.z == Z.MARK]
            assert caption and caption[0].endswith(f"= {format_value(step.value)}")


STACKED = {
    "gallery stride 2": CONFIGS / "conv3d_stride2.yaml",
    "gallery transposed": CONFIGS / "conv_transpose3d.yaml",
    "dilated, asymmetric": dict(input_size=[6, 4, 5], kernel_size=[2, 2, 3], dilation=[2, 1, 1], stride=[1, 2, 1],
                                padding=[[0, 1], 0, 1]),
    "channels": dict(input_size=[3, 3, 3], in_channels=4, out_channels=2, kernel_size=2, padding=1, bias=True),
    "adaptive max": dict(input_size=[5, 3, 4], op="adaptive_max_pool", output_size=[3, 2, 2]),
}


def shaded_cells(prims, centers):
    """Which cells of a sheet (by their centres) lie under a shade polygon of the frame."""
    shades = [p for p in prims if isinstance(p, Polygon) and p.z == Z.SHADE]
    out = set()
    for idx in np.ndindex(*centers.shape[:2]):
        x, y = centers[idx]
        for poly in shades:
            if inside(poly.points, x, y):
                out.add(idx)
    return out


def inside(points, x, y):
    """A point strictly inside a convex polygon (either winding)."""
    signs = set()
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]):
        cross = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)
        if abs(cross) > 1e-6:
            signs.add(cross > 0)
    return len(signs) == 1


@pytest.mark.parametrize("name", list(STACKED))
def test_stacked_volume_shades_the_kernels_taps_on_every_slice_and_joins_the_box(name):
    keys = STACKED[name]
    cfg = as_config(keys) if isinstance(keys, Path) else as_config(**keys)
    scene = scene_of(cfg)
    trace = scene.regions["trace"]
    steps = scene.regions["frame_steps"]
    for frame in sorted({0, 1, len(steps) // 2, len(steps) - 1}):
        step = trace.steps[steps[frame]]
        prims = scene.frame(frame)
        taps = {tuple(int(v) for v in t) for t in step.taps}
        for (ci, d), centers in scene.regions["input_centers"].items():
            want = {(r, q) for (dd, r, q) in taps if dd == d} if ci in step.in_channels else set()
            assert shaded_cells(prims, centers) == want, (frame, ci, d)
        lines = [p for p in prims if isinstance(p, Segment) and p.z == Z.LINES]
        depths = {t[0] for t in taps}
        box = 4 if len(depths) > 1 else 0
        read = [ci for ci in step.in_channels if (ci, 0) in scene.regions["input_centers"]]
        assert len(lines) == box * len(read) + 4  # the box's edges on every plane read, four lines up


def test_frames_walk_the_output_volume_and_reveal_it_progressively():
    cfg = as_config(CONFIGS / "conv3d_stride2.yaml")
    scene = scene_of(cfg)
    assert scene.n_frames == 27 == figures.n_frames(cfg)
    revealed = sorted(p.reveal for p in scene.static if isinstance(p, Polygon) and p.z == Z.OUTPUT and p.reveal)
    assert revealed == list(range(1, 27))  # voxel n appears at frame n (voxel 0 from the start)


def test_3d_info_alt_text_and_solve(tmp_path):
    cfg = as_config(CONFIGS / "conv3d_stride2.yaml")
    assert figures.alt_text(cfg) == ("3-D convolution: 5×5×5 input, 3×3×3 kernel, stride 2, padding 1 → 3×3×3 "
                                     "output, drawn as its depth slices")
    lines = figures.info_lines(cfg)
    assert [line.split(":")[0] for line in lines[:3]] == ["depth", "height", "width"]
    assert lines[3] == "output: 3×3×3 · frames: 27"
    assert lines[4] == "pytorch: nn.Conv3d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)"
    out = subprocess.run([sys.executable, "-m", "convanim", "solve", "-i", "16,32,32", "-k", "3", "-s", "1,2,2"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("depth (input 16, kernel 3, stride 1, dilation 1):")
    assert "height, width (input 32, kernel 3, stride 2, dilation 1):" in out.stdout
    assert "= 16)" in out.stdout and "= 64)" in out.stdout
    out = subprocess.run([sys.executable, "-m", "convanim", "solve", "-i", "16,32", "-k", "3,3,3"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "one per axis" in out.stderr and "Traceback" not in out.stderr


def test_3d_figure_options_and_limits(tmp_path):
    with pytest.raises(ConfigError, match="render.style: strip draws 1-D"):
        scene_of(as_config(input_size=[3, 3, 3], render={"style": "strip"}))
    with pytest.raises(ConfigError, match="render.max_frames"):
        scene_of(as_config(input_size=[12, 12, 12], kernel_size=1))  # 1728 voxels
    cfg = as_config(input_size=[3, 4, 4], kernel_size=2, render={"compare": "flip_kernel"})
    scene = scene_of(cfg)  # the flip comparison draws two volumes side by side
    left, right = scene.regions["traces"]
    assert not left.spec.flip_kernel and right.spec.flip_kernel
    [gif] = render(as_config(input_size=[2, 3, 3], kernel_size=2, in_channels=2), tmp_path, ["gif"])
    assert gif.read_bytes().startswith(b"GIF89a")


def test_elided_volumes_keep_the_first_two_and_the_last():
    assert shown_volumes(3) == (0, 1, 2)
    assert shown_volumes(7) == (0, 1, None, 6)
    cfg = as_config(input_size=[2, 2, 2], kernel_size=1, in_channels=6, out_channels=5)
    scene = scene_of(cfg)
    assert {c for c, _ in scene.regions["input_centers"]} == {0, 1, 5}
    assert scene.n_frames == 3 * 8  # output channels 0, 1 and 4
    assert list(itertools.islice(scene.regions["frame_steps"], 0, None, 8)) == [0, 8, 32]
