"""Config files: keys, data values, defaults and one-line errors that name file, line and key."""

from __future__ import annotations

import numpy as np
import pytest

from convanim import load_config
from convanim.config import parse_config
from convanim.core.errors import ConfigError


def write(tmp_path, text, name="x.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_minimal_config_gets_seeded_integers_like_conv_arithmetic(tmp_path):
    cfg = load_config(write(tmp_path, "input_size: 5\nkernel_size: 3\n"))
    assert cfg.name == "x"
    assert cfg.input.shape == (1, 5, 5) and cfg.weight.shape == (1, 1, 3, 3)
    assert set(np.unique(cfg.input)) <= {0, 1, 2, 3} and set(np.unique(cfg.weight)) <= {0, 1, 2}
    assert cfg.bias is None
    again = load_config(write(tmp_path, "input_size: 5\nkernel_size: 3\n", "y.yaml"))
    np.testing.assert_array_equal(cfg.input, again.input)  # seeded: the same every time


def test_random_options_and_seed_change_values(tmp_path):
    a = load_config(write(tmp_path, "input_size: 4\ninput: {random: {seed: 3, low: -5, high: 5}}\n"))
    b = load_config(write(tmp_path, "input_size: 4\ninput: {random: {seed: 4, low: -5, high: 5}}\n", "b.yaml"))
    assert a.input.min() >= -5 and a.input.max() <= 5
    assert not np.array_equal(a.input, b.input)


def test_arange_and_explicit_values(tmp_path):
    cfg = load_config(write(tmp_path, "input_size: 3\nkernel_size: 2\ninput: arange\nweight: [[0, 1], [2, 3]]\n"))
    np.testing.assert_array_equal(cfg.input[0], np.arange(9).reshape(3, 3))
    np.testing.assert_array_equal(cfg.weight[0, 0], [[0, 1], [2, 3]])
    cfg = load_config(write(tmp_path, "input_size: [4]\ninput: {arange: {start: 1, step: 0.5}}\n", "a.yaml"))
    np.testing.assert_array_equal(cfg.input[0], [1, 1.5, 2, 2.5])


@pytest.mark.parametrize("name, center", [("sobel_x", 0), ("sobel_y", 0), ("laplacian", -4), ("identity", 1),
                                          ("box", 1 / 9)])
def test_named_kernels(tmp_path, name, center):
    cfg = load_config(write(tmp_path, f"input_size: 5\nkernel_size: 3\nweight: {name}\n"))
    assert cfg.weight.shape == (1, 1, 3, 3)
    assert cfg.weight[0, 0, 1, 1] == pytest.approx(center)
    if name == "sobel_x":
        np.testing.assert_array_equal(cfg.weight[0, 0], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])


def test_bias_forms(tmp_path):
    assert load_config(write(tmp_path, "input_size: 4\nbias: false\n")).bias is None
    assert load_config(write(tmp_path, "input_size: 4\nbias: 0.5\n", "b.yaml")).bias.tolist() == [0.5]
    cfg = load_config(write(tmp_path, "input_size: 4\nout_channels: 2\nbias: [1, -1]\n", "c.yaml"))
    assert cfg.bias.tolist() == [1, -1] and cfg.spec.bias is True
    cfg = load_config(write(tmp_path, "input_size: 4\nbias: true\n", "d.yaml"))
    assert cfg.bias.shape == (1,)


def test_render_mapping_is_kept(tmp_path):
    cfg = load_config(write(tmp_path, "input_size: 4\nrender:\n  numbers: true\n  fps: 2\n"))
    assert cfg.render.numbers is True and cfg.render.fps == 2.0


@pytest.mark.parametrize("text, expected", [
    ("input_size: 5\nstride: 0\n", "x.yaml:2: stride: must be >= 1, got 0"),
    ("input_size: 5\nkernel_size: 3\nstrides: 2\n", "x.yaml:3: strides: unknown key (did you mean 'stride'?)"),
    ("kernel_size: 3\n", "input_size: required"),
    ("input_size: 5\nweight: sobel_z\n", "x.yaml:2: weight: unknown value 'sobel_z'"),
    ("input_size: 5\nkernel_size: 3\nweight: [[1, 2], [3, 4]]\n", "x.yaml:3: weight: expected shape [1, 1, 3, 3]"),
    ("input_size: 5\npadding: -1\n", "x.yaml:2: padding: must be >= 0, got -1"),
    ("input_size: 5\nrender:\n  fsp: 2\n", "x.yaml:3: render.fsp: unknown render option (did you mean 'fps'?)"),
    ("input_size: 5\nrender:\n  fps: 0\n", "x.yaml:3: render.fps:"),
    ("input_size: [5, 5\n", "x.yaml:2: invalid YAML"),
    ("- 1\n- 2\n", "x.yaml:1: expected a mapping"),
    ("op: max_pool\ninput_size: 5\nweight: [[1]]\n", "x.yaml:3: weight: max_pool has no weights"),
])
def test_errors_name_file_line_and_key(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    assert expected in message


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


def test_yaml_is_loaded_safely():
    with pytest.raises(ConfigError):
        parse_config("input_size: !!python/object/apply:os.system ['true']\n")


def test_every_shipped_config_loads():
    from pathlib import Path

    paths = sorted(Path(__file__).parents[1].joinpath("configs").glob("*.yaml"))
    assert len(paths) >= 23
    for path in paths:
        cfg = load_config(path)
        assert cfg.spec.n_steps >= 1
