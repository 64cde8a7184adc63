"""The two registries: a new figure kind or output format is one module and one registration, and the
pipeline, info, alt text, the CLI and output paths pick it up without another change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from convanim import encode, figures
from convanim.app.pipeline import as_config, output_paths, render, scene_of
from convanim.core.scene import Scene, Text
from convanim.figures import registry


def test_every_config_is_drawn_by_exactly_the_kind_the_registry_names():
    names = [k.name for k in figures.kinds()]
    # asked in order of precedence
    assert names == ["learn", "backward_scatter", "backward_input", "backward_weight", "backward_bias", "compare",
                     "forward", "scatter", "matrix", "im2col", "layers", "volume", "channels", "layer"]
    backward = {"pass": "backward"}
    cases = {"learn": dict(input_size=[4], kernel_size=2, learn={"target": {"kernel": [1, -1]}, "steps": 2, "lr": 0.1}),
             "backward_scatter": dict(input_size=3, kernel_size=2, render={**backward, "view": "scatter"}),
             "backward_input": dict(input_size=3, kernel_size=2, render=backward),
             "backward_weight": dict(input_size=3, kernel_size=2, render={**backward, "wrt": "weight"}),
             "backward_bias": dict(input_size=3, kernel_size=2, bias=True, render={**backward, "wrt": "bias"}),
             "compare": dict(input_size=[4], kernel_size=3, render={"compare": "flip_kernel"}),
             "forward": dict(input_size=3, kernel_size=3, transposed=True, render={"compare": "forward"}),
             "scatter": dict(input_size=3, kernel_size=3, transposed=True, render={"view": "scatter"}),
             "matrix": dict(input_size=3, kernel_size=2, render={"view": "matrix"}),
             "im2col": dict(input_size=3, kernel_size=2, render={"view": "im2col"}),
             "layers": dict(input_size=6, layers=[{"kernel_size": 3}]),
             "volume": dict(input_size=[3, 4, 4], in_channels=2),
             "channels": dict(input_size=4, in_channels=2),
             "layer": dict(input_size=4)}
    for name, keys in cases.items():
        assert figures.kind_of(as_config(**keys)).name == name


def test_deferred_kinds_are_the_modules_kinds():
    """The table of built-in kinds loaded on demand agrees with the modules: each registers one kind with the
    table's precedence, every kind module is in the table, and on every config of configs/ (which use every
    kind) a table entry's test is never False where its kind's ``applies`` is True, so choosing lazily picks
    the kind the modules would pick."""
    from convanim.app.pipeline import load_config

    loaded = {type(k).__module__: k for k in figures.kinds()}
    precedence = {type(k).__module__: p for p, k in registry._KINDS}
    table = {f"convanim.figures.{module}": (p, test) for module, p, test in figures.BUILT_IN_KINDS}
    assert set(table) == set(loaded)
    assert all(precedence[m] == table[m][0] for m in table)
    configs = [load_config(path) for path in sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))]
    assert {figures.kind_of(cfg).name for cfg in configs} == {k.name for k in loaded.values()}
    for cfg in configs:
        for module, (_, test) in table.items():
            assert test(cfg) or not loaded[module].applies(cfg), (module, cfg.name)


def test_a_plain_layer_loads_one_figure_kind():
    import subprocess
    import sys

    code = ("import sys; from convanim.app.pipeline import as_config, scene_of; "
            "scene_of(as_config(input_size=4, kernel_size=3)); "
            "print(' '.join(m for m in sys.modules if m.startswith('convanim.figures.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    kinds = {f"convanim.figures.{module}" for module, _, _ in figures.BUILT_IN_KINDS}
    assert kinds & set(out) == {"convanim.figures.single"}


@dataclass
class Caption(registry.FigureKind):
    """A toy kind: one frame per output cell, only its value as text (``title: caption-only``)."""

    name = "caption-only"

    def applies(self, config):
        return config.title == "caption-only"

    def steps(self, config):
        return config.spec.n_steps

    def scene(self, config):
        return Scene(width=60, height=20, background="#ffffff", n_frames=self.steps(config),
                     static=(Text(xy=(30, 10), text="y", size=10, color="#000000"),))

    def alt_text(self, config):
        return "just a caption"

    def info_lines(self, config):
        return ["a caption only"]


@pytest.fixture
def toy_kind():
    kind = registry.register(Caption(), precedence=1)
    yield kind
    registry._KINDS[:] = [(p, k) for p, k in registry._KINDS if k is not kind]


def test_a_new_figure_kind_is_one_registration(toy_kind, tmp_path):
    cfg = as_config(input_size=3, kernel_size=2, title="caption-only")
    assert figures.kind_of(cfg) is toy_kind
    assert figures.alt_text(cfg) == "just a caption" and figures.info_lines(cfg) == ["a caption only"]
    scene = scene_of(cfg)
    assert (scene.width, scene.n_frames) == (60, 4)
    [gif] = render(cfg, tmp_path, ["gif"])
    assert gif.read_bytes().startswith(b"GIF89a")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Caption(), precedence=2)


def save_json(scene, path, *, options, step=None):
    """A toy writer: the scene's size and frame count as JSON."""
    path.write_text(json.dumps({"width": scene.width, "frames": scene.n_frames, "step": step}))
    return path


@pytest.fixture
def toy_format():
    fmt = encode.register(encode.Format(name="json-test", suffix=".json", mimetype="application/json",
                                        animated=True, writer=f"{__name__}:save_json", help="a test"))
    yield fmt
    del encode.registry._FORMATS[fmt.name]


def test_a_new_output_format_is_one_registration(toy_format, tmp_path):
    cfg = as_config(input_size=4, kernel_size=3)
    assert output_paths(cfg, tmp_path, ["json-test"]) == [tmp_path / "convanim.json"]
    [path] = render(cfg, tmp_path, ["json-test"], step=1)
    assert json.loads(Path(path).read_text()) == {"width": scene_of(cfg).width, "frames": 4, "step": 1}
    from convanim.app.cli import main

    format_option = next(p for p in main.commands["render"].params if p.name == "formats")
    built_in = set(encode.names()) - {"json-test"}
    assert set(format_option.type.choices) - {"json-test"} == built_in  # the CLI's choices are the registry's


def test_an_unknown_format_names_the_registered_ones():
    cfg = as_config(input_size=4)
    with pytest.raises(Exception, match="unknown format 'bmp'.*gif, png, apng, webp, mp4, svg, pdf"):
        output_paths(cfg, "out", ["bmp"])


# ---------------------------------------------------------------- the link contract

def test_every_kind_fills_the_link_contract_for_every_config() -> None:
    """Every built-in kind says what each frame shows and which cells read which; the refs are cells of its
    groups, every frame computes a cell, and each computed cell reads at least one cell."""
    from convanim.app.pipeline import load_config
    from convanim.core.scene import Links

    root = Path(__file__).resolve().parents[1] / "configs"
    kinds = set()
    for path in sorted(root.glob("*.yaml")):
        cfg = load_config(path)
        scene = scene_of(cfg)
        kinds.add(figures.kind_of(cfg).name)
        assert scene.links is not None and scene.narration is not None, path.name
        links = scene.links()
        assert isinstance(links, Links) and len(links.writes) == scene.n_frames, path.name
        written = {ref for frame in links.writes for ref in frame}
        readers = {cell for cell, read in links.reads if read}
        assert all(frame for frame in links.writes) and written <= readers, path.name
        for group in links.groups:  # every outline lies on the canvas
            for cell in group.cells:
                assert all(-1 <= x <= scene.width + 1 and -1 <= y <= scene.height + 1 for x, y in cell), path.name
        assert all(scene.narration(i) for i in (0, scene.n_frames - 1))
        assert scene.alt and scene.title
    assert kinds == {k.name for k in figures.kinds()}


def test_links_refuse_cells_outside_their_groups() -> None:
    from convanim.core.scene import CellGroup, Links

    square = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    group = CellGroup(name="g", shape=(1, 2), cells=(square, square))
    Links(groups=(group,), reads=(((0, 1), ((0, 0),)),), writes=(((0, 1),),))
    with pytest.raises(ValueError, match="not a cell"):
        Links(groups=(group,), reads=(((0, 2), ()),), writes=())
    with pytest.raises(ValueError, match="2 cells for shape"):
        Links(groups=(CellGroup(name="g", shape=(2, 2), cells=(square, square)),), reads=(), writes=())
