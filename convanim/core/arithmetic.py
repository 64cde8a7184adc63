"""Shape arithmetic for people: the output-size formula worked through, and the everyday padding questions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .spec import AXIS_NAMES, MAX_DIMS, ConvSpec, Op
from .words import dims, per_axis, sides


def explain(spec: ConvSpec) -> list[str]:
    """One line per spatial dimension: the output-size formula with the spec's numbers."""
    lines = []
    for n, axis in enumerate(AXIS_NAMES[spec.ndim]):
        i, k, s, d = spec.input_size[n], spec.kernel_size[n], spec.stride[n], spec.dilation[n]
        o = spec.output_size[n]
        if spec.is_adaptive:
            windows = " ".join(f"[{a},{b})" for a, b in spec.windows(n))
            lines.append(f"{axis}: adaptive {i} → {o}, windows [floor(o·{i}/{o}), ceil((o+1)·{i}/{o})) = {windows}")
            continue
        if spec.transposed:
            p, op = spec.padding[n], spec.output_padding[n]
            lines.append(f"{axis}: (i-1)s - 2p + d(k-1) + output_padding + 1 = "
                         f"({i}-1)·{s} - 2·{p} + {d}·({k}-1) + {op} + 1 = {o}")
            continue
        b, a = spec.pad_before[n], spec.pad_after[n]
        pad = f"2·{b}" if a == b else f"{b}+{a}"
        rounding = "ceil" if spec.ceil_mode else "floor"
        formula = "i + 2p" if a == b else "i + p_before + p_after"
        line = (f"{axis}: {rounding}(({formula} - d(k-1) - 1) / s) + 1 = "
                f"{rounding}(({i} + {pad} - {d}·({k}-1) - 1) / {s}) + 1")
        span = i + b + a - d * (k - 1) - 1
        raw = (-(-span // s) if spec.ceil_mode else span // s) + 1
        if raw != o:
            line += f" = {raw}, minus 1 because the last window would start in the right padding"
        lines.append(f"{line} = {o}")
    return lines


def forward_of(spec: ConvSpec) -> ConvSpec:
    """The convolution whose shapes a transposed convolution swaps: the same kernel_size, stride, padding,
    dilation and groups (and weight tensor), its input the transposed output, its channels swapped."""
    return ConvSpec(input_size=spec.output_size, kernel_size=spec.kernel_size, stride=spec.stride,
                    padding=spec.padding, dilation=spec.dilation, in_channels=spec.out_channels,
                    out_channels=spec.in_channels, groups=spec.groups, flip_kernel=spec.flip_kernel)


def describe(spec: ConvSpec) -> str:
    """A short human line: "input 5×5 · kernel 3×3 · stride 2 · padding 1 → 3×3"."""
    parts = [f"input {dims(spec.input_size)}"]
    channels = spec.in_channels > 1 or spec.out_channels > 1
    if channels:  # "input 5×5, 3 ch": a channel count never reads as a third spatial size
        parts[0] += f", {spec.in_channels} ch"
    if spec.is_adaptive:
        parts.append(f"adaptive {'max' if spec.is_max else 'avg'} pool")
    else:
        name = {Op.CONV: "kernel", Op.AVG_POOL: "avg pool", Op.MAX_POOL: "max pool", Op.LP_POOL: "lp pool"}[spec.op]
        parts.append(f"{'transposed ' if spec.transposed else ''}{name} {dims(spec.kernel_size)}")
        parts += _details(spec)
    out = dims(spec.output_size)
    if channels:
        out += f", {spec.out_channels} ch"
    return " · ".join(parts) + f" → {out}"


def _details(spec: ConvSpec) -> list[str]:
    """describe()'s words after the kernel: the arguments that differ from their defaults."""
    parts = [f"p={spec.norm_type:g}"] if spec.op is Op.LP_POOL else []
    if max(spec.stride) > 1 or spec.is_pool:
        parts.append(f"stride {per_axis(spec.stride)}")
    if isinstance(spec.padding, str):
        parts.append(f"padding {spec.padding}")
    elif spec.per_side:
        parts.append(f"padding {sides(spec.padding)}")
    elif max(spec.padding) > 0:
        parts.append(f"padding {per_axis(spec.padding)}")
    words = [(spec.padding_mode.value != "zeros", spec.padding_mode.value),
             (spec.padding_value != 0, f"pad value {spec.padding_value:g}"),
             (max(spec.dilation) > 1, f"dilation {per_axis(spec.dilation)}"),
             (max(spec.output_padding) > 0, f"output padding {per_axis(spec.output_padding)}"),
             (spec.groups > 1, f"groups {spec.groups}"),
             (spec.divisor_override is not None, f"divisor {spec.divisor_override}"),
             (spec.flip_kernel, "flipped kernel")]
    return parts + [text for shown, text in words if shown]


def output_words(spec: ConvSpec) -> str:
    """The output's shape: ``6×6``, or with its channels ``64×6×6 (C×H×W)``."""
    if spec.out_channels == 1:
        return dims(spec.output_size)
    axes = "C×" + "×".join("DHW"[3 - spec.ndim:])
    return f"{spec.out_channels}×{dims(spec.output_size)} ({axes})"


def info_lines(spec: ConvSpec, frames: str | None = None) -> list[str]:
    """What ``convanim info`` prints for one spec; ``frames`` replaces the frame count (a view's own)."""
    return [
        *explain(spec),
        f"output: {output_words(spec)} · frames: {frames or spec.n_steps}",
        f"pytorch: {spec.torch_line()}"
        + (f"  # with weight.flip({', '.join(str(-d) for d in range(spec.ndim, 0, -1))})"
           if spec.flip_kernel else ""),
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    question: str
    answer: str  # the parameter(s), or "none"
    check: str  # the formula that confirms it, or why there is no integer answer


def _conv_out(i: int, k: int, s: int, p: int, d: int) -> int:
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def _keep(i: int, k: int, d: int) -> Answer:
    """The padding that keeps the size at stride 1."""
    span = d * (k - 1)
    q = f"padding that keeps the size {i} (stride 1)"
    if span % 2 == 0:
        p = span // 2
        o = _conv_out(i, k, 1, p, d)
        assert o == i
        return Answer(question=q, answer=f"padding={p}", check=f"floor(({i} + 2·{p} - {d}·({k}-1) - 1) / 1) + 1 = {o}")
    return Answer(question=q, answer=f"padding=[[{span // 2}, {span - span // 2}]]",
                  check=f"d(k-1) = {span} is odd, so the {span} cells of padding cannot be split evenly; "
                        f"padding='same' pads {span // 2} before and {span - span // 2} after (a causal convolution "
                        f"pads [{span}, 0])")


def _reach(i: int, k: int, s: int, d: int, target: int) -> tuple[int, int] | None:
    """The least padding that gives ``target`` outputs at stride ``s``, as (before, after): the same on both
    sides when any even total does it (PyTorch's ``padding=p``), else split; None when no padding up to the
    kernel's span plus a stride reaches it."""
    span = d * (k - 1)
    fits = [t for t in range(0, min(span + s, 1 << 16) + 1)
            if i + t > span and (i + t - span - 1) // s + 1 == target]
    total = next((t for t in fits if t % 2 == 0), fits[0] if fits else None)
    return None if total is None else (total // 2, total - total // 2)


def _divide(i: int, k: int, s: int, d: int) -> Answer:
    """The padding that divides the size by the stride, rounding up as 'same' padding does."""
    target = -(-i // s)
    q = f"padding that divides the size {i} by the stride {s}" + ("" if i % s == 0 else f" (rounded up: {target})")
    found = _reach(i, k, s, d, target)
    if found is None:
        return Answer(question=q, answer="none", check=f"even with no padding the output is already "
                                                       f"{_conv_out(i, k, s, 0, d)} > {target}")
    a, b = found
    check = f"floor(({i} + {a + b} - {d}·({k}-1) - 1) / {s}) + 1 = {target}"
    if a == b:
        return Answer(question=q, answer=f"padding={a}", check=check.replace(f"+ {a + b} -", f"+ 2·{a} -"))
    return Answer(question=q, answer=f"padding=[[{a}, {b}]]",
                  check=f"{check}; the {a + b} cells of padding are odd, so they go {a} before and {b} after")


def _multiply(i: int, k: int, s: int, d: int) -> Answer:
    """A transposed convolution's padding and output_padding that multiply the size by the stride."""
    span = d * (k - 1)
    q = f"transposed: padding and output_padding that multiply the size {i} by the stride {s}"
    for p in range(0, span + s + 1):
        op = i * s - ((i - 1) * s - 2 * p + span + 1)
        if 0 <= op < max(s, d):
            o = (i - 1) * s - 2 * p + span + op + 1
            assert o == i * s
            return Answer(question=q, answer=f"padding={p}, output_padding={op}",
                          check=f"({i}-1)·{s} - 2·{p} + {d}·({k}-1) + {op} + 1 = {o}")
    return Answer(question=q, answer="none", check="no padding keeps output_padding below the stride or dilation")


def solve(input_size: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> list[Answer]:
    """Answer the everyday questions for one dimension; every answer is checked with the size formula. At
    stride 1 dividing or multiplying by the stride is keeping the size: one answer, not three."""
    i, k, s, d = input_size, kernel_size, stride, dilation
    if min(i, k, s, d) < 1:
        raise ValueError("input_size, kernel_size, stride and dilation must all be >= 1")
    if s == 1:
        return [_keep(i, k, d)]
    return [_keep(i, k, d), _divide(i, k, s, d), _multiply(i, k, s, d)]


MAX_OUTPUT_ANSWERS = 6
MAX_STRIDE_TRIED = 4096


def solve_output(input_size: int, kernel_size: int, output: int, dilation: int = 1) -> list[Answer]:
    """The strides and paddings that take ``input_size`` to ``output`` (``convanim solve --output N``): a
    convolution when the output is smaller, a transposed convolution when it is larger; the smallest
    strides first, each checked with the size formula."""
    i, k, d, n = input_size, kernel_size, dilation, output
    if min(i, k, d, n) < 1:
        raise ValueError("input_size, kernel_size, dilation and output must all be >= 1")
    span, out = d * (k - 1), []
    q = f"stride and padding that take {i} to {n}"
    for s in range(1, min(i, MAX_STRIDE_TRIED) + 1):
        found = _reach(i, k, s, d, n)
        if found is not None:
            a, b = found
            shown = f"padding={a}" if a == b else f"padding=[[{a}, {b}]]"
            out.append(Answer(question=q, answer=f"stride={s}, {shown}",
                              check=f"floor(({i} + {a + b} - {d}·({k}-1) - 1) / {s}) + 1 = {n}"))
        if len(out) >= MAX_OUTPUT_ANSWERS:
            break
    tq = f"transposed: stride, padding and output_padding that take {i} to {n}"
    for s in range(1, min(n, MAX_STRIDE_TRIED) + 1):
        for p in range(0, min(span + s, MAX_STRIDE_TRIED) + 1):
            op = n - ((i - 1) * s - 2 * p + span + 1)
            if 0 <= op < max(s, d):
                out.append(Answer(question=tq, answer=f"stride={s}, padding={p}, output_padding={op}",
                                  check=f"({i}-1)·{s} - 2·{p} + {d}·({k}-1) + {op} + 1 = {n}"))
                break
        if sum(a.question == tq for a in out) >= MAX_OUTPUT_ANSWERS // 2:
            break
    if not out:
        out.append(Answer(question=q, answer="none", check=f"no stride and padding (up to the kernel's span) "
                                                           f"give {n} outputs from {i} with kernel {k}"))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class AxisAnswers:
    axes: tuple[str, ...]  # the axes these answers are for ("depth",), ("height", "width"), or () for every axis
    input_size: int
    kernel_size: int
    stride: int
    dilation: int
    answers: tuple[Answer, ...]


def solve_axes(input_size: Sequence[int], kernel_size: Sequence[int], stride: Sequence[int] = (1,),
               dilation: Sequence[int] = (1,), output: Sequence[int] | None = None) -> list[AxisAnswers]:
    """``solve`` per axis: each argument one value (every axis) or one per axis (1 to 3 axes, depth, height,
    width). Axes with the same numbers share one answer; when every axis agrees, ``axes`` is ()."""
    given = {"input_size": tuple(input_size), "kernel_size": tuple(kernel_size), "stride": tuple(stride),
             "dilation": tuple(dilation), "output": tuple(output or (0,))}
    nd = max(len(v) for v in given.values())
    if nd > MAX_DIMS:
        raise ValueError(f"at most {MAX_DIMS} axes (depth, height, width), got {nd}")
    for key, values in given.items():
        if len(values) not in (1, nd):
            raise ValueError(f"{key}: give one value or {nd} (one per axis), got {len(values)}")
    per_axis = [tuple(v[0] if len(v) == 1 else v[n] for v in given.values()) for n in range(nd)]
    names = AXIS_NAMES[nd]
    groups: dict[tuple[int, ...], list[str]] = {}
    for n, numbers in enumerate(per_axis):
        groups.setdefault(numbers, []).append(names[n])
    return [AxisAnswers(axes=() if len(groups) == 1 else tuple(axes), input_size=i, kernel_size=k, stride=s,
                        dilation=d, answers=tuple(solve_output(i, k, n, d) if output else solve(i, k, s, d)))
            for (i, k, s, d, n), axes in groups.items()]
