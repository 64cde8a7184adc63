"""The scatter view (``render: {view: scatter}``): a transposed convolution as stamps, one frame per input cell.

Each frame takes one input value, multiplies the kernel by it (the kernel as stored: a transposed convolution
does not flip it) and adds the product onto the output at ``stride``-spaced offsets; overlapping stamps add
up and the output shows the running sum. The whole stamped grid is drawn: ``padding`` cells around it are
computed and then cropped (dashed, their sums in grey), ``output_padding`` keeps that many more rows/columns
at the end (pale). ``overlaps: true`` shades every output cell by how many stamps have covered it, the origin
of checkerboard artefacts (kernel 3, stride 2). The last frame's kept cells are PyTorch's output.

2-D: the input (and kernel) on the left, the output grid on the right, the current input cell and its stamp
shaded. 1-D: the input row spaced ``stride`` cells apart, each input cell over the middle of its stamp, the
output row below, two hairlines from the current input cell to the ends of its stamp.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..config.model import Config
from ..core.arithmetic import describe
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.limits import Footprint
from ..core.options import Reveal, Style, View
from ..core.scene import CellRef, Links, Point, Polygon, Primitive, Scene, Segment, Text
from ..core.spec import ConvSpec
from ..core.text import text_width
from ..core.words import dims, per_axis
from ..engine.scatter import Cell, Scatter, scatter_of
from .alt import alt_text
from .geometry import as_rows, edges_over_padding, grid_width, rc, shade, tint
from .links import cells_group, per_frame
from .panels import (
    CellGrid,
    caption_row,
    caption_text,
    centers_by_channel,
    fills,
    fit_size,
    hairlines,
    label,
    lines,
    note_lines,
    numbers,
    signed,
    subscript,
    thick_outline,
)
from .registry import FigureKind, register
from .steps import FrameGrid
from .values import format_value

MAX_CHANNELS = 4  # input or output channels the scatter view draws
MAX_CANVAS = (24, 24)  # 2-D: the stamped grid, rows × columns, beyond which cells get too small to read
MAX_CANVAS_1D = 48

OP_LABEL = "output_padding"
Z_FILL, Z_COUNT, Z_SHADE, Z_TEXT, Z_SUMS, Z_GRID, Z_LINES, Z_MARK = 0, 2, 10, 15, 16, 18, 20, 40


def canvas_size(spec: ConvSpec) -> tuple[int, ...]:
    """The stamped grid's size from the spec alone: every stamp and the whole output fit on it."""
    out = []
    for n in range(spec.ndim):
        i, s, d, k, p = spec.input_size[n], spec.stride[n], spec.dilation[n], spec.kernel_size[n], spec.padding[n]
        out.append(max((i - 1) * s + d * (k - 1) + 1, p + spec.output_size[n]))
    return tuple(out)


def check_scatter(config: Config) -> None:
    """The scatter view draws one transposed convolution of readable size."""
    spec = config.spec
    if config.layers:
        raise SpecError("render.view", "scatter draws one layer; a layers: config draws its receptive field")
    if spec.is_pool or not spec.transposed:
        what = spec.op.value if spec.is_pool else "a convolution"
        raise SpecError("render.view", f"scatter stamps the input cells of a transposed convolution onto its output; "
                                       f"this layer is {what} (set transposed: true, or use view: gather, matrix "
                                       f"or im2col)")
    if spec.ndim == 3:
        raise SpecError("render.view", "scatter draws 1-D and 2-D layers; this layer is 3-D (view: gather draws it "
                                       "as its depth slices)")
    if max(spec.in_channels, spec.out_channels) > MAX_CHANNELS:
        raise SpecError("render.view", f"scatter draws at most {MAX_CHANNELS} input and output channels, got "
                                       f"{spec.in_channels} → {spec.out_channels}")
    size = canvas_size(spec)
    limit = MAX_CANVAS if spec.ndim == 2 else (MAX_CANVAS_1D,)
    if any(n > m for n, m in zip(size, limit)):
        raise SpecError("render.view", f"the stamped output would be {dims(size)} cells, over scatter's readable "
                                       f"limit of {dims(limit)}; use a smaller input_size or stride")
    if config.render.style not in (Style.AUTO, Style.FLAT):
        raise SpecError("render.style", f"the scatter view is drawn flat; remove style: {config.render.style.value}")
    if config.render.reveal is not Reveal.ALL:
        raise SpecError("render.reveal", "the scatter view always shows the running sums; remove reveal")


@dataclass(slots=True)
class Layout:
    """Where the scatter figure puts its grids and text."""

    width: int = 0
    height: int = 0
    inputs: dict[int, CellGrid] = field(default_factory=dict)
    kernels: list[CellGrid] = field(default_factory=list)
    canvases: dict[int, CellGrid] = field(default_factory=dict)
    texts: list[Primitive] = field(default_factory=list)
    kernel_heads: list[Point] = field(default_factory=list)  # where a multi-channel kernel's name goes
    caption_xy: Point = (0.0, 0.0)


class ScatterFigure:
    """Layout and frames of the scatter view."""

    def __init__(self, config: Config):
        spec = config.spec
        self.spec, self.options, self.theme = spec, config.render, config.render.theme
        self.sc: Scatter = scatter_of(spec, config.input, config.weight, config.bias)
        self.nd = spec.ndim
        self.n_steps = self.sc.n_frames
        self.n_frames = self.n_steps + self.options.hold_last
        self.role = as_rows(self.sc.role, self.nd)
        self.cg_out = spec.out_channels // spec.groups
        self.cg_in = spec.in_channels // spec.groups
        first = self.sc.first_frames()  # (C_out, *canvas); n_steps: never reached
        self.first_hit = first[:, None, :] if self.nd == 1 else first
        self.final_count = as_rows(self.sc.overlaps(self.n_steps - 1), self.nd)
        texts = self.all_texts()
        default = max(40, 12 * max(len(t) for t in texts)) if self.options.numbers else 30
        self.s = float(self.options.scale or default)
        self.text_size = fit_size(texts, self.s)
        self.small = max(9.0, 0.26 * self.s)
        self.head = max(11.0, 0.36 * self.s)

    # -- values -------------------------------------------------------------------------------------------

    def all_texts(self) -> list[str]:
        """Every number the figure writes in a cell (the input, the kernel, every running sum)."""
        shown = {format_value(float(v)) for v in np.unique(self.sc.values)}
        shown |= {format_value(float(v)) for v in np.unique(self.sc.kernel)}
        for n in range(self.n_steps):
            touched = self.sc.targets[n]
            sums = self.sc.running(n)[(slice(None), *touched.T)]
            shown |= {format_value(float(v)) for v in np.unique(sums)}
        shown |= {format_value(float(v)) for v in np.unique(self.sc.running(-1))}
        return sorted(shown)

    def frame_of(self, i: int) -> int:
        return min(i, self.n_steps - 1)

    def source(self, n: int) -> tuple[int, tuple[int, int]]:
        ci, *pos = (int(v) for v in self.sc.sources[n])
        return ci, rc(pos, self.nd)

    def value_name(self, n: int) -> str:
        ci, *pos = (int(v) for v in self.sc.sources[n])
        index = ([ci] if self.spec.in_channels > 1 else []) + pos
        return f"x[{','.join(map(str, index))}]"

    def kernel_values(self, ci: int, j: int) -> np.ndarray:
        """Input channel ``ci``'s kernel into the ``j``-th output channel of its group, as rows."""
        return as_rows(self.sc.kernel[ci, j], self.nd)

    # -- colours ------------------------------------------------------------------------------------------

    def base_fill(self, role: int) -> str | None:
        th = self.theme
        if role == Cell.CROPPED:
            return th.padding
        if self.options.overlaps:
            return th.pending
        return th.output if role == Cell.KEPT else tint(th.output, 0.45, th.background)

    def count_fill(self, count: int, role: int) -> str:
        """The overlap shade: deeper with every stamp (grey on cropped cells)."""
        top = max(1, int(self.final_count.max()))
        amount = 0.25 + 0.75 * count / top
        if role == Cell.CROPPED:
            return tint(self.theme.grid, 0.06 + 0.22 * count / top, self.theme.background)
        return tint(self.theme.output, amount, self.theme.background)

    @property
    def kernel_fill(self) -> str:
        return tint(self.theme.shade, self.theme.shade_alpha, self.theme.background)

    @property
    def muted(self) -> str:
        return tint(self.theme.text, 0.45, self.theme.background)

    # -- layout -------------------------------------------------------------------------------------------

    def grid_names(self) -> tuple[list[str], str, list[str]]:
        spec = self.spec
        size, k = dims(spec.input_size), dims(spec.kernel_size)
        canvas, out = dims(self.sc.canvas_size), dims(spec.output_size)
        many_in, many_out = spec.in_channels > 1, spec.out_channels > 1
        ins = [f"input {size}" + (f" · ch {c}" if many_in else "") for c in range(spec.in_channels)]
        kernel = f"kernel {k} (as stored, not flipped)"
        tail = f"output {out}" + (f", cropped from the {canvas} stamped grid" if canvas != out else "")
        outs = [tail + (f" · ch {c}" if many_out else "") for c in range(spec.out_channels)]
        return ins, kernel, outs

    def layout(self) -> Layout:
        return self.layout_2d() if self.nd == 2 else self.layout_1d()

    def layout_2d(self) -> Layout:
        s, spec = self.s, self.spec
        margin, head, gap = round(0.5 * s), round(0.8 * s), round(0.45 * s)
        top = margin + (round(0.8 * s) if self.options.labels else 0)
        ins, kernel, outs = self.grid_names()
        lay = Layout()
        h, w = spec.input_size
        kh, kw = spec.kernel_size
        y = top
        for c in range(spec.in_channels):
            lay.texts.append(label((margin, y + 0.62 * head), ins[c], self.head, self.theme, Z_TEXT))
            lay.inputs[c] = CellGrid((margin, y + head), (h, w), s)
            y += head + h * s + gap
        for _ in range(self.cg_out):
            if spec.in_channels * spec.out_channels == 1:
                lay.texts.append(label((margin, y + 0.62 * head), kernel, self.head, self.theme, Z_TEXT))
            else:
                lay.kernel_heads.append((margin, y + 0.62 * head))
            lay.kernels.append(CellGrid((margin, y + head), (kh, kw), s))
            y += head + kh * s + gap
        kernel_names = [kernel] if spec.in_channels * spec.out_channels == 1 else ["kernel: in 0 → out 0"]
        left_w = max(w * s, kw * s, *(text_width(t, self.head, "sans") for t in [*ins, *kernel_names]))
        x = margin + left_w + round(1.6 * s)
        ch, cw = self.role.shape
        per_row = 2 if spec.out_channels > 2 else 1  # four output channels: two rows of two
        pitch = max(cw * s, max(text_width(t, self.head, "sans") for t in outs)) + round(1.2 * s)
        for c in range(spec.out_channels):
            row, col = divmod(c, per_row)
            x0, y0 = x + col * pitch, top + row * (head + ch * s + gap)
            lay.texts.append(label((x0, y0 + 0.62 * head), outs[c], self.head, self.theme, Z_TEXT))
            lay.canvases[c] = CellGrid((x0, y0 + head), (ch, cw), s)
        y_out = max(g.bottom for g in lay.canvases.values()) + gap
        right = x + (per_row - 1) * pitch + max(cw * s, max(text_width(t, self.head, "sans") for t in outs))
        if spec.output_padding[0]:  # the output_padding rows are marked on the right
            right = max(right, x + cw * s + 0.5 * s + text_width(OP_LABEL, self.small * 1.15, "sans"))
        self.finish(lay, max(y, y_out), right, margin)
        return lay

    def layout_1d(self) -> Layout:
        s, spec = self.s, self.spec
        margin = round(0.5 * s)
        top = margin + (round(0.8 * s) if self.options.labels else 0)
        many_in, many_out = spec.in_channels > 1, spec.out_channels > 1
        in_names = ["input" + (f" ch {c}" if many_in else "") for c in range(spec.in_channels)]
        out_names = ["output" + (f" ch {c}" if many_out else "") for c in range(spec.out_channels)]
        k_names = ["kernel"] * self.cg_out
        label_w = max(text_width(t, self.head, "sans") for t in [*in_names, *out_names, "kernel"]) + 0.5 * s
        left = margin + label_w
        lay = Layout()
        y = float(top)
        stride, eff = spec.stride[0], spec.effective_kernel[0]
        rows: list[tuple[str, float]] = []
        for j in range(self.cg_out):
            lay.kernels.append(CellGrid((left, y), (1, spec.kernel_size[0]), s))
            rows.append((k_names[j], y))
            y += 1.4 * s
        y += 0.2 * s
        for c in range(spec.in_channels):
            x0 = left + (eff - 1) / 2 * s  # each input cell over the middle of its stamp
            lay.inputs[c] = CellGrid((x0, y), (1, spec.input_size[0]), s, pitch=(stride * s, s))
            rows.append((in_names[c], y))
            y += 1.4 * s
        y += 1.2 * s  # room for the stamp's hairlines
        for c in range(spec.out_channels):
            lay.canvases[c] = CellGrid((left, y), (1, self.sc.canvas_size[0]), s)
            rows.append((out_names[c], y))
            y += 1.4 * s
        for name, row_y in rows:
            lay.texts.append(label((left - 0.3 * s, row_y + s / 2), name, self.head, self.theme, Z_TEXT, "rm"))
        if spec.in_channels * spec.out_channels > 1:
            lay.kernel_heads = [(g.right + 0.3 * s, g.origin[1] + s / 2) for g in lay.kernels]
        right = max(g.right for g in [*lay.inputs.values(), *lay.canvases.values(), *lay.kernels])
        if lay.kernel_heads:
            right = max(right, lay.kernel_heads[0][0] + text_width("in 0 → out 0", self.head, "sans"))
        self.finish(lay, y - 0.15 * s + (0.6 * s if spec.output_padding[0] else 0), right, margin)
        return lay

    def finish(self, lay: Layout, bottom: float, right: float, margin: int) -> None:
        """The notes, legend and caption under the grids; the canvas size."""
        s, th = self.s, self.theme
        notes, widths, y = note_lines(self.notes(), margin, bottom + 0.2 * s, s, self.head, th, Z_TEXT)
        lay.texts += notes
        widths.append(right + margin)
        if self.options.overlaps:
            legend, end = self.legend(margin, y + 0.15 * s)
            lay.texts += legend
            widths.append(end + margin)
            y += 0.9 * s
        captions = [self.caption(n) for n in range(self.n_steps)] if self.options.caption else []
        lay.width, lay.height, lay.caption_xy = caption_row(widths, y, captions, margin, s)
        if self.options.labels:
            lay.texts.append(Text(xy=(lay.width / 2, margin + 0.32 * s), text=describe(self.spec), size=0.4 * s,
                                  color=th.caption, font="sans", z=Z_TEXT))

    def notes(self) -> list[str]:
        """What the grids show, in words: the size arithmetic, what is cropped, what output_padding keeps."""
        spec, sc = self.spec, self.sc
        p, op = spec.padding, spec.output_padding
        side = "row and column" if self.nd == 2 else "cell"
        crop = f" − 2·{per_axis(p)} cropped" if max(p) else ""
        extra = f" + {per_axis(op)} output_padding" if max(op) else ""
        tail = "" if crop or extra else " (padding 0: nothing is cropped)"
        lines_ = [f"{dims(sc.full_size)} stamped{crop}{extra} = {dims(spec.output_size)} output{tail}"]
        if max(p):
            lines_.append(f"dashed: padding={per_axis(p)} crops {per_axis(p)} {side} on each side "
                          f"(computed, then cut away)")
        if max(op):
            inside = all(o <= pp for pp, o in zip(p, op) if o)
            hold = "the bias" if self.sc.bias is not None else "0"
            what = "values the crop would have cut, not added zeros" if inside else \
                f"past the last stamp, so they hold {hold}"
            lines_.append(f"output_padding={per_axis(op)} keeps {per_axis(op)} more {side} at the end ({what})")
        return lines_

    def legend(self, x: float, y: float) -> tuple[list[Primitive], float]:
        """Swatches of the overlap shades: "stamps on a cell: 1 2 4"."""
        s, th = self.s, self.theme
        size = 0.6 * s
        text = "stamps on a cell:"
        prims: list[Primitive] = [label((x, y + size * 0.72), text, self.head, th, Z_TEXT)]
        x += text_width(text, self.head, "sans") + 0.3 * s
        for count in sorted({int(c) for c in np.unique(self.final_count) if c > 0}):
            cell = ((x, y), (x + size, y), (x + size, y + size), (x, y + size))
            prims += [Polygon(points=cell, fill=self.count_fill(count, Cell.KEPT), z=Z_TEXT),
                      *thick_outline(cell, th, s / 2, Z_TEXT),
                      Text(xy=(x + size / 2, y + size / 2), text=str(count), size=0.6 * size, color=th.text,
                           z=Z_TEXT)]
            x += size + 0.2 * s
        return prims, x

    def caption(self, n: int) -> str:
        taps = self.sc.targets[n]
        lo, hi = taps.min(axis=0), taps.max(axis=0)
        value = format_value(float(self.sc.values[tuple(self.sc.sources[n])]))
        where = [f"{a}–{b}" if a != b else f"{a}" for a, b in zip(lo, hi)]
        at = f"rows {where[0]}, columns {where[1]}" if self.nd == 2 else f"cells {where[0]}"
        return f"{self.value_name(n)} = {value}: {value}·kernel added at {at} of the stamped grid"

    # -- static -------------------------------------------------------------------------------------------

    def static(self, lay: Layout) -> list[Primitive]:
        th, spec = self.theme, self.spec
        prims: list[Primitive] = list(lay.texts)
        for c, grid in lay.inputs.items():
            prims += fills(grid, lambda r, q: th.input, Z_FILL)
            if self.options.numbers:
                prims += numbers(grid, as_rows(self.sc.values[c], self.nd), self.text_size, th.text, Z_TEXT)
            prims += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        for j, grid in enumerate(lay.kernels):
            prims += fills(grid, lambda r, q: self.kernel_fill, Z_FILL)
            if self.options.numbers and spec.in_channels == 1:
                prims += numbers(grid, self.kernel_values(0, j), self.text_size, th.text, Z_TEXT)
            prims += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        for c, grid in lay.canvases.items():
            prims += fills(grid, lambda r, q: self.base_fill(self.role[r, q]), Z_FILL)
            never = self.first_hit[c] >= self.n_steps
            if self.options.numbers and never.any():
                start = as_rows(self.sc.running(-1)[c], self.nd)
                prims += numbers(grid, start, self.text_size, self.muted, Z_TEXT, shown=never)
            prims += lines(grid, self.role != Cell.CROPPED, th, Z_GRID)
        prims += self.extra_marks(lay.canvases[max(lay.canvases)])  # once: on the last output channel
        return prims

    def extra_marks(self, grid: CellGrid) -> list[Primitive]:
        """Brackets beside the output_padding rows (right) and columns (below), labelled in words."""
        th, s = self.theme, self.s
        spec = self.spec
        p = (0, *spec.padding) if self.nd == 1 else spec.padding
        o = (1, *spec.output_size) if self.nd == 1 else spec.output_size
        op = (0, *spec.output_padding) if self.nd == 1 else spec.output_padding
        width = grid_width(th, s)
        size = self.small * 1.15
        prims: list[Primitive] = []
        if op[1]:  # columns: a bracket under them, the words under it
            (x0, _), (x1, y1) = grid.corner(0, p[1] + o[1] - op[1]), grid.corner(grid.shape[0] - 1, p[1] + o[1] - 1)
            x1, y = x1 + s, y1 + s + 0.22 * s
            prims += bracket(((x0, y), (x1, y)), (0, -0.14 * s), th.caption, width)
            prims.append(Text(xy=(x1, y + 0.1 * s), text=OP_LABEL, size=size, color=th.caption, anchor="rt",
                              font="sans", z=Z_TEXT))
        if op[0]:  # rows: a bracket to their right, the words beside it
            (x1, y0), (_, y1) = grid.corner(p[0] + o[0] - op[0], grid.shape[1] - 1), grid.corner(p[0] + o[0] - 1, 0)
            x = x1 + s + 0.22 * s
            prims += bracket(((x, y0), (x, y1 + s)), (-0.14 * s, 0), th.caption, width)
            prims.append(Text(xy=(x + 0.15 * s, (y0 + y1 + s) / 2), text=OP_LABEL, size=size, color=th.caption,
                              anchor="lm", font="sans", z=Z_TEXT))
        return prims

    # -- frames -------------------------------------------------------------------------------------------

    def frame_fn(self, lay: Layout) -> Callable[[int], tuple[Primitive, ...]]:
        th, s = self.theme, self.s

        def frame(i: int) -> tuple[Primitive, ...]:
            n = self.frame_of(i)
            ci, (r, q) = self.source(n)
            inp = lay.inputs[ci]
            prims: list[Primitive] = [shade(inp.cell(r, q), th, Z_SHADE), *thick_outline(inp.cell(r, q), th, s, Z_MARK)]
            prims += self.kernel_frame(lay, ci)
            taps = [rc(t, self.nd) for t in self.sc.targets[n]]
            outs = [int(co) for co in self.sc.out_channels[n]]
            for j, co in enumerate(outs):
                prims += self.stamp_frame(lay.canvases[co], taps, self.sc.contributions[n, j])
            if self.nd == 1:
                prims += hairlines(inp.cell(r, q), lay.canvases[outs[0]], taps, th, Z_LINES)
            if self.options.overlaps:
                prims += self.count_frame(lay, n)
            if self.options.numbers:
                prims += self.sums_frame(lay, n)
            if self.options.caption:
                prims.append(caption_text(lay.caption_xy, self.caption(n), s, th, Z_MARK))
            return tuple(prims)

        return frame

    def kernel_frame(self, lay: Layout, ci: int) -> list[Primitive]:
        """A multi-channel figure's kernels of the current input channel: their names and weights."""
        if self.spec.in_channels * self.spec.out_channels == 1:
            return []
        th = self.theme
        group = ci // self.cg_in
        prims: list[Primitive] = []
        for j, grid in enumerate(lay.kernels):
            co = group * self.cg_out + j
            anchor = "lm" if self.nd == 1 else "ls"
            prims.append(label(lay.kernel_heads[j], f"kernel: in {ci} → out {co}", self.head, th, Z_MARK, anchor))
            if self.options.numbers:
                prims += numbers(grid, self.kernel_values(ci, j), self.text_size, th.text, Z_MARK)
        return prims

    def stamp_frame(self, grid: CellGrid, taps: list[tuple[int, int]], products: np.ndarray) -> list[Primitive]:
        """One output channel's stamp: its cells shaded, solid edges over cropped cells, each product written."""
        th, s = self.theme, self.s
        prims: list[Primitive] = [shade(grid.cell(r, q), th, Z_SHADE) for r, q in taps]
        width = grid_width(th, s)
        plane = grid.plane()
        for e0, f0, e1, f1, _ in edges_over_padding(taps, self.role != Cell.CROPPED):
            prims.append(Segment(start=plane.at(e0, f0), end=plane.at(e1, f1), color=th.grid, width=width, z=Z_MARK))
        if self.options.numbers:
            prims += [subscript(grid, r, q, signed(v), self.small, th, Z_MARK) for (r, q), v in zip(taps, products)]
        return prims

    def count_frame(self, lay: Layout, n: int) -> list[Primitive]:
        count = as_rows(self.sc.overlaps(n), self.nd)
        prims: list[Primitive] = []
        for grid in lay.canvases.values():
            prims += fills(grid, lambda r, q: self.count_fill(int(count[r, q]), self.role[r, q])
                           if count[r, q] else None, Z_COUNT)
        return prims

    def sums_frame(self, lay: Layout, n: int) -> list[Primitive]:
        """The running sum in every cell a stamp has reached (grey on cropped cells)."""
        sums = self.sc.running(n)
        prims: list[Primitive] = []
        for c, grid in lay.canvases.items():
            values = as_rows(sums[c], self.nd)
            for cropped in (False, True):
                shown = (self.first_hit[c] <= n) & ((self.role == Cell.CROPPED) == cropped)
                prims += numbers(grid, values, self.text_size, self.muted if cropped else self.theme.text, Z_SUMS,
                                 shown=shown)
        return prims

    # -- the scene ----------------------------------------------------------------------------------------

    def scene(self) -> Scene:
        lay = self.layout()
        return Scene(width=lay.width, height=lay.height, background=self.theme.background,
                     static=tuple(self.static(lay)), n_frames=self.n_frames, frame=self.frame_fn(lay),
                     dynamic_z=frozenset({Z_COUNT, Z_SHADE, Z_SUMS, Z_LINES, Z_MARK}), regions=self.regions(lay),
                     narration=lambda i: self.caption(self.frame_of(i)), links=lambda: self.links(lay))

    def links(self, lay: Layout) -> Links:
        """Input cells, and every output channel's whole stamped grid (cropped cells included): a stamped cell
        reads every input cell whose stamp reaches it; frame n computes the cells of its stamp."""
        many_in, many_out = self.spec.in_channels > 1, self.spec.out_channels > 1
        groups = [cells_group("input" + (f" channel {c}" if many_in else ""), g.shape, g.cell)
                  for c, g in lay.inputs.items()]
        base = len(groups)
        groups += [cells_group("stamped output" + (f" channel {c}" if many_out else ""), g.shape, g.cell)
                   for c, g in lay.canvases.items()]
        in_cols, canvas_cols = lay.inputs[0].shape[1], self.role.shape[1]
        reads: dict[CellRef, list[CellRef]] = {}
        writes: list[tuple[CellRef, ...]] = []
        for n in range(self.n_steps):
            ci, (r, q) = self.source(n)
            source = (ci, r * in_cols + q)
            cells = [(base + int(co), tr * canvas_cols + tq) for co in self.sc.out_channels[n]
                     for tr, tq in (rc(t, self.nd) for t in self.sc.targets[n])]
            for cell in cells:
                reads.setdefault(cell, []).append(source)
            writes.append(tuple(cells))
        return Links(groups=tuple(groups), reads=tuple((c, tuple(dict.fromkeys(r))) for c, r in reads.items()),
                     writes=per_frame(writes, self.n_frames))

    def regions(self, lay: Layout) -> dict[str, object]:
        """Cell centres per grid, the engine's Scatter, and per frame the input cell read and canvas cells written
        (canvas coordinates; ``output_origin`` is where output[0] sits on the canvas)."""
        canvas = centers_by_channel(lay.canvases)
        p = (0, *self.spec.padding) if self.nd == 1 else self.spec.padding
        o = self.spec.output_size if self.nd == 2 else (1, *self.spec.output_size)
        crop = (slice(p[0], p[0] + o[0]), slice(p[1], p[1] + o[1]))
        output = canvas[crop] if isinstance(canvas, np.ndarray) else {c: v[crop] for c, v in canvas.items()}
        reads = tuple({"input": self.sc.sources[n][None, :].copy()} for n in range(self.n_steps))
        writes = tuple({"canvas": np.concatenate(
            [np.column_stack([np.full(len(self.sc.targets[n]), co), self.sc.targets[n]])
             for co in self.sc.out_channels[n]])} for n in range(self.n_steps))
        return {"input_centers": centers_by_channel(lay.inputs), "canvas_centers": canvas, "output_centers": output,
                "kernel_centers": [g.centers() for g in lay.kernels], "canvas_role": self.role,
                "output_origin": tuple(self.spec.padding), "scatter": self.sc, "named_planes": True, "reads": reads,
                "writes": writes}


def bracket(ends: tuple[Point, Point], tick: Point, color: str, width: float) -> list[Primitive]:
    """A line between two points with a tick at each end, ``tick`` pixels long (towards what it marks)."""
    (x0, y0), (x1, y1) = ends
    return [Segment(start=(x0, y0), end=(x1, y1), color=color, width=width, z=Z_TEXT),
            Segment(start=(x0, y0), end=(x0 + tick[0], y0 + tick[1]), color=color, width=width, z=Z_TEXT),
            Segment(start=(x1, y1), end=(x1 + tick[0], y1 + tick[1]), color=color, width=width, z=Z_TEXT)]


class ScatterView(FigureKind):
    """``view: scatter``: one frame per input cell, its stamp added onto the output."""

    name = "scatter"

    def applies(self, config: Config) -> bool:
        return config.render.view is View.SCATTER

    def check(self, config: Config) -> None:
        check_scatter(config)

    def steps(self, config: Config) -> int:
        return config.spec.in_channels * math.prod(config.spec.input_size)

    def frame_grid(self, config: Config) -> FrameGrid:
        size = (config.spec.in_channels, *config.spec.input_size)
        return FrameGrid(shape=size, rows_axis=len(size) - 2 if len(size) > 2 else None)

    def scene(self, config: Config) -> Scene:
        return ScatterFigure(config).scene()

    def footprint(self, config: Config) -> Footprint:
        """The laid-out canvas itself (``check`` bounds the grid, so placing it is cheap), with the three static
        layers a scatter figure keeps (cells and sums below the stamps, the grid between, the marks above)."""
        lay = ScatterFigure(config).layout()
        return replace(super().footprint(config), canvas=(lay.width, lay.height), layers=3)

    def info_lines(self, config: Config) -> list[str]:
        return layer_info_lines(config.spec, f"{self.steps(config)} (scatter view: one per input cell, stamped on a "
                                             f"{dims(canvas_size(config.spec))} grid)")

    def alt_text(self, config: Config) -> str:
        text = alt_text(config.spec)
        text += "; drawn as stamps: each input value times the kernel added onto the output at stride offsets"
        return text + (", shaded by how many stamps overlap" if config.render.overlaps else "")


register(ScatterView(), precedence=20)
