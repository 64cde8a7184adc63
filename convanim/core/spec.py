"""ConvSpec: one convolution or pooling layer in PyTorch's own argument names, validated, with its size arithmetic."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from .errors import SpecError
from .words import as_python, listed


class Op(StrEnum):
    CONV = "conv"
    AVG_POOL = "avg_pool"
    MAX_POOL = "max_pool"


class PaddingMode(StrEnum):
    ZEROS = "zeros"
    REFLECT = "reflect"
    REPLICATE = "replicate"
    CIRCULAR = "circular"


SIZE_FIELDS = ("kernel_size", "dilation", "output_padding")
_BOOL_FIELDS = ("transposed", "bias", "ceil_mode", "count_include_pad", "flip_kernel")
_INT_FIELDS = ("in_channels", "out_channels", "groups")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _as_tuple(key: str, value: Any, ndim: int) -> tuple[int, ...]:
    """An int or a list of ``ndim`` ints, as a tuple of ``ndim`` ints."""
    if _is_int(value):
        return (value,) * ndim
    if isinstance(value, (list, tuple)) and all(_is_int(v) for v in value):
        if len(value) != ndim:
            raise SpecError(key, f"expected an int or a list of {ndim} ints (input_size has "
                                 f"{ndim} dimension{'s' if ndim > 1 else ''}), got {list(value)}")
        return tuple(value)
    raise SpecError(key, f"expected an int or a list of {ndim} ints, got {value!r}")


def _enum(key: str, enum: type[StrEnum], value: Any) -> StrEnum:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in enum)
        raise SpecError(key, f"must be one of {choices}, got {value!r}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConvSpec:
    """A convolution, transposed convolution or pooling layer, named as PyTorch names its arguments.

    Build it from plain values: ``ConvSpec(input_size=(5, 5), kernel_size=3, padding="same",
    padding_mode="reflect")``. Size-like fields take an int or one int per spatial dimension; the number
    of spatial dimensions (1 or 2) comes from ``input_size`` (a bare int means a square 2-D input).
    """

    input_size: Any
    kernel_size: Any = 3
    stride: Any = None  # None: 1 for a convolution, kernel_size for pooling (as PyTorch)
    padding: Any = 0  # int, list, "same" or "valid"
    dilation: Any = 1
    transposed: bool = False
    output_padding: Any = 0
    in_channels: int = 1
    out_channels: int | None = None  # None: in_channels
    groups: int = 1
    bias: bool = False
    padding_mode: Any = "zeros"
    op: Any = "conv"
    ceil_mode: bool = False
    count_include_pad: bool = True
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
        if not (isinstance(size, (list, tuple)) and len(size) in (1, 2) and all(_is_int(v) for v in size)):
            raise SpecError("input_size", f"expected an int or a list of 1 or 2 ints, got {self.input_size!r}")
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
        default_stride = self.kernel_size if self.op is not Op.CONV else 1  # as PyTorch
        s(self, "stride", _as_tuple("stride", default_stride if self.stride is None else self.stride, nd))
        if self.out_channels is None:
            s(self, "out_channels", self.in_channels)
        for key in _INT_FIELDS:
            if not _is_int(getattr(self, key)):
                raise SpecError(key, f"expected an int, got {getattr(self, key)!r}")
        if isinstance(self.padding, str):
            if self.padding not in ("same", "valid"):
                raise SpecError("padding", f"must be an int, a list of ints, 'same' or 'valid', got {self.padding!r}")
        else:
            s(self, "padding", _as_tuple("padding", self.padding, nd))
        return nd

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
            at_least("padding", self.padding, 0)
        at_least("in_channels", (self.in_channels,), 1)
        at_least("out_channels", (self.out_channels,), 1)
        at_least("groups", (self.groups,), 1)
        if self.op is not Op.CONV:
            self._validate_pooling()
        elif self.transposed:
            self._validate_conv()
            self._validate_transposed()
        else:
            self._validate_conv()
            self._validate_direct()

    def _validate_pooling(self) -> None:
        op = self.op.value
        if self.transposed:
            raise SpecError("transposed", f"{op} has no transposed form")
        if isinstance(self.padding, str):
            raise SpecError("padding", f"{op} takes integer padding, got {self.padding!r}")
        if self.padding_mode is not PaddingMode.ZEROS:
            raise SpecError("padding_mode", f"{op} pads implicitly; padding_mode must be "
                                            f"'zeros', got {self.padding_mode.value!r}")
        if self.out_channels != self.in_channels:
            raise SpecError("out_channels", f"{op} keeps the channels: must equal "
                                            f"in_channels={self.in_channels}, got {self.out_channels}")
        if self.groups != 1:
            raise SpecError("groups", f"{op} has no groups, got {self.groups}")
        if self.bias:
            raise SpecError("bias", f"{op} has no bias")
        if self.flip_kernel:
            raise SpecError("flip_kernel", f"{op} has no kernel weights to flip")
        if self.op is Op.AVG_POOL and max(self.dilation) > 1:
            raise SpecError("dilation", f"avg_pool has no dilation, got {listed(self.dilation)}")
        for p, k in zip(self.padding, self.kernel_size):
            if 2 * p > k:  # PyTorch bounds it by the undilated kernel, for max_pool too
                raise SpecError("padding", f"must be at most half of the kernel size ({k}/2) for {op}, got {p}")
        if max(self.output_padding) > 0:
            raise SpecError("output_padding", "applies to transposed convolutions only")

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
        if self.op is Op.CONV and not self.transposed and self.padding_mode is not PaddingMode.ZEROS:
            for i, before, after in zip(self.input_size, self.pad_before, self.pad_after):
                p = max(before, after)
                if self.padding_mode is PaddingMode.REFLECT and p >= i:
                    raise SpecError("padding", f"reflect padding must be smaller than the input size "
                                               f"({i}), got {p}")
                if self.padding_mode is PaddingMode.CIRCULAR and p > i:
                    raise SpecError("padding", f"circular padding must be at most the input size ({i}), got {p}")
        if not self.transposed and not self.ceil_mode:  # a ceil_mode window may hang over the edge
            for i, b, a, k, d in zip(self.input_size, self.pad_before, self.pad_after, self.kernel_size, self.dilation):
                if i + b + a < d * (k - 1) + 1:
                    span = f"dilated kernel ({d * (k - 1) + 1})" if d > 1 else f"kernel ({k})"
                    raise SpecError("kernel_size", f"the {span} is larger than the padded input ({i + b + a})")
        out = self.output_size
        if min(out) < 1:
            raise SpecError("padding" if self.transposed else "input_size",
                            f"the output size would be {listed(out)}; it must be at least 1")

    # -- arithmetic ---------------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.input_size)

    @property
    def is_pool(self) -> bool:
        return self.op is not Op.CONV

    @property
    def effective_kernel(self) -> tuple[int, ...]:
        """The dilated kernel's extent, ``d*(k-1)+1`` per dimension."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))

    @property
    def output_size(self) -> tuple[int, ...]:
        """The output's spatial size, as PyTorch computes it."""
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

    def torch_line(self) -> str:
        """The PyTorch expression that builds the same layer."""
        nd = f"{self.ndim}d"
        if self.op is Op.CONV:
            name = f"nn.ConvTranspose{nd}" if self.transposed else f"nn.Conv{nd}"
            padding = repr(self.padding) if isinstance(self.padding, str) else as_python(self.padding)
            optional = [("stride", as_python(self.stride), max(self.stride) != 1),
                        ("padding", padding, isinstance(self.padding, str) or max(self.padding) != 0),
                        ("output_padding", as_python(self.output_padding), max(self.output_padding) != 0),
                        ("dilation", as_python(self.dilation), max(self.dilation) != 1),
                        ("groups", str(self.groups), self.groups != 1),
                        ("bias", str(self.bias), True),
                        ("padding_mode", repr(self.padding_mode.value), self.padding_mode is not PaddingMode.ZEROS)]
            args = [str(self.in_channels), str(self.out_channels), f"kernel_size={as_python(self.kernel_size)}"]
        else:
            name = f"nn.MaxPool{nd}" if self.op is Op.MAX_POOL else f"nn.AvgPool{nd}"
            optional = [("stride", as_python(self.stride), self.stride != self.kernel_size),
                        ("padding", as_python(self.padding), max(self.padding) != 0),
                        ("dilation", as_python(self.dilation), self.op is Op.MAX_POOL and max(self.dilation) != 1),
                        ("ceil_mode", "True", self.ceil_mode),
                        ("count_include_pad", "False", self.op is Op.AVG_POOL and not self.count_include_pad)]
            args = [f"kernel_size={as_python(self.kernel_size)}"]
        args += [f"{key}={text}" for key, text, shown in optional if shown]
        return f"{name}({', '.join(args)})"


SPEC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ConvSpec) if f.init)
