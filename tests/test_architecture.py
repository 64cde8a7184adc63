"""The data flows one way (DESIGN.md): each module imports only the modules to its left, and the pure
modules never import drawing, YAML, CLI or torch libraries. Checked on the source, so it cannot drift."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "convanim"
HEAVY = {"matplotlib", "PIL", "imageio", "click", "yaml", "torch", "sphinx", "docutils", "IPython"}

# module -> the convanim modules it may import (besides errors, _version) and the heavy libraries it may use
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "spec": (set(), set()),
    "style": (set(), set()),
    "scene": (set(), set()),
    "files": (set(), set()),
    "arithmetic": ({"spec"}, set()),
    "engine": ({"spec"}, set()),
    "options": ({"spec", "style"}, set()),
    "data": ({"spec"}, set()),
    "receptive": ({"spec", "arithmetic", "engine"}, set()),
    "layout": ({"spec", "engine", "style", "options", "scene", "arithmetic", "layout_multi", "layout_compare"}, set()),
    "layout_stack": ({"spec", "engine", "style", "scene", "layout"}, set()),
    "layout_multi": ({"spec", "engine", "style", "options", "scene", "arithmetic", "layout", "layout_stack",
                      "layout_multi_flat", "layout_multi_strip"}, set()),
    "layout_multi_flat": ({"spec", "engine", "scene", "layout", "layout_multi", "layout_stack"}, set()),
    "layout_multi_strip": ({"spec", "engine", "scene", "layout", "layout_multi", "layout_stack"}, set()),
    "layout_compare": ({"spec", "engine", "options", "scene", "layout"}, set()),
    "layout_receptive": ({"spec", "engine", "options", "scene", "arithmetic", "layout", "layout_stack",
                          "receptive"}, set()),
    "draw": ({"scene", "files"}, {"PIL", "matplotlib"}),
    "encode": ({"files"}, {"PIL", "imageio"}),
}


def imports(path: Path) -> tuple[set[str], set[str]]:
    """The convanim modules (first component below the package) and top-level libraries a file imports."""
    tree = ast.parse(path.read_text())
    inner, outer = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative
                base = (node.module or "").split(".")[0]
                if node.level == 2 or base == "":  # ``from .. import x`` / ``from . import x``
                    inner.update(base or a.name for a in node.names)
                else:
                    inner.add(base)
            else:
                outer.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            outer.update(a.name.split(".")[0] for a in node.names)
    return inner - {"errors", "_version", ""}, outer


def module_files(name: str) -> list[Path]:
    folder = PACKAGE / name
    return sorted(folder.glob("*.py")) if folder.is_dir() else [PACKAGE / f"{name}.py"]


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_module_imports_only_to_its_left(name):
    may_import, may_use = ALLOWED[name]
    for path in module_files(name):
        inner, outer = imports(path)
        inner -= {"raster", "vector"} if name == "draw" else set()
        assert inner <= may_import, f"{path.name} imports {sorted(inner - may_import)}"
        assert not (outer & HEAVY) - may_use, f"{path.name} imports {sorted((outer & HEAVY) - may_use)}"


def test_pure_modules_load_no_heavy_library():
    code = ("import sys; import convanim.spec, convanim.engine, convanim.layout, convanim.receptive; "
            f"print(sorted(m for m in {sorted(HEAVY | {'numpy.random._pickle'})!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
