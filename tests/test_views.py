"""The scatter, matrix and im2col views and compare: forward, as drawn: every number in a cell equals PyTorch's.

Each test reads the text primitives at the cell centres a scene reports in ``regions`` and compares them with
``torch.nn.functional`` (``conv_transpose*`` of the values stamped so far, ``conv*``, ``F.unfold``) or
``torch.autograd.functional.jacobian``, computed here from the config's data.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from convanim.app.pipeline import as_config, render, scene_of
from convanim.core.scene import Polygon, Text
from convanim.draw import render_frame
from convanim.figures import alt_text, info_lines
from convanim.figures.scatter import Z_COUNT
from convanim.figures.values import format_value


def texts_at(prims, xy, tol=1.0):
    return [p.text for p in prims if isinstance(p, Text) and abs(p.xy[0] - xy[0]) < tol and abs(p.xy[1] - xy[1]) < tol]


def shown(scene, frame, xy):
    """The text in the cell at ``xy`` on ``frame``: static and that frame's."""
    return texts_at(scene.static, xy) + texts_at(scene.frame(frame), xy)


def rows(a, nd):
    return a[None, :] if nd == 1 else a


def tensors(torch, cfg):
    x = torch.from_numpy(cfg.input)[None]
    w = torch.from_numpy(cfg.weight)
    b = None if cfg.bias is None else torch.from_numpy(cfg.bias)
    return x, w, b


def conv_t(torch, spec, x, w, b, padding=None, output_padding=None):
    F = torch.nn.functional
    fn = F.conv_transpose1d if spec.ndim == 1 else F.conv_transpose2d
    return fn(x, w, b, stride=spec.stride, padding=spec.padding if padding is None else padding,
              output_padding=spec.output_padding if output_padding is None else output_padding, groups=spec.groups,
              dilation=spec.dilation)


def conv(torch, spec, x, w, b):
    F = torch.nn.functional
    fn = F.conv1d if spec.ndim == 1 else F.conv2d
    return fn(x, w, b, stride=spec.stride, padding=spec.padding, dilation=spec.dilation, groups=spec.groups)


def per_channel(centers, c):
    return centers[c] if isinstance(centers, dict) else centers


# -- scatter -----------------------------------------------------------------------------------------

SCATTER = [
    dict(input_size=3, kernel_size=3, stride=2, padding=1, output_padding=1, transposed=True,
         render={"view": "scatter", "numbers": True}),
    dict(input_size=[4], kernel_size=3, stride=2, padding=2, output_padding=1, dilation=2, transposed=True,
         weight={"random": {"seed": 4, "low": -2, "high": 2}}, render={"view": "scatter", "numbers": True}),
    dict(input_size=[3, 2], in_channels=2, out_channels=4, groups=2, kernel_size=[2, 3], stride=[1, 2], padding=[0, 1],
         transposed=True, bias=[1, -1, 0.5, 2], render={"view": "scatter", "numbers": True, "overlaps": True}),
    dict(input_size=2, kernel_size=2, stride=1, padding=0, output_padding=0, transposed=True, dilation=3,
         render={"view": "scatter", "numbers": True}),  # dilation leaves cells no stamp reaches
]


@pytest.mark.parametrize("keys", SCATTER, ids=["2d-op", "1d-dilation", "groups-bias", "gaps"])
def test_scatter_running_sums_and_final_output_equal_torch(torch, keys):
    cfg = as_config(**keys)
    spec = cfg.spec
    scene = scene_of(cfg)
    x, w, b = tensors(torch, cfg)
    canvas = scene.regions["canvas_centers"]
    n_frames = spec.in_channels * math.prod(spec.input_size)
    assert scene.n_frames == n_frames
    zeros = (0,) * spec.ndim
    full = conv_t(torch, spec, x, w, None, zeros, zeros)[0].shape[1:]
    for n in range(n_frames):
        mask = torch.zeros(n_frames, dtype=torch.float64)
        mask[:n + 1] = 1
        stamped = conv_t(torch, spec, x * mask.reshape(x.shape), w, None, zeros, zeros)[0].numpy()
        reached = conv_t(torch, spec, mask.reshape(x.shape), torch.ones_like(w), None, zeros, zeros)[0].numpy() > 0
        for co in range(spec.out_channels):
            centers = per_channel(canvas, co)
            want = np.zeros(centers.shape[:2])
            hit = np.zeros(centers.shape[:2], bool)
            want[tuple(slice(0, f) for f in rows(np.zeros(full), spec.ndim).shape)] = rows(stamped[co], spec.ndim)
            hit[tuple(slice(0, f) for f in rows(np.zeros(full), spec.ndim).shape)] = rows(reached[co], spec.ndim)
            want += 0 if b is None else float(b[co])
            for (r, c), value in np.ndenumerate(want):
                texts = texts_at(scene.frame(n), centers[r, c])
                assert texts == ([format_value(value)] if hit[r, c] else []), (n, co, r, c)
    # the last frame's kept cells are PyTorch's output
    out = conv_t(torch, spec, x, w, b)[0].numpy()
    last = n_frames - 1
    for co in range(spec.out_channels):
        centers = per_channel(scene.regions["output_centers"], co)
        for (r, c), value in np.ndenumerate(rows(out[co], spec.ndim)):
            assert shown(scene, last, centers[r, c]) == [format_value(value)], (co, r, c)


def test_scatter_stamp_products_kernel_and_input_numbers(torch):
    cfg = as_config(**SCATTER[0])
    scene = scene_of(cfg)
    sc = scene.regions["scatter"]
    x, w = cfg.input[0], cfg.weight[0, 0]
    for (r, c), v in np.ndenumerate(x):
        assert texts_at(scene.static, scene.regions["input_centers"][r, c]) == [format_value(v)]
    for (r, c), v in np.ndenumerate(w):  # the kernel as stored: a transposed convolution does not flip it
        assert texts_at(scene.static, scene.regions["kernel_centers"][0][r, c]) == [format_value(v)]
    n = 4  # x[1, 1]
    prims = scene.frame(n)
    canvas = scene.regions["canvas_centers"]
    assert (scene.regions["reads"][n]["input"] == [[0, 1, 1]]).all()
    for (kr, kc), weight in np.ndenumerate(w):
        r, c = 2 + kr, 2 + kc  # stride 2 × (1, 1)
        assert [0, r, c] in scene.regions["writes"][n]["canvas"].tolist()
        product = format_value(float(x[1, 1] * weight))
        cx, cy = canvas[r, c]
        subs = [p.text for p in prims if isinstance(p, Text) and p.anchor == "rd" and abs(p.xy[0] - cx) < 20
                and abs(p.xy[1] - cy) < 20]
        assert subs == [product if product.startswith("−") else "+" + product]
    assert sc.output.shape == (1, 6, 6)


def test_scatter_overlap_shades_count_the_stamps(torch):
    """DCGAN's ConvTranspose2d(k=4, s=2, p=1): 1, 2 or 4 stamps on a cell; k=3, s=2: the checkerboard."""
    for keys, counts in ((dict(kernel_size=4, padding=1), {1, 2, 4}), (dict(kernel_size=3, padding=0), {1, 2, 4})):
        cfg = as_config(input_size=4, stride=2, transposed=True, render={"view": "scatter", "overlaps": True}, **keys)
        spec = cfg.spec
        scene = scene_of(cfg)
        ones = torch.ones((1, 1, *spec.input_size), dtype=torch.float64)
        zeros = (0, 0)
        count = conv_t(torch, spec, ones, torch.ones((1, 1, *spec.kernel_size), dtype=torch.float64), None, zeros,
                       zeros)[0, 0].numpy()
        assert set(np.unique(count).astype(int)) == counts
        last = scene.n_frames - 1
        fills = {}
        for p in scene.frame(last):
            if isinstance(p, Polygon) and p.z == Z_COUNT:
                fills[tuple(np.round(np.mean(p.points, axis=0), 1))] = p.fill
        centers = scene.regions["canvas_centers"]
        role = scene.regions["canvas_role"]
        by_count: dict[tuple[int, int], set[str]] = {}
        for (r, c), k in np.ndenumerate(count):
            by_count.setdefault((int(k), int(role[r, c] == 2)), set()).add(fills[tuple(np.round(centers[r, c], 1))])
        assert all(len(f) == 1 for f in by_count.values())  # one shade per count
        kept = [by_count[(k, 0)].pop() for k in sorted(counts) if (k, 0) in by_count]
        assert kept == sorted(kept, reverse=True)  # more stamps, darker (hex of a darker tint sorts lower)
        if keys["kernel_size"] == 3:  # interior of a k=3, s=2 output alternates: the checkerboard
            assert count[2:5, 2:5].tolist() == [[4, 2, 4], [2, 1, 2], [4, 2, 4]]
        legend = [p.text for p in scene.static if isinstance(p, Text) and p.text in {"1", "2", "4"}]
        assert legend == ["1", "2", "4"]


def test_scatter_words_name_the_crop_and_output_padding():
    scene = scene_of(as_config(**SCATTER[0]))
    texts = [p.text for p in scene.static if isinstance(p, Text)]
    words = " | ".join(texts)
    assert "input 3×3" in words and "output 6×6, cropped from the 7×7 stamped grid" in words
    assert "7×7 stamped − 2·1 cropped + 1 output_padding = 6×6 output" in words
    assert "padding=1 crops 1 row and column on each side" in words
    assert "not added zeros" in words and texts.count("output_padding") == 2  # the two brackets


# -- matrix ------------------------------------------------------------------------------------------

MATRIX = [
    dict(input_size=4, kernel_size=3, render={"view": "matrix", "numbers": True}),  # the paper's 4×16
    dict(input_size=2, kernel_size=3, transposed=True, render={"view": "matrix", "numbers": True}),
    dict(input_size=[5], in_channels=2, out_channels=4, groups=2, kernel_size=2, stride=2, padding=1, bias=True,
         render={"view": "matrix", "numbers": True}),
    dict(input_size=3, kernel_size=3, padding=1, padding_mode="reflect", render={"view": "matrix", "numbers": True}),
    dict(input_size=[2, 1], in_channels=2, out_channels=2, kernel_size=2, stride=2, output_padding=1, transposed=True,
         render={"view": "matrix", "numbers": True}),
]


def layer_fn(torch, cfg):
    spec = cfg.spec
    _, w, b = tensors(torch, cfg)
    if spec.transposed:
        return lambda z: conv_t(torch, spec, z[None], w, b)[0]
    if spec.padding_mode.value != "zeros":
        F = torch.nn.functional
        pads = [p for n in reversed(range(spec.ndim)) for p in (spec.pad_before[n], spec.pad_after[n])]
        fn = F.conv1d if spec.ndim == 1 else F.conv2d
        return lambda z: fn(F.pad(z[None], pads, mode=spec.padding_mode.value), w, b, stride=spec.stride,
                            dilation=spec.dilation, groups=spec.groups)[0]
    return lambda z: conv(torch, spec, z[None], w, b)[0]


@pytest.mark.parametrize("keys", MATRIX, ids=["paper-4x16", "transposed", "1d-groups-bias", "reflect",
                                              "transposed-channels"])
def test_matrix_entries_are_the_jacobian_and_y_the_output(torch, keys):
    cfg = as_config(**keys)
    scene = scene_of(cfg)
    fn = layer_fn(torch, cfg)
    xt = torch.from_numpy(cfg.input)
    jac = torch.autograd.functional.jacobian(fn, xt).reshape(-1, cfg.input.size).numpy()
    y = fn(xt).numpy().ravel()
    centers, taps = scene.regions["matrix_centers"], scene.regions["taps"]
    assert centers.shape[:2] == jac.shape == taps.shape
    for (r, c), v in np.ndenumerate(jac):
        want = [format_value(v)] if taps[r, c] else []
        assert texts_at(scene.static, centers[r, c]) == want, (r, c)
        assert taps[r, c] or v == 0
    for c, v in enumerate(cfg.input.ravel()):
        assert texts_at(scene.static, scene.regions["x_centers"][c]) == [format_value(v)]
    for r, v in enumerate(y):
        assert texts_at(scene.static, scene.regions["y_centers"][r]) == [format_value(v)]
    assert scene.n_frames == len(y)
    # each frame reads the row's taps and writes its output; the caption's value is PyTorch's
    cap = as_config(**{**keys, "render": {**keys["render"], "caption": True}})
    cap_scene = scene_of(cap)
    for r in range(len(y)):
        assert scene.regions["reads"][r]["x"].tolist() == np.flatnonzero(taps[r]).tolist()
        lines = [p.text for p in cap_scene.frame(r) if isinstance(p, Text) and p.text.startswith("y[")]
        assert len(lines) == 1 and lines[0].endswith(f"= {format_value(y[r])}")


def test_transposed_matrix_shows_the_forward_c_and_its_name():
    scene = scene_of(as_config(**MATRIX[1]))
    words = " | ".join(p.text for p in scene.static if isinstance(p, Text))
    assert "y = Cᵀ·x: Cᵀ is 16×4" in words
    assert "Cᵀ is the transpose of the forward convolution's C (4×4 → 2×2" in words and "C (4×16), forward" in words


# -- im2col ------------------------------------------------------------------------------------------

IM2COL = [
    dict(input_size=4, kernel_size=3, padding=1, stride=2, render={"view": "im2col", "numbers": True}),
    dict(input_size=3, in_channels=2, out_channels=2, kernel_size=2, bias=[1, -1],
         render={"view": "im2col", "numbers": True}),
    dict(input_size=[6], in_channels=4, out_channels=2, groups=2, kernel_size=3, dilation=2,
         render={"view": "im2col", "numbers": True}),
    dict(input_size=2, kernel_size=3, stride=2, transposed=True, render={"view": "im2col", "numbers": True}),
]


@pytest.mark.parametrize("keys", IM2COL, ids=["padded-stride", "channels-bias", "1d-groups-dilation", "transposed"])
def test_im2col_rows_are_unfold_and_y_the_output(torch, keys):
    cfg = as_config(**keys)
    spec = cfg.spec
    scene = scene_of(cfg)
    F = torch.nn.functional
    x, w, b = tensors(torch, cfg)
    trace = scene.regions["trace"]
    drawn = torch.from_numpy(trace.grid.values)[None]  # the gather view's grid (checked in test_engine_torch)
    if spec.transposed:  # rebuild it here: zeros between the cells, d(k-1)-p around them
        z = torch.zeros((1, spec.in_channels, *[(i - 1) * s + 1 for i, s in zip(spec.input_size, spec.stride)]),
                        dtype=torch.float64)
        z[(slice(None), slice(None), *(slice(None, None, s) for s in spec.stride))] = x
        q = [d * (k - 1) - p for d, k, p in zip(spec.dilation, spec.kernel_size, spec.padding)]
        drawn = F.pad(z, [v for n in reversed(range(spec.ndim)) for v in (q[n], q[n] + spec.output_padding[n])])
    else:
        drawn = F.pad(x, [p for n in reversed(range(spec.ndim)) for p in (spec.pad_before[n], spec.pad_after[n])])
    stride = (1,) * spec.ndim if spec.transposed else spec.stride
    if spec.ndim == 1:
        unfolded = F.unfold(drawn[:, :, None], (1, spec.kernel_size[0]), dilation=(1, spec.dilation[0]),
                            stride=(1, stride[0]))
    else:
        unfolded = F.unfold(drawn, spec.kernel_size, dilation=spec.dilation, stride=stride)
    patches = unfolded[0].T.numpy()
    centers = scene.regions["patches_centers"]
    for (r, c), v in np.ndenumerate(patches):
        assert texts_at(scene.static, centers[r, c]) == [format_value(v)], (r, c)
    out = (conv_t(torch, spec, x, w, b) if spec.transposed else conv(torch, spec, x, w, b))[0].numpy()
    y = out.reshape(spec.out_channels, -1).T
    for (r, c), v in np.ndenumerate(y):
        assert texts_at(scene.static, scene.regions["y_centers"][r, c]) == [format_value(v)]
    # Kᵀ: the weights of each output channel on its own group's taps (flipped for a transposed convolution)
    kt = scene.regions["kernel_centers"]
    if not spec.transposed:
        k = math.prod(spec.kernel_size)
        cg = spec.in_channels // spec.groups
        for o in range(spec.out_channels):
            g = o // (spec.out_channels // spec.groups)
            row = [t for c in range(kt.shape[1]) for t in texts_at(scene.static, kt[o, c])]
            want = [format_value(v) for v in cfg.weight[o].ravel()]
            assert row == want and len(want) == cg * k, (o, g)
    else:  # the flipped kernel: conv_transpose equals conv of the drawn grid with it
        flipped = w.flip(-1, -2).transpose(0, 1)
        assert [t for c in range(kt.shape[1]) for t in texts_at(scene.static, kt[0, c])] == \
            [format_value(v) for v in flipped[0].ravel().numpy()]
        assert np.allclose(F.conv2d(drawn, flipped)[0].numpy(), out)


# -- compare: forward --------------------------------------------------------------------------------


def test_forward_compare_sides_equal_torch_and_are_named(torch):
    cfg = as_config(input_size=3, kernel_size=3, stride=2, padding=1, output_padding=1, transposed=True,
                    render={"compare": "forward", "numbers": True})
    scene = scene_of(cfg)
    fwd, tr = scene.regions["forward"], scene.regions["transposed"]
    ft, tt = fwd["trace"], tr["trace"]
    F = torch.nn.functional
    w = torch.from_numpy(cfg.weight)
    assert ft.spec.input_size == (6, 6) and ft.spec.output_size == (3, 3) and tt.spec.output_size == (6, 6)
    want_f = F.conv2d(torch.from_numpy(ft.x)[None], w, stride=2, padding=1)[0, 0].numpy()
    want_t = F.conv_transpose2d(torch.from_numpy(cfg.input)[None], w, stride=2, padding=1, output_padding=1)[0, 0]
    for side, want in ((fwd, want_f), (tr, want_t.numpy())):
        for (r, c), v in np.ndenumerate(want):
            assert texts_at(scene.static, side["output_centers"][r, c]) == [format_value(v)]
    words = [p.text for p in scene.static if isinstance(p, Text)]
    for name in ("input 6×6", "output 3×3", "input 3×3", "output 6×6", "forward convolution",
                 "transposed convolution", "nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1)"):
        assert name in words
    assert ("forward, every input from 5×5 to 6×6 gives 3×3 (the stride-2 division rounds down): "
            "output_padding=1 picks 6×6") in words
    assert scene.n_frames == 36 and scene.regions["frame_of"][0] == (0, 0)
    assert scene.regions["frame_of"][-1] == (8, 35)  # both end together
    assert "forward convolution" in " ".join(info_lines(cfg)) and "beside it the forward" in alt_text(cfg)


def test_forward_compare_keeps_the_transposed_sides_view(torch):
    cfg = as_config(input_size=2, kernel_size=3, transposed=True, render={"compare": "forward", "view": "matrix"})
    scene = scene_of(cfg)
    assert scene.regions["forward"]["matrix"].shape == (4, 16)
    assert scene.regions["transposed"]["matrix"].shape == (16, 4)
    assert np.array_equal(scene.regions["forward"]["matrix"].T, scene.regions["transposed"]["matrix"])


# -- every view renders ------------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [SCATTER[1], SCATTER[2], MATRIX[2], IM2COL[1],
                                  dict(input_size=2, kernel_size=3, transposed=True,
                                       render={"compare": "forward", "view": "scatter", "overlaps": True})])
def test_each_view_renders_a_gif_and_frames_with_content(tmp_path, keys):
    cfg = as_config(**keys)
    [gif] = render(cfg, tmp_path, ["gif"])
    assert gif.read_bytes().startswith(b"GIF89a")
    scene = scene_of(cfg)
    a, b = render_frame(scene, 0), render_frame(scene, scene.n_frames - 1)
    assert a.shape == (scene.height, scene.width, 3) and not np.array_equal(a, b)
    assert alt_text(cfg) and info_lines(cfg)
