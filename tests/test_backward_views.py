"""The backward figures as drawn: every number in a cell, every caption and equation equals ``torch.autograd``.

Each test reads the text primitives at the cell centres a scene reports in ``regions`` (or its captions) and
compares them with autograd's gradients of the same layer on the config's data and ``grad_output``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from test_views import per_channel, shown

from convanim.app.pipeline import as_config, load_config, render, scene_of
from convanim.core.errors import ConfigError
from convanim.core.scene import Text
from convanim.figures import alt_text, info_lines, kind_of
from convanim.figures.values import format_value

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def grads(torch, cfg):
    """Autograd's (∂L/∂x, ∂L/∂w, ∂L/∂b) of the config's layer for its grad_output (F.pad for padding modes)."""
    F = torch.nn.functional
    spec = cfg.spec
    nd = spec.ndim
    x = torch.from_numpy(cfg.input)[None].requires_grad_(True)
    w = None if cfg.weight is None else torch.from_numpy(cfg.weight).requires_grad_(True)
    b = None if cfg.bias is None else torch.from_numpy(cfg.bias).requires_grad_(True)
    applied = torch.flip(w, dims=list(range(2, 2 + nd))) if spec.flip_kernel else w
    if spec.op.value.startswith("adaptive"):
        y = getattr(F, f"{spec.op.value}{nd}d")(x, spec.output_size)
    elif spec.op.value == "max_pool":
        pool = getattr(F, f"max_pool{nd}d")
        y = pool(x, spec.kernel_size, spec.stride, spec.padding, spec.dilation, ceil_mode=spec.ceil_mode)
    elif spec.op.value == "avg_pool":
        pool = getattr(F, f"avg_pool{nd}d")
        extra = {} if spec.divisor_override is None else {"divisor_override": spec.divisor_override}
        y = pool(x, spec.kernel_size, spec.stride, spec.padding, ceil_mode=spec.ceil_mode,
                 count_include_pad=spec.count_include_pad, **extra)
    elif spec.transposed:
        fn = getattr(F, f"conv_transpose{nd}d")
        y = fn(x, applied, b, stride=spec.stride, padding=spec.padding, output_padding=spec.output_padding,
               groups=spec.groups, dilation=spec.dilation)
    else:
        fn = getattr(F, f"conv{nd}d")
        xp = x
        if spec.padding_mode.value != "zeros":
            pads = [v for n in reversed(range(nd)) for v in (spec.pad_before[n], spec.pad_after[n])]
            xp = F.pad(x, pads, mode=spec.padding_mode.value)
        y = fn(xp, applied, b, stride=spec.stride, padding=0, dilation=spec.dilation, groups=spec.groups) \
            if spec.padding_mode.value != "zeros" else fn(xp, applied, b, stride=spec.stride, padding=spec.padding,
                                                           dilation=spec.dilation, groups=spec.groups)
    y.backward(torch.from_numpy(cfg.grad_output)[None])
    return (x.grad[0].numpy(), None if w is None else w.grad.numpy(), None if b is None else b.grad.numpy())


def real_cells(cfg, scene):
    """The drawn cell (row, column) of every input cell, by input index, from the trace's grid."""
    spread = scene.regions["spread"]
    source = spread.trace.grid.source
    role = spread.trace.grid.role
    out = {}
    for idx in np.ndindex(*role.shape):
        if role[idx] == 0:
            key = tuple(int(source[(n, *idx)]) for n in range(cfg.spec.ndim))
            out[key] = idx if cfg.spec.ndim == 2 else (0, idx[0])
    return out


def drawn_numbers(scene, frame, c):
    centers = per_channel(scene.regions["output_centers"], c)
    return {(r, q): shown(scene, frame, centers[r, q]) for r, q in np.ndindex(*centers.shape[:2])}


# -- the input gradient as shares (view: scatter) and gathered ------------------------------------------------

SHARES = {
    "padding_strides": dict(input_size=5, kernel_size=3, stride=2, padding=1),
    "channels_groups_1d": dict(input_size=[7], in_channels=2, out_channels=4, groups=2, kernel_size=3, stride=2,
                               dilation=2, padding=2, weight={"random": {"seed": 5, "low": -2, "high": 2}}),
    "reflect": dict(input_size=[4, 5], kernel_size=3, padding=1, padding_mode="reflect"),
    "transposed": dict(input_size=3, kernel_size=3, stride=2, padding=1, output_padding=1, transposed=True),
    "max_pool_ties": dict(input_size=[5, 6], op="max_pool", kernel_size=3, stride=2, padding=1, ceil_mode=True,
                          input={"random": {"seed": 1, "low": 0, "high": 1}}),
    "avg_pool": dict(input_size=[5], op="avg_pool", kernel_size=3, stride=2, padding=1, ceil_mode=True,
                     count_include_pad=False),
    "avg_pool_divisor": dict(input_size=[4, 5], op="avg_pool", kernel_size=2, stride=1, divisor_override=3),
    "adaptive_avg": dict(input_size=[5, 7], op="adaptive_avg_pool", output_size=[3, 2]),
    "adaptive_max_ties": dict(input_size=[9], op="adaptive_max_pool", output_size=4, in_channels=2,
                              input={"random": {"seed": 2, "low": 0, "high": 1}}),
}


# gather: the shares figure where no single layer computes ∂L/∂x (the others: test_gather_is_the_layer_...)
VIEWS = [(name, "scatter") for name in SHARES] + [(name, "gather") for name in (
    "reflect", "max_pool_ties", "avg_pool", "avg_pool_divisor", "adaptive_avg", "adaptive_max_ties")]


@pytest.mark.parametrize("name, view", VIEWS)
def test_the_shares_end_as_autograds_input_gradient(torch, name, view):
    keys = SHARES[name]
    cfg = as_config(**keys, render={"pass": "backward", "view": view, "numbers": True, "caption": True})
    scene = scene_of(cfg)
    want, _, _ = grads(torch, cfg)
    last = scene.n_frames - 1
    cells = real_cells(cfg, scene)
    for c in range(cfg.spec.in_channels):
        numbers = drawn_numbers(scene, last, c)
        for idx, (r, q) in cells.items():
            assert numbers[(r, q)] == [format_value(float(want[(c, *idx)]))], (c, idx)
    narrations = [scene.narration(i) for i in range(scene.n_frames)]
    if view == "gather":  # one equation per input cell, its value autograd's
        values = [float(re.search(r"= (−?[\d.]+)$", t)[1].replace("−", "-")) for t in narrations]
        assert values == pytest.approx([float(format_value(v).replace("−", "-")) for v in want.ravel()])


def test_a_3d_convolutions_input_gradient_is_its_transposed_volume(torch):
    """∂L/∂x of Conv3d(2, 2, 2, stride 2, padding 1, groups 2): the volume figure of ConvTranspose3d on ∂L/∂y, its
    output autograd's ∂L/∂x, every frame's equation named ∂L/∂x[...] with autograd's value, the sheets named."""
    cfg = as_config(input_size=[3, 4, 4], kernel_size=2, stride=2, padding=1, in_channels=2, out_channels=2,
                    groups=2, render={"pass": "backward", "caption": True})
    assert kind_of(cfg).name == "backward_input"
    scene = scene_of(cfg)
    want, _, _ = grads(torch, cfg)
    np.testing.assert_allclose(scene.regions["trace"].output, want, rtol=1e-12, atol=1e-12)
    assert scene.regions["layer"].spec.torch_line().startswith("nn.ConvTranspose3d(2, 2, kernel_size=2, stride=2")
    for i in range(scene.n_frames):
        m = re.match(r"∂L/∂x\[(\d),(\d),(\d),(\d)\] = .* = (−?[\d.]+)$", scene.narration(i))
        assert m, scene.narration(i)
        assert m[5] == format_value(float(want[tuple(int(v) for v in m.groups()[:4])]))
    # one group per depth sheet of every channel: ∂L/∂y's 2 slices with a zero slice between (stride 2) and one of
    # output_padding (what the forward division rounded away) after; ∂L/∂x's 3
    names = [g.name for g in scene.links().groups]
    assert names[:4] == ["in 0 · g0, slice d 0", "in 0 · g0, slice zeros", "in 0 · g0, slice d 1",
                         "in 0 · g0, slice pad"]
    assert len(names) == 2 * 4 + 2 * 3 and names[-1] == "out 1 · g1, slice d 2"
    texts = {p.text for p in scene.static if isinstance(p, Text)}
    assert "∂L/∂x of nn.Conv3d(2, 2, kernel_size=2, stride=2, padding=1, groups=2)" in texts


def test_every_scatter_frame_shows_autograd_of_the_cells_sent_so_far(torch):
    """Running sums on the padded grid after each frame: autograd of the convolution with respect to its padded
    input, for ∂L/∂y with the cells not yet sent set to zero; each share is its ∂L/∂y times the weight."""
    cfg = as_config(**SHARES["padding_strides"], render={"pass": "backward", "view": "scatter", "numbers": True})
    scene = scene_of(cfg)
    F = torch.nn.functional
    w = torch.from_numpy(cfg.weight)
    g = cfg.grad_output
    for n in range(9):
        padded = torch.from_numpy(np.pad(cfg.input, ((0, 0), (1, 1), (1, 1))))[None].requires_grad_(True)
        mask = (np.arange(9) <= n).reshape(g.shape)
        F.conv2d(padded, w, stride=2).backward(torch.from_numpy(g * mask)[None])
        want = padded.grad[0, 0].numpy()
        numbers = drawn_numbers(scene, n, 0)
        r0, c0 = divmod(n, 3)
        for (r, q), texts in numbers.items():
            reached = any(2 * a <= r < 2 * a + 3 and 2 * b <= q < 2 * b + 3
                          for a in range(3) for b in range(3) if 3 * a + b <= n)
            assert texts == ([format_value(float(want[r, q]))] if reached else []), (n, r, q)
        centers = scene.regions["output_centers"]
        side = centers[0, 1, 0] - centers[0, 0, 0]
        shares = {}
        for p in scene.frame(n):  # the subscripts at the bottom-right of the cells the frame sends to
            if isinstance(p, Text) and p.anchor == "rd":
                r, q = (int(round((v - o) / side - 0.44)) for v, o in zip(p.xy[::-1], centers[0, 0][::-1]))
                shares[(r, q)] = p.text
        want_shares = {}
        for i, j in np.ndindex(3, 3):
            v = format_value(float(g[0, r0, c0] * cfg.weight[0, 0, i, j]))
            want_shares[(2 * r0 + i, 2 * c0 + j)] = v if v.startswith("−") else "+" + v
        assert shares == want_shares, n


def test_max_pool_routes_each_gradient_to_the_first_maximum_as_torch(torch):
    cfg = as_config(**SHARES["max_pool_ties"], render={"pass": "backward", "view": "scatter"})
    scene = scene_of(cfg)
    F = torch.nn.functional
    x = torch.from_numpy(cfg.input)[None]
    _, idx = F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    width = cfg.spec.input_size[1]
    for n in range(scene.n_frames):
        winner = divmod(int(idx.ravel()[n]), width)
        assert f"all of it to x[{winner[0]},{winner[1]}] = " in scene.narration(n)
    ties = sum(1 for n in range(scene.n_frames) if "its window's maximum" in scene.narration(n))
    assert ties == scene.n_frames and len(np.unique(cfg.input)) == 2  # 0/1 inputs: every window ties


def test_gather_is_the_layer_that_computes_it(torch):
    """∂L/∂x of conv_arithmetic's padding_strides is the transposed convolution padding_strides_transposed on
    ∂L/∂y, with the same weight: the figure is that layer's, every output value autograd's ∂L/∂x."""
    cfg = as_config(**SHARES["padding_strides"], render={"pass": "backward", "numbers": True, "caption": True})
    scene = scene_of(cfg)
    layer = scene.regions["layer"].spec
    assert layer.torch_line() == "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)"
    want, _, _ = grads(torch, cfg)
    F = torch.nn.functional
    direct = F.conv_transpose2d(torch.from_numpy(cfg.grad_output)[None], torch.from_numpy(cfg.weight), stride=2,
                                padding=1)[0, 0].numpy()
    np.testing.assert_allclose(direct, want[0], atol=1e-12)
    centers = scene.regions["output_centers"]
    for r, q in np.ndindex(5, 5):
        assert shown(scene, 0, centers[r, q]) == [format_value(float(want[0, r, q]))]
    for i in range(25):
        text = scene.narration(i)
        assert text.startswith(f"∂L/∂x[{i // 5},{i % 5}] = ")
        assert text.endswith(f"= {format_value(float(want[0, i // 5, i % 5]))}")
    captions = [p.text for p in scene.frame(7) if isinstance(p, Text) and p.text.startswith("∂L/∂x[")]
    full = scene.narration(7)  # drawn whole, or with middle terms elided to fit: the first terms and result kept
    head, result = captions[0].split("…")[0], full[full.rfind(" = "):]
    assert len(captions) == 1 and (captions[0] == full or (
        "…" in captions[0] and full.startswith(head) and captions[0].endswith(result)))
    texts = {p.text for p in scene.static if isinstance(p, Text)}
    assert {"∂L/∂x of nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", "∂L/∂y 3×3", "∂L/∂x 5×5",
            "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1)"} <= texts


def test_a_transposed_convolutions_input_gradient_is_the_convolution(torch):
    cfg = as_config(**SHARES["transposed"], render={"pass": "backward", "numbers": True})
    scene = scene_of(cfg)
    assert scene.regions["layer"].spec.torch_line() == "nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1, " \
                                                       "bias=False)"
    want, _, _ = grads(torch, cfg)
    centers = scene.regions["output_centers"]
    for r, q in np.ndindex(3, 3):
        assert shown(scene, 0, centers[r, q]) == [format_value(float(want[0, r, q]))]


def test_matrix_view_of_the_input_gradient_is_c_transposed(torch):
    cfg = as_config(input_size=3, kernel_size=2, render={"pass": "backward", "view": "matrix", "numbers": True})
    scene = scene_of(cfg)
    F = torch.nn.functional
    w = torch.from_numpy(cfg.weight)
    jac = torch.autograd.functional.jacobian(lambda t: F.conv2d(t, w), torch.from_numpy(cfg.input)[None])
    c = jac.reshape(4, 9).numpy()
    np.testing.assert_allclose(scene.regions["matrix"], c.T)  # Cᵀ: the forward layer's Jacobian, transposed
    want, _, _ = grads(torch, cfg)
    assert [shown(scene, 0, xy) for xy in scene.regions["y_centers"]] == [[format_value(float(v))]
                                                                          for v in want.ravel()]


# -- the weight and the bias -------------------------------------------------------------------------------

PARAMS = {
    "padding_strides_channels": dict(input_size=5, in_channels=2, out_channels=2, kernel_size=2, stride=2, padding=1,
                                     bias=True),
    "transposed_groups": dict(input_size=[3, 2], in_channels=2, out_channels=4, groups=2, kernel_size=[2, 3],
                              stride=2, padding=[0, 1], transposed=True, flip_kernel=True, bias=True),
    "dilated_1d": dict(input_size=[9], kernel_size=3, dilation=2, stride=2, bias=True),
}


@pytest.mark.parametrize("name", list(PARAMS))
def test_weight_gradient_frames_equal_autograd(torch, name):
    cfg = as_config(**PARAMS[name], render={"pass": "backward", "wrt": "weight", "numbers": True, "caption": True})
    scene = scene_of(cfg)
    _, want, _ = grads(torch, cfg)
    assert scene.n_frames == want.size
    for f in range(want.size):
        index = np.unravel_index(f, want.shape)
        text = scene.narration(f)
        assert text.startswith("∂L/∂w[" + ",".join(map(str, index)) + "] = ")
        assert text.endswith(f" = {format_value(float(want[index]))}")
    last = scene.frame(want.size - 1)
    for (a, b), centers in scene.regions["kernel_centers"].items():
        for idx in np.ndindex(*centers.shape[:2]):
            tap = idx if cfg.spec.ndim == 2 else (idx[1],)
            texts = [p.text for p in last if isinstance(p, Text) and np.allclose(p.xy, centers[idx])]
            assert texts == [format_value(float(want[(a, b, *tap)]))]


def test_weight_gradient_products_are_input_times_output_gradient(torch):
    """The caption's terms of ∂L/∂w[0,0,i,j]: x_padded[s·r + i, s·c + j] · ∂L/∂y[r, c], row by row."""
    cfg = as_config(input_size=4, kernel_size=2, stride=2, padding=1,
                    render={"pass": "backward", "wrt": "weight", "caption": True})
    scene = scene_of(cfg)
    xp = np.pad(cfg.input[0], 1)
    g = cfg.grad_output[0]
    for f, (i, j) in enumerate(np.ndindex(2, 2)):
        terms = scene.narration(f).split(" = ")[1].split(" + ")
        want = []
        for r, c in np.ndindex(*g.shape):
            gt = format_value(float(g[r, c]))
            xv = format_value(float(xp[2 * r + i, 2 * c + j]))
            want.append(f"{xv}·{'(' + gt + ')' if gt.startswith('−') else gt}")
        assert terms == want


def test_bias_gradient_equals_autograd(torch):
    cfg = as_config(**PARAMS["padding_strides_channels"], render={"pass": "backward", "wrt": "bias",
                                                                  "numbers": True, "caption": True})
    scene = scene_of(cfg)
    _, _, want = grads(torch, cfg)
    assert scene.n_frames == 2
    for c in range(2):
        assert scene.narration(c).endswith(f"= {format_value(float(want[c]))}")
        assert scene.narration(c).startswith(f"∂L/∂b[{c}] = ")


# -- words, files, errors --------------------------------------------------------------------------------


def test_info_and_alt_text_name_the_layer_that_computes_the_gradient():
    cfg = as_config(**SHARES["padding_strides"], render={"pass": "backward"})
    lines = info_lines(cfg)
    assert "∂L/∂x = F.conv_transpose2d(∂L/∂y, w, stride=2, padding=1)" in lines
    assert any(line.startswith("output: 3×3 · frames: 25 (input gradient") for line in lines)
    assert alt_text(cfg).startswith("Input gradient of this convolution: 5×5 input")
    assert "transposed convolution: 3×3 input" in alt_text(cfg).lower()
    weight = as_config(**SHARES["padding_strides"], render={"pass": "backward", "wrt": "weight"})
    assert "frames: 9 (weight gradient" in "\n".join(info_lines(weight))


@pytest.mark.parametrize("keys", [dict(SHARES["padding_strides"], render={"pass": "backward", "view": "scatter"}),
                                  dict(PARAMS["dilated_1d"], render={"pass": "backward", "wrt": "weight"}),
                                  dict(SHARES["max_pool_ties"], render={"pass": "backward"})])
def test_backward_figures_render_every_format(tmp_path, keys):
    cfg = as_config(**keys)
    paths = render(cfg, tmp_path, ["gif", "html", "svg"])
    assert all(p.stat().st_size > 0 for p in paths)
    second = render(cfg, tmp_path / "again", ["gif"])
    assert second[0].read_bytes() == paths[0].read_bytes()  # deterministic


BAD = [
    (dict(input_size=3, render={"wrt": "weight"}), "render.wrt", "add pass: backward"),
    (dict(input_size=3, grad_output=[[1, 2]]), "grad_output", "unused"),
    (dict(input_size=3, kernel_size=2, grad_output=[[1, 2]], render={"pass": "backward"}), "grad_output",
     "expected shape [1, 2, 2]"),
    (dict(input_size=4, op="max_pool", kernel_size=2, render={"pass": "backward", "wrt": "weight"}), "render.wrt",
     "no weights"),
    (dict(input_size=4, kernel_size=2, render={"pass": "backward", "wrt": "bias"}), "render.wrt", "no bias"),
    (dict(input_size=4, kernel_size=2, render={"pass": "backward", "compare": "flip_kernel"}), "render.compare", ""),
    (dict(input_size=4, kernel_size=2, padding="same", render={"pass": "backward", "view": "matrix"}), "render.view",
     "no single PyTorch layer"),
    (dict(input_size=30, kernel_size=3, render={"pass": "backward", "view": "scatter"}), "render.pass",
     "over the readable limit"),
    (dict(input_size=4, in_channels=5, kernel_size=3, render={"pass": "backward", "view": "scatter"}), "render.pass",
     "at most 4"),
    (dict(input_size=[4], kernel_size=2, learn={"steps": 3, "lr": 0.1}), "learn.target", "required"),
    (dict(input_size=[4], kernel_size=2, learn={"target": [1, 2, 3], "steps": 0, "lr": 0.1}), "learn.steps", "from 1"),
    (dict(input_size=[4], kernel_size=2, learn={"target": [1, 2, 3], "steps": 2, "lr": -1}), "learn.lr", "positive"),
    (dict(input_size=[4], kernel_size=2, learn={"target": [1, 2], "steps": 2, "lr": 1}), "learn.target", "shape"),
    (dict(input_size=[4], kernel_size=2, learn={"target": {"kernel": [1, 2, 3]}, "steps": 2, "lr": 1}),
     "learn.target.kernel", "shape"),
    (dict(input_size=[4], kernel_size=2, learn={"target": [1, 2, 3], "steps": 2, "lr": 1, "loss": "l1"}),
     "learn.loss", "mse"),
    (dict(input_size=[4], kernel_size=2, learn={"target": [1, 2, 3], "steps": 2, "lr": 1, "momentum": 0.9}),
     "learn.momentum", "unknown key"),
    (dict(input_size=[4], op="avg_pool", kernel_size=2, learn={"target": [1, 2], "steps": 2, "lr": 1}), "learn",
     "no weights to learn"),
    (dict(input_size=[4], kernel_size=2, learn={"target": [1, 2, 3], "steps": 2, "lr": 1},
          render={"pass": "backward"}), "render.pass", "remove pass"),
    (dict(input_size=[4], kernel_size=2, learn={"target": [1, 2, 3], "steps": 2000, "lr": 1}), "render.max_frames",
     "2,001 frames"),
    (dict(input_size=[60], kernel_size=2, learn={"target": {"kernel": [1, -1]}, "steps": 2, "lr": 1}), "learn",
     "the input would be 60 cells"),
    # 3-D: only the input gradient as the layer computing it is drawn (a volume)
    (dict(input_size=[2, 3, 3], kernel_size=2, render={"pass": "backward", "view": "scatter"}), "render.view",
     "this layer is 3-D (use view: gather"),
    (dict(input_size=[2, 3, 3], kernel_size=2, render={"pass": "backward", "view": "matrix"}), "render.view",
     "this layer is 3-D"),
    (dict(input_size=[2, 3, 3], kernel_size=2, render={"pass": "backward", "wrt": "weight"}), "render.pass",
     "the weight gradient is drawn for 1-D and 2-D layers"),
    (dict(input_size=[2, 3, 3], kernel_size=2, bias=True, render={"pass": "backward", "wrt": "bias"}),
     "render.pass", "the bias gradient is drawn for 1-D and 2-D layers"),
    (dict(input_size=[2, 4, 4], op="max_pool", kernel_size=2, render={"pass": "backward"}), "render.pass",
     "this layer is 3-D (draw its forward pass: remove pass)"),
    (dict(input_size=[2, 3, 3], kernel_size=2, padding="same", render={"pass": "backward"}), "render.pass",
     "no single PyTorch layer (as shares) is drawn for 1-D and 2-D layers"),
    (dict(input_size=[2, 3, 3], kernel_size=2, learn={"target": {"kernel": [[[[1, 1], [1, 1]], [[1, 1], [1, 1]]]]},
                                                      "steps": 2, "lr": 0.1}), "learn", "this layer is 3-D"),
    (dict(input_size=4, op="lp_pool", norm_type=2, kernel_size=2, render={"pass": "backward"}), "render.pass",
     "lp_pool's gradient is no fixed share of ∂L/∂y"),
]


@pytest.mark.parametrize("keys, key, words", BAD)
def test_bad_backward_configs_name_the_key(keys, key, words):
    with pytest.raises(ConfigError) as err:
        scene_of(as_config(**keys))
    assert err.value.key == key and words in str(err.value), str(err.value)


def test_cli_one_line_error_with_the_line(tmp_path):
    from convanim.app.cli import main

    path = tmp_path / "bad.yaml"
    path.write_text("input_size: [4]\nkernel_size: 2\nlearn:\n  target: [1, 2, 3]\n  steps: 2\n  lr: zero\n")
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert f"error: {path}:6: learn.lr: expected a positive number, got 'zero'" in result.output.splitlines()
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("*.gif"))


def test_the_gallery_configs_draw_the_kinds_the_readme_says():
    root = __import__("pathlib").Path(__file__).resolve().parents[1] / "configs"
    kinds = {name: kind_of(load_config(root / f"{name}.yaml")).name for name in
             ("backward_padding_strides", "backward_padding_strides_scatter", "backward_weight_channels",
              "backward_max_pooling", "backward_avg_pooling", "learn_edge_kernel")}
    assert kinds == {"backward_padding_strides": "backward_input", "backward_padding_strides_scatter":
                     "backward_scatter", "backward_weight_channels": "backward_weight",
                     "backward_max_pooling": "backward_scatter", "backward_avg_pooling": "backward_scatter",
                     "learn_edge_kernel": "learn"}


def test_max_pool_gather_sums_the_windows_each_cell_won(torch):
    """Gather order: ∂L/∂x[i] = the ∂L/∂y of every window whose maximum (torch's index, ties to the first) is i."""
    cfg = as_config(**SHARES["max_pool_ties"], render={"pass": "backward", "caption": True})
    scene = scene_of(cfg)
    _, idx = torch.nn.functional.max_pool2d(torch.from_numpy(cfg.input)[None], 3, 2, 1, ceil_mode=True,
                                            return_indices=True)
    winners = idx.ravel().numpy()
    g = cfg.grad_output.ravel()
    for i in range(30):
        body = scene.narration(i).split(" = ", 1)[1].rsplit(" = ", 1)[0]
        won = [format_value(float(v)) for v in g[winners == i]]
        if not won:
            assert body == "0 (no share comes back to it)"
            continue
        terms = re.findall(r"(?:^|[+−] )(−?[\d.]+)", body.replace(" − ", " + −"))
        assert sorted(terms) == sorted(won), (i, body)
