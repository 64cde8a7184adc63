"""``--from-torch``'s expression: parsed into an allow-listed tree and built, never evaluated as Python.

The expression is one call of a module class of ``torch.nn`` (``nn.Conv2d(3, 2, 3, stride=2)``, also spelled
``torch.nn.Conv2d``), whose arguments are literals (numbers, strings, ``True``/``False``/``None``, tuples and
lists of them, a sign) or such calls again (``nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2))``). Nothing
else is accepted: no names, attributes beyond ``nn.X``, subscripts, operators, ``*args``, comprehensions or
lambdas, so no expression can reach anything but a module's constructor.

The module is first built on PyTorch's ``meta`` device, which allocates no memory, so that its parameter count
can be checked against ``render.max_elements``' default before the real module (and its weights) exists.
"""

from __future__ import annotations

import ast
from typing import Any

from ..core.errors import ConvanimError
from ..core.limits import DEFAULT_MAX_ELEMENTS, count

MAX_EXPRESSION = 10_000  # characters
MAX_NODES = 2_000  # syntax tree nodes

_LITERALS = (int, float, str, bool, type(None))


class ExpressionError(ConvanimError, ValueError):
    """An expression ``--from-torch`` does not accept; the message says what and where."""


def _fail(node: ast.AST | None, message: str) -> ExpressionError:
    where = f" (column {node.col_offset + 1})" if node is not None and hasattr(node, "col_offset") else ""
    return ExpressionError(f"--from-torch: {message}{where}")


def _class_name(func: ast.expr) -> str:
    """``X`` of ``nn.X`` or ``torch.nn.X``; anything else is refused."""
    if isinstance(func, ast.Attribute) and not func.attr.startswith("_"):
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id == "nn":
            return func.attr
        if (isinstance(owner, ast.Attribute) and owner.attr == "nn" and isinstance(owner.value, ast.Name)
                and owner.value.id == "torch"):
            return func.attr
    raise _fail(func, f"only calls of nn.X(...) or torch.nn.X(...) are allowed, got {ast.unparse(func)!r}")


def _literal(node: ast.expr) -> Any:
    """A literal argument: a number, a string, True/False/None, a signed number, a tuple or list of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, _LITERALS):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, (ast.Tuple, ast.List)):
        values = [_literal(e) for e in node.elts]
        return tuple(values) if isinstance(node, ast.Tuple) else values
    raise _fail(node, f"arguments must be literals or nn calls, got {ast.unparse(node)!r}")


def parse(expression: str) -> ast.Call:
    """The expression's syntax tree, checked: a call of an ``nn`` class with allowed arguments only."""
    if not isinstance(expression, str) or not expression.strip():
        raise _fail(None, "expected an expression such as nn.Conv2d(3, 2, 3, stride=2)")
    if len(expression) > MAX_EXPRESSION:
        raise _fail(None, f"the expression is longer than {count(MAX_EXPRESSION)} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as err:
        raise _fail(None, f"not a Python expression: {err.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise _fail(None, "the expression is nested too deeply") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise _fail(None, f"the expression has more than {count(MAX_NODES)} parts")
    if not isinstance(tree.body, ast.Call):
        raise _fail(tree.body, f"expected a call such as nn.Conv2d(...), got {ast.unparse(tree.body)!r}")
    _check(tree.body)
    return tree.body


def _check(call: ast.Call) -> None:
    _class_name(call.func)
    for node in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(node, ast.Starred):
            raise _fail(node, "*arguments are not allowed")
        if isinstance(node, ast.Call):
            _check(node)
        else:
            _literal(node)
    for keyword in call.keywords:
        if keyword.arg is None:
            raise _fail(keyword.value, "**arguments are not allowed")


def build(call: ast.Call, nn: Any) -> Any:
    """Construct the module a checked call describes, with the classes of ``nn`` (``torch.nn``)."""
    name = _class_name(call.func)
    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise _fail(call.func, f"nn.{name} is not a module class of torch.nn")

    def value(node: ast.expr) -> Any:
        return build(node, nn) if isinstance(node, ast.Call) else _literal(node)

    args = [value(a) for a in call.args]
    kwargs = {k.arg: value(k.value) for k in call.keywords}
    try:
        return cls(*args, **kwargs)
    except Exception as err:  # the constructor's own complaint, as one line
        raise _fail(call, f"nn.{name}(...): {type(err).__name__}: {err}") from None


def module_from_expression(expression: str, *, seed: int = 0) -> Any:
    """The module an expression such as ``nn.Conv2d(3, 2, 3, stride=2)`` describes (see the module's docs).

    The weights come from ``torch.manual_seed(seed)`` inside a forked RNG, so the global random state is left
    alone and the same expression always gives the same weights.
    """
    call = parse(expression)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64:
        raise ExpressionError(f"--seed: expected an int from 0 to 2**64 - 1, got {seed!r}")
    import torch

    with torch.device("meta"):  # no memory: a module too large is refused before its weights exist
        probe = build(call, torch.nn)
    if not isinstance(probe, torch.nn.Module):  # pragma: no cover - build makes modules only
        raise _fail(None, f"{expression!r} is not an nn.Module")
    weights = sum(p.numel() for p in probe.parameters())
    if weights > DEFAULT_MAX_ELEMENTS:
        raise _fail(None, f"the module has {count(weights)} weights, over convanim's limit of "
                          f"{count(DEFAULT_MAX_ELEMENTS)} elements (render.max_elements)")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build(call, torch.nn)
