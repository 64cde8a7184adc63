"""``learn:``: gradient descent equals ``nn.ConvNd`` / ``nn.ConvTransposeNd`` trained by ``torch.optim.SGD`` from the
same start (every step's weight, bias and loss to 1e-9, float64), the notes' edge kernel converges to [1, −1],
the figure shows torch's numbers, and ``convanim info`` prints the loss and the final kernel."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_torch import SEEDS, assert_close, conv_cases, make_data, transposed_cases

from convanim.app.pipeline import as_config, load_config, scene_of
from convanim.core.scene import Text
from convanim.engine.learn import descend
from convanim.figures.learn import states_of
from convanim.figures.values import format_value

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "configs" / "learn_edge_kernel.yaml"


def torch_descent(torch: Any, module: Any, x: np.ndarray, target: np.ndarray, steps: int, lr: float,
                  reduction: str) -> list[tuple[np.ndarray, np.ndarray | None, float]]:
    """(weight, bias, loss) at steps 0..steps of torch.optim.SGD on nn.MSELoss(reduction)."""
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss(reduction=reduction)
    xt, tt = torch.from_numpy(x)[None], torch.from_numpy(target)[None]
    out = []
    for _ in range(steps + 1):
        opt.zero_grad()
        loss = loss_fn(module(xt), tt)
        bias = None if module.bias is None else module.bias.detach().numpy().copy()
        out.append((module.weight.detach().numpy().copy(), bias, float(loss.detach())))
        loss.backward()
        opt.step()
    return out


def test_the_notes_edge_kernel_is_learned_exactly_as_torch_learns_it(torch):
    cfg = load_config(NOTES)
    states = states_of(cfg)
    assert len(states) == 21
    x = cfg.input
    target = torch.nn.functional.conv2d(torch.from_numpy(x)[None], torch.tensor([[[[1.0, -1.0]]]], dtype=torch.float64))
    assert (target[0, 0, :, 1] == 1).all() and (target[0, 0, :, 5] == -1).all() and target.abs().sum() == 12
    conv = torch.nn.Conv2d(1, 1, (1, 2), bias=True).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(cfg.weight))
        conv.bias.copy_(torch.from_numpy(cfg.bias))
    want = torch_descent(torch, conv, x, target[0].numpy(), 20, 0.01, "sum")
    for state, (w, b, loss) in zip(states, want, strict=True):
        assert_close(state.weight, w, f"weight at step {state.step}")
        assert_close(state.bias, b, f"bias at step {state.step}")
        assert abs(state.loss - loss) <= 1e-9 * max(1.0, abs(loss)), state.step
    final = states[-1]
    assert np.abs(final.weight[0, 0, 0] - [1, -1]).max() < 0.06 and abs(final.bias[0]) < 0.01
    losses = [s.loss for s in states]
    assert all(a > b for a, b in zip(losses, losses[1:])) and losses[-1] < 0.05 < 10 < losses[0]


LAYERS = st.one_of(conv_cases(mode="zeros"), transposed_cases())


@settings(max_examples=40)
@given(case=LAYERS, seed=SEEDS, steps=st.integers(1, 4), reduction=st.sampled_from(["mean", "sum"]))
def test_descent_equals_torch_sgd_on_random_layers(torch, case, seed, steps, reduction):
    _, x, weight, bias = make_data(case, seed)
    spec = case.spec
    target = np.random.default_rng(seed + 1).standard_normal((spec.out_channels, *spec.output_size))
    nn = torch.nn
    nd = case.nd
    seen = x
    if case.kind == "conv":
        padding = case.torch_padding
        if case.per_side:  # [before, after] pairs: F.pad (the input is the same at every step), then the conv
            pads = [p for n in reversed(range(nd)) for p in (case.before[n], case.after[n])]
            seen = torch.nn.functional.pad(torch.from_numpy(x)[None], pads, value=case.padding_value)[0].numpy()
        module = getattr(nn, f"Conv{nd}d")(case.in_channels, case.out_channels, case.kernel, stride=case.stride,
                                           padding=padding, dilation=case.dilation, groups=case.groups,
                                           bias=case.bias)
    else:
        module = getattr(nn, f"ConvTranspose{nd}d")(case.in_channels, case.out_channels, case.kernel,
                                                    stride=case.stride, padding=case.torch_padding,
                                                    output_padding=case.output_padding, dilation=case.dilation,
                                                    groups=case.groups, bias=case.bias)
    module = module.double()
    start = np.flip(weight, tuple(range(2, 2 + nd))).copy() if case.flip else weight  # torch's weight as applied
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(start))
        if bias is not None:
            module.bias.copy_(torch.from_numpy(bias))
    want = torch_descent(torch, module, seen, target, steps, 0.05, reduction)
    states = descend(spec, x, weight, bias, target, steps=steps, lr=0.05, reduction=reduction)
    for state, (w, b, loss) in zip(states, want, strict=True):
        mine = np.flip(state.weight, tuple(range(2, 2 + nd))) if case.flip else state.weight
        assert_close(mine, w, f"weight at step {state.step}")
        if b is not None:
            assert_close(state.bias, b, f"bias at step {state.step}")
        assert abs(state.loss - loss) <= 1e-9 * max(1.0, abs(loss))


def test_a_target_given_as_data_and_every_k_th_step():
    cfg = as_config(input_size=[5], kernel_size=2, weight=[0.5, 0.5],
                    learn={"target": [1, 0, -1, 0], "steps": 7, "lr": 0.1, "every": 3})
    assert cfg.learn.shown_steps == (0, 3, 6, 7)
    scene = scene_of(cfg)
    assert scene.n_frames == 4
    assert [scene.narration(i).split(":")[0] for i in range(4)] == ["step 0 of 7", "step 3 of 7", "step 6 of 7",
                                                                   "step 7 of 7"]


def frame_texts(scene, i: int) -> list[str]:
    return [p.text for p in scene.frame(i) if isinstance(p, Text)]


def test_the_figure_shows_torchs_numbers(torch):
    cfg = load_config(NOTES)
    conv = torch.nn.Conv2d(1, 1, (1, 2), bias=True).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(cfg.weight))
        conv.bias.copy_(torch.from_numpy(cfg.bias))
    target = torch.nn.functional.conv2d(torch.from_numpy(cfg.input)[None],
                                        torch.tensor([[[[1.0, -1.0]]]], dtype=torch.float64))[0].numpy()
    want = torch_descent(torch, conv, cfg.input, target, 20, 0.01, "sum")
    scene = scene_of(cfg)
    for i in (0, 7, 20):
        texts = frame_texts(scene, i)
        w, b, loss = want[i]
        assert texts[0] == f"step {i} of 20 · loss {loss:.4g}"
        y = torch.nn.functional.conv2d(torch.from_numpy(cfg.input)[None], torch.from_numpy(w), torch.from_numpy(b))
        output = [format_value(float(v)) for v in y[0, 0].ravel()]
        error = [format_value(float(v)) for v in (y[0, 0].numpy() - target[0]).ravel()]
        assert texts[1:1 + 42] == output and texts[43:43 + 42] == error
        assert texts[85:87] == [format_value(float(v)) for v in w.ravel()]
        assert texts[89] == format_value(float(b[0])) and len(texts) == 91


def test_info_prints_the_loss_every_few_steps_and_the_final_kernel(torch):
    from convanim.app.cli import main

    result = CliRunner().invoke(main, ["info", str(NOTES)])
    assert result.exit_code == 0, result.output
    out = result.output
    cfg = load_config(NOTES)
    states = states_of(cfg)
    losses = dict((int(a), float(b)) for a, b in re.findall(r"step\s+(\d+): loss ([\d.e-]+)", out))
    assert sorted(losses) == list(range(0, 21, 2))
    for step, loss in losses.items():
        assert loss == pytest.approx(states[step].loss, rel=1e-5)
    kernel = re.search(r"final kernel: \[\[\s*([-\d.]+),\s*([-\d.]+)\]\]", out)
    assert kernel and abs(float(kernel[1]) - 1) < 0.06 and abs(float(kernel[2]) + 1) < 0.06
    assert "final bias:" in out and "20 steps of gradient descent, lr 0.01" in out
