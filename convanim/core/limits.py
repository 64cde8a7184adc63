"""Every size limit in one place, and the check that refuses a config before its memory is spent.

Two kinds of limit. Those a config may raise with a render option, because a big figure can be wanted:
frames (``render.max_frames``), elements of any array the simulation makes (``render.max_elements``) and
canvas pixels times the drawing layers the rasterizer keeps (``render.max_pixels``). And fixed ones that
only guard the reader against hostile files: the config file's size, YAML nesting depth, YAML data elements
after aliases are expanded, channels, layers and the length of a name.

A figure kind describes what it will allocate as a ``Footprint`` (``FigureKind.footprint``), computed from
the spec and render options alone; ``check_footprint`` compares it with the limits. Every refusal is one
``SpecError`` naming the key that sets the size, the size it implies, and the option or documented limit
that raises it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import SpecError

# Fixed limits (README: "Limits").
MAX_FILE_BYTES = 1 << 20  # a config file, or YAML text, of at most 1 MiB
MAX_DEPTH = 32  # nesting of YAML lists and mappings
MAX_DATA_ELEMENTS = 1_000_000  # YAML values in a document, every alias counted as the whole value it stands for
MAX_CHANNELS = 4096  # in_channels and out_channels of any layer
MAX_VALUE = 2**31 - 1  # any size, kernel size, stride, padding, dilation, output padding or group count
MAX_LAYERS = 64  # entries of layers:
MAX_NAME_BYTES = 200  # per folder or file name in name: (the temporary file beside it needs the rest of 255)

# Limits a render option raises (their defaults).
DEFAULT_MAX_FRAMES = 1000
DEFAULT_MAX_ELEMENTS = 10_000_000  # 76 MiB as float64 for the largest array
DEFAULT_MAX_PIXELS = 12_000_000  # canvas pixels x drawing layers: about 450 MiB for the rasterizer

BYTES_PER_ELEMENT = 8  # float64
BYTES_PER_PIXEL_LAYER = 40  # measured: the layers, working buffers and coverage masks


@dataclass(frozen=True, slots=True, kw_only=True)
class Amount:
    """One quantity a figure allocates: the config key that sets it, what it is, and how many."""

    key: str  # e.g. "input_size", "layers[2].kernel_size"
    what: str  # e.g. "the input (in_channels × input_size)"
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Footprint:
    """What drawing a config will allocate, known from its spec and render options alone.

    ``frames``: frames of the animation, ``hold_last`` included. ``arrays``: the largest arrays the
    simulation and the figure make (elements each). ``canvas``: width and height in pixels (an estimate, close
    to what the scene will be), ``layers``: the image layers the rasterizer keeps for it (static drawing between
    the moving parts), and ``canvas_key``: the config key that makes the canvas big.
    """

    frames: int
    arrays: tuple[Amount, ...] = ()
    canvas: tuple[int, int] = (0, 0)
    layers: int = 1
    canvas_key: str = "input_size"

    def __add__(self, other: Footprint) -> Footprint:
        """Two figures side by side: the frames of the longer, both sets of arrays, the canvases beside."""
        return Footprint(frames=max(self.frames, other.frames), arrays=self.arrays + other.arrays,
                         canvas=(self.canvas[0] + other.canvas[0], max(self.canvas[1], other.canvas[1])),
                         layers=max(self.layers, other.layers), canvas_key=self.canvas_key)


def count(n: int) -> str:
    """An integer with thousands separators, ``10,000,000``, or ``about 1.2e+25`` from 10**15 on."""
    if abs(n) < 10**15:
        return f"{n:,}"
    exponent = math.floor(math.log10(abs(n)))
    mantissa = n / 10**exponent if exponent < 300 else 1.0
    return f"about {mantissa:.2g}e+{exponent}"


def size_in_bytes(n: int | float) -> str:
    """``1.5 GiB``: a byte count in binary units."""
    try:
        n = float(n)
    except OverflowError:
        return "more than 1e+308 bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover - the loop returns


def dominant(factors: Iterable[tuple[str, int]]) -> str:
    """The key whose factor is the largest (the first on ties): the one to name in a refusal."""
    best_key, best = "", -1
    for key, factor in factors:
        if factor > best:
            best_key, best = key, factor
    return best_key


def spec_arrays(spec: Any, prefix: str = "", *, simulated: bool = True) -> list[Amount]:
    """The arrays a layer's data and simulation take, from the spec alone (``spec``: a ConvSpec).

    The input ``(in_channels, *input_size)``, the weight, and when ``simulated`` the drawn grid (padded, or
    zero-inserted for a transposed convolution) and the products of every step
    ``(out_channels, in_channels/groups, *output_size, *kernel_size)``. ``prefix`` names a layer of a stack
    (``"layers[2]."``).
    """
    c_in, c_out = spec.in_channels, spec.out_channels
    size, out, k = math.prod(spec.input_size), math.prod(spec.output_size), math.prod(spec.kernel_size)
    arrays = [Amount(key=prefix + dominant([("input_size", size), ("in_channels", c_in)]),
                     what="the input (in_channels × input_size)", size=c_in * size)]
    weight = spec.weight_shape()
    if weight is not None:
        per = c_in // spec.groups
        arrays.append(Amount(key=prefix + dominant([("kernel_size", k), ("out_channels", c_out), ("in_channels", per)]),
                             what="the weight (out_channels × in_channels/groups × kernel_size)",
                             size=math.prod(weight)))
    if simulated:
        drawn = drawn_size(spec)
        grid_key = dominant([("input_size", size), ("in_channels", c_in),
                             ("stride" if spec.transposed else "padding", math.prod(drawn) // max(size, 1))])
        arrays.append(Amount(key=prefix + grid_key, what="the drawn input grid (in_channels × padded input)",
                             size=c_in * math.prod(drawn)))
        per = 1 if spec.is_pool else c_in // spec.groups
        arrays.append(Amount(key=prefix + dominant([("input_size", out), ("kernel_size", k), ("out_channels", c_out),
                                                    ("in_channels", per)]),
                             what="the products of every step (out_channels × in_channels/groups × output × kernel)",
                             size=c_out * per * out * k))
    return arrays


def drawn_size(spec: Any) -> tuple[int, ...]:
    """The drawn input grid's size per axis: padded, zero-inserted for a transposed convolution, with a
    ``ceil_mode`` window's overhang; adaptive pooling's windows stay inside the input."""
    if getattr(spec, "is_adaptive", False):
        return tuple(spec.input_size)
    sizes = []
    for n in range(spec.ndim):
        i, k, s, d = spec.input_size[n], spec.kernel_size[n], spec.stride[n], spec.dilation[n]
        if spec.transposed:
            sizes.append((i - 1) * s + 1 + 2 * (d * (k - 1) - spec.padding[n]) + spec.output_padding[n])
            continue
        padded = i + spec.pad_before[n] + spec.pad_after[n]
        reach = (spec.output_size[n] - 1) * s + d * (k - 1) + 1
        sizes.append(max(padded, reach))
    return tuple(sizes)


SIZE_KEYS = ("input_size", "kernel_size", "stride", "padding", "dilation", "output_padding", "groups")


def check_channels(spec: Any, prefix: str = "") -> None:
    """Refuse a size-like value over MAX_VALUE (numpy's indices must hold it) and more than MAX_CHANNELS input
    or output channels."""
    for key in SIZE_KEYS:
        values = getattr(spec, key)
        values = values if isinstance(values, tuple) else (values,)
        big = max((v for v in values if isinstance(v, int)), default=0)
        if big > MAX_VALUE:
            raise SpecError(prefix + key, f"{count(big)} is over convanim's limit of {count(MAX_VALUE)} for any "
                                          "size, stride, padding or dilation (a documented limit)")
    for key in ("in_channels", "out_channels"):
        value = getattr(spec, key)
        if value > MAX_CHANNELS:
            raise SpecError(prefix + key, f"{count(value)} channels are over convanim's limit of "
                                          f"{count(MAX_CHANNELS)} (a documented limit; see the README's Limits)")


def check_arrays(arrays: Iterable[Amount], limit: int) -> None:
    """Refuse the first array over ``limit`` elements (``render.max_elements``)."""
    for a in arrays:
        if a.size > limit:
            raise SpecError(a.key, f"{a.what} would have {count(a.size)} elements "
                                   f"({size_in_bytes(a.size * BYTES_PER_ELEMENT)} as float64), over the limit of "
                                   f"{count(limit)}; raise it with render: {{max_elements: N}}")


def check_frames(frames: int, limit: int) -> None:
    """Refuse more than ``limit`` frames (``render.max_frames``)."""
    if frames > limit:
        raise SpecError("render.max_frames", f"the animation would have {count(frames)} frames, over the limit of "
                                             f"{limit}; raise it with render: {{max_frames: {frames}}}"
                        if frames < 10**15 else f"the animation would have {count(frames)} frames, over the limit "
                                                f"of {limit}")


def check_canvas(width: int, height: int, layers: int, limit: int, key: str) -> None:
    """Refuse a canvas whose pixels times drawing layers exceed ``limit`` (``render.max_pixels``)."""
    need = width * height * max(layers, 1)
    if need > limit:
        raise SpecError(key, f"the figure would be {count(width)}×{count(height)} pixels in {layers} drawing "
                             f"layer{'s' if layers != 1 else ''} ({count(need)} pixel-layers, "
                             f"{size_in_bytes(need * BYTES_PER_PIXEL_LAYER)} to draw), over the limit of "
                             f"{count(limit)}; lower render.scale or raise render.max_pixels")


def check_footprint(footprint: Footprint, options: Any) -> None:
    """Refuse a footprint over any limit of ``options`` (RenderOptions): frames, then arrays, then canvas."""
    check_frames(footprint.frames, options.max_frames)
    check_arrays(footprint.arrays, options.max_elements)
    check_canvas(*footprint.canvas, footprint.layers, options.max_pixels, footprint.canvas_key)
