"""render: {compare: flip_kernel}: PyTorch's cross-correlation beside the true convolution, both equal to torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convanim.app.pipeline import as_config, scene_of
from convanim.core.errors import ConfigError, SpecError
from convanim.core.options import Compare, parse_render
from convanim.core.scene import Text
from convanim.draw import render_frame
from convanim.figures.values import format_value

CONFIGS = Path(__file__).parents[1] / "configs"
TEXTBOOK = ["y[0] = 0·3 + 0·2 + 1·1 = 1", "y[1] = 0·3 + 1·2 + 2·1 = 4", "y[2] = 1·3 + 2·2 + 3·1 = 10",
            "y[3] = 2·3 + 3·2 + 4·1 = 16", "y[4] = 3·3 + 4·2 + 0·1 = 17", "y[5] = 4·3 + 0·2 + 0·1 = 12"]


def texts_at(prims, xy, tol=1.0):
    return [p.text for p in prims if isinstance(p, Text) and abs(p.xy[0] - xy[0]) < tol and abs(p.xy[1] - xy[1]) < tol]


def captions(scene, frame, side):
    """The caption lines drawn in one panel (left or right half) on a frame."""
    mid = scene.width / 2
    return [p.text for p in scene.frame(frame) if isinstance(p, Text) and p.text.startswith("y[")
            and (p.xy[0] < mid) == (side == "left")]


def test_parse_compare():
    assert parse_render({"compare": "flip_kernel"}).compare is Compare.FLIP_KERNEL
    assert parse_render(None).compare is Compare.NONE
    with pytest.raises(SpecError) as info:
        parse_render({"compare": "flipped"})
    assert info.value.key == "render.compare" and "flip_kernel" in str(info.value)


def test_textbook_table_step_by_step(torch):
    cfg = as_config(CONFIGS / "compare_flip_1d.yaml")
    scene = scene_of(cfg)
    pytorch, flipped = scene.regions["traces"]
    assert flipped.output[0].tolist() == [1, 4, 10, 16, 17, 12] == np.convolve([1, 2, 3, 4], [1, 2, 3]).tolist()
    F = torch.nn.functional
    x = torch.tensor([[[1.0, 2, 3, 4]]], dtype=torch.float64)
    w = torch.tensor([[[1.0, 2, 3]]], dtype=torch.float64)
    assert pytorch.output[0].tolist() == F.conv1d(x, w, padding=2)[0, 0].tolist() == [3, 8, 14, 20, 11, 4]
    assert flipped.output[0].tolist() == F.conv1d(x, w.flip(-1), padding=2)[0, 0].tolist()
    assert scene.n_frames == 6
    for n, line in enumerate(TEXTBOOK):
        assert captions(scene, n, "right") == [line]
        (left,) = captions(scene, n, "left")
        assert left.endswith(f"= {format_value(pytorch.output[0, n])}")
    # the kernel rows: as stored on the left, reversed on the right, on every frame
    for side, want in (("left", ["1", "2", "3"]), ("right", ["3", "2", "1"])):
        kc = scene.regions[side]["kernel_centers"]
        for n in range(6):
            prims = scene.frame(n)
            row = [texts_at(prims, kc[0, c]) for c in range(kc.shape[1])]
            assert [t[0] for t in row if t] == want, (side, n)
    headings = [p.text for p in scene.static if isinstance(p, Text) and p.text.startswith(("PyTorch", "convolution"))]
    assert headings == ["PyTorch: cross-correlation, y[n] = Σₖ x[n+k−2]·w[k]",
                        "convolution: kernel flipped, y[n] = Σₖ x[n−k]·w[k]"]


def test_2d_compare_numbers_equal_torch_on_both_sides(torch):
    cfg = as_config(input_size=4, kernel_size=3, padding=1, stride=1, weight="sobel_x", bias=[0.5],
                    render={"compare": "flip_kernel", "numbers": True})
    scene = scene_of(cfg)
    F = torch.nn.functional
    x = torch.from_numpy(cfg.input)[None]
    w = torch.from_numpy(cfg.weight)
    b = torch.from_numpy(cfg.bias)
    want = {"left": F.conv2d(x, w, b, padding=1)[0, 0].numpy(),
            "right": F.conv2d(x, w.flip(-1, -2), b, padding=1)[0, 0].numpy()}
    assert not np.allclose(want["left"], want["right"])  # sobel_x flipped is its negative: the sides differ
    for side, values in want.items():
        centers = scene.regions[side]["output_centers"]
        for (r, c), v in np.ndenumerate(values):
            assert texts_at(scene.static, centers[r, c]) == [format_value(v)], (side, r, c)
    # the frame marks the same output cell on both sides
    img = render_frame(scene, 5)
    for side in ("left", "right"):
        oc = scene.regions[side]["output_centers"]
        corner = 0.35 * (oc[0, 0] - oc[1, 1])  # towards the cell's top-left corner, clear of its number
        x_, y_ = oc[1, 1] + corner
        assert tuple(img[int(y_), int(x_)]) == (0x1C, 0x76, 0x76)
        x_, y_ = oc[0, 0] + corner
        assert tuple(img[int(y_), int(x_)]) == (0x2A, 0xA1, 0x98)


def test_compare_works_with_channels(torch):
    cfg = as_config(input_size=4, in_channels=2, out_channels=2, kernel_size=2,
                    render={"compare": "flip_kernel", "numbers": True})
    scene = scene_of(cfg)
    F = torch.nn.functional
    x, w = torch.from_numpy(cfg.input)[None], torch.from_numpy(cfg.weight)
    right = F.conv2d(x, w.flip(-1, -2))[0].numpy()
    for co, centers in scene.regions["right"]["output_centers"].items():
        for (r, c), v in np.ndenumerate(right[co]):
            assert texts_at(scene.static, centers[r, c]) == [format_value(v)]
    assert scene.n_frames == 2 * 9


def test_compare_on_pooling_is_an_error_naming_the_key(tmp_path):
    path = tmp_path / "pool.yaml"
    path.write_text("op: max_pool\ninput_size: 4\nkernel_size: 2\nrender:\n  compare: flip_kernel\n")
    with pytest.raises(ConfigError) as info:
        scene_of(as_config(path))
    assert info.value.key == "render.compare" and info.value.line == 5
