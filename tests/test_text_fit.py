"""Text is never cut or tiny: hostile configs (huge values, negatives, reals, long titles, many channels, tiny and
huge inputs) for every figure kind, checked from the rendered pixels: no text ink touches the canvas edge and
no line of text is below the minimum size for the image (the em at least 10 px and the longer side / 100)."""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np
import pytest

from convanim.app.pipeline import as_config, scene_of
from convanim.core.scene import Scene, Text
from convanim.core.text import fit_equation, split_terms, text_width, wrap_text
from convanim.draw import render_frame
from convanim.figures import kind_of

MIN_PX, RATIO, SHRUNK = 10.0, 100.0, 2400  # the README: em >= max(10 px, min(longer side, 2400) / 100)


def floor_of(scene: Scene) -> float:
    return max(MIN_PX, min(max(scene.width, scene.height), SHRUNK) / RATIO)


def edge_of(scene: Scene) -> int:
    return int(4 + min(max(scene.width, scene.height), SHRUNK) / 200) - 1  # less a pixel of anti-aliasing


def _is_word(p: object) -> bool:
    return isinstance(p, Text) and any(ch.isalnum() for ch in p.text)


def _without(scene: Scene, drop) -> Scene:
    frame = scene.frame
    return replace(scene, static=tuple(p for p in scene.static if not drop(p)),
                   frame=lambda i: tuple(p for p in frame(i) if not drop(p)))


def text_ink(scene: Scene, i: int) -> np.ndarray:
    """The pixels text paints in frame ``i``: the frame with its texts against the frame without them (texts
    of symbols only, "…", "⋮", "=", are left out of both: they have no letters to read)."""
    symbols = _without(scene, lambda p: isinstance(p, Text) and not _is_word(p))
    with_text = render_frame(symbols, i).astype(np.int16)
    bare = render_frame(_without(scene, lambda p: isinstance(p, Text)), i).astype(np.int16)
    return np.abs(with_text - bare).max(axis=2) > 24


def components(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (y0, y1, x0, x1) of the 8-connected components of a boolean mask (runs joined by union-find)."""
    parent: list[int] = []

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    runs: list[tuple[int, int, int, int]] = []  # (y, x0, x1, label)
    prev: list[tuple[int, int, int]] = []
    for y in range(mask.shape[0]):
        row = np.concatenate([[0], mask[y].astype(np.int8), [0]])
        d = np.diff(row)
        starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
        cur = []
        for x0, x1 in zip(starts.tolist(), ends.tolist()):
            label = len(parent)
            parent.append(label)
            for px0, px1, pl in prev:
                if px0 <= x1 and px1 >= x0:  # touching, diagonals included
                    a, b = find(pl), find(label)
                    if a != b:
                        parent[b] = a
            cur.append((x0, x1, label))
            runs.append((y, x0, x1, label))
        prev = cur
    boxes: dict[int, list[int]] = {}
    for y, x0, x1, label in runs:
        root = find(label)
        b = boxes.setdefault(root, [y, y + 1, x0, x1])
        b[0], b[1], b[2], b[3] = min(b[0], y), max(b[1], y + 1), min(b[2], x0), max(b[3], x1)
    return [tuple(b) for b in boxes.values()]  # type: ignore[misc]


def text_lines(ink: np.ndarray, join: int, rise: int) -> list[tuple[int, int, int, int]]:
    """Lines of text: ink components after joining glyphs up to ``join`` pixels apart along the line and
    ``rise`` pixels across it (the dot of an i, a stroke split by a faint row)."""
    grown = ink.copy()
    for k in range(1, join + 1):
        grown[:, k:] |= ink[:, :-k]
        grown[:, :-k] |= ink[:, k:]
    wide = grown.copy()
    for k in range(1, rise + 1):
        grown[k:, :] |= wide[:-k, :]
    return merged_lines([(y0, y1 - rise, x0 + join, x1 - join) for y0, y1, x0, x1 in components(grown)])


def merged_lines(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Boxes of one line joined: side by side, overlapping in height, closer than 0.8 of the taller one's height
    (the spaces around a "·" or "=" of a large text)."""
    boxes = sorted(boxes, key=lambda b: b[2])
    changed = True
    while changed:
        changed = False
        out: list[tuple[int, int, int, int]] = []
        for b in boxes:
            for n, a in enumerate(out):
                overlap = min(a[1], b[1]) - max(a[0], b[0])
                gap = max(a[2], b[2]) - min(a[3], b[3])
                if overlap > 0 and gap <= 0.8 * max(a[1] - a[0], b[1] - b[0]):
                    out[n] = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                    changed = True
                    break
            else:
                out.append(b)
        boxes = out
    return boxes


def check_text(scene: Scene, frames: list[int]) -> list[str]:
    """What is wrong with the text of ``frames``, from their pixels."""
    problems = []
    floor, edge = floor_of(scene), edge_of(scene)
    for i in frames:
        ink = text_ink(scene, i)
        band = np.zeros_like(ink)
        band[:edge, :] = band[-edge:, :] = band[:, :edge] = band[:, -edge:] = True
        if (ink & band).any():
            ys, xs = np.nonzero(ink & band)
            problems.append(f"frame {i}: text ink at the edge, e.g. ({xs[0]}, {ys[0]}) of {scene.width}x{scene.height}")
        for y0, y1, x0, x1 in text_lines(ink, max(2, round(0.6 * floor)), max(3, round(0.3 * floor))):
            if y1 - y0 <= 0.25 * (x1 - x0):  # a bar on its own: the "=" or "−" of a large text between spaces
                continue
            if y1 - y0 < 0.45 * floor:  # x-height is 0.55 em in DejaVu: a line of lowercase at the floor passes
                problems.append(f"frame {i}: a line of text {y1 - y0} px tall at ({x0}, {y0}), under 0.45 of "
                                f"{floor:.1f} px")
    return problems


# ---------------------------------------------------------------- the hostile set

BASES: dict[str, dict] = {
    "stacked": {"input_size": 5, "kernel_size": 3, "padding": 1, "stride": 2},
    "flat": {"input_size": 5, "kernel_size": 3, "padding": 1, "render": {"numbers": True, "caption": True}},
    "strip": {"input_size": [7], "kernel_size": 3, "padding": 1, "render": {"numbers": True, "caption": True}},
    "transposed": {"input_size": 3, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1,
                   "transposed": True, "render": {"labels": True}},
    "channels_stacked": {"input_size": 4, "kernel_size": 3, "padding": 1, "in_channels": 3, "out_channels": 3,
                         "groups": 3, "render": {"labels": True}},
    "channels_flat": {"input_size": 4, "kernel_size": 3, "in_channels": 2, "out_channels": 2, "bias": True,
                      "render": {"numbers": True, "caption": True}},
    "channels_strip": {"input_size": [6], "kernel_size": 3, "in_channels": 2, "out_channels": 2,
                       "render": {"numbers": True, "caption": True}},
    "compare_flip": {"input_size": [3], "kernel_size": 2, "render": {"compare": "flip_kernel", "numbers": True,
                                                                     "caption": True}},
    "compare_forward": {"input_size": 3, "kernel_size": 3, "stride": 2, "padding": 1, "transposed": True,
                        "render": {"compare": "forward"}},
    "scatter": {"input_size": 2, "kernel_size": 3, "stride": 2, "transposed": True,
                "render": {"view": "scatter", "numbers": True, "caption": True}},
    "matrix": {"input_size": 3, "kernel_size": 2, "render": {"view": "matrix", "caption": True}},
    "im2col": {"input_size": 3, "kernel_size": 2, "render": {"view": "im2col", "caption": True}},
    "backward_gather": {"input_size": 5, "kernel_size": 3, "stride": 2, "padding": 1,
                        "render": {"pass": "backward"}},
    "backward_scatter": {"input_size": 4, "kernel_size": 3, "padding": 1,
                         "render": {"pass": "backward", "view": "scatter", "caption": True}},
    "backward_weight": {"input_size": 4, "kernel_size": 2, "render": {"pass": "backward", "wrt": "weight",
                                                                      "caption": True}},
    "backward_bias": {"input_size": 3, "kernel_size": 2, "bias": True, "out_channels": 2,
                      "render": {"pass": "backward", "wrt": "bias", "caption": True}},
    "learn": {"input_size": [3, 4], "kernel_size": [1, 2], "bias": 0,
              "learn": {"target": {"kernel": [[1, -1]]}, "steps": 3, "lr": 0.01}},
    "layers": {"input_size": 6, "layers": [{"kernel_size": 3}, {"kernel_size": 2, "stride": 2}]},
    "layers_1d": {"input_size": [8], "layers": [{"kernel_size": 2}, {"kernel_size": 2, "dilation": 2}]},
    "layers_values": {"input_size": 5, "layers": [{"kernel_size": 3, "padding": 1}, {"op": "relu"},
                                                  {"op": "max_pool", "kernel_size": 2}],
                      "render": {"numbers": True}},
    "layers_3d": {"input_size": [3, 4, 4], "layers": [{"kernel_size": 2}, {"kernel_size": 2}]},
    "volume": {"input_size": [3, 4, 4], "kernel_size": 2, "render": {"labels": True}},
    "volume_flat": {"input_size": [2, 3, 3], "kernel_size": 2, "render": {"numbers": True, "caption": True}},
}

LONG_TITLE = "A deliberately long title that says a great deal about this one layer " * 3


def _data(base: dict, key: str, value: dict) -> dict:
    out = copy.deepcopy(base)
    if "layers" in out and key != "input":
        out["layers"][0][key] = value
    else:
        out[key] = value
    return out


def variants(name: str, base: dict) -> dict[str, dict]:
    """The hostile variants of one base config."""
    layers = "layers" in base
    out = {"plain": copy.deepcopy(base)}
    huge = _data(base, "input", {"random": {"seed": 1, "low": 100, "high": 999}})
    if not base.get("render", {}).get("pass") and "learn" not in base and not base.get("op"):
        huge = _data(huge, "weight", {"random": {"seed": 2, "low": -99, "high": 99}})
    out["huge_values"] = huge
    out["reals"] = _data(base, "input", {"random": {"seed": 3, "low": -1, "high": 1, "integers": False}})
    long = copy.deepcopy(base)
    long["title"] = LONG_TITLE
    if not layers and "learn" not in base:  # (a learn: figure has no describe line; labels is refused there)
        long.setdefault("render", {})["labels"] = True
    out["long_title"] = long
    if name.startswith("channels") or name in ("stacked", "flat"):
        many = copy.deepcopy(base)
        many.update({"in_channels": 3, "out_channels": 12, "groups": 3})
        out["many_channels"] = many
    if name in ("stacked", "flat", "transposed", "channels_stacked", "layers"):
        big = copy.deepcopy(base)
        big["input_size"] = {"flat": 10, "transposed": 12}.get(name, 16)
        out["huge_input"] = big
    if name in ("stacked", "flat", "strip", "scatter", "matrix"):
        tiny = copy.deepcopy(base)
        tiny.update({"input_size": [1] if name == "strip" else 1, "kernel_size": 1, "padding": 0})
        tiny.pop("stride", None)
        out["tiny_input"] = tiny
    return out


CASES = [(f"{name}-{v}", cfg) for name, base in BASES.items() for v, cfg in variants(name, base).items()]


@pytest.mark.parametrize("case,cfg", CASES, ids=[c for c, _ in CASES])
def test_no_text_is_cut_or_tiny(case: str, cfg: dict) -> None:
    config = as_config(**cfg, name=case)
    scene = scene_of(config)
    last = scene.n_frames - 1
    problems = check_text(scene, sorted({0, last // 2, last}))
    assert not problems, f"{case} ({kind_of(config).name}): " + "; ".join(problems[:5])


def test_every_kind_is_in_the_hostile_set() -> None:
    import convanim.figures as figures

    drawn = {kind_of(as_config(**cfg, name="x")).name for _, cfg in CASES}
    assert drawn == {k.name for k in figures.kinds()}


def test_the_pixel_check_can_fail() -> None:
    """A text at the very edge, and a tiny one, are both caught."""
    scene = scene_of(as_config(input_size=4, kernel_size=3))
    edge = replace(scene, static=scene.static + (Text(xy=(1, 20), text="edge", size=16, color="#000000",
                                                      anchor="lm"),))
    assert any("at the edge" in p for p in check_text(edge, [0]))
    tiny = replace(scene, static=scene.static + (Text(xy=(60, 60), text="tiny", size=3, color="#000000"),))
    assert any("px tall" in p for p in check_text(tiny, [0]))


# ---------------------------------------------------------------- the text helpers


def test_equations_keep_their_first_terms_and_result() -> None:
    text = "y[0,1] = 3·(−1) + 3·0 + 4·2 + 5·1 + 6·6 = 17"
    short = fit_equation(text, 16, "serif", 210)
    assert short.startswith("y[0,1] = 3·(−1) + ") and short.endswith("… = 17")
    assert text_width(short, 16, "serif") <= 210
    assert fit_equation(text, 16, "serif", 10_000) == text
    assert fit_equation("y = max(3, 2, 5, 6, 7, 1) = 7", 16, "serif", 150) == "y = max(3, …) = 7"
    terms, seps = split_terms("3·(−1 + 2) + 4 − 5, 6")
    assert terms == ["3·(−1 + 2)", "4", "5", "6"] and seps == [" + ", " − ", ", "]


def test_labels_wrap_at_their_separators() -> None:
    lines = wrap_text("input 5×5 · kernel 3×3 · stride 2 · padding 1 → 3×3", 16, "sans", 200)
    assert len(lines) > 1 and all(text_width(ln, 16, "sans") <= 200 for ln in lines)
    assert " · ".join(lines) == "input 5×5 · kernel 3×3 · stride 2 · padding 1 → 3×3"
    assert math.isclose(text_width(wrap_text("x" * 500, 16, "sans", 100)[0], 16, "sans"), 100, abs_tol=12)


def test_numbers_clear_the_weights_in_their_cells() -> None:
    """A value like 0.2 at the default cell size would meet the weight written in its cell's corner (the
    Sobel config): the numbers are raised until their ink clears every subscript's; single digits
    (conv_arithmetic's numerical figures) stay centred."""
    from pathlib import Path

    from convanim.app.pipeline import load_config
    from convanim.core.text import text_box

    configs = Path(__file__).parents[1] / "configs"

    def ink(t: Text) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = text_box(t.text, float(t.size), t.font, t.anchor)
        return t.xy[0] + x0, t.xy[1] + y0, t.xy[0] + x1, t.xy[1] + y1

    def overlaps(a: tuple, b: tuple) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    def at_centres(scene: Scene) -> list[bool]:
        at = {(round(p.xy[0], 3), round(p.xy[1], 3)) for p in scene.static if isinstance(p, Text)}
        centres = scene.regions["input_centers"].reshape(-1, 2)
        return [(round(float(x), 3), round(float(y), 3)) in at for x, y in centres]

    sobel = scene_of(load_config(configs / "edge_sobel_x.yaml"))
    numbers = [ink(p) for p in sobel.static if isinstance(p, Text) and p.anchor == "mm"]
    for i in range(sobel.n_frames):
        subs = [ink(p) for p in sobel.frame(i) if isinstance(p, Text) and p.anchor == "rd"]
        assert subs and not any(overlaps(n, s) for n in numbers for s in subs), i
    assert not any(at_centres(sobel))  # raised
    assert all(at_centres(scene_of(load_config(configs / "numerical_padding_strides.yaml"))))  # centred
