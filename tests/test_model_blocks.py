"""Real model blocks: element-wise steps equal PyTorch's modules, and from_torch turns torchvision-shaped blocks
(written by hand), padding modules and 3-D / adaptive layers into configs whose stack equals the module's output."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convanim import to_yaml
from convanim.config import parse_config
from convanim.config.torch_bridge import TorchBridgeError, from_torch
from convanim.core.elementwise import ELEMENTWISE_OPS, ElementwiseSpec
from convanim.core.errors import ConfigError, SpecError
from convanim.engine.elementwise import apply
from convanim.engine.stack import stack_values

TOL = {"rtol": 1e-12, "atol": 1e-12}


# -- element-wise steps against the modules -----------------------------------------------------------

def module_of(torch, op, params, channels, nd):
    nn = torch.nn
    if op == "batch_norm":
        m = getattr(nn, f"BatchNorm{nd}d")(channels, eps=params.get("eps", 1e-5)).double().eval()
        with torch.no_grad():
            for key in ("running_mean", "running_var", "weight", "bias"):
                getattr(m, key).copy_(torch.tensor(params[key], dtype=torch.float64))
        return m
    make = {"relu": nn.ReLU, "relu6": nn.ReLU6, "silu": nn.SiLU, "hardswish": nn.Hardswish,
            "hardsigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
            "flatten": nn.Flatten,
            "leaky_relu": lambda: nn.LeakyReLU(params["negative_slope"]), "elu": lambda: nn.ELU(params["alpha"]),
            "gelu": lambda: nn.GELU(params["approximate"]), "dropout": lambda: nn.Dropout(params["p"])}[op]
    return make().eval()


@st.composite
def steps(draw):
    op = draw(st.sampled_from(ELEMENTWISE_OPS))
    nd = draw(st.integers(1, 3))
    channels = draw(st.integers(1, 3))
    size = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    finite = st.floats(-3, 3, allow_nan=False)
    params = {"leaky_relu": {"negative_slope": draw(finite)}, "elu": {"alpha": draw(st.floats(0.1, 2))},
              "gelu": {"approximate": draw(st.sampled_from(["none", "tanh"]))}, "dropout": {"p": draw(st.floats(0, 1))},
              "batch_norm": {"running_mean": draw(st.lists(finite, min_size=channels, max_size=channels)),
                             "running_var": draw(st.lists(st.floats(0, 4), min_size=channels, max_size=channels)),
                             "weight": draw(st.lists(finite, min_size=channels, max_size=channels)),
                             "bias": draw(st.lists(finite, min_size=channels, max_size=channels)),
                             "eps": draw(st.sampled_from([1e-5, 1e-3, 0.1]))}}.get(op, {})
    return op, nd, channels, size, params


@given(step=steps(), seed=st.integers(0, 2**32 - 1))
def test_every_elementwise_step_equals_its_module_in_eval_mode(torch, step, seed):
    op, nd, channels, size, params = step
    x = np.random.default_rng(seed).standard_normal((channels, *size)) * 5
    spec = ElementwiseSpec(op=op, input_size=size, in_channels=channels, **params)
    with torch.no_grad():
        want = module_of(torch, op, params, channels, nd)(torch.from_numpy(x)[None])[0].numpy()
    got = apply(spec, x)
    np.testing.assert_allclose(got.reshape(want.shape), want, **TOL)
    assert spec.torch_line().startswith("nn.")


def test_elementwise_torch_lines_build_the_module(torch):
    nn = torch.nn
    cases = [(ElementwiseSpec(op="leaky_relu", input_size=(3,), negative_slope=0.2), nn.LeakyReLU),
             (ElementwiseSpec(op="batch_norm", input_size=(3, 3, 3), in_channels=4, eps=1e-3), nn.BatchNorm3d),
             (ElementwiseSpec(op="gelu", input_size=(3, 3), approximate="tanh"), nn.GELU),
             (ElementwiseSpec(op="dropout", input_size=(3, 3), p=0.25), nn.Dropout)]
    for spec, cls in cases:
        module = eval(spec.torch_line(), {"nn": nn})  # noqa: S307 - our own line
        assert isinstance(module, cls)
    assert eval(cases[1][0].torch_line(), {"nn": nn}).num_features == 4  # noqa: S307


# -- layers: configs with element-wise steps ----------------------------------------------------------------

STACK = """input_size: 5
in_channels: 2
layers:
  - {kernel_size: 3, out_channels: 3, padding: 1, bias: true}
  - {op: batch_norm, running_mean: [0.5, -1, 0], running_var: [1, 2, 0.5], weight: 2, bias: [0, 1, -1]}
  - {op: leaky_relu, negative_slope: 0.1}
  - {op: max_pool, kernel_size: 2, ceil_mode: true}
  - {op: flatten}
"""


def test_a_stack_with_elementwise_steps_equals_the_torch_module(torch):
    cfg = parse_config(STACK)
    assert [getattr(s.op, "value", s.op) for s in cfg.layers] == ["conv", "batch_norm", "leaky_relu", "max_pool",
                                                                  "flatten"]
    assert cfg.spec is cfg.layers[0]
    nn = torch.nn
    conv = nn.Conv2d(2, 3, 3, padding=1).double()
    bn = nn.BatchNorm2d(3).double().eval()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(cfg.layer_weights[0]))
        conv.bias.copy_(torch.from_numpy(cfg.layer_biases[0]))
        bn.running_mean.copy_(torch.tensor([0.5, -1, 0], dtype=torch.float64))
        bn.running_var.copy_(torch.tensor([1, 2, 0.5], dtype=torch.float64))
        bn.weight.fill_(2.0)
        bn.bias.copy_(torch.tensor([0, 1, -1], dtype=torch.float64))
    module = nn.Sequential(conv, bn, nn.LeakyReLU(0.1), nn.MaxPool2d(2, ceil_mode=True), nn.Flatten()).eval()
    with torch.no_grad():
        want = module(torch.from_numpy(cfg.input)[None])[0].numpy()
    planes = stack_values(cfg.layers, cfg.input, cfg.layer_weights, cfg.layer_biases)
    assert [p.shape for p in planes] == [(2, 5, 5), (3, 5, 5), (3, 5, 5), (3, 5, 5), (3, 3, 3), (3, 3, 3)]
    np.testing.assert_allclose(planes[-1].reshape(-1), want, **TOL)


@pytest.mark.parametrize("text, key, detail", [
    ("input_size: 5\nop: relu\n", "op", "element-wise step"),
    ("input_size: 5\nlayers:\n  - {op: relu}\n", "layers", "at least one convolution or pooling layer"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - {op: flatten}\n  - {op: relu}\n", "layers[1].op", "last"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - {op: relu, negative_slope: 0.1}\n",
     "layers[1].negative_slope", "takes no parameters"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3, eps: 0.1}\n", "layers[0].eps", "op: batch_norm"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3, out_channels: 2}\n  - {op: batch_norm, running_mean: [1, 2, 3]}\n",
     "layers[1].running_mean", "one per channel"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - {op: batch_norm, running_var: -1}\n",
     "layers[1].running_var", ">= 0"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - {op: gelu, approximate: fast}\n",
     "layers[1].approximate", "'tanh'"),
    ("input_size: 5\nlayers:\n  - {kernel_size: 3}\n  - {op: dropout, p: 2}\n", "layers[1].p", "between 0 and 1"),
])
def test_elementwise_errors_name_the_entry_and_key(text, key, detail):
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert info.value.key == key and detail in info.value.message, str(info.value)


def test_elementwise_spec_checks_its_values():
    with pytest.raises(SpecError, match="op: must be one of"):
        ElementwiseSpec(op="softmax", input_size=(3,))
    with pytest.raises(SpecError, match="eps"):
        ElementwiseSpec(op="batch_norm", input_size=(3,), eps=0)


# -- torchvision-shaped blocks, written by hand --------------------------------------------------------------

def batch_norm(torch, channels, nd=2):
    """A BatchNorm with running statistics and affine values away from their initial ones (eval mode)."""
    m = getattr(torch.nn, f"BatchNorm{nd}d")(channels)
    with torch.no_grad():
        m.running_mean.uniform_(-1, 1)
        m.running_var.uniform_(0.5, 2)
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-0.5, 0.5)
    return m


def vgg_block(torch):
    nn = torch.nn  # torchvision's VGG-11-BN features, one block: conv-bn-relu twice, then max pooling
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), batch_norm(torch, 8), nn.ReLU(inplace=True),
                         nn.Conv2d(8, 8, 3, padding=1), batch_norm(torch, 8), nn.ReLU(inplace=True),
                         nn.MaxPool2d(kernel_size=2, stride=2))


def resnet_basic_main_path(torch):
    nn = torch.nn  # torchvision's BasicBlock(inplanes=4, planes=8, stride=2) without the shortcut and final ReLU
    return nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False), batch_norm(torch, 8),
                         nn.ReLU(inplace=True), nn.Conv2d(8, 8, 3, stride=1, padding=1, bias=False),
                         batch_norm(torch, 8))


def mobilenet_v2_inverted_residual_path(torch):
    nn = torch.nn  # torchvision's InvertedResidual(inp=4, oup=6, stride=2, expand_ratio=6), the residual path
    hidden = 24
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(4, hidden, 1, bias=False), batch_norm(torch, hidden), nn.ReLU6(inplace=True)),
        nn.Sequential(nn.Conv2d(hidden, hidden, 3, 2, 1, groups=hidden, bias=False), batch_norm(torch, hidden),
                      nn.ReLU6(inplace=True)),
        nn.Conv2d(hidden, 6, 1, 1, 0, bias=False), batch_norm(torch, 6))


def causal_wavenet(torch):
    nn = torch.nn  # the causal dilated stack of WaveNet: pad the past only, then convolve
    return nn.Sequential(nn.ConstantPad1d((1, 0), 0.0), nn.Conv1d(1, 4, 2), nn.Tanh(),
                         nn.ZeroPad1d((2, 0)), nn.Conv1d(4, 4, 2, dilation=2), nn.Sigmoid(),
                         nn.ZeroPad1d((4, 0)), nn.Conv1d(4, 1, 2, dilation=4), nn.Flatten())


def volume_block(torch):
    nn = torch.nn  # a 3-D (video / medical) stem: conv, bn, relu, pool, adaptive pooling, head-ready flatten
    return nn.Sequential(nn.ReplicationPad3d((1, 1, 1, 1, 0, 2)), nn.Conv3d(2, 4, 3, stride=(1, 2, 2)),
                         batch_norm(torch, 4, 3), nn.SiLU(), nn.MaxPool3d(2, ceil_mode=True),
                         nn.AdaptiveAvgPool3d((1, 2, None)), nn.Dropout3d(0.2), nn.Flatten())


BLOCKS = {"vgg": (vgg_block, 8, 7), "resnet_basic": (resnet_basic_main_path, 8, 5),
          "mobilenet_v2": (mobilenet_v2_inverted_residual_path, 7, 8), "wavenet": (causal_wavenet, [16], 6),
          "volume": (volume_block, [4, 6, 7], 7)}


def run_module(torch, module, x):
    with torch.no_grad():
        return module.double().eval()(torch.from_numpy(x)[None])[0].numpy()


@pytest.mark.parametrize("name", list(BLOCKS))
def test_model_blocks_become_stacks_equal_to_the_module(torch, name):
    make, size, n_layers = BLOCKS[name]
    torch.manual_seed(3)
    module = make(torch).double().eval()
    cfg = from_torch(module, size, weights=True)
    assert len(cfg.layers) == n_layers
    want = run_module(torch, module, cfg.input)
    planes = stack_values(cfg.layers, cfg.input, cfg.layer_weights, cfg.layer_biases)
    np.testing.assert_allclose(planes[-1].reshape(want.shape), want, **TOL)
    again = parse_config(to_yaml(cfg))  # the YAML file holds the same stack and numbers
    assert again.layers == cfg.layers
    np.testing.assert_array_equal(stack_values(again.layers, again.input, again.layer_weights,
                                               again.layer_biases)[-1], planes[-1])


def test_the_vgg_block_without_weights_keeps_the_layers(torch):
    cfg = from_torch(vgg_block(torch), 6)
    ops = [getattr(s.op, "value", s.op) for s in cfg.layers]
    assert ops == ["conv", "batch_norm", "relu", "conv", "batch_norm", "relu", "max_pool"]
    assert cfg.layers[1].running_mean == (0.0,) * 8  # the module's values only with weights=True


@pytest.mark.parametrize("pad, mode, value", [("ZeroPad", "zeros", 0.0), ("ConstantPad", "zeros", 0.75),
                                              ("ReflectionPad", "reflect", 0.0), ("ReplicationPad", "replicate", 0.0),
                                              ("CircularPad", "circular", 0.0)])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_a_padding_module_folds_into_the_next_convolution(torch, pad, mode, value, nd):
    nn = torch.nn
    sides = (2, 0, 1, 3, 0, 1)[:2 * nd]
    args = (sides, value) if pad == "ConstantPad" else (sides,)
    module = nn.Sequential(getattr(nn, f"{pad}{nd}d")(*args), getattr(nn, f"Conv{nd}d")(2, 3, 2, dilation=1))
    cfg = from_torch(module, [4, 5, 6][:nd], weights=True)
    [spec] = cfg.layers
    assert spec.padding_mode.value == mode and spec.padding_value == value
    assert list(spec.pad_before) == list(sides[0::2])[::-1] and list(spec.pad_after) == list(sides[1::2])[::-1]
    planes = stack_values(cfg.layers, cfg.input, cfg.layer_weights, cfg.layer_biases)
    np.testing.assert_allclose(planes[-1], run_module(torch, module, cfg.input), **TOL)
    line = spec.torch_line()  # the PyTorch line builds the same layer back
    rebuilt = eval(line, {"nn": nn}).double()  # noqa: S307 - our own line
    with torch.no_grad():
        rebuilt[-1].weight.copy_(module[1].weight)
        rebuilt[-1].bias.copy_(module[1].bias)
    np.testing.assert_allclose(run_module(torch, rebuilt, cfg.input), planes[-1], **TOL)


def test_zero_padding_adds_to_the_convolutions_own(torch):
    nn = torch.nn
    module = nn.Sequential(nn.ZeroPad2d((1, 0, 2, 0)), nn.Conv2d(1, 1, 3, padding=1))
    cfg = from_torch(module, 5, weights=True)
    assert cfg.layers[0].padding == ((3, 1), (2, 1))
    np.testing.assert_allclose(stack_values(cfg.layers, cfg.input, cfg.layer_weights, cfg.layer_biases)[-1],
                               run_module(torch, module, cfg.input), **TOL)


@pytest.mark.parametrize("make, size, detail", [
    (lambda nn: nn.Sequential(nn.ZeroPad2d(1), nn.MaxPool2d(2)), 4,
     "module[0]: nn.ZeroPad2d is folded into the convolution after it, but module[1] is nn.MaxPool2d"),
    (lambda nn: nn.Sequential(nn.Conv1d(1, 1, 2), nn.ZeroPad1d(1)), [5], "module[1]: nn.ZeroPad1d ends the Sequential"),
    (lambda nn: nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(1, 1, 3, padding=1)), 5, "two paddings"),
    (lambda nn: nn.Sequential(nn.ZeroPad2d(1), nn.ConvTranspose2d(1, 1, 3)), 5, "transposed"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.ReLU()), 5, "module[1]: nn.Flatten goes last"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(start_dim=2)), 5, "start_dim=2"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2, track_running_stats=False)), 5,
     "track_running_stats=False"),
    (lambda nn: nn.Sequential(nn.ReLU(), nn.Dropout()), 5, "no convolution or pooling layer"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(36, 2)), 5, "module[1]: nn.Flatten"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 4, 3), nn.Linear(3, 2), nn.ReLU()), 5,
     "module[1]: nn.Linear is not supported; convanim draws"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 4, 3), nn.Sequential(nn.ReLU(), nn.Softmax(dim=1))), 5,
     "module[1][1]: nn.Softmax is not supported"),
    (lambda nn: nn.Sequential(nn.Conv3d(1, 1, 3), nn.BatchNorm2d(1)), [4, 4, 4], "module[1]: nn.BatchNorm2d is 2-D"),
    (lambda nn: nn.AdaptiveMaxPool2d(2, return_indices=True), 4, "return_indices"),
])
def test_modules_convanim_cannot_draw_get_one_line_naming_their_path(torch, make, size, detail):
    with pytest.raises((TorchBridgeError, ConfigError)) as info:
        from_torch(make(torch.nn), size)
    assert detail in str(info.value) and "\n" not in str(info.value)


def test_3d_adaptive_and_divisor_override_modules(torch):
    nn = torch.nn
    torch.manual_seed(0)
    for module, size in [(nn.Conv3d(2, 3, (1, 3, 2), stride=2, padding=(0, 1, 1), padding_mode="circular"), [3, 5, 4]),
                         (nn.ConvTranspose3d(2, 2, 3, stride=2, padding=1, output_padding=1, groups=2), [2, 3, 2]),
                         (nn.MaxPool3d(2, stride=1, dilation=2), [5, 5, 6]),
                         (nn.AvgPool3d(2, padding=1, count_include_pad=False, divisor_override=3), [4, 4, 4]),
                         (nn.AvgPool2d(3, stride=2, padding=1, divisor_override=-2), 6),
                         (nn.AdaptiveAvgPool2d((3, None)), [7, 5]), (nn.AdaptiveMaxPool1d(4), [9]),
                         (nn.LPPool2d(2, 3, stride=2, ceil_mode=True), 6), (nn.LPPool1d(1.5, 2), [7]),
                         (nn.LPPool3d(float("inf"), (1, 2, 2)), [2, 4, 5]),
                         (nn.AdaptiveMaxPool3d((2, 3, 1)), [5, 4, 3])]:
        cfg = from_torch(module, size, weights=True, in_channels=2)
        out = stack_values([cfg.spec], cfg.input, [cfg.weight], [cfg.bias])[-1]
        np.testing.assert_allclose(out, run_module(torch, module, cfg.input), rtol=1e-12, atol=1e-12, equal_nan=True)
        assert eval(cfg.spec.torch_line(), {"nn": nn}).__class__ is module.__class__  # noqa: S307 - our line
        assert parse_config(to_yaml(cfg)).spec == cfg.spec


def test_expressions_may_say_torch_nn(torch):
    from convanim.config.torch_bridge import module_from_expression

    both = module_from_expression("torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), nn.ReLU())")
    assert [type(m).__name__ for m in both] == ["Conv2d", "ReLU"]
    assert repr(both) == repr(module_from_expression("nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())"))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "convanim", *args], capture_output=True, text=True)


def test_cli_info_from_torch_nn_names_a_3d_block(torch):
    expr = ("torch.nn.Sequential(torch.nn.ZeroPad3d((1, 1, 1, 1, 2, 0)), torch.nn.Conv3d(1, 2, 3), "
            "torch.nn.BatchNorm3d(2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool3d(2))")
    out = cli("info", "--from-torch", expr, "-i", "4,6,6")
    assert out.returncode == 0, out.stderr
    assert "nn.Sequential(nn.ZeroPad3d((1, 1, 1, 1, 2, 0)), nn.Conv3d(1, 2, kernel_size=3" in out.stdout
    assert "nn.BatchNorm3d(2)" in out.stdout and "nn.ReLU()" in out.stdout and "nn.AdaptiveAvgPool3d(2)" in out.stdout
    assert "4×6×6" in out.stdout and "frames: 8" in out.stdout
    out = cli("info", "--from-torch", expr, "-i", "4,6,6", "--yaml", "--weights")
    assert out.returncode == 0, out.stderr
    cfg = parse_config(out.stdout)
    assert [getattr(s.op, "value", s.op) for s in cfg.layers] == ["conv", "batch_norm", "relu", "adaptive_avg_pool"]


def test_cli_from_torch_unsupported_module_is_one_line(torch):
    out = cli("info", "--from-torch", "nn.Sequential(nn.Conv2d(1, 2, 3), nn.MultiheadAttention(2, 1))", "-i", "5")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "module[1]: nn.MultiheadAttention" in out.stderr
