"""from_torch(): real PyTorch modules become configs whose simulation equals module(x); YAML round trips; the CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from convanim import to_yaml
from convanim.config import parse_config
from convanim.config.torch_bridge import TorchBridgeError, from_torch, module_from_expression
from convanim.engine import simulate


def simulate_layers(config):
    """Every layer of a layers: config simulated in turn, each on the previous layer's output."""
    traces, x = [], config.input
    for spec, weight, bias in zip(config.layers, config.layer_weights, config.layer_biases, strict=True):
        traces.append(simulate(spec, x, weight, bias))
        x = traces[-1].output
    return traces


def run_module(torch, module, x):
    module = module.double()
    with torch.no_grad():
        return module(torch.from_numpy(x)[None])[0].numpy()


MODULES = {
    "conv2d_rgb": lambda nn: nn.Conv2d(3, 2, 3, stride=2, padding=1),
    "conv2d_grouped_dilated": lambda nn: nn.Conv2d(4, 6, (3, 2), dilation=(1, 2), groups=2, bias=False),
    "conv2d_same_reflect": lambda nn: nn.Conv2d(2, 3, 4, padding="same", padding_mode="reflect"),
    "conv1d_depthwise": lambda nn: nn.Conv1d(3, 3, 3, padding=2, groups=3, padding_mode="circular"),
    "conv_transpose2d": lambda nn: nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2),
    "conv_transpose1d": lambda nn: nn.ConvTranspose1d(1, 2, 4, stride=3, dilation=2),
    "max_pool2d": lambda nn: nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
    "max_pool1d_dilated": lambda nn: nn.MaxPool1d(2, stride=1, dilation=2),
    "avg_pool2d": lambda nn: nn.AvgPool2d((2, 3), stride=(2, 1), padding=1, count_include_pad=False),
    "avg_pool1d": lambda nn: nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True),
}
SIZES = {"conv1d_depthwise": 7, "conv_transpose1d": 4, "max_pool1d_dilated": 6, "avg_pool1d": 8}


@pytest.mark.parametrize("name", list(MODULES))
def test_from_torch_with_weights_simulates_like_the_module(torch, name):
    torch.manual_seed(0)
    module = MODULES[name](torch.nn)
    cfg = from_torch(module, SIZES.get(name, 6), weights=True, in_channels=2)
    trace = simulate(cfg.spec, cfg.input, cfg.weight, cfg.bias)
    want = run_module(torch, module, cfg.input)
    assert trace.output.shape == want.shape
    np.testing.assert_allclose(trace.output, want, rtol=1e-12, atol=1e-12)
    # and through YAML: the file convanim render reads gives the same layer and numbers
    again = parse_config(to_yaml(cfg))
    assert again.spec == cfg.spec
    np.testing.assert_array_equal(again.input, cfg.input)
    if cfg.weight is not None:
        np.testing.assert_array_equal(again.weight, cfg.weight)


def test_without_weights_the_layer_gets_convanims_integers(torch):
    cfg = from_torch(torch.nn.Conv2d(3, 2, 3, stride=2), 8)
    assert cfg.spec.torch_line() == "nn.Conv2d(3, 2, kernel_size=3, stride=2, bias=True)"
    assert set(np.unique(cfg.weight)) <= {0.0, 1.0, 2.0} and cfg.bias.shape == (2,)
    assert "weight" not in cfg.raw and cfg.raw["bias"] is True


def test_sequential_becomes_a_layers_config_that_simulates_like_the_module(torch):
    torch.manual_seed(1)
    nn = torch.nn
    module = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2),
                           nn.Sequential(nn.Conv2d(4, 4, 3, groups=4), nn.AvgPool2d(2, ceil_mode=True)))
    cfg = from_torch(module, 10, weights=True)
    assert len(cfg.layers) == 4 and cfg.spec == cfg.layers[0]
    assert [s.output_size for s in cfg.layers] == [(10, 10), (5, 5), (3, 3), (2, 2)]
    out = simulate_layers(cfg)[-1].output
    np.testing.assert_allclose(out, run_module(torch, module, cfg.input), rtol=1e-12, atol=1e-12)
    again = parse_config(to_yaml(cfg))
    assert again.layers == cfg.layers
    np.testing.assert_allclose(simulate_layers(again)[-1].output, out, rtol=0, atol=0)


def test_a_sequential_of_one_layer_is_still_a_layers_config(torch):
    cfg = from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 2)), 5)
    assert len(cfg.layers) == 1 and "layers" in cfg.raw


@pytest.mark.parametrize("make, size, detail", [
    (lambda nn: nn.ReLU(), 4, "module: nn.ReLU is an element-wise step"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 1, 3), nn.Linear(4, 4)), 6, "module[1]: nn.Linear is not supported"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 1, 3), nn.Sequential(nn.ReLU(), nn.MultiheadAttention(4, 2))), 6,
     "module[1][1]: nn.MultiheadAttention is not supported; convanim draws nn.Conv*d"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv1d(1, 1, 3)), 6, "module[1]: nn.Conv1d is 1-D"),
    (lambda nn: nn.Conv2d(1, 1, 3), [4, 4, 4], "takes 2 spatial sizes"),
    (lambda nn: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(3, 1, 3)), 8, "layers[1].in_channels"),
    (lambda nn: nn.Conv2d(1, 1, 5), 3, "kernel_size"),
])
def test_modules_convanim_cannot_draw_are_named(torch, make, size, detail):
    with pytest.raises(Exception) as info:
        from_torch(make(torch.nn), size)
    assert detail in str(info.value)
    assert isinstance(info.value, ValueError)


def test_expression_sees_only_nn_and_is_seeded(torch):
    a = module_from_expression("nn.Conv2d(3, 2, 3)", seed=4)
    b = module_from_expression("nn.Conv2d(3, 2, 3)", seed=4)
    assert torch.equal(a.weight, b.weight)
    with pytest.raises(TorchBridgeError, match="only calls of nn.X"):
        module_from_expression("open('/etc/passwd')")
    with pytest.raises(TorchBridgeError, match="expected a call"):
        module_from_expression("nn")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "convanim", *args], capture_output=True, text=True)


def test_cli_from_torch_prints_info_and_yaml(torch):
    expr = "nn.Conv2d(3, 2, 3, stride=2)"
    out = cli("info", "--from-torch", expr, "--input-size", "8")
    assert out.returncode == 0, out.stderr
    assert "output: 2×3×3 (C×H×W) · frames: 18" in out.stdout
    assert "nn.Conv2d(3, 2, kernel_size=3, stride=2" in out.stdout
    out = cli("info", "--from-torch", expr, "-i", "8", "--yaml", "--weights", "--seed", "3")
    assert out.returncode == 0, out.stderr
    cfg = parse_config(out.stdout)
    module = module_from_expression(expr, seed=3)
    np.testing.assert_array_equal(cfg.weight, module.weight.detach().double().numpy())
    trace = simulate(cfg.spec, cfg.input, cfg.weight, cfg.bias)
    np.testing.assert_allclose(trace.output, run_module(torch, module, cfg.input), rtol=1e-12, atol=1e-12)


def test_cli_from_torch_sequential_prints_the_field_table(torch):
    out = cli("info", "--from-torch", "nn.Sequential(nn.Conv1d(1, 1, 2), nn.Conv1d(1, 1, 2, dilation=2))", "-i", "9")
    assert out.returncode == 0, out.stderr
    assert "field" in out.stdout and "frames: 6" in out.stdout


@pytest.mark.parametrize("args, detail", [
    (["--from-torch", "nn.ReLU()", "-i", "4"], "nn.ReLU is an element-wise step"),
    (["--from-torch", "nn.Conv2d(1, 1, 3)"], "--input-size: required"),
    (["--from-torch", "nn.Conv2d(1, 1, 3)", "-i", "four"], "--input-size: expected a size"),
    (["--from-torch", "nn.Conv2d(1,", "-i", "4"], "not a Python expression"),
    (["--from-torch", "nn.Conv2d.__init__.__globals__[\"os\"].system(\"true\")", "-i", "4"], "only calls of nn.X"),
])
def test_cli_from_torch_errors_are_one_line(torch, args, detail):
    out = cli("info", *args)
    assert out.returncode == 2
    assert detail in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_import_convanim_does_not_import_torch():
    code = "import sys, convanim; convanim.from_torch; convanim.to_yaml; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
