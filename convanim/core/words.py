"""The words that describe sizes: ``5×5``, one number when every axis agrees, ``5-wide`` for 1-D, ``(1, 2)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def dims(values: Sequence[Any], fmt: Callable[[Any], str] = str) -> str:
    """Every axis: ``5×7`` (``5`` for one axis)."""
    return "×".join(fmt(v) for v in values)


def per_axis(values: Sequence[Any], fmt: Callable[[Any], str] = str) -> str:
    """A per-axis parameter: one number when every axis agrees, else ``3×5``."""
    return fmt(values[0]) if len(set(values)) == 1 else dims(values, fmt)


def listed(values: Sequence[Any]) -> str:
    """As error messages show a per-axis value: ``2``, or ``[1, 2]`` when the axes differ."""
    return str(values[0]) if len(set(values)) == 1 else str(list(values))


def as_python(values: Sequence[Any]) -> str:
    """As PyTorch's constructors take it: ``2``, or ``(1, 2)`` when the axes differ."""
    return str(values[0]) if len(set(values)) == 1 else str(tuple(values))


def sides(pairs: Sequence[tuple[int, int]]) -> str:
    """Per-side padding: ``[2, 0]`` for one axis, ``[1, 0]×[2, 1]`` for several (before, after per axis)."""
    return "×".join(f"[{b}, {a}]" for b, a in pairs)


def extent(values: Sequence[Any]) -> str:
    """A spatial size in words: ``5-wide`` for 1-D, ``5×5`` or ``4×5×5`` otherwise."""
    return f"{values[0]}-wide" if len(values) == 1 else dims(values)


def plural(n: int, word: str) -> str:
    """``1 layer``, ``3 layers``."""
    return f"{n} {word}{'' if n == 1 else 's'}"
