"""``convanim.explore``: the notebook widget driven from code as a user would (change a control, read the new
Scene), every number against PyTorch; a bad combination keeps the last good figure with the CLI's message."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import convanim

ROOT = Path(__file__).resolve().parents[1]
PS = ROOT / "configs" / "padding_strides.yaml"


@pytest.fixture(autouse=True)
def widgets():
    """ipywidgets (``convanim[notebook]``); a skip locally without it, a failure under ``CI=true``."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        from conftest import IN_CI

        if IN_CI:
            pytest.fail(f"ipywidgets is required when CI=true: {err}", pytrace=False)
        pytest.skip("ipywidgets is not installed")


def outputs_of(ex) -> np.ndarray:
    """The output values the scene's equations state, frame by frame (the player's status line)."""
    values = [re.search(r"= (−?[\d.]+)$", ex.scene.narration(i)).group(1).replace("−", "-")
              for i in range(ex.scene.n_frames)]
    return np.array(values, float)


def torch_output(torch, cfg) -> np.ndarray:
    import torch.nn.functional as F

    spec = cfg.spec
    x = torch.tensor(cfg.input, dtype=torch.float64).unsqueeze(0)
    w = torch.tensor(cfg.weight, dtype=torch.float64)
    conv = F.conv_transpose2d if spec.transposed else F.conv2d
    kwargs = dict(stride=spec.stride, padding=spec.padding, dilation=spec.dilation)
    if spec.transposed:
        kwargs["output_padding"] = spec.output_padding
    return conv(x, w, **kwargs)[0].numpy()


def test_a_control_change_redraws_a_new_scene_equal_to_pytorch(torch) -> None:
    ex = convanim.explore(str(PS))
    assert set(ex.controls) >= {"input_size", "kernel_size", "stride", "padding", "dilation", "transposed",
                                "output_padding", "in_channels", "out_channels", "groups", "padding_mode", "op",
                                "style", "numbers", "caption"}
    assert ex.scene.n_frames == 9 and "cv-player" in ex.out.outputs[0]["data"]["text/html"]
    ex.controls["stride"].value = 1
    assert ex.error is None and ex.config.spec.stride == (1, 1) and ex.scene.n_frames == 25
    np.testing.assert_allclose(outputs_of(ex), torch_output(torch, ex.config).ravel())
    ex.controls["transposed"].value = True
    ex.controls["kernel_size"].value = 4
    assert ex.error is None and ex.config.spec.transposed
    np.testing.assert_allclose(outputs_of(ex), torch_output(torch, ex.config).ravel())
    assert ex.out.outputs[0]["data"]["text/html"] == ex.html and f"of {ex.scene.n_frames}" in ex.html
    ex.controls["numbers"].value = True
    assert ex.config.render.numbers and ex.config.render.resolved_style(2).value == "flat"


def test_a_bad_combination_shows_the_cli_message_and_keeps_the_last_good_figure(tmp_path: Path) -> None:
    ex = convanim.explore(input_size=5, kernel_size=3)
    ex.controls["padding"].value = "same"
    good, html = ex.scene, ex.html
    assert ex.error is None and ex.config.spec.output_size == (5, 5)
    ex.controls["stride"].value = 2  # padding='same' needs stride 1
    assert ex.error and ex.scene is good and ex.html == html and ex.out.outputs[0]["data"]["text/html"] == html
    (tmp_path / "x.yaml").write_text(ex.yaml)
    cli = subprocess.run([sys.executable, "-m", "convanim", "render", str(tmp_path / "x.yaml"), "-o", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    cli_line = cli.stderr.strip().splitlines()[0]
    assert cli.returncode == 2
    message = re.compile(r"^error: [^:]+(?::\d+)?: (.*)$")  # the same one-line message, the source aside
    assert message.match(ex.error).group(1) == message.match(cli_line).group(1)
    assert message.match(ex.error).group(1) == "padding: 'same' is not supported with stride > 1, got stride=2"
    assert "stride=2" in ex.message.value and ex.message.value.count("\n") == 0
    ex.controls["stride"].value = 1  # fixed again: a new figure
    assert ex.error is None and ex.message.value == ""


def test_yaml_button_shows_a_config_that_loads_back() -> None:
    ex = convanim.explore(str(PS))
    assert ex.yaml_box.layout.display == "none"
    ex.yaml_button.value = True
    assert ex.yaml_box.layout.display is None
    ex.controls["dilation"].value = 2
    again = convanim.load_config  # the YAML is a config file
    from convanim.config import parse_config

    cfg = parse_config(ex.yaml_box.value, source="<yaml>")
    assert cfg.spec == ex.config.spec and again


def test_one_d_layers_stay_one_d_and_channels_work(torch) -> None:
    ex = convanim.explore(input_size=[8], kernel_size=3)
    ex.controls["input_size"].value = 10
    assert ex.config.spec.input_size == (10,) and ex.error is None
    ex2 = convanim.explore(input_size=4, kernel_size=3, in_channels=2, out_channels=2)
    ex2.controls["groups"].value = 2
    assert ex2.error is None and ex2.config.spec.groups == 2
    ex2.controls["groups"].value = 3
    assert ex2.error and "groups" in ex2.error and ex2.config.spec.groups == 2


def test_layers_configs_are_refused_in_one_line() -> None:
    with pytest.raises(convanim.ConvanimError, match="explore takes one layer"):
        convanim.explore(str(ROOT / "configs" / "receptive_field_wavenet.yaml"))
