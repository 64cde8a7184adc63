"""The numbers and equations figures write: cell values, a step's caption, partial sums across channels."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from ..core.spec import ConvSpec, Op
from ..engine import Role, Step, Trace

MAX_CAPTION_TERMS = 9

# render.precision while a figure is built or drawn: significant digits of non-integers (None: two decimals)
PRECISION: ContextVar[int | None] = ContextVar("precision", default=None)
T = TypeVar("T")


@contextmanager
def precision(digits: int | None) -> Iterator[None]:
    """Numbers formatted to ``digits`` significant digits inside the block (``render.precision``)."""
    token = PRECISION.set(digits)
    try:
        yield
    finally:
        PRECISION.reset(token)


def with_precision(digits: int | None, fn: Callable[[int], T]) -> Callable[[int], T]:
    """``fn`` (a scene's frame or narration, called later by a renderer) formatting to ``digits``."""
    if digits is None:
        return fn

    def call(i: int) -> T:
        with precision(digits):
            return fn(i)

    return call


def format_value(v: float) -> str:
    """A cell value as drawn: integers exact (without decimals), others to ``render.precision`` significant
    digits (by default two decimals), from 1e12 on three significant digits (``1e+300``), a true minus sign;
    ``nan`` for a NaN (LP pooling of a window with no real cell)."""
    if math.isnan(v):
        return "nan"
    digits = PRECISION.get()
    if math.isinf(v):
        text = "∞"
    elif abs(v) >= 1e12:  # 1.23e+15: a few characters, never hundreds of digits
        text = f"{abs(v):.{min(digits or 3, 3)}g}"
    elif abs(v - round(v)) < 1e-9:
        text = str(abs(int(round(v))))
    elif digits is not None:
        text = f"{abs(v):.{digits}g}"
    elif abs(v) >= 1e4:  # two decimals of a large number are noise: three significant digits
        text = f"{abs(v):.3g}"
    else:
        text = f"{abs(v):.2f}".rstrip("0").rstrip(".")
    if text == "0" or float(text.replace("∞", "inf")) == 0:
        return "0"
    return ("−" + text) if v < 0 else text


def caption_of(trace: Trace, step: Step) -> str:
    """The step's equation, e.g. ``y[0,1] = 3·0 + 3·1 + 2·2 + ... = 17``."""
    spec = trace.spec
    where = ",".join(map(str, ((step.channel,) if spec.out_channels > 1 else ()) + step.position))
    head = f"y[{where}] = "
    if spec.is_max:
        counted = step.roles != Role.OVERHANG
        terms = [format_value(v) for v in step.inputs[0][counted]]
        return head + f"max({elide(terms, ', ')}) = {format_value(step.value)}"
    if spec.op is Op.LP_POOL:
        return head + lp_terms(spec, step) + f" = {format_value(step.value)}"
    if spec.is_avg:
        counted = step.weights[0] != 0  # type: ignore[index]
        terms = [format_value(v) for v in step.inputs[0][counted]]
        return head + f"({elide(terms, ' + ')}) / {step.divisor} = {format_value(step.value)}"
    terms = []
    for xs, ws in zip(step.inputs, step.weights):  # type: ignore[arg-type]
        for xv, wv in zip(xs, ws):
            w = format_value(wv)
            terms.append(f"{format_value(xv)}·{'(' + w + ')' if w.startswith('−') else w}")
    if len(terms) > MAX_CAPTION_TERMS:
        terms = terms[:3] + ["…"] + terms[-2:]
    if spec.bias:
        terms.append(f"{format_value(step.bias)} (bias)")
    return head + f"{join_terms(terms)} = {format_value(step.value)}"


SUPERSCRIPTS = str.maketrans("0123456789.−-", "⁰¹²³⁴⁵⁶⁷⁸⁹·⁻⁻")


def lp_terms(spec: ConvSpec, step: Step) -> str:
    """An LP pooling window: ``(3² + 1² + 0²)^(1/2)``, scaled by ``K/n`` where a ceil_mode window hangs over
    the edge; ``max(|3|, |−1|)`` for p = inf."""
    counted = step.roles != Role.OVERHANG
    p = spec.norm_type
    if p is not None and math.isinf(p):
        terms = [f"|{format_value(v)}|" for v in step.inputs[0][counted]]
        return f"{'max' if p > 0 else 'min'}({elide(terms, ', ')})"
    power = format_value(p).translate(SUPERSCRIPTS)  # type: ignore[arg-type]
    terms = [f"{format_value(v) if v >= 0 else '(' + format_value(v) + ')'}{power}" for v in step.inputs[0][counted]]
    k, n = math.prod(spec.kernel_size), int(counted.sum())
    body = elide(terms, " + ") if n == k else f"({elide(terms, ' + ')}) · {k}/{n}"
    return f"({body})^(1/{format_value(p)})"  # type: ignore[arg-type]


def elide(terms: list[str], sep: str) -> str:
    """Terms joined by ``sep``; more than MAX_CAPTION_TERMS keep the first three and the last two."""
    if len(terms) <= MAX_CAPTION_TERMS:
        return sep.join(terms)
    return sep.join(terms[:3]) + sep + "..." + sep + sep.join(terms[-2:])


def sum_line(trace: Trace, step: Step, drawn: Sequence[int | None] | None = None) -> str:
    """The step's sum across input planes: ``y[0,1,1] = 7 + 3 + 5 + 1 (bias) = 16`` (pooling: its caption)."""
    spec = trace.spec
    if spec.is_pool:
        return caption_of(trace, step)
    shown = set(c for c in (drawn or range(spec.in_channels)) if c is not None)
    where = ",".join(map(str, (step.channel, *step.position)))
    terms, hidden = [], []
    for ci, products in zip(step.in_channels, step.products):
        if ci in shown:
            terms.append(format_value(float(products.sum())))
        else:
            hidden.append((ci, float(products.sum())))
    if hidden:
        lo, hi = hidden[0][0], hidden[-1][0]
        terms.insert(next((n for n, ci in enumerate(c for c in step.in_channels if c in shown) if ci > hi),
                          len(terms)), f"[in {lo}…{hi}: {format_value(sum(v for _, v in hidden))}]")
    if spec.bias:
        terms.append(f"{format_value(step.bias)} (bias)")
    return f"y[{where}] = {join_terms(terms)} = {format_value(step.value)}"


def join_terms(terms: Sequence[str]) -> str:
    """Terms of a sum, a negative one written as a subtraction: ``7 + 3 − 2``."""
    out = terms[0] if terms else "0"
    for term in terms[1:]:
        out += f" − {term[1:]}" if term.startswith("−") else f" + {term}"
    return out


def partial_text(trace: Trace, step: Step, j: int) -> str:
    """What is written under input plane ``step.in_channels[j]``: its partial sum, max or mean."""
    if trace.spec.is_max:
        return f"max = {format_value(step.value)}"
    if trace.spec.is_avg:
        return f"mean = {format_value(step.value)}"
    if trace.spec.op is Op.LP_POOL:
        return f"L{format_value(trace.spec.norm_type)} = {format_value(step.value)}"  # type: ignore[arg-type]
    return f"Σ = {format_value(float(step.products[j].sum()))}"
