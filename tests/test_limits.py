"""Limits before allocation: every size a config implies is refused from the spec alone, in one line naming the
key, the size and what raises the limit; the YAML reader refuses bombs, deep nesting, duplicate keys and tags
while it reads; the figure kinds' footprint estimates are close to the scenes they build."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import convanim
from convanim import figures
from convanim.app import pipeline
from convanim.app.pipeline import as_config, scene_of
from convanim.config import parse_config, safe_yaml
from convanim.core import limits
from convanim.core.errors import ConfigError, ConvanimError
from convanim.core.scene import static_layers

ROOT = Path(__file__).resolve().parents[1]


def bomb(levels: int = 9) -> str:
    """A "billion laughs" document: 10 ** (levels + 1) zeros in about 700 bytes."""
    lines = ["input_size: 3", "a0: &a0 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"input: *a{levels}"]) + "\n"


# The repros of sizes checked too late, each with what the refusal must say: (line, key, words).
REPROS = {
    "input 5000x5000": ("input_size: [5000, 5000]\n", 1, "input_size", ["25,000,000 elements", "max_elements"]),
    "input 100000": ("input_size: 100000\n", 1, "input_size", ["10,000,000,000 elements", "74.5 GiB"]),
    "10000 channels": ("input_size: 3\nin_channels: 10000\n", 2, "in_channels", ["10,000 channels", "4,096"]),
    "kernel 200": ("input_size: 200\nkernel_size: 200\n", 1, "input_size", ["pixels", "render.max_pixels"]),
    "kernel 1000000": ("input_size: [1000000]\nkernel_size: 1000000\n", 1, "input_size",
                       ["pixels", "render.scale"]),
    "100 layers": ("input_size: 5\nlayers:\n" + "  - {kernel_size: 1}\n" * 100, 2, "layers", ["100 layers", "64"]),
    "60 layers": ("input_size: 5\nlayers:\n" + "  - {kernel_size: 1}\n" * 60, 2, "layers",
                  ["61 drawing layers", "render.max_pixels"]),
    "alias bomb": (bomb(), 7, "a5[7]", ["1,000,000 values", "alias"]),
    "10000 [": ("input_size: 3\ninput: " + "[" * 10000 + "]" * 10000 + "\n", 2, None, ["nested deeper than 32"]),
    "huge frames": ("input_size: 3000\nkernel_size: 3\n", 1, "render.max_frames",
                    ["8,988,004 frames", "max_frames: 8988004"]),
    "stride 10**30": ("input_size: 3\nkernel_size: 1\nstride: " + "1" + "0" * 30 + "\n", 3, "stride",
                      ["about 1e+30", "2,147,483,647"]),
    "padding 10**30": ("input_size: 3\npadding: " + "1" + "0" * 30 + "\n", 2, "padding", ["about 1e+30"]),
    # the backward pass and learn: (issue 11's keys)
    "grad_output huge": ("input_size: [4, 4]\nkernel_size: 1\nstride: 100000\ntransposed: true\n"
                         "grad_output: {random: {high: 1}}\nrender: {pass: backward}\n", 5, "grad_output",
                         ["90,000,600,001 elements", "670.6 GiB", "max_elements"]),
    "grad_output huge, made": ("input_size: [4, 4]\nkernel_size: 1\nstride: 100000\ntransposed: true\n"
                               "render: {pass: backward}\n", 1, "grad_output", ["90,000,600,001 elements"]),
    "learn.target huge": ("input_size: [4, 4]\nkernel_size: 1\nstride: 100000\ntransposed: true\n"
                          "learn: {target: {random: {}}, steps: 2, lr: 0.1}\n", 5, "learn.target",
                          ["90,000,600,001 elements"]),
    "learn.steps 10**12": ("input_size: [5]\nkernel_size: 2\nlearn: {target: {kernel: [1, -1]}, steps: 1000000000000, "
                           "lr: 0.1}\n", 3, "learn.steps", ["from 1 to 10000", "1000000000000"]),
    "learn states": ("input_size: [24, 24]\nin_channels: 2\nout_channels: 2\nkernel_size: 3\n"
                     "learn: {target: {random: {}}, steps: 10000, every: 100, lr: 0.001}\n", 5, "learn.steps",
                     ["20,082,008 elements", "max_elements"]),
    "learn frames": ("input_size: [5]\nkernel_size: 2\nlearn: {target: {kernel: [1, -1]}, steps: 10000, lr: 0.1}\n",
                     1, "render.max_frames", ["10,001 frames"]),
    "weight gradient products": ("input_size: [24, 24]\nin_channels: 4\nout_channels: 4\nkernel_size: 12\n"
                                 "render: {pass: backward, wrt: weight, max_elements: 100000, max_frames: 3000}\n",
                                 1, "input_size", ["389,376 elements", "max_elements"]),
    "products overflow": ("input_size: [3]\nkernel_size: 3\ninput: [1.0e+300, 1, 1]\nweight: [1.0e+300, 1, 1]\n", 3,
                          "input", ["overflow float64", "1e+600"]),
}


@pytest.mark.parametrize("name", list(REPROS))
def test_each_repro_is_refused_from_the_spec_in_one_line(name: str) -> None:
    text, line, key, words = REPROS[name]
    with pytest.raises(ConvanimError) as info:
        config = parse_config(text, source="x.yaml")
        convanim.render(config, "never-written", formats="gif")
    message = str(info.value)
    assert message.startswith(f"x.yaml:{line}: " + (f"{key}: " if key else "")), message
    assert "\n" not in message and all(w in message for w in words), message
    assert not Path("never-written").exists()


def test_the_50_mb_list_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "w") as f:
        f.write("input_size: 3\ninput: [")
        f.write("1, " * (17 << 20))
        f.write("1]\n")
    with pytest.raises(ConfigError, match=r"big.yaml: is larger than 1,048,576 bytes \(convanim's documented"):
        convanim.load_config(path)


REFUSE_ALL = r"""
import json, resource, sys, tempfile
resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))  # any attempt at gigabytes fails at once
import convanim
from convanim.app.info import config_lines
from convanim.app.pipeline import as_config
out = {}
for name, text in json.loads(sys.stdin.read()).items():
    try:
        config = as_config(text)
        config_lines(config)
        with tempfile.TemporaryDirectory() as folder:
            convanim.render(config, folder, formats="png", step=0)
        out[name] = "rendered"
    except convanim.ConvanimError as err:
        out[name] = str(err)
    except BaseException as err:
        out[name] = f"{type(err).__name__}: {err}"
print(json.dumps(out))
"""


def test_every_repro_is_refused_in_a_process_that_cannot_have_512_mib() -> None:
    """Bounded memory: with the address space capped, a repro that allocated before refusing would fail with
    MemoryError (or worse) instead of its limit's message."""
    texts = {name: text for name, (text, *_rest) in REPROS.items()}
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", REFUSE_ALL], input=json.dumps(texts), capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for name, (_text, _line, _key, words) in REPROS.items():
        assert all(w in out[name] for w in words), (name, out[name])
        assert "MemoryError" not in out[name] and "out of memory" not in out[name]


def test_raising_a_limit_lets_the_config_through() -> None:
    text = "input_size: [3000]\nkernel_size: 3\nrender: {scale: 8%s}\n"
    with pytest.raises(ConfigError, match="render.max_frames: the animation would have 2,998 frames"):
        pipeline.n_frames(parse_config(text % ""))
    assert pipeline.n_frames(parse_config(text % ", max_frames: 3000")) == 2998
    with pytest.raises(ConfigError, match="input_size: the input"):
        parse_config("input_size: 5000\n")
    with pytest.raises(ConfigError, match="render.max_frames"):  # the input fits now; the frames do not
        pipeline.n_frames(parse_config("input_size: 5000\nrender: {max_elements: 25000000}\n"))
    with pytest.raises(ConfigError, match="render.max_pixels"):
        pipeline.n_frames(parse_config("input_size: 60\nkernel_size: 58\n"))
    assert pipeline.n_frames(parse_config("input_size: 60\nkernel_size: 58\nrender: {max_pixels: 30000000}\n")) == 9


def test_info_goes_through_the_same_checks(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from convanim.app.cli import main

    path = tmp_path / "big.yaml"
    path.write_text("input_size: 200\nkernel_size: 200\n")
    result = CliRunner().invoke(main, ["info", str(path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {path}:1: input_size: the figure would be ")


# ---------------------------------------------------------------- the YAML reader

@pytest.fixture(params=["C", "Python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every reader test runs with libyaml's parser and with the pure-Python one."""
    if request.param == "C":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML without libyaml")
        monkeypatch.setattr(safe_yaml, "Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(safe_yaml, "Loader", yaml.SafeLoader)
    return request.param


@pytest.mark.parametrize("text, expected", [
    ("input_size: 5\nkernel_size: 3\nstride: 1\nstride: 2\n", "x.yaml:4: stride: written twice in one mapping "
                                                             "(lines 3 and 4)"),
    ("input_size: 5\nrender:\n  fps: 2\n  numbers: true\n  fps: 3\n", "x.yaml:5: render.fps: written twice"),
    ("~: 2\n", "x.yaml:1: the key ~ is not a name (YAML reads ~ as null; quote it)"),
    ("input_size: 5\nyes: 1\n", "x.yaml:2: the key yes is not a name (YAML reads yes as true; quote it)"),
    ("input_size: 5\n1: 2\n", "x.yaml:2: the key 1 is not a name"),
    ("a: &a [1, *a]\n", "x.yaml:1: a[1]: the alias *a refers to a list or mapping that contains it"),
    ("a: *b\n", "x.yaml:1: a: the alias *b names no anchor"),
    ("input_size: !!python/object/apply:os.system ['true']\n", "x.yaml:1: input_size: unsupported YAML tag"),
    ("input_size: 5\nname: !!set {a}\n", "x.yaml:2: name: unsupported YAML tag"),
    ("input_size: 5\n---\ninput_size: 6\n", "x.yaml:2: expected one YAML document"),
    ("input_size: [5, 5\n", "x.yaml:2: invalid YAML"),
    ("input_size: 5\ninput: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     "x.yaml:2: input[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]:"
     " lists and mappings nested deeper than 32 levels"),
    ("input_size: 3\n" + "\n".join(f"k{i}: &k{i} [*k{i - 1}, *k{i - 1}]" if i else "k0: &k0 [1]"
                                   for i in range(25)), "the document would hold more than 1,000,000 values"),
])
def test_the_reader_refuses_while_it_reads(loader: str, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="x.yaml")
    assert expected in str(info.value), str(info.value)


def test_the_reader_builds_plain_data_with_merges_and_lines(loader: str) -> None:
    text = ("base: &base {kernel_size: 3, stride: 2}\n"
            "layers:\n"
            "  - <<: *base\n"
            "    stride: 1\n"
            "  - {<<: [*base], dilation: 2}\n"
            "when: 2024-01-02\n")
    data, lines = safe_yaml.load_yaml(text, "x.yaml")
    assert data["layers"] == [{"kernel_size": 3, "stride": 1}, {"kernel_size": 3, "stride": 2, "dilation": 2}]
    assert str(data["when"]) == "2024-01-02"
    assert lines == {"base": 1, "base.kernel_size": 1, "base.stride": 1, "layers": 2, "layers[0]": 3,
                     "layers[0].stride": 4, "layers[1]": 5, "layers[1].dilation": 5, "when": 6}
    assert data == yaml.safe_load(text)  # what PyYAML's safe loader makes of it


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_reads_as_pyyaml_reads_it(loader: str, path: Path) -> None:
    text = path.read_text()
    assert safe_yaml.load_yaml(text)[0] == yaml.safe_load(text)


@pytest.mark.parametrize("text, expected", [
    ("input_size: [3]\ninput: [1, .nan, 2]\n", "x.yaml:2: input: expected finite numbers, got nan at [1]"),
    ("input_size: [3]\ninput: [1, .inf, 2]\n", "expected finite numbers, got inf at [1]"),
    ("input_size: [2]\nkernel_size: 1\ninput: [1, 1.0e+309]\n", "expected finite numbers, got inf at [1]"),
    ("input_size: 2\nkernel_size: 1\ninput: [[1, 2], [3, \"1\"]]\n",
     "input: expected numbers, got the string '1' at [1][1] (remove the quotes)"),
    ("input_size: [3]\ninput: [1, 2, 1e3]\n", "YAML 1.1 reads a number without a dot, like 1e3, as text"),
    ("input_size: [2]\nkernel_size: 1\ninput: [true, 1]\n", "input: expected numbers, got true at [0]"),
    ("input_size: 2\nkernel_size: 1\ninput: [[1, 2], [3]]\n", "input: rows of different lengths"),
    ("input_size: 3\ninput: {random: {high: .inf}}\n", "input: random: high must be a finite number"),
    ("input_size: 3\ninput: {random: {low: -1.0e+308, high: 1.0e+308, integers: false}}\n",
     "high - low must be a finite float64"),
    ("input_size: 3\ninput: {random: {high: 100000000000000000000}}\n", "within ±2**53"),
    ("input_size: 3\ninput: {arange: {start: 1.0e+308, step: 1.0e+308}}\n", "arange: the last value"),
    ("input_size: 3\nbias: .nan\n", "bias: bias must be a finite number"),
    ("input_size: 3\nname: \"a\\0b\"\n", "x.yaml:2: name: must not contain control characters"),
    ("input_size: 3\nname: " + "é" * 101 + "\n", "x.yaml:2: name: 202 bytes in one file name, over convanim's "
                                                 "limit of 200"),
    ("input_size: 3\nrender: {fps: 0.001}\n", "x.yaml:2: render.fps: expected a number of frames per second "
                                              "from 0.01 to 100"),
    ("input_size: 3\nrender: {loop: 100000}\n", "x.yaml:2: render.loop: expected true (forever), false (once) or "
                                               "a number of plays from 0 (forever) to 65535, got 100000"),
    ("input_size: 3\nrender: {theme: {base: [1]}}\n", "x.yaml:2: render.theme.base: unknown theme [1]"),
])
def test_data_and_options_are_finite_numbers_and_sane_values(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="x.yaml")
    assert expected in str(info.value), str(info.value)


def test_a_lone_surrogate_name_is_refused_by_either_reader(loader: str) -> None:
    with pytest.raises(ConfigError, match="x.yaml:2: (name: is not valid Unicode|invalid YAML)"):
        parse_config('input_size: 3\nname: "a\\ud800b"\n', source="x.yaml")
    with pytest.raises(ConfigError, match="<arguments>: name: is not valid Unicode"):
        as_config(input_size=3, name="a\ud800b")


def test_huge_values_are_drawn_short() -> None:
    config = parse_config("input_size: 4\nkernel_size: 3\ninput: {arange: {start: 1.0e+300}}\n"
                          "render: {numbers: true}\n")
    scene = scene_of(config)
    assert scene.width * scene.height < 1_000_000  # was 17,344 x 20,432 pixels
    texts = {p.text for p in scene.static if hasattr(p, "text")}
    assert "1e+300" in texts


# ---------------------------------------------------------------- footprints match the scenes

def random_configs(seed: int, n: int) -> list[convanim.Config]:
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        nd = rnd.choice([1, 2])
        keys: dict = {"input_size": [rnd.randint(3, 12) for _ in range(nd)], "kernel_size": rnd.randint(1, 4),
                      "stride": rnd.randint(1, 3), "dilation": rnd.randint(1, 2), "padding": rnd.randint(0, 2)}
        kind = rnd.choice(["layer", "channels", "transposed", "pool", "layers", "compare"])
        if kind == "channels":
            keys.update(in_channels=rnd.choice([2, 3, 5, 9]), out_channels=rnd.choice([1, 2, 4, 10]))
        elif kind == "transposed":
            keys.update(transposed=True)
        elif kind == "pool":
            keys.update(op=rnd.choice(["max_pool", "avg_pool"]), dilation=1, stride=None,
                        padding=min(keys["padding"], keys["kernel_size"] // 2))
        style = rnd.choice(["auto", "stacked", "flat"] + (["strip"] if nd == 1 else []))
        keys["render"] = {"style": style, "numbers": rnd.random() < 0.5, "labels": rnd.random() < 0.3,
                          "caption": rnd.random() < 0.3, "max_frames": 100000}
        if kind == "compare":
            keys["render"]["compare"] = "flip_kernel"
        if kind == "layers":
            keys = {"input_size": keys["input_size"], "render": {"labels": rnd.random() < 0.5, "max_frames": 100000},
                    "layers": [{"kernel_size": rnd.randint(1, 3), "stride": rnd.randint(1, 2),
                                "padding": rnd.randint(0, 1)} for _ in range(rnd.randint(1, 5))]}
        try:
            config = as_config(**keys)
            figures.kind_of(config)  # an option the figure would not draw (numbers with stacked) is refused
        except ConvanimError:
            continue
        out.append(config)
    return out


def later_keys(rnd: random.Random, kind: str) -> dict:
    """A random config of the kinds issues 10-12 added: the views, the backward pass, learn, 3-D layers and stacks,
    adaptive and LP pooling, per-side padding, stacks drawn with their values."""
    nd = 3 if kind in ("volume", "stack3d") else rnd.choice([1, 2])
    top = 5 if nd == 3 else 9
    keys: dict = {"input_size": [rnd.randint(2, top) for _ in range(nd)], "kernel_size": rnd.randint(1, 3),
                  "stride": rnd.randint(1, 2), "padding": rnd.randint(0, 1), "bias": rnd.random() < 0.5}
    render: dict = {"numbers": rnd.random() < 0.5, "caption": rnd.random() < 0.3, "max_frames": 100000}
    if rnd.random() < 0.4:
        keys.update(in_channels=rnd.choice([1, 2, 3]), out_channels=rnd.choice([1, 2, 4]))
    if kind == "view":
        render["view"] = rnd.choice(["scatter", "matrix", "im2col", "forward"])
        keys["transposed"] = render["view"] in ("scatter", "forward") or rnd.random() < 0.3
        if render.pop("view") == "forward":
            render["compare"] = "forward"
        else:
            render["view"] = rnd.choice(["scatter"] if keys["transposed"] else ["matrix", "im2col"])
    elif kind == "backward":
        render.update({"pass": "backward", "wrt": rnd.choice(["input", "input", "weight", "bias"])})
        render["view"] = rnd.choice(["gather", "scatter", "matrix", "im2col"]) if render["wrt"] == "input" else "gather"
        keys["bias"] = keys["bias"] or render["wrt"] == "bias"
        if rnd.random() < 0.3:
            keys.update(op=rnd.choice(["max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool"]),
                        padding=0, stride=None, bias=False)
            render["wrt"], render["view"] = "input", rnd.choice(["gather", "scatter"])
        elif rnd.random() < 0.2:
            keys["transposed"] = True
    elif kind == "learn":
        keys.update(padding=0, stride=1, in_channels=1, out_channels=rnd.choice([1, 2]))
        keys["learn"] = {"target": {"random": {"low": -2, "high": 2}}, "steps": rnd.randint(1, 12),
                         "lr": rnd.choice([0.001, 0.005, 0.01]), "every": rnd.randint(1, 3)}
    elif kind == "pool":
        keys.update(op=rnd.choice(["adaptive_avg_pool", "adaptive_max_pool", "lp_pool", "avg_pool"]), padding=0,
                    stride=None, bias=False, out_channels=None)
        keys.pop("out_channels")
        if keys["op"].startswith("adaptive"):
            keys.update(output_size=rnd.randint(1, 4), kernel_size=None)
        elif keys["op"] == "lp_pool":
            keys["norm_type"] = rnd.choice([1, 2, 3])
        elif nd > 1:
            keys["divisor_override"] = rnd.choice([1, 3, 5])
    elif kind == "sides":
        keys["padding"] = [[rnd.randint(0, 2), rnd.randint(0, 2)] for _ in range(nd)]
        keys["padding_value"] = rnd.choice([0.0, 0.5])
    elif kind in ("stack3d", "stack_values"):
        layers = [rnd.choice([{"kernel_size": rnd.randint(1, 2), "padding": rnd.randint(0, 1)}, {"op": "relu"},
                              {"op": "max_pool", "kernel_size": 2}]) for _ in range(rnd.randint(1, 4))]
        keys = {"input_size": keys["input_size"], "layers": layers, "in_channels": rnd.choice([1, 2])}
        render = {"numbers": kind == "stack_values", "labels": rnd.random() < 0.4, "max_frames": 100000}
    keys["render"] = {**render, "style": rnd.choice(["auto", "flat"]) if kind != "volume" else
                      rnd.choice(["auto", "stacked", "flat"]), "labels": rnd.random() < 0.3}
    return keys


def later_configs(seed: int, n: int) -> list[convanim.Config]:
    """``n`` random configs of the later kinds that load and that their figure kind accepts."""
    rnd = random.Random(seed)
    out: list[convanim.Config] = []
    kinds = ["view", "backward", "backward", "learn", "volume", "pool", "sides", "stack3d", "stack_values"]
    while len(out) < n:
        try:
            config = as_config(**later_keys(rnd, kinds[len(out) % len(kinds)]))
            figures.kind_of(config)
        except ConvanimError:
            continue
        out.append(config)
    return out


def configs_to_compare() -> list[convanim.Config]:
    gallery = [convanim.load_config(p) for p in sorted((ROOT / "configs").glob("*.yaml"))]
    return gallery + random_configs(15, 60) + later_configs(16, 90)


def test_every_kinds_footprint_is_within_a_factor_of_two_of_its_scene() -> None:
    """The contract of FigureKind.footprint, for every config in configs/ (a new kind's configs included)."""
    seen = set()
    for config in configs_to_compare():
        kind = figures.kind_of(config)
        seen.add(kind.name)
        footprint = kind.footprint(config)
        scene = kind.scene(config)
        ratio = footprint.canvas[0] * footprint.canvas[1] / (scene.width * scene.height)
        assert 0.5 <= ratio <= 2, (kind.name, config.raw, footprint.canvas, (scene.width, scene.height))
        assert footprint.layers >= static_layers(scene), (kind.name, config.raw)
        assert footprint.frames == scene.n_frames, (kind.name, config.raw)
    assert seen == {k.name for k in figures.kinds()}


def test_the_limits_of_a_footprint_name_the_key_and_the_option() -> None:
    fp = limits.Footprint(frames=10, arrays=(limits.Amount(key="kernel_size", what="the weight", size=20),),
                          canvas=(100, 50), layers=3, canvas_key="padding")
    options = convanim.RenderOptions(max_frames=10, max_elements=20, max_pixels=15000)
    limits.check_footprint(fp, options)  # exactly at every limit: fine
    with pytest.raises(ConvanimError, match=r"render.max_frames: the animation would have 10 frames, over the "
                                            r"limit of 9; raise it with render: \{max_frames: 10\}"):
        limits.check_footprint(fp, convanim.RenderOptions(max_frames=9))
    with pytest.raises(ConvanimError, match=r"kernel_size: the weight would have 20 elements \(160 bytes as "
                                            r"float64\), over the limit of 19; raise it with render: "
                                            r"\{max_elements: N\}"):
        limits.check_footprint(fp, convanim.RenderOptions(max_elements=19))
    with pytest.raises(ConvanimError, match=r"padding: the figure would be 100×50 pixels in 3 drawing layers "
                                            r"\(15,000 pixel-layers"):
        limits.check_footprint(fp, convanim.RenderOptions(max_pixels=14999))
