"""README.md documents every config key, every render option and every CLI command and long option, so the
docs cannot drift from the code.

What counts as documented:

* a config key ``k`` (``convanim.config.CONFIG_KEYS``): ``k`` in code, as `` `k` ``, `` `k: ...` `` or
  `` `k=...` ``, or a YAML line ``k: ...`` in a fenced code block;
* a render option ``k`` (``convanim.options.RENDER_KEYS``): the same, or `` `render.k` ``;
* a command ``c`` of ``convanim.cli.main``: ``convanim c`` anywhere;
* a long option ``--opt`` of the group or of any command (``--help`` aside): ``--opt`` anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def readme() -> str:
    if not README.exists():
        pytest.fail("README.md is missing", pytrace=False)
    return README.read_text(encoding="utf-8")


def code_of(text: str) -> tuple[list[str], list[str]]:
    """Inline code spans and the lines of fenced code blocks."""
    fences = re.findall(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)^ {0,3}\1", text, re.S | re.M)
    block_lines = [line for _, body in fences for line in body.splitlines()]
    prose = re.sub(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1", "", text, flags=re.S | re.M)
    spans = [s.strip() for s in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", prose)]
    return spans, block_lines


def documented_key(key: str, spans: list[str], lines: list[str], prefixes: tuple[str, ...] = ("",)) -> bool:
    names = [p + key for p in prefixes]
    for span in spans:
        for name in names:
            if span == name or re.match(rf"{re.escape(name)}\s*[:=]", span):
                return True
    pattern = re.compile(rf"(^\s*(-\s+)?|[{{,]\s*){re.escape(key)}\s*:")
    return any(pattern.search(line) for line in lines)


def test_every_config_key_is_documented(readme: str) -> None:
    from convanim.config import CONFIG_KEYS

    spans, lines = code_of(readme)
    missing = [k for k in CONFIG_KEYS if not documented_key(k, spans, lines)]
    assert not missing, f"README.md does not document these config keys: {', '.join(missing)}"


def test_every_render_option_is_documented(readme: str) -> None:
    from convanim.core.options import RENDER_KEYS

    spans, lines = code_of(readme)
    missing = [k for k in RENDER_KEYS if not documented_key(k, spans, lines, ("", "render."))]
    assert not missing, f"README.md does not document these render options: {', '.join(missing)}"


def cli_surface() -> tuple[list[str], list[str]]:
    """Every visible command name, and every long option of the group and its commands."""
    from convanim.app.cli import main

    ctx = click.Context(main)
    commands = [name for name in main.list_commands(ctx) if not main.get_command(ctx, name).hidden]
    options: list[str] = []
    for command in [main, *(main.get_command(ctx, name) for name in commands)]:
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                options += [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
    return commands, sorted(set(options) - {"--help"})


def test_every_command_and_long_option_is_documented(readme: str) -> None:
    commands, options = cli_surface()
    assert {"render", "gallery", "info"} <= set(commands)
    missing = [f"convanim {c}" for c in commands if not re.search(rf"convanim {re.escape(c)}\b", readme)]
    missing += [o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", readme)]
    assert not missing, f"README.md does not document: {', '.join(missing)}"


def test_the_checks_can_fail() -> None:
    spans, lines = code_of("Set `stride: 2` or `render.fps`.\n\n```yaml\ninput_size: 5\nrender:\n  numbers: true\n```\n"
                           "and `padding=1`; not kernel_size, nor ``dilation`` as `x dilation`.\n")
    assert documented_key("stride", spans, lines) and documented_key("input_size", spans, lines)
    assert documented_key("numbers", spans, lines) and documented_key("padding", spans, lines)
    assert documented_key("fps", spans, lines, ("", "render."))
    assert not documented_key("fps", spans, lines) and not documented_key("kernel_size", spans, lines)
    assert not documented_key("dilation", spans, lines)


def test_readme_gallery_lists_every_config_and_is_up_to_date(readme: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_gallery", ROOT / "tools" / "readme_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in (ROOT / "configs").glob("*.yaml"):
        assert f'href="configs/{path.name}"' in readme, f"{path.name} is missing from the README's gallery"
    assert module.updated(readme) == readme, "run: python tools/readme_gallery.py (the gallery section is stale)"


def test_the_my_layer_example_promises_its_real_caption_and_info(readme: str) -> None:
    """The README's my_layer.yaml: the caption in its comment and the `convanim info` lines are what convanim
    draws and prints for it."""
    from convanim.app.pipeline import as_config, scene_of
    from convanim.core.arithmetic import info_lines

    block = re.search(r"```yaml\n(# my_layer\.yaml.*?)```", readme, re.S).group(1)  # type: ignore[union-attr]
    promised = re.search(r'caption: true\s+# "(.*?)"', block).group(1)  # type: ignore[union-attr]
    head, result = promised.split(" ... ")
    drawn = scene_of(as_config(block)).narration(int(re.search(r"y\[0,(\d+)\]", head).group(1)))  # type: ignore
    assert drawn.startswith(head) and drawn.endswith(result), (promised, drawn)
    printed = re.search(r"`convanim info my_layer.yaml` prints:\n\n```text\n.*?\n(.*?)```", readme, re.S)
    assert [ln.strip() for ln in printed.group(1).splitlines()] == info_lines(as_config(block).spec)  # type: ignore
