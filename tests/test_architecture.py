"""The package's shape: one folder per stage, each importing only itself and the stages below it, no import
cycle, no private name imported from another module, and the pure stages free of heavy libraries.

Checked on the source of every module (imports inside functions too), so it cannot drift. The ranks are the
stage folders of DESIGN.md; the top-level modules only re-export (``__init__``, ``__main__``, ``sphinx``,
``mkdocs``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "convanim"
RANKS = {"_version": 0, "core": 0, "config": 1, "engine": 2, "figures": 3, "draw": 4, "encode": 5, "app": 6,
         "__init__": 7, "__main__": 7, "sphinx": 7, "mkdocs": 7}
HEAVY = {"matplotlib", "PIL", "imageio", "imageio_ffmpeg", "click", "yaml", "torch", "sphinx", "docutils",
         "IPython", "fontTools", "mkdocs"}
# the heavy libraries each stage may import at all (at the top or inside a function)
MAY_USE = {"core": {"PIL"},  # text metrics: Pillow's FreeType binding, imported on first measurement
           "config": {"yaml", "torch"},  # torch only in the torch bridge, on first use
           "engine": set(), "figures": set(), "draw": {"PIL", "matplotlib", "fontTools"},  # fontTools: PDF fonts
           "encode": {"PIL", "imageio_ffmpeg"}, "app": HEAVY, "__init__": set(), "__main__": set(),
           "sphinx": set(), "mkdocs": set(), "_version": set()}


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name below ``convanim``."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)
        out[name] = path
    return out


MODULES = modules()
# compiled companions (``encode/_gif.c`` -> ``encode._gif``): private to the module that imports and wraps them
COMPILED = {".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.c")}


def stage(name: str) -> str:
    return name.split(".")[0]


def resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The convanim modules a relative (or absolute) ``from ... import`` in ``module`` names."""
    if node.level == 0:
        if not (node.module or "").startswith("convanim"):
            return []
        base = (node.module or "").split(".")[1:]
    else:
        package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        if module in ("__init__", "__main__", "sphinx", "mkdocs"):
            package = []
        base = package[:len(package) - node.level + 1] + ((node.module or "").split(".") if node.module else [])
    out = []
    for alias in node.names:  # ``from . import x`` may name a module
        candidate = ".".join([*base, alias.name])
        out.append(candidate if candidate in MODULES else ".".join(base))
    return [m for m in out if m]


def imports_of(module: str) -> tuple[set[str], set[str], list[tuple[str, str]]]:
    """(convanim modules imported, top-level libraries imported, private names imported from convanim)."""
    tree = ast.parse(MODULES[module].read_text())
    inner, outer, private = set(), set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found = resolve(module, node)
            if found:
                inner.update(found)
                private += [(".".join(found), a.name) for a in node.names
                            if a.name.startswith("_") and a.name not in ("__version__",)
                            and f"{'.'.join(found)}.{a.name}" not in COMPILED]
            elif node.level == 0:
                outer.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("convanim."):
                    inner.add(alias.name.removeprefix("convanim."))
                else:
                    outer.add(alias.name.split(".")[0])
    return {m for m in inner if m in MODULES or stage(m) in RANKS}, outer, private


def test_every_module_is_in_a_ranked_stage():
    unranked = [m for m in MODULES if stage(m) not in RANKS]
    assert not unranked, f"modules outside every stage folder: {unranked}"
    assert len(MODULES) > 40


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_stages_only(module):
    rank = RANKS[stage(module)]
    inner, outer, private = imports_of(module)
    up = sorted(m for m in inner if RANKS[stage(m)] > rank)
    assert not up, f"{module} (rank {rank}) imports a higher stage: {up}"
    heavy = (outer & HEAVY) - MAY_USE[stage(module)]
    assert not heavy, f"{module} imports {sorted(heavy)}"
    assert not private, f"{module} imports private names from other modules: {private}"


def test_no_import_cycle():
    graph = defaultdict(set)
    for module in MODULES:
        graph[module] = {m for m in imports_of(module)[0] if m in MODULES and m != module}
    # a package's __init__ is imported by its own modules' imports; an edge into it is an edge to its package
    seen, stack, cycles = set(), [], []

    def visit(node: str) -> None:
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for module in sorted(MODULES):
        visit(module)
    cycles = [c for c in cycles if not _package_self_import(c)]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _package_self_import(cycle: list[str]) -> bool:
    """A package's ``__init__`` importing its own modules, which name the package only to reach a sibling,
    is not a cycle of ours: Python runs the package first either way."""
    packages = [m for m in cycle if MODULES[m].name == "__init__.py"]
    return bool(packages) and all(m == packages[0] or m.startswith(packages[0] + ".") for m in cycle)


def test_the_checks_can_fail(tmp_path):
    node = ast.parse("from ..app.cli import main\nfrom .geometry import _hidden\n").body
    assert resolve("figures.single", node[0]) == ["app.cli"]
    assert resolve("figures.single", node[1]) == ["figures.geometry"]
    assert RANKS[stage("app.cli")] > RANKS[stage("figures.single")]
    assert _package_self_import(["figures", "figures.single", "figures"])
    assert not _package_self_import(["figures.single", "figures.compare", "figures.single"])


def test_pure_stages_load_no_heavy_library():
    code = ("import sys; import convanim.core.spec, convanim.core.arithmetic, convanim.engine, convanim.figures; "
            f"print(sorted(m for m in {sorted(HEAVY | {'numpy.random._pickle'})!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
