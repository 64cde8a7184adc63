"""Receptive fields across layers: the exact field and the calculator's numbers against PyTorch's gradients,
the layers: config key, the figure's shaded cells, and convanim info's table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convanim.app.pipeline import as_config, scene_of
from convanim.config import parse_config
from convanim.core.elementwise import ELEMENTWISE_OPS, ElementwiseSpec
from convanim.core.errors import ConfigError
from convanim.core.spec import ConvSpec, Op
from convanim.draw import render_frame
from convanim.engine.receptive import field, input_cells, layer_fields

CONFIGS = Path(__file__).parents[1] / "configs"


def chain(input_size, *layers, in_channels=1):
    """ConvSpecs (and element-wise steps) with sizes and channels chained, as the layers: key does."""
    specs, size, channels = [], input_size, in_channels
    for keys in layers:
        if keys.get("op") in ELEMENTWISE_OPS:
            spec = ElementwiseSpec(input_size=ConvSpec(input_size=size, kernel_size=1).input_size, in_channels=channels,
                                   **keys)
        else:
            spec = ConvSpec(input_size=size, in_channels=channels, **keys)
        specs.append(spec)
        size, channels = spec.output_size, spec.out_channels
    return specs


def torch_stack(torch, specs):
    """The stack in PyTorch with every path positive (positive weights; avg pooling for max pooling;
    element-wise steps as nn.Identity, which passes the gradient as ReLU does on positive values)."""
    nn = torch.nn
    gen = torch.Generator().manual_seed(0)
    mods = []
    for spec in specs:
        if spec.is_elementwise:
            mods.append(nn.Identity())
            continue
        nd = spec.ndim
        if spec.op is Op.CONV:
            kw = dict(kernel_size=spec.kernel_size, stride=spec.stride, dilation=spec.dilation, groups=spec.groups,
                      bias=False, padding=0 if spec.per_side else spec.padding)
            if spec.transposed:
                cls = getattr(nn, f"ConvTranspose{nd}d")
                kw["output_padding"] = spec.output_padding
            else:
                cls = getattr(nn, f"Conv{nd}d")
                kw["padding_mode"] = "zeros" if spec.per_side else spec.padding_mode.value
            if spec.per_side:  # F.pad's order: the last axis first
                sides = tuple(v for n in reversed(range(nd)) for v in (spec.pad_before[n], spec.pad_after[n]))
                mode = {"zeros": "ZeroPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad",
                        "circular": "CircularPad"}[spec.padding_mode.value]
                mods.append(getattr(nn, f"{mode}{nd}d")(sides))
            m = cls(spec.in_channels, spec.out_channels, **kw).double()
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen, dtype=torch.float64) + 0.5)
        elif spec.is_adaptive:
            m = getattr(nn, f"AdaptiveAvgPool{nd}d")(spec.output_size)
        elif max(spec.dilation) == 1:  # a max pool's window is an avg pool's window (its gradient is not)
            m = getattr(nn, f"AvgPool{nd}d")(spec.kernel_size, spec.stride, spec.padding, ceil_mode=spec.ceil_mode)
        else:  # dilated max pool: the same windows as a depthwise all-ones convolution
            m = getattr(nn, f"Conv{nd}d")(spec.in_channels, spec.in_channels, spec.kernel_size, spec.stride,
                                          spec.padding, spec.dilation, groups=spec.in_channels, bias=False).double()
            with torch.no_grad():
                m.weight.fill_(1.0)
        mods.append(m)
    return nn.Sequential(*mods)


def torch_field(torch, specs, position):
    """Input cells with a nonzero gradient of one output cell (summed over channels)."""
    net = torch_stack(torch, specs)
    x = (torch.rand((1, specs[0].in_channels, *specs[0].input_size), dtype=torch.float64) + 0.5).requires_grad_()
    y = net(x)
    assert tuple(y.shape[2:]) == specs[-1].output_size
    y[(0, slice(None), *position)].sum().backward()
    grad = x.grad[0].abs().sum(0).numpy()
    return {tuple(int(v) for v in idx) for idx in np.argwhere(grad > 0)}


STACKS = {
    "two_2x2": chain(3, dict(kernel_size=2), dict(kernel_size=2)),
    "gallery_3_layers": chain(12, dict(kernel_size=3), dict(op="max_pool", kernel_size=2),
                              dict(kernel_size=3, padding=1)),
    "strided": chain(11, dict(kernel_size=3), dict(kernel_size=3, stride=2), dict(kernel_size=3, padding=1)),
    "wavenet": chain((16,), dict(kernel_size=2), dict(kernel_size=2, dilation=2), dict(kernel_size=2, dilation=4)),
    "padding_modes": chain(12, dict(kernel_size=3, padding=1, padding_mode="reflect"),
                           dict(kernel_size=3, stride=2, padding=2, padding_mode="replicate"),
                           dict(kernel_size=2, padding=1, padding_mode="circular")),
    "pool_ceil_dilated": chain(10, dict(op="max_pool", kernel_size=3, stride=2, padding=1, ceil_mode=True),
                               dict(kernel_size=3, dilation=2, padding=1)),
    "dilated_max_pool": chain((13,), dict(op="max_pool", kernel_size=2, dilation=3, stride=1),
                              dict(op="avg_pool", kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    "transposed": chain(5, dict(kernel_size=3, stride=2),
                        dict(kernel_size=3, stride=2, padding=1, output_padding=1, transposed=True),
                        dict(kernel_size=2)),
    "same_even_kernel": chain(6, dict(kernel_size=4, padding="same"), dict(kernel_size=2, stride=2)),
    "non_square_channels": chain((7, 9), dict(kernel_size=(3, 1), stride=(1, 2), out_channels=4),
                                 dict(kernel_size=2, groups=2, out_channels=2), in_channels=2),
    "causal_wavenet": chain((12,), dict(kernel_size=2, padding=[[1, 0]]), dict(op="relu"),
                            dict(kernel_size=2, dilation=2, padding=[[2, 0]]), dict(op="tanh"),
                            dict(kernel_size=2, dilation=4, padding=[[4, 0]], padding_mode="replicate")),
    "per_side_2d": chain((6, 7), dict(kernel_size=3, padding=[[2, 0], [1, 2]], padding_mode="reflect"),
                         dict(op="batch_norm"), dict(kernel_size=2, stride=2, padding=[[0, 1], [1, 0]])),
    "adaptive": chain((9, 7), dict(kernel_size=3, padding=1), dict(op="adaptive_avg_pool", output_size=(4, 3)),
                      dict(kernel_size=2)),
    "adaptive_even": chain((16, 12), dict(kernel_size=3), dict(op="adaptive_avg_pool", output_size=(7, 5)),
                           dict(kernel_size=2)),  # windows of one size: the calculator is exact
    "adaptive_grows": chain((5,), dict(op="adaptive_max_pool", output_size=7), dict(kernel_size=3)),
    "volume": chain((5, 6, 5), dict(kernel_size=3, stride=2, padding=1), dict(op="relu"),
                    dict(kernel_size=(1, 2, 2), padding=[[0, 0], [1, 0], [0, 1]]), in_channels=2),
    "volume_valid": chain((7, 6, 7), dict(kernel_size=3, stride=2), dict(op="gelu"),
                          dict(kernel_size=(1, 2, 2), dilation=(1, 1, 2))),
    "volume_pool_transposed": chain((4, 4, 5), dict(op="max_pool", kernel_size=2, ceil_mode=True),
                                    dict(kernel_size=2, stride=2, transposed=True)),
}


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("name", list(STACKS))
def test_exact_field_equals_torch_gradient(torch, name):
    specs = STACKS[name]
    for position in np.ndindex(*specs[-1].output_size):
        assert input_cells(specs, position) == torch_field(torch, specs, position), (name, position)


@pytest.mark.parametrize("name", [n for n in STACKS if n not in ("transposed", "pool_ceil_dilated", "adaptive",
                                                               "adaptive_grows", "volume_pool_transposed", "volume")])
def test_calculator_numbers_match_interior_fields(torch, name):
    """Where no plane of a cell's field touches padding, the field spans ``size`` cells centred on
    ``start + position * jump`` (checked against torch's gradient support)."""
    specs = STACKS[name]
    last = layer_fields(specs)[-1]
    interior = 0
    for position in np.ndindex(*specs[-1].output_size):
        planes = field(specs, position)
        sizes = [specs[0].input_size] + [s.output_size for s in specs]
        if any(pos < 0 or pos >= sizes[p.index][a] for p in planes for a, axis in enumerate(p.padded) for pos in axis):
            continue
        interior += 1
        cells = np.array(sorted(torch_field(torch, specs, position)))
        for a in range(specs[0].ndim):
            lo, hi = cells[:, a].min(), cells[:, a].max()
            assert hi - lo + 1 == last.size[a], (name, position)
            assert (lo + hi) / 2 == last.start[a] + position[a] * last.jump[a], (name, position)
    assert interior > 0


def test_two_2x2_layers_give_a_4_then_9_cell_field():
    specs = STACKS["two_2x2"]
    planes = field(specs, (0, 0))
    assert [len(p.cells[0]) * len(p.cells[1]) for p in planes] == [9, 4, 1]
    assert [f.size for f in layer_fields(specs)] == [(1, 1), (2, 2), (3, 3)]


def test_layer_fields_by_hand():
    f = layer_fields(STACKS["wavenet"])
    assert [x.size[0] for x in f] == [1, 2, 4, 8] and [x.jump[0] for x in f] == [1, 1, 1, 1]
    assert [float(x.start[0]) for x in f] == [0, 0.5, 1.5, 3.5]
    f = layer_fields(STACKS["strided"])
    assert [x.size[0] for x in f] == [1, 3, 5, 9] and [x.jump[0] for x in f] == [1, 1, 2, 2]
    assert [x.start[0] for x in f] == [0, 1, 2, 2]  # padding 1 shifts the last layer's first field back
    assert [x.output_size for x in f] == [(11, 11), (9, 9), (4, 4), (4, 4)]


# -- the layers: key -------------------------------------------------------------------------------------

def test_layers_config_chains_sizes_and_channels():
    cfg = parse_config("input_size: 8\nin_channels: 3\nlayers:\n  - {kernel_size: 3, out_channels: 8}\n"
                       "  - {op: max_pool, kernel_size: 2}\n  - {kernel_size: 3, out_channels: 4, bias: true}\n")
    assert [s.input_size for s in cfg.layers] == [(8, 8), (6, 6), (3, 3)]
    assert [(s.in_channels, s.out_channels) for s in cfg.layers] == [(3, 8), (8, 8), (8, 4)]
    assert cfg.spec == cfg.layers[0] and cfg.input.shape == (3, 8, 8)
    assert cfg.layer_weights[1] is None and cfg.layer_weights[2].shape == (4, 8, 3, 3)
    assert cfg.layer_biases[2].shape == (4,)


@pytest.mark.parametrize("text, key, line, detail", [
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - kernel_size: 3\n    stride: 2\n  - kernel_size: 3\n",
     "layers[2].kernel_size", 6, "larger than the padded input (1)"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3, out_channels: 2}\n  - {kernel_size: 1, in_channels: 3}\n",
     "layers[1].in_channels", 4, "layers[0].out_channels=2"),
    ("input_size: 5\nkernel_size: 3\nlayers:\n  - {kernel_size: 3}\n", "kernel_size", 2, "inside each entry"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3, input_size: 4}\n", "layers[0].input_size", 3, "previous"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - stride: 0\n", "layers[1].stride", 4, "got 0"),
    ("input_size: 5\nlayers: []\n", "layers", 2, "non-empty list"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - {kernel_size: 2, weight: [1, 2]}\n", "layers[1].weight", 4,
     "expected shape [1, 1, 2, 2]"),
])
def test_layer_errors_name_the_entry_and_line(tmp_path, text, key, line, detail):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        as_config(path)
    err = info.value
    assert (err.key, err.line) == (key, line) and detail in str(err)
    assert str(err).startswith(f"{path}:{line}: {key}: ")


# -- the figure ------------------------------------------------------------------------------------------

SHADED = {(0x26, 0x8B, 0xD2): (0x1A, 0x69, 0x98), (0x2A, 0xA1, 0x98): (0x1C, 0x76, 0x76),
          (0xFF, 0xFF, 0xFF): (0x9C, 0xAF, 0xB3),
          # an element-wise step's lighter plane: the output colour 45 % over white, then the same 40 % shade
          (0x9F, 0xD5, 0xD1): (0x62, 0x95, 0x98)}


def colour_at(img, xy):
    """The most common colour of the 5x5 pixels around a cell's centre (a 1-px connector may cross it)."""
    x, y = int(xy[0]), int(xy[1])
    patch = [tuple(int(v) for v in px) for px in img[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3)]
    return max(set(patch), key=patch.count)


@pytest.mark.parametrize("name", ["receptive_field_3_layers", "receptive_field_wavenet", "wavenet_causal",
                                  "vgg_block"])
def test_figure_shades_exactly_the_field_on_every_plane(name):
    cfg = as_config(CONFIGS / f"{name}.yaml")
    scene = scene_of(cfg)
    specs = cfg.layers
    assert scene.n_frames == int(np.prod(specs[-1].output_size))
    for frame in (0, scene.n_frames // 2, scene.n_frames - 1):
        position = np.unravel_index(frame, specs[-1].output_size)
        planes = field(specs, position)
        img = render_frame(scene, frame)
        for p, plane in enumerate(planes):
            centers = scene.regions["plane_centers"][p]
            pad = scene.regions["plane_pad"][p]
            grid = np.meshgrid(*plane.padded, indexing="ij")
            read = {tuple(int(v) for v in cell) for cell in zip(*(g.ravel() for g in grid))}
            for idx in np.ndindex(*centers.shape[:2]):
                cell = (idx[1] - pad[1],) if specs[0].ndim == 1 else (idx[0] - pad[0], idx[1] - pad[1])
                got = colour_at(img, centers[idx])
                base = [b for b in SHADED if max(abs(g - c) for g, c in zip(got, b)) <= 2]
                shaded = [b for b, s in SHADED.items() if max(abs(g - c) for g, c in zip(got, s)) <= 3]
                assert bool(shaded) == (cell in read) and bool(base) != bool(shaded), (name, frame, p, cell, got)


def test_info_prints_every_layers_field():
    out = subprocess.run([sys.executable, "-m", "convanim", "info", str(CONFIGS / "receptive_field_3_layers.yaml")],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    rows = [line.split() for line in out if line.strip().startswith(("input", "1:", "2:", "3:"))]
    assert [r[-4:] for r in rows] == [["12×12", "1", "1", "0"], ["10×10", "3", "1", "1"], ["5×5", "4", "2", "1.5"],
                                      ["5×5", "8", "2", "1.5"]]
    assert "frames: 25" in out[-1]


def test_layout_and_arithmetic_modules_import_no_drawing_or_config_libraries():
    modules = ["convanim.engine.receptive", "convanim.figures"]
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in ('matplotlib', 'PIL', 'click', 'yaml', 'torch', 'imageio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_compare_on_a_layers_config_is_an_error_naming_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("input_size: 5\nlayers:\n  - {kernel_size: 3}\nrender:\n  compare: flip_kernel\n")
    with pytest.raises(ConfigError) as info:
        scene_of(as_config(path))
    assert (info.value.key, info.value.line) == ("render.compare", 5)


def test_describe_stack_names_every_layer_and_the_field():
    from convanim.engine.receptive import describe_stack

    text = describe_stack(STACKS["wavenet"])
    assert text.startswith("receptive field of 3 layers on a 16-wide input: kernel 2 → 15; ")
    assert "dilation 4 → 9" in text and text.endswith("sees 8 input cells across")


def test_describe_stack_names_elementwise_steps():
    from convanim.engine.receptive import describe_stack

    text = describe_stack(STACKS["causal_wavenet"])
    assert "kernel 2 · padding [1, 0] → 12; ReLU; kernel 2 · padding [2, 0] · dilation 2 → 12; Tanh;" in text


def test_causal_rows_put_each_output_over_the_newest_input_it_reads():
    scene = scene_of(as_config(CONFIGS / "wavenet_causal.yaml"))
    centers = scene.regions["plane_centers"]
    pads = scene.regions["plane_pad"]
    xs = [row[0, pad[1]:pad[1] + 16, 0] for row, pad in zip(centers, pads)]
    for upper in xs[1:]:
        np.testing.assert_allclose(upper, xs[0])  # output t straight above input t, on every layer


def shade_cells(prims, centers):
    """The cells (by their centres) under a shade polygon of a frame."""
    from convanim.core.scene import Polygon
    from convanim.figures.geometry import Z

    polys = [p.points for p in prims if isinstance(p, Polygon) and p.z == Z.SHADE]
    inside = set()
    for idx in np.ndindex(*centers.shape[:2]):
        x, y = centers[idx]
        for pts in polys:
            signs = {((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) > 0
                     for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1])}
            if len(signs) == 1:
                inside.add(idx)
    return inside


@pytest.mark.parametrize("name", ["volume", "volume_valid", "volume_pool_transposed"])
def test_3d_stack_shades_the_field_on_every_depth_sheet(name):
    specs = STACKS[name]
    layers = []
    for spec in specs:
        if spec.is_elementwise:
            layers.append({"op": spec.op.value})
            continue
        keys = {k: getattr(spec, k) for k in ("kernel_size", "stride", "dilation", "transposed", "output_padding",
                                              "ceil_mode", "out_channels")}
        keys["padding"] = [list(p) for p in spec.padding] if spec.per_side else list(spec.padding)
        layers.append({**{k: list(v) if isinstance(v, tuple) else v for k, v in keys.items()},
                       **({"op": spec.op.value} if spec.is_pool else {})})
        if spec.is_pool:
            layers[-1].pop("out_channels")
            layers[-1].pop("transposed")
            layers[-1].pop("output_padding")
    cfg = as_config(input_size=list(specs[0].input_size), in_channels=specs[0].in_channels, layers=layers)
    assert cfg.layers == tuple(specs)
    scene = scene_of(cfg)
    for frame in sorted({0, scene.n_frames // 2, scene.n_frames - 1}):
        position = np.unravel_index(frame, specs[-1].output_size)
        prims = scene.frame(frame)
        for p, plane in enumerate(field(specs, position)):
            before = scene.regions["plane_pad"][p]
            for d, centers in scene.regions["plane_centers"][p].items():
                want = {(r + before[1], c + before[2]) for r in plane.padded[1] for c in plane.padded[2]} \
                    if d - before[0] in plane.padded[0] else set()
                assert shade_cells(prims, centers) == want, (name, frame, p, d)


NUMBERED = {
    "gallery": (CONFIGS / "conv_bn_relu_numbers.yaml", None),
    "1-D causal": ("input_size: [7]\nin_channels: 2\nlayers:\n"
                   "  - {kernel_size: 2, out_channels: 3, padding: [[1, 0]], padding_mode: replicate, bias: true}\n"
                   "  - {op: gelu}\n  - {op: max_pool, kernel_size: 2, padding: 1}\nrender: {numbers: true}\n", None),
    "3-D": ("input_size: [3, 4, 4]\nlayers:\n  - {kernel_size: 2, padding: [[1, 0], 1, 0], out_channels: 2}\n"
            "  - {op: leaky_relu, negative_slope: 0.5}\n  - {op: adaptive_avg_pool, output_size: [2, 2, 1]}\n"
            "render: {numbers: true}\n", None),
}


def torch_planes(torch, cfg):
    """Every plane of the stack as an nn.Sequential computes it, module by module (eval mode)."""
    nn = torch.nn
    planes, x = [cfg.input], torch.from_numpy(cfg.input)[None]
    for spec, weight, bias in zip(cfg.layers, cfg.layer_weights, cfg.layer_biases, strict=True):
        nd = spec.ndim
        if spec.is_elementwise:
            module = {"relu": nn.ReLU(), "gelu": nn.GELU(), "leaky_relu": nn.LeakyReLU(spec.negative_slope)}.get(
                spec.op.value)
            if module is None:
                module = getattr(nn, f"BatchNorm{nd}d")(spec.in_channels, eps=spec.eps).double().eval()
                with torch.no_grad():
                    for key in ("running_mean", "running_var", "weight", "bias"):
                        getattr(module, key).copy_(torch.tensor(getattr(spec, key), dtype=torch.float64))
        elif spec.is_adaptive:
            module = getattr(nn, f"AdaptiveAvgPool{nd}d")(spec.output_size)
        elif spec.is_pool:
            module = getattr(nn, f"MaxPool{nd}d")(spec.kernel_size, spec.stride, spec.padding)
        else:
            conv = getattr(nn, f"Conv{nd}d")(spec.in_channels, spec.out_channels, spec.kernel_size,
                                             bias=bias is not None).double()
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(weight))
                if bias is not None:
                    conv.bias.copy_(torch.from_numpy(bias))
            sides = tuple(v for n in reversed(range(nd)) for v in (spec.pad_before[n], spec.pad_after[n]))
            mode = {"zeros": "constant"}.get(spec.padding_mode.value, spec.padding_mode.value)
            module = nn.Sequential(_Pad(torch, sides, mode), conv)
        with torch.no_grad():
            x = module(x)
        planes.append(x[0].numpy())
    return planes


def _Pad(torch, sides, mode):
    class Pad(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.pad(x, sides, mode=mode)

    return Pad()


@pytest.mark.parametrize("name", list(NUMBERED))
def test_numbers_through_the_stack_equal_the_modules_outputs(torch, name):
    from convanim.core.scene import Text
    from convanim.figures.values import format_value

    source, _ = NUMBERED[name]
    cfg = as_config(source) if isinstance(source, Path) else parse_config(source)
    scene = scene_of(cfg)
    want = torch_planes(torch, cfg)
    for p, grids in enumerate(scene.regions["plane_centers"]):
        before = scene.regions["plane_pad"][p]
        values = want[p]
        assert values.shape[0] == cfg.layers[max(p - 1, 0)].out_channels if p else True
        for (c, d), centers in grids.items():
            for idx in np.ndindex(*centers.shape[:2]):
                cell = (d, *idx) if len(before) == 3 else idx if len(before) == 2 else (idx[1],)
                inner = tuple(i - b for i, b in zip(cell, before))
                if not all(0 <= i < n for i, n in zip(inner, values.shape[1:])):
                    continue  # padding: checked by the engine's grid tests
                shown = [t.text for t in scene.static if isinstance(t, Text)
                         and abs(t.xy[0] - centers[idx][0]) < 1 and abs(t.xy[1] - centers[idx][1]) < 1]
                assert shown == [format_value(float(values[(c, *inner)]))], (name, p, c, cell)
    for frame in (0, scene.n_frames - 1):  # the field shaded on every grid
        position = np.unravel_index(frame, cfg.layers[-1].output_size)
        prims = scene.frame(frame)
        for p, plane in enumerate(field(cfg.layers, position)):
            before = scene.regions["plane_pad"][p]
            for (c, d), centers in scene.regions["plane_centers"][p].items():
                axes = [[v + b for v in axis] for axis, b in zip(plane.padded, before)]
                if len(axes) == 1:
                    want_cells = {(0, q) for q in axes[0]}
                elif len(axes) == 2:
                    want_cells = {(r, q) for r in axes[0] for q in axes[1]}
                else:
                    want_cells = {(r, q) for r in axes[1] for q in axes[2]} if d in axes[0] else set()
                assert shade_cells(prims, centers) == want_cells, (name, frame, p, c, d)
