"""Every bad input through the real command line: exit status 2, one line on stderr naming the key, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

BAD = [
    ("stride", "input_size: 5\nstride: 0\n", "got 0"),
    ("dilation", "input_size: 5\ndilation: 0\n", "got 0"),
    ("padding", "input_size: 5\npadding: -2\n", "got -2"),
    ("kernel_size", "input_size: 3\nkernel_size: 5\n", "larger than the padded input (3)"),
    ("kernel_size", "input_size: 5\nkernel_size: 3\ndilation: 3\n", "dilated kernel (7)"),
    ("output_padding", "input_size: 3\nkernel_size: 3\nstride: 2\ntransposed: true\noutput_padding: 2\n", "got 2"),
    ("padding", "op: max_pool\ninput_size: 6\nkernel_size: 2\npadding: 2\n", "got 2"),
    ("padding", "op: avg_pool\ninput_size: 6\nkernel_size: 3\npadding: 2\n", "got 2"),
    ("groups", "input_size: 5\nin_channels: 3\nout_channels: 4\ngroups: 2\n", "got 2"),
    ("groups", "input_size: 5\nin_channels: 4\nout_channels: 3\ngroups: 2\n", "out_channels=3"),
    ("padding", "input_size: 5\nstride: 2\npadding: same\n", "stride=2"),
    ("padding", "input_size: 3\nkernel_size: 7\npadding: 3\npadding_mode: reflect\n", "got 3"),
    ("padding_mode", "input_size: 3\ntransposed: true\npadding_mode: reflect\n", "'reflect'"),
    ("padding", "input_size: 2\nkernel_size: 1\npadding: 1\ntransposed: true\n", "at least 1"),
    ("padding_mode", "input_size: 5\npadding_mode: mirror\n", "'mirror'"),
    ("input_size", "input_size: [2, 3, 4, 5]\n", "[2, 3, 4, 5]"),
    ("kernel_size", "input_size: [5, 5]\nkernel_size: [3, 3, 3]\n", "[3, 3, 3]"),
    ("stridee", "input_size: 5\nstridee: 1\n", "did you mean 'stride'"),
    ("weight", "input_size: 5\nkernel_size: 2\nweight: sobel_x\n", "3x3"),
    ("input", "input_size: 3\ninput: [[1, 2], [3, 4]]\n", "expected shape [1, 3, 3]"),
    ("render.view", "input_size: 5\nrender: {view: scatter}\n", "set transposed: true"),
    ("render.view", "input_size: 9\nkernel_size: 1\nrender: {view: matrix}\n",
     "81×81 cells, over the readable limit of 64×64"),
    ("render.view", "input_size: 12\nkernel_size: 3\nrender: {view: im2col}\n", "100×9 cells, over the readable limit"),
    ("render.view", "input_size: 13\nkernel_size: 1\nstride: 2\ntransposed: true\nrender: {view: scatter}\n",
     "25×25 cells, over scatter's readable limit of 24×24"),
    ("render.view", "op: max_pool\ninput_size: 4\nkernel_size: 2\nrender: {view: im2col}\n", "max_pool has none"),
    ("render.view", "input_size: 3\nin_channels: 5\ntransposed: true\nrender: {view: scatter}\n", "at most 4"),
    ("render.overlaps", "input_size: 3\ntransposed: true\nrender: {overlaps: true}\n", "view: scatter"),
    ("render.compare", "input_size: 5\nrender: {compare: forward}\n", "set transposed: true"),
    ("render.style", "input_size: 3\ntransposed: true\nrender: {view: scatter, style: stacked}\n", "drawn flat"),
    ("render.reveal", "input_size: 3\ntransposed: true\nrender: {view: scatter, reveal: progressive}\n",
     "running sums"),
    ("render.view", "input_size: 3\nrender: {view: columns}\n", "gather, scatter, matrix, im2col"),
    # 3-D layers in the views that lay out 1-D and 2-D grids; an affine layer has no matrix
    ("render.view", "input_size: [2, 3, 3]\nkernel_size: 2\nstride: 2\ntransposed: true\nrender: {view: scatter}\n",
     "scatter draws 1-D and 2-D layers; this layer is 3-D (view: gather draws it as its depth slices)"),
    ("render.view", "input_size: [2, 3, 3]\nkernel_size: 2\nrender: {view: matrix}\n", "this layer is 3-D"),
    ("render.view", "input_size: [2, 3, 3]\nkernel_size: 2\nrender: {view: im2col}\n", "this layer is 3-D"),
    ("render.view", "input_size: 4\nkernel_size: 3\npadding: [[1, 0], [1, 1]]\npadding_value: 2\n"
                    "render: {view: matrix}\n", "(y = C·x + c)"),
]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "convanim", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("key, text, detail", BAD, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(BAD)])
def test_bad_config_is_one_line_exit_2(tmp_path, key, text, detail):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run("info", str(path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert str(path) in lines[0] and f": {key}: " in lines[0] and detail in lines[0]
    assert result.stdout == ""


def test_error_message_has_the_line_number(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("# a comment\ninput_size: 5\nkernel_size: 3\nstride: 0\n")
    result = run("info", str(path))
    assert result.stderr.strip() == f"error: {path}:4: stride: must be >= 1, got 0"


def test_info_prints_formula_frames_and_pytorch_line(tmp_path):
    path = tmp_path / "ps.yaml"
    path.write_text("input_size: 5\nkernel_size: 3\nstride: 2\npadding: 1\n")
    result = run("info", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "floor((5 + 2·1 - 1·(3-1) - 1) / 2) + 1 = 3" in out
    assert "frames: 9" in out
    assert "nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)" in out


def test_info_transposed_formula(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("input_size: [100]\nkernel_size: 4\nstride: 7\npadding: 5\ndilation: 6\n"
                    "transposed: true\noutput_padding: 1\n")
    out = run("info", str(path)).stdout
    assert "(100-1)·7 - 2·5 + 6·(4-1) + 1 + 1 = 703" in out
    assert "nn.ConvTranspose1d(" in out


def test_solve_answers_and_checks():
    out = run("solve", "-i", "32", "-k", "3", "-s", "2").stdout
    assert "padding=1" in out and "= 32" in out  # keeps the size
    assert "= 16" in out  # divides by the stride
    assert "padding=1, output_padding=1" in out and "= 64" in out  # transposed multiplies


def test_solve_says_why_and_gives_the_per_side_answer():
    out = run("solve", "-i", "5", "-k", "4").stdout
    assert "padding=[[1, 2]]" in out and "odd" in out
    assert out.count("padding that") == 1  # stride 1: keeping, dividing and multiplying are one question
    out = run("solve", "-i", "33", "-k", "4", "-s", "2").stdout
    assert "(rounded up: 17)" in out and "padding=2    (" in out


@pytest.mark.parametrize("i, k, n", [(33, 4, 17), (8, 4, 16), (28, 5, 24), (7, 3, 3), (5, 2, 11)])
def test_solve_output_answers_are_layers_torch_agrees_with(torch, i, k, n):
    import re

    out = run("solve", "-i", str(i), "-k", str(k), "--output", str(n)).stdout
    answers = re.findall(r"stride=(\d+), padding=(\[\[\d+, \d+\]\]|\d+)(?:, output_padding=(\d+))?", out)
    assert answers, out
    x = torch.zeros(1, 1, i)
    for s, pad, op in answers:
        s = int(s)
        if op:  # a transposed convolution
            layer = torch.nn.ConvTranspose1d(1, 1, k, stride=s, padding=int(pad), output_padding=int(op))
            got = layer(x).shape[-1]
        else:
            a, b = (int(v) for v in re.findall(r"\d+", pad)) if pad.startswith("[") else (int(pad), int(pad))
            got = torch.nn.Conv1d(1, 1, k, stride=s)(torch.nn.functional.pad(x, (a, b))).shape[-1]
        assert got == n, (s, pad, op, out)


def test_python_dash_m_and_version():
    result = run("--version")
    assert result.returncode == 0 and "convanim" in result.stdout
