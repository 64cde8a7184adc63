"""ConvSpec: one convolution or pooling layer in PyTorch's own argument names, validated, with its size arithmetic."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from .errors import SpecError
from .words import as_python, dims, listed


class Op(StrEnum):
    CONV = "conv"
    AVG_POOL = "avg_pool"
    MAX_POOL = "max_pool"
    ADAPTIVE_AVG_POOL = "adaptive_avg_pool"
    ADAPTIVE_MAX_POOL = "adaptive_max_pool"
    LP_POOL = "lp_pool"


class PaddingMode(StrEnum):
    ZEROS = "zeros"
    REFLECT = "reflect"
    REPLICATE = "replicate"
    CIRCULAR = "circular"


MAX_DIMS = 3
AXIS_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}
SIZE_FIELDS = ("dilation", "output_padding")
_BOOL_FIELDS = ("transposed", "bias", "ceil_mode", "count_include_pad", "flip_kernel")
_INT_FIELDS = ("in_channels", "out_channels", "groups")
_ADAPTIVE = (Op.ADAPTIVE_AVG_POOL, Op.ADAPTIVE_MAX_POOL)
_PAD_MODULES = {"zeros": "ZeroPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad",
                "circular": "CircularPad"}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _dims_word(ndim: int) -> str:
    return f"input_size has {ndim} dimension{'s' if ndim > 1 else ''}"


def _as_tuple(key: str, value: Any, ndim: int) -> tuple[int, ...]:
    """An int or a list of ``ndim`` ints, as a tuple of ``ndim`` ints."""
    if _is_int(value):
        return (value,) * ndim
    if isinstance(value, (list, tuple)) and all(_is_int(v) for v in value):
        if len(value) != ndim:
            raise SpecError(key, f"expected an int or a list of {ndim} ints ({_dims_word(ndim)}), got {list(value)}")
        return tuple(value)
    raise SpecError(key, f"expected an int or a list of {ndim} ints, got {value!r}")


def _padding(value: Any, ndim: int) -> Any:
    """``padding`` normalised: 'same' / 'valid', a tuple of ints, or (with a side that differs) a tuple of
    ``(before, after)`` pairs, one per axis."""
    if isinstance(value, str):
        if value not in ("same", "valid"):
            raise SpecError("padding", f"must be an int, a list of ints, [before, after] pairs, 'same' or 'valid', "
                                       f"got {value!r}")
        return value
    if _is_int(value):
        return (value,) * ndim
    shape = (f"an int, a list of {ndim} ints, or one [before, after] pair per axis "
             f"({'[[2, 0]]' if ndim == 1 else '[' + ', '.join(['[1, 0]'] * ndim) + ']'})")
    if not isinstance(value, (list, tuple)):
        raise SpecError("padding", f"expected {shape}, got {value!r}")
    pairs = []
    for v in value:
        if _is_int(v):
            pairs.append((v, v))
        elif isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_int(x) for x in v):
            pairs.append((v[0], v[1]))
        else:
            raise SpecError("padding", f"expected {shape}, got {_plain(value)}")
    if len(pairs) != ndim:
        raise SpecError("padding", f"expected {shape} ({_dims_word(ndim)}), got {_plain(value)}")
    if all(b == a for b, a in pairs):
        return tuple(b for b, _ in pairs)
    return tuple(pairs)


def _plain(value: Any) -> Any:
    """Tuples as lists, for messages that quote what the user wrote."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def _enum(key: str, enum: type[StrEnum], value: Any) -> StrEnum:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in enum)
        raise SpecError(key, f"must be one of {choices}, got {value!r}") from None


def adaptive_windows(size: int, out: int) -> tuple[tuple[int, int], ...]:
    """PyTorch's adaptive pooling windows along one axis: ``[start, end)`` of each of ``out`` outputs,
    ``start = floor(o·size/out)``, ``end = ceil((o+1)·size/out)``."""
    return tuple((o * size // out, -(-(o + 1) * size // out)) for o in range(out))


@dataclass(frozen=True, slots=True, kw_only=True)
class ConvSpec:
    """A convolution, transposed convolution or pooling layer, named as PyTorch names its arguments.

    Build it from plain values: ``ConvSpec(input_size=(5, 5), kernel_size=3, padding="same",
    padding_mode="reflect")``. Size-like fields take an int or one int per spatial dimension; the number
    of spatial dimensions (1, 2 or 3) comes from ``input_size`` (a bare int means a square 2-D input).
    ``padding`` also takes one ``[before, after]`` pair per axis (``[[2, 0]]``: a causal 1-D convolution), as
    ``F.pad`` followed by the convolution computes it. ``output_size`` is computed, except for adaptive pooling,
    which is given it (a value given to another layer must agree with the computed one).
    """

    is_elementwise: ClassVar[bool] = False  # a layer of a stack: ElementwiseSpec says True

    input_size: Any
    kernel_size: Any = None  # None: 3 (adaptive pooling: derived, the largest window)
    stride: Any = None  # None: 1 for a convolution, kernel_size for pooling (as PyTorch)
    padding: Any = 0  # int, list, [before, after] pairs, "same" or "valid"
    dilation: Any = 1
    transposed: bool = False
    output_padding: Any = 0
    in_channels: int = 1
    out_channels: int | None = None  # None: in_channels
    groups: int = 1
    bias: bool = False
    padding_mode: Any = "zeros"
    padding_value: float = 0.0  # the constant of zeros padding (F.pad's value, nn.ConstantPad*d)
    op: Any = "conv"
    output_size: Any = None  # adaptive pooling: the target size; otherwise computed here
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None  # average pooling: divide by this instead of the window's cells
    norm_type: float | None = None  # lp_pool: the p of (Σ x^p)^(1/p); inf: the largest |x|
    flip_kernel: bool = False
    # Derived, filled in by __post_init__:
    pad_before: tuple[int, ...] = field(init=False, repr=False, compare=False)
    pad_after: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        nd = self._normalise()
        self._validate()
        if self.padding == "valid":
            before = after = (0,) * nd
        elif self.padding == "same":  # PyTorch: the odd extra padding goes to the end
            total = tuple(d * (k - 1) for d, k in zip(self.dilation, self.kernel_size))
            before = tuple(t // 2 for t in total)
            after = tuple(t - t // 2 for t in total)
        elif self.per_side:
            before, after = tuple(b for b, _ in self.padding), tuple(a for _, a in self.padding)
        else:
            before = after = self.padding
        object.__setattr__(self, "pad_before", before)
        object.__setattr__(self, "pad_after", after)
        self._validate_sizes()

    def _normalise(self) -> int:
        """Check the types and turn every size-like field into a tuple per axis; returns the axes."""
        s = object.__setattr__
        size = self.input_size
        if _is_int(size):
            size = (size, size)
        if not (isinstance(size, (list, tuple)) and 1 <= len(size) <= MAX_DIMS and all(_is_int(v) for v in size)):
            raise SpecError("input_size", f"expected an int or a list of 1 to {MAX_DIMS} ints, got {self.input_size!r}")
        if min(size) < 1:
            raise SpecError("input_size", f"must be >= 1, got {list(size)}")
        s(self, "input_size", tuple(size))
        nd = len(size)
        for key in _BOOL_FIELDS:
            if not isinstance(getattr(self, key), bool):
                raise SpecError(key, f"expected true or false, got {getattr(self, key)!r}")
        s(self, "op", _enum("op", Op, self.op))
        s(self, "padding_mode", _enum("padding_mode", PaddingMode, self.padding_mode))
        for key in SIZE_FIELDS:
            s(self, key, _as_tuple(key, getattr(self, key), nd))
        if self.op in _ADAPTIVE:
            self._normalise_adaptive(nd)
        else:
            s(self, "kernel_size", _as_tuple("kernel_size", 3 if self.kernel_size is None else self.kernel_size, nd))
            default_stride = self.kernel_size if self.op is not Op.CONV else 1  # as PyTorch
            s(self, "stride", _as_tuple("stride", default_stride if self.stride is None else self.stride, nd))
        if self.out_channels is None:
            s(self, "out_channels", self.in_channels)
        for key in _INT_FIELDS:
            if not _is_int(getattr(self, key)):
                raise SpecError(key, f"expected an int, got {getattr(self, key)!r}")
        s(self, "padding", _padding(self.padding, nd))
        self._normalise_numbers()
        return nd

    def _normalise_numbers(self) -> None:
        value = self.padding_value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SpecError("padding_value", f"expected a finite number, got {value!r}")
        object.__setattr__(self, "padding_value", float(value))
        if self.divisor_override is not None and not _is_int(self.divisor_override):
            raise SpecError("divisor_override", f"expected an int, got {self.divisor_override!r}")
        p = self.norm_type
        if p in ("inf", "-inf"):  # as written in YAML without its own spelling, .inf
            p = float(p)
        if p is not None:
            if isinstance(p, bool) or not isinstance(p, (int, float)) or math.isnan(p):
                raise SpecError("norm_type", f"expected a number (inf for the largest |x|), got {p!r}")
            object.__setattr__(self, "norm_type", float(p))

    def _normalise_adaptive(self, nd: int) -> None:
        """Adaptive pooling: the target ``output_size`` given (None on an axis keeps that axis); the kernel
        and stride derived (the largest window), refused when given otherwise."""
        s = object.__setattr__
        op = self.op.value
        target = self.output_size
        if target is None:
            raise SpecError("output_size", f"{op} needs output_size (an int or a list of {nd} ints)")
        if isinstance(target, (list, tuple)) and len(target) == nd:
            target = tuple(i if t is None else t for t, i in zip(target, self.input_size))
        out = _as_tuple("output_size", target, nd)
        if min(out) < 1:
            raise SpecError("output_size", f"must be >= 1, got {listed(out)}")
        s(self, "output_size", out)
        biggest = tuple(max(e - b for b, e in adaptive_windows(i, o)) for i, o in zip(self.input_size, out))
        for key in ("kernel_size", "stride"):
            given = getattr(self, key)
            if given is not None and _as_tuple(key, given, nd) != biggest:
                raise SpecError(key, f"{op} sizes its windows from output_size; remove {key} (dataclasses.replace "
                                     f"needs {key}=None)")
            s(self, key, biggest)

    # -- validation ---------------------------------------------------------------------------------
    def _validate(self) -> None:
        def at_least(key: str, values: tuple[int, ...], low: int) -> None:
            if min(values) < low:
                raise SpecError(key, f"must be >= {low}, got {listed(values)}")

        at_least("kernel_size", self.kernel_size, 1)
        at_least("stride", self.stride, 1)
        at_least("dilation", self.dilation, 1)
        at_least("output_padding", self.output_padding, 0)
        if not isinstance(self.padding, str):
            if self.per_side and min(v for pair in self.padding for v in pair) < 0:
                raise SpecError("padding", f"must be >= 0 on every side, got {_plain(self.padding)}")
            at_least("padding", self._padding_values(), 0)
        at_least("in_channels", (self.in_channels,), 1)
        at_least("out_channels", (self.out_channels,), 1)
        at_least("groups", (self.groups,), 1)
        if self.padding_value != 0 and (self.op is not Op.CONV or self.transposed
                                        or self.padding_mode is not PaddingMode.ZEROS):
            raise SpecError("padding_value", "fills the zeros padding of a convolution (F.pad's constant); "
                                             "it applies with padding_mode 'zeros' to a direct convolution only")
        if self.divisor_override is not None:
            self._validate_divisor()
        if self.norm_type is not None and self.op is not Op.LP_POOL:
            raise SpecError("norm_type", "applies to lp_pool only")
        if not self.count_include_pad and self.op is not Op.AVG_POOL:
            raise SpecError("count_include_pad", f"only avg_pool divides by a count of cells; {self.op.value} has "
                                                 f"none (remove the key)")
        if self.op is not Op.CONV:
            self._validate_pooling()
        elif self.transposed:
            self._validate_conv()
            self._validate_transposed()
        else:
            self._validate_conv()
            self._validate_direct()

    def _padding_values(self) -> tuple[int, ...]:
        """Every padding amount, both sides of every axis."""
        if self.per_side:
            return tuple(v for pair in self.padding for v in pair)
        return self.padding

    def _validate_divisor(self) -> None:
        if self.op is not Op.AVG_POOL:
            raise SpecError("divisor_override", "applies to avg_pool only")
        if self.ndim == 1:
            raise SpecError("divisor_override", "nn.AvgPool1d has no divisor_override (2-D and 3-D only, as PyTorch)")
        if self.divisor_override == 0:
            raise SpecError("divisor_override", "must not be zero, got 0")

    def _validate_pooling(self) -> None:
        op = self.op.value
        if self.transposed:
            raise SpecError("transposed", f"{op} has no transposed form")
        if self.is_adaptive:
            self._validate_adaptive()
        self._validate_pool_padding()
        self._validate_no_weights()
        if self.is_adaptive:
            return
        if self.op is Op.LP_POOL:
            self._validate_lp()
        if self.op is not Op.MAX_POOL and max(self.dilation) > 1:
            raise SpecError("dilation", f"{op} has no dilation, got {listed(self.dilation)}")
        for p, k in zip(self.padding, self.kernel_size):
            if 2 * p > k:  # PyTorch bounds it by the undilated kernel, for max_pool too
                raise SpecError("padding", f"must be at most half of the kernel size ({k}/2) for {op}, got {p}")

    def _validate_no_weights(self) -> None:
        """What a pooling layer does not have: other channels out, groups, a bias, weights, output_padding."""
        op = self.op.value
        if self.out_channels != self.in_channels:
            raise SpecError("out_channels", f"{op} keeps the channels: must equal "
                                            f"in_channels={self.in_channels}, got {self.out_channels}")
        if self.groups != 1:
            raise SpecError("groups", f"{op} has no groups, got {self.groups}")
        if self.bias:
            raise SpecError("bias", f"{op} has no bias")
        if self.flip_kernel:
            raise SpecError("flip_kernel", f"{op} has no kernel weights to flip")
        if max(self.output_padding) > 0:
            raise SpecError("output_padding", "applies to transposed convolutions only")

    def _validate_pool_padding(self) -> None:
        op = self.op.value
        if self.per_side:
            raise SpecError("padding", f"{op} pads both sides alike; [before, after] pairs apply to convolutions "
                                       f"(F.pad then the convolution)")
        if isinstance(self.padding, str):
            raise SpecError("padding", f"{op} takes integer padding, got {self.padding!r}")
        if self.padding_mode is not PaddingMode.ZEROS:
            raise SpecError("padding_mode", f"{op} pads implicitly; padding_mode must be "
                                            f"'zeros', got {self.padding_mode.value!r}")

    def _validate_lp(self) -> None:
        if self.norm_type is None:
            raise SpecError("norm_type", "lp_pool needs norm_type, the p of (Σ x^p)^(1/p) (2, or inf for the "
                                         "largest |x|)")
        if self.norm_type == 0:
            raise SpecError("norm_type", "must not be 0 (PyTorch divides by it), got 0")
        if self.padding != (0,) * self.ndim:
            raise SpecError("padding", f"lp_pool has no padding, got {_plain(self.padding)}")
        if not self.count_include_pad:
            raise SpecError("count_include_pad", "lp_pool has no padding to count")

    def _validate_adaptive(self) -> None:
        op = self.op.value
        if self.padding != (0,) * self.ndim:
            raise SpecError("padding", f"{op} has no padding, got {_plain(self.padding)}")
        if self.dilation != (1,) * self.ndim:
            raise SpecError("dilation", f"{op} has no dilation, got {listed(self.dilation)}")
        if self.ceil_mode:
            raise SpecError("ceil_mode", f"{op} has no ceil_mode: its windows always cover the input")
        if not self.count_include_pad:
            raise SpecError("count_include_pad", f"{op} has no padding to count")

    def _validate_conv(self) -> None:
        if self.ceil_mode:
            raise SpecError("ceil_mode", "applies to pooling only (op: avg_pool or max_pool)")
        if self.in_channels % self.groups:
            raise SpecError("groups", f"must divide in_channels={self.in_channels}, got {self.groups}")
        if self.out_channels % self.groups:
            raise SpecError("groups", f"must divide out_channels={self.out_channels}, got {self.groups}")

    def _validate_transposed(self) -> None:
        if isinstance(self.padding, str):
            raise SpecError("padding", f"a transposed convolution takes integer padding, got {self.padding!r}")
        if self.per_side:
            raise SpecError("padding", "a transposed convolution's padding trims both sides of its output alike; "
                                       "[before, after] pairs apply to direct convolutions")
        if self.padding_mode is not PaddingMode.ZEROS:
            raise SpecError("padding_mode", f"a transposed convolution supports only 'zeros', got "
                                            f"{self.padding_mode.value!r}")
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if not (op < s or op < d):
                raise SpecError("output_padding", f"must be smaller than either stride ({listed(self.stride)}) "
                                                  f"or dilation ({listed(self.dilation)}), "
                                                  f"got {listed(self.output_padding)}")

    def _validate_direct(self) -> None:
        if max(self.output_padding) > 0:
            raise SpecError("output_padding", "applies to transposed convolutions only (set transposed: true)")
        if self.padding == "same" and max(self.stride) > 1:
            raise SpecError("padding", f"'same' is not supported with stride > 1, got stride={listed(self.stride)}")

    def _validate_sizes(self) -> None:
        self._validate_input_sizes()
        out = self._computed_output_size()
        if min(out) < 1:
            raise SpecError("padding" if self.transposed else "input_size",
                            f"the output size would be {listed(out)}; it must be at least 1")
        if self.is_adaptive:
            return
        if self.output_size is not None:
            given = _as_tuple("output_size", self.output_size, self.ndim)
            if given != out:
                raise SpecError("output_size", f"this layer's output is {listed(out)}, got {listed(given)} (give "
                                               f"output_size only to adaptive pooling; other layers compute it: "
                                               f"dataclasses.replace needs output_size=None)")
        object.__setattr__(self, "output_size", out)

    def _validate_input_sizes(self) -> None:
        """The input against the padding (reflect, circular) and the kernel, as PyTorch checks them."""
        if self.op is Op.CONV and not self.transposed and self.padding_mode is not PaddingMode.ZEROS:
            for i, before, after in zip(self.input_size, self.pad_before, self.pad_after):
                p = max(before, after)
                if self.padding_mode is PaddingMode.REFLECT and p >= i:
                    raise SpecError("padding", f"reflect padding must be smaller than the input size "
                                               f"({i}), got {p}")
                if self.padding_mode is PaddingMode.CIRCULAR and p > i:
                    raise SpecError("padding", f"circular padding must be at most the input size ({i}), got {p}")
        if not self.transposed and not self.ceil_mode and not self.is_adaptive:  # ceil_mode windows may overhang
            for i, b, a, k, d in zip(self.input_size, self.pad_before, self.pad_after, self.kernel_size, self.dilation):
                if i + b + a < d * (k - 1) + 1:
                    span = f"dilated kernel ({d * (k - 1) + 1})" if d > 1 else f"kernel ({k})"
                    raise SpecError("kernel_size", f"the {span} is larger than the padded input ({i + b + a})")
        if self.op in (Op.AVG_POOL, Op.LP_POOL) and self.ndim == 3 and any(
                i < k for i, k in zip(self.input_size, self.kernel_size)):
            # PyTorch's avg_pool3d (not 1-D or 2-D; lp_pool3d runs it) compares the kernel with the unpadded input
            raise SpecError("kernel_size", f"3-D {self.op.value} needs the input ({dims(self.input_size)}) at least as "
                                           f"large as the kernel ({dims(self.kernel_size)}) before padding, as "
                                           f"PyTorch's avg_pool3d does")

    # -- arithmetic ---------------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.input_size)

    @property
    def is_pool(self) -> bool:
        return self.op is not Op.CONV

    @property
    def is_adaptive(self) -> bool:
        """Adaptive pooling: windows of varying size that tile the input into ``output_size`` cells."""
        return self.op in _ADAPTIVE

    @property
    def is_max(self) -> bool:
        """Max pooling, plain or adaptive."""
        return self.op in (Op.MAX_POOL, Op.ADAPTIVE_MAX_POOL)

    @property
    def is_avg(self) -> bool:
        """Average pooling, plain or adaptive."""
        return self.op in (Op.AVG_POOL, Op.ADAPTIVE_AVG_POOL)

    @property
    def per_side(self) -> bool:
        """Padding given as ``(before, after)`` pairs whose sides differ on some axis."""
        return isinstance(self.padding, tuple) and bool(self.padding) and isinstance(self.padding[0], tuple)

    @property
    def effective_kernel(self) -> tuple[int, ...]:
        """The dilated kernel's extent, ``d*(k-1)+1`` per dimension (adaptive pooling: the largest window)."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))

    def windows(self, axis: int) -> tuple[tuple[int, int], ...]:
        """Adaptive pooling's ``[start, end)`` input windows along ``axis``, one per output."""
        return adaptive_windows(self.input_size[axis], self.output_size[axis])

    def _computed_output_size(self) -> tuple[int, ...]:
        """The output's spatial size, as PyTorch computes it."""
        if self.is_adaptive:
            return self.output_size
        out = []
        for n in range(self.ndim):
            i, k, s, d = self.input_size[n], self.kernel_size[n], self.stride[n], self.dilation[n]
            if self.transposed:
                p = self.padding[n]
                out.append((i - 1) * s - 2 * p + d * (k - 1) + self.output_padding[n] + 1)
                continue
            span = i + self.pad_before[n] + self.pad_after[n] - d * (k - 1) - 1
            if self.ceil_mode:
                o = -(-span // s) + 1
                if (o - 1) * s >= i + self.pad_before[n]:  # the last window must start inside the input
                    o -= 1
            else:
                o = span // s + 1
            out.append(o)
        return tuple(out)

    @property
    def n_steps(self) -> int:
        """Output elements over all output channels: the animation's frame count."""
        return self.out_channels * math.prod(self.output_size)

    def weight_shape(self) -> tuple[int, ...] | None:
        """PyTorch's weight layout, without batch: None for pooling."""
        if self.is_pool:
            return None
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def pad_line(self) -> str | None:
        """The ``nn.*Pad*d`` module that pads the input when the convolution itself cannot (padding given per
        side, or a padding_value); None when the convolution's own ``padding`` says it."""
        if self.op is not Op.CONV or self.transposed or not (self.per_side or self.padding_value != 0):
            return None
        sides = [v for n in reversed(range(self.ndim)) for v in (self.pad_before[n], self.pad_after[n])]
        if self.padding_value != 0:
            return f"nn.ConstantPad{self.ndim}d({tuple(sides)}, {self.padding_value:g})"
        return f"nn.{_PAD_MODULES[self.padding_mode.value]}{self.ndim}d({tuple(sides)})"

    def _lp_line(self) -> str:
        p = self.norm_type
        norm = "float('inf')" if p == math.inf else "-float('inf')" if p == -math.inf else f"{p:g}"
        args = [f"norm_type={norm}", f"kernel_size={as_python(self.kernel_size)}"]
        if self.stride != self.kernel_size:
            args.append(f"stride={as_python(self.stride)}")
        if self.ceil_mode:
            args.append("ceil_mode=True")
        return f"nn.LPPool{self.ndim}d({', '.join(args)})"

    def torch_line(self) -> str:
        """The PyTorch expression that builds the same layer (with a padding module first, in an
        ``nn.Sequential``, when the padding is given per side)."""
        nd = f"{self.ndim}d"
        pad = self.pad_line()
        if self.is_adaptive:
            name = f"nn.AdaptiveMaxPool{nd}" if self.is_max else f"nn.AdaptiveAvgPool{nd}"
            return f"{name}({as_python(self.output_size)})"
        if self.op is Op.CONV:
            name = f"nn.ConvTranspose{nd}" if self.transposed else f"nn.Conv{nd}"
            padding = repr(self.padding) if isinstance(self.padding, str) else as_python(self.padding)
            optional = [("stride", as_python(self.stride), max(self.stride) != 1),
                        ("padding", padding, pad is None and (isinstance(self.padding, str) or max(self.padding) != 0)),
                        ("output_padding", as_python(self.output_padding), max(self.output_padding) != 0),
                        ("dilation", as_python(self.dilation), max(self.dilation) != 1),
                        ("groups", str(self.groups), self.groups != 1),
                        ("bias", str(self.bias), True),
                        ("padding_mode", repr(self.padding_mode.value),
                         pad is None and self.padding_mode is not PaddingMode.ZEROS)]
            args = [str(self.in_channels), str(self.out_channels), f"kernel_size={as_python(self.kernel_size)}"]
        elif self.op is Op.LP_POOL:
            return self._lp_line()
        else:
            name = f"nn.MaxPool{nd}" if self.op is Op.MAX_POOL else f"nn.AvgPool{nd}"
            optional = [("stride", as_python(self.stride), self.stride != self.kernel_size),
                        ("padding", as_python(self.padding), max(self.padding) != 0),
                        ("dilation", as_python(self.dilation), self.op is Op.MAX_POOL and max(self.dilation) != 1),
                        ("ceil_mode", "True", self.ceil_mode),
                        ("count_include_pad", "False", self.op is Op.AVG_POOL and not self.count_include_pad),
                        ("divisor_override", str(self.divisor_override), self.divisor_override is not None)]
            args = [f"kernel_size={as_python(self.kernel_size)}"]
        args += [f"{key}={text}" for key, text, shown in optional if shown]
        line = f"{name}({', '.join(args)})"
        return f"nn.Sequential({pad}, {line})" if pad else line


SPEC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ConvSpec) if f.init)
