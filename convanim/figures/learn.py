"""Learning a kernel (a config with ``learn:``): gradient descent on the layer's weight and bias, one frame per
step (or every ``learn.every``-th step).

Each frame shows the step and the loss, the layer's output beside the target and their difference cell by cell
(the error, shaded by sign and size), the current kernel and bias with their values, their gradients (what the
next update subtracts, times the learning rate) and the loss curve so far. Every number equals ``nn.Conv2d``
trained by ``torch.optim.SGD`` from the same start.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..config.grads import Learn, Reduction
from ..config.model import Config
from ..core.arithmetic import info_lines as layer_info_lines
from ..core.errors import SpecError
from ..core.limits import Amount, Footprint, check_arrays, check_frames, spec_arrays
from ..core.options import Compare, Reveal, Style, View
from ..core.scene import CellRef, Links, Point, Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..core.words import dims
from ..engine import simulate
from ..engine.learn import State, descend
from .alt import alt_text
from .backward import MAX_CHANNELS, check_grid, check_planar, lowered
from .geometry import GROUP_HUES, as_rows, tint
from .links import cells_group, per_frame
from .panels import CellGrid, fills, fit_size, label, lines, numbers
from .registry import FigureKind, register, unshown
from .values import format_value

Z_FILL, Z_ERROR, Z_TEXT, Z_GRID, Z_DYN, Z_DYN_TEXT = 0, 5, 15, 18, 30, 40


def target_of(config: Config) -> np.ndarray:
    """The output to learn: given, or what the target kernel (and bias) give on the input."""
    learn = config.learn
    assert learn is not None
    if learn.target is not None:
        return learn.target
    spec = config.spec
    zero = np.zeros(spec.out_channels) if spec.bias else None
    output = simulate(spec, config.input, learn.target_weight, zero).output
    if learn.target_bias is not None:
        output = output + learn.target_bias.reshape(-1, *(1,) * spec.ndim)
    return output


def states_of(config: Config) -> tuple[State, ...]:
    learn = config.learn
    assert learn is not None
    return descend(config.spec, config.input, config.weight, config.bias, target_of(config), steps=learn.steps,  # type: ignore[arg-type]
                   lr=learn.lr, reduction=learn.reduction.value)


def loss_words(learn: Learn) -> str:
    if learn.reduction is Reduction.SUM:
        return "L = Σ (ŷ − y)², the squared error summed over every output cell"
    return "L = mean (ŷ − y)², nn.MSELoss()"


def array_text(values: np.ndarray) -> str:
    """``[[0.96, −0.98]]``: an array's values as nested lists, as drawn."""
    if values.ndim == 0:
        return format_value(float(values))
    return "[" + ", ".join(array_text(v) for v in values) + "]"


def texts_of(arrays: list[np.ndarray]) -> list[str]:
    """Every number ``arrays`` hold, as drawn."""
    return sorted({format_value(float(v)) for v in np.unique(np.concatenate(arrays))})


def printed(values: np.ndarray) -> str:
    """An array to four decimals, as ``convanim info`` prints it."""
    return np.array2string(values, precision=4, separator=", ", suppress_small=True)


@dataclass(slots=True)
class Layout:
    width: int = 0
    height: int = 0
    outputs: dict[int, CellGrid] = field(default_factory=dict)
    targets: dict[int, CellGrid] = field(default_factory=dict)
    errors: dict[int, CellGrid] = field(default_factory=dict)
    inputs: dict[int, CellGrid] = field(default_factory=dict)
    kernels: dict[tuple[int, int], CellGrid] = field(default_factory=dict)
    grads: dict[tuple[int, int], CellGrid] = field(default_factory=dict)
    bias: CellGrid | None = None
    grad_bias: CellGrid | None = None
    curve: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # x0, y0, x1, y1 of the plot
    texts: list[Primitive] = field(default_factory=list)
    headline_xy: Point = (0.0, 0.0)


class LearnFigure:
    """Layout and frames of gradient descent."""

    def __init__(self, config: Config):
        self.config, self.spec, self.options, self.theme = config, config.spec, config.render, config.render.theme
        self.learn: Learn = config.learn  # type: ignore[assignment]
        self.states = states_of(config)
        self.target = target_of(config)
        self.shown = self.learn.shown_steps
        self.n_steps = len(self.shown)
        self.n_frames = self.n_steps + self.options.hold_last
        self.nd = self.spec.ndim
        errors = [st.output - self.target for st in self.states]
        outputs = [self.target.ravel(), *(st.output.ravel() for st in self.states), *(e.ravel() for e in errors)]
        params = [a.ravel() for st in self.states for a in (st.weight, st.grad_weight, st.bias, st.grad_bias)
                  if a is not None]
        groups = [texts_of(outputs), texts_of([self.config.input.ravel()]), texts_of(params)]
        self.s = float(self.options.scale or max(44, 10.5 * max(len(t) for g in groups for t in g)))
        # each group of grids its own text size: the widest number of the group fills 85 % of a cell
        self.out_size, self.in_size, self.param_size = (fit_size(g, self.s) for g in groups)
        self.head = max(11.0, 0.36 * self.s)
        losses = np.array([st.loss for st in self.states])
        self.log = bool(losses.min() > 0 and losses.max() / losses.min() > 50)
        self.losses = losses

    # -- words --------------------------------------------------------------------------------------------

    def state(self, i: int) -> State:
        return self.states[self.shown[min(i, self.n_steps - 1)]]

    def narration(self, i: int) -> str:
        st = self.state(i)
        text = f"step {st.step} of {self.learn.steps}: loss {st.loss:.4g}; w = {array_text(self.squeeze(st.weight))}"
        if st.bias is not None:
            text += f", b = {array_text(st.bias)}"
        text += f"; ∂L/∂w = {array_text(self.squeeze(st.grad_weight))}"
        if st.grad_bias is not None:
            text += f", ∂L/∂b = {array_text(st.grad_bias)}"
        return text

    def squeeze(self, w: np.ndarray) -> np.ndarray:
        """One channel pair: the kernel alone, as the notes write it."""
        return w[0, 0] if w.shape[0] * w.shape[1] == 1 else w

    def headline(self, i: int) -> str:
        st = self.state(i)
        return f"step {st.step} of {self.learn.steps} · loss {st.loss:.4g}"

    # -- layout -------------------------------------------------------------------------------------------

    def layout(self) -> Layout:
        s, spec, th = self.s, self.spec, self.theme
        margin, head, gap = round(0.5 * s), round(0.8 * s), round(0.6 * s)
        lay = Layout()
        lay.headline_xy = (margin, margin + 0.75 * s)
        rule = f"gradient descent: w ← w − {self.learn.lr:g}·∂L/∂w" + (f", b ← b − {self.learn.lr:g}·∂L/∂b"
                                                                       if spec.bias else "")
        rules = [rule, loss_words(self.learn)]
        for n, text in enumerate(rules):
            lay.texts.append(label((margin, margin + (1.4 + 0.55 * n) * s), text, self.head, th, Z_TEXT))
        y0 = margin + 2.3 * s
        oshape = as_rows(np.zeros(spec.output_size), self.nd).shape
        many = spec.out_channels > 1
        x = float(margin)
        right = x
        for name, grids in (("ŷ, the output", lay.outputs), ("y, the target", lay.targets),
                            ("ŷ − y, the error", lay.errors)):
            y = y0
            width = 0.0
            for c in range(spec.out_channels):
                text = name + (f" · ch {c}" if many else "")
                lay.texts.append(label((x, y + 0.62 * head), text, self.head, th, Z_TEXT))
                grids[c] = CellGrid((x, y + head), oshape, s)
                y += head + oshape[0] * s + 0.45 * s
                width = max(width, oshape[1] * s, text_width(text, self.head, "sans"))
            right = x + width
            x += width + gap
        y1 = y + 0.2 * s
        bottom, x = self.place_params(lay, float(margin), y1)
        plot_w, plot_h = max(6 * s, 240.0), max(bottom - y1 - head - 1.0 * s, 3 * s)
        x0 = x + 1.6 * s
        lay.texts.append(label((x0 - 1.1 * s, y1 + 0.62 * head), "loss", self.head, th, Z_TEXT))
        lay.curve = (x0, y1 + head, x0 + plot_w, y1 + head + plot_h)
        right = max(right, x0 + plot_w + 0.5 * s)
        bottom = max(bottom, lay.curve[3] + 1.1 * s)
        lay.width = round(max(right, *(margin + text_width(t, self.head, "sans") for t in rules)) + margin)
        lay.height = round(bottom + margin)
        return lay

    def place_params(self, lay: Layout, x: float, y: float) -> tuple[float, float]:
        """The input, the kernel (and bias), their gradients; returns the bottom and the right edge."""
        s, spec, th = self.s, self.spec, self.theme
        head, gap = round(0.8 * s), round(0.6 * s)
        ishape = as_rows(np.zeros(spec.input_size), self.nd).shape
        kshape = as_rows(np.zeros(spec.kernel_size), self.nd).shape
        bottom = y
        for c in range(spec.in_channels):
            text = "x, the input" + (f" · ch {c}" if spec.in_channels > 1 else "")
            lay.texts.append(label((x, y + 0.62 * head), text, self.head, th, Z_TEXT))
            lay.inputs[c] = CellGrid((x, y + head), ishape, s)
            bottom = y = y + head + ishape[0] * s + 0.45 * s
        x += max(ishape[1] * s, text_width("x, the input · ch 0", self.head, "sans")) + gap
        a_n, b_n = self.states[0].weight.shape[:2]
        for grids, name, bias_name in ((lay.kernels, "w", "b"), (lay.grads, "∂L/∂w", "∂L/∂b")):
            yk = lay.inputs[0].origin[1] - head
            width = 0.0
            for a in range(a_n):
                for b in range(b_n):
                    text = name + (f"[{a},{b}]" if a_n * b_n > 1 else "")
                    lay.texts.append(label((x, yk + 0.62 * head), text, self.head, th, Z_TEXT))
                    grids[(a, b)] = CellGrid((x, yk + head), kshape, s)
                    yk += head + kshape[0] * s + 0.45 * s
                    width = max(width, kshape[1] * s, text_width(text, self.head, "sans"))
            if spec.bias:
                lay.texts.append(label((x, yk + 0.62 * head), bias_name, self.head, th, Z_TEXT))
                cell = CellGrid((x, yk + head), (1, spec.out_channels), s)
                if name == "w":
                    lay.bias = cell
                else:
                    lay.grad_bias = cell
                yk += head + s + 0.45 * s
                width = max(width, spec.out_channels * s)
            bottom = max(bottom, yk)
            x += width + gap
        return bottom, x - gap

    # -- static and frames --------------------------------------------------------------------------------

    def static(self, lay: Layout) -> list[Primitive]:
        th = self.theme
        prims: list[Primitive] = list(lay.texts)
        kernel_fill = tint(th.shade, th.shade_alpha, th.background)
        for c, grid in lay.inputs.items():
            prims += fills(grid, lambda r, q: th.input, Z_FILL)
            prims += numbers(grid, as_rows(self.config.input[c], self.nd), self.in_size, th.text, Z_TEXT)
        for c, grid in lay.targets.items():
            prims += fills(grid, lambda r, q: th.output, Z_FILL)
            prims += numbers(grid, as_rows(self.target[c], self.nd), self.out_size, th.text, Z_TEXT)
        for grid in lay.outputs.values():
            prims += fills(grid, lambda r, q: th.output, Z_FILL)
        for grid in [*lay.kernels.values(), *([lay.bias] if lay.bias else [])]:
            prims += fills(grid, lambda r, q: kernel_fill, Z_FILL)
        for grid in [*lay.grads.values(), *([lay.grad_bias] if lay.grad_bias else [])]:
            prims += fills(grid, lambda r, q: tint(th.shade, 0.15, th.background), Z_FILL)
        grids = [*lay.inputs.values(), *lay.targets.values(), *lay.outputs.values(), *lay.errors.values(),
                 *lay.kernels.values(), *lay.grads.values(), *(g for g in (lay.bias, lay.grad_bias) if g)]
        for grid in grids:
            prims += lines(grid, np.ones(grid.shape, bool), th, Z_GRID)
        return prims + self.axes(lay)

    def axes(self, lay: Layout) -> list[Primitive]:
        """The loss plot's frame, its ticks and the whole curve, pale (the frames draw it up to their step)."""
        th = self.theme
        x0, y0, x1, y1 = lay.curve
        small = 0.85 * self.head
        prims: list[Primitive] = [Segment(start=(x0, y0), end=(x0, y1), color=th.grid, width=1.0, z=Z_GRID),
                                  Segment(start=(x0, y1), end=(x1, y1), color=th.grid, width=1.0, z=Z_GRID)]
        lo, hi = self.bounds()
        for value in (hi, lo):
            y = self.y_of(value, lay)
            prims.append(Segment(start=(x0 - 4, y), end=(x0, y), color=th.grid, width=1.0, z=Z_GRID))
            prims.append(Text(xy=(x0 - 6, y), text=f"{value:.3g}", size=small, color=th.caption, anchor="rm",
                              font="sans", z=Z_TEXT))
        for step in (0, self.learn.steps):
            x = self.x_of(step, lay)
            prims.append(Text(xy=(x, y1 + 0.6 * small), text=str(step), size=small, color=th.caption, anchor="mt",
                              font="sans", z=Z_TEXT))
        name = "step" + (" (loss on a log scale)" if self.log else "")
        prims.append(Text(xy=((x0 + x1) / 2, y1 + 0.6 * small), text=name,
                          size=small, color=th.caption, anchor="mt", font="sans", z=Z_TEXT))
        return prims

    def bounds(self) -> tuple[float, float]:
        lo, hi = float(self.losses.min()), float(self.losses.max())
        if self.log:
            return lo, hi
        return 0.0, hi if hi > 0 else 1.0

    def y_of(self, value: float, lay: Layout) -> float:
        _, y0, _, y1 = lay.curve
        lo, hi = self.bounds()
        if self.log:
            t = (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        else:
            t = (value - lo) / (hi - lo) if hi > lo else 0.0
        return y1 - t * (y1 - y0)

    def x_of(self, step: int, lay: Layout) -> float:
        x0, _, x1, _ = lay.curve
        return x0 + (x1 - x0) * step / max(self.learn.steps, 1)

    def error_fill(self, v: float, scale: float) -> str:
        th = self.theme
        if abs(v) < 1e-12 or scale == 0:
            return th.background
        return tint(GROUP_HUES[0] if v > 0 else th.input, 0.15 + 0.85 * min(1.0, abs(v) / scale), th.background)

    def frame_fn(self, lay: Layout) -> Callable[[int], tuple[Primitive, ...]]:
        th = self.theme
        scale = float(np.abs(self.states[0].output - self.target).max())

        def frame(i: int) -> tuple[Primitive, ...]:
            st = self.state(i)
            prims: list[Primitive] = [Text(xy=lay.headline_xy, text=self.headline(i), size=0.5 * self.s,
                                           color=th.caption, anchor="ls", font="sans", z=Z_DYN_TEXT)]
            error = st.output - self.target
            for c in range(self.spec.out_channels):
                prims += numbers(lay.outputs[c], as_rows(st.output[c], self.nd), self.out_size, th.text, Z_DYN_TEXT)
                e = as_rows(error[c], self.nd)
                prims += fills(lay.errors[c], lambda r, q, e=e: self.error_fill(float(e[r, q]), scale), Z_ERROR)
                prims += numbers(lay.errors[c], e, self.out_size, th.text, Z_DYN_TEXT)
            for (a, b), grid in lay.kernels.items():
                prims += numbers(grid, as_rows(st.weight[a, b], self.nd), self.param_size, th.text, Z_DYN_TEXT)
                prims += numbers(lay.grads[(a, b)], as_rows(st.grad_weight[a, b], self.nd), self.param_size, th.text,
                                 Z_DYN_TEXT)
            if lay.bias is not None and st.bias is not None:
                prims += numbers(lay.bias, st.bias[None, :], self.param_size, th.text, Z_DYN_TEXT)
                prims += numbers(lay.grad_bias, st.grad_bias[None, :], self.param_size, th.text, Z_DYN_TEXT)  # type: ignore[arg-type, index]
            return tuple(prims + self.curve(lay, st.step))

        return frame

    def curve(self, lay: Layout, step: int) -> list[Primitive]:
        th = self.theme
        pts = [(self.x_of(n, lay), self.y_of(v, lay)) for n, v in enumerate(self.losses[:step + 1])]
        prims: list[Primitive] = [Segment(start=a, end=b, color=th.output, width=2.0, z=Z_DYN)
                                  for a, b in zip(pts, pts[1:])]
        x, y = pts[-1]
        r = 4.0
        prims.append(Polygon(points=((x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)),
                             fill=th.grid, z=Z_DYN_TEXT))
        return prims

    # -- the scene ----------------------------------------------------------------------------------------

    def scene(self) -> Scene:
        lay = self.layout()
        return Scene(width=lay.width, height=lay.height, background=self.theme.background,
                     static=tuple(self.static(lay)), n_frames=self.n_frames, frame=self.frame_fn(lay),
                     dynamic_z=frozenset({Z_ERROR, Z_DYN, Z_DYN_TEXT}), narration=self.narration,
                     links=lambda: self.links(lay),
                     regions={"states": self.states, "shown": self.shown, "target": self.target,
                              "output_centers": {c: g.centers() for c, g in lay.outputs.items()},
                              "error_centers": {c: g.centers() for c, g in lay.errors.items()},
                              "kernel_centers": {k: g.centers() for k, g in lay.kernels.items()},
                              "input_centers": {c: g.centers() for c, g in lay.inputs.items()},
                              "named_planes": True})

    def links(self, lay: Layout) -> Links:
        """The input, the kernel, the output, the target and the error as cell groups: an output cell reads
        the input cells under its window and the kernel; an error cell its output and target cells. Every frame
        recomputes every output and error cell."""
        spec = self.spec
        trace = simulate(spec, self.config.input, self.states[0].weight, self.states[0].bias)
        groups, index = [], {}
        for key, grids, name in (("x", lay.inputs, "x"), ("w", lay.kernels, "w"), ("y", lay.outputs, "ŷ"),
                                 ("t", lay.targets, "y"), ("e", lay.errors, "ŷ − y")):
            for k, grid in grids.items():
                index[(key, k)] = len(groups)
                suffix = f" {k}" if len(grids) > 1 else ""
                groups.append(cells_group(name + suffix, grid.shape, grid.cell))
        in_cols = lay.inputs[0].shape[1]
        out_cols = lay.outputs[0].shape[1]
        reads: list[tuple[CellRef, tuple[CellRef, ...]]] = []
        written: list[CellRef] = []
        for step in trace.steps:
            r, q = (0, step.position[0]) if self.nd == 1 else step.position
            n = r * out_cols + q
            out = (index[("y", step.channel)], n)
            cells = [(0, int(src[0])) if self.nd == 1 else (int(src[0]), int(src[1]))
                     for src in step.sources if min(src) >= 0]  # the real input cells under the window
            read = [(index[("x", ci)], tr * in_cols + tq) for ci in step.in_channels for tr, tq in cells]
            read += [(index[("w", k)], m) for k, g in lay.kernels.items() if k[0] == step.channel
                     for m in range(g.shape[0] * g.shape[1])]
            err = (index[("e", step.channel)], n)
            reads += [(out, tuple(read)), (err, (out, (index[("t", step.channel)], n)))]
            written += [out, err]
        return Links(groups=tuple(groups), reads=tuple(reads), writes=per_frame([tuple(written)] * self.n_steps,
                                                                                 self.n_frames))


PLAN_BUDGET = 2_000_000  # products computed over the whole descent below which the footprint runs it (~0.1 s)
PLAN_STEPS = 200  # and the steps


class LearnPlan(LearnFigure):
    """The learn figure laid out for ``FigureKind.footprint``, ``LearnFigure.layout`` itself. Its cell size is set
    by the widest value of the whole descent: when the descent is cheap (``PLAN_STEPS``, ``PLAN_BUDGET``) it is
    run; otherwise the size comes from the target, the input and step 0, which a converging descent's values stay
    within."""

    def __init__(self, config: Config):  # noqa: D107 - no super().__init__: it draws nothing, only lays out
        self.config, self.spec, self.options, self.theme = config, config.spec, config.render, config.render.theme
        self.learn = config.learn  # type: ignore[assignment]
        self.nd = self.spec.ndim
        self.target = target_of(config)
        products = math.prod(self.spec.weight_shape() or (0,)) * math.prod(self.spec.output_size)
        cheap = self.learn.steps <= PLAN_STEPS and (self.learn.steps + 1) * products <= PLAN_BUDGET
        steps = self.learn.steps if cheap else 0
        self.states = descend(config.spec, config.input, config.weight, config.bias, self.target, steps=steps,  # type: ignore[arg-type]
                              lr=self.learn.lr, reduction=self.learn.reduction.value)
        outputs = [self.target.ravel(), *(st.output.ravel() for st in self.states),
                   *((st.output - self.target).ravel() for st in self.states)]
        params = [a.ravel() for st in self.states for a in (st.weight, st.grad_weight, st.bias, st.grad_bias)
                  if a is not None]
        groups = [texts_of(outputs), texts_of([config.input.ravel()]), texts_of(params)]
        self.s = float(self.options.scale or max(44, 10.5 * max(len(t) for g in groups for t in g)))
        self.head = max(11.0, 0.36 * self.s)


def learn_arrays(config: Config) -> tuple[Amount, ...]:
    """The descent's arrays: every step's simulation (made and dropped), the target, and the state kept for
    every step (the output, ∂L/∂y, the weight and ∂L/∂w, the bias and ∂L/∂b), ``learn.steps + 1`` of them."""
    spec, learn = config.spec, config.learn
    assert learn is not None
    out = spec.out_channels * math.prod(spec.output_size)
    per_state = 2 * out + 2 * math.prod(spec.weight_shape() or (0,)) + (2 * spec.out_channels if spec.bias else 0)
    return (*spec_arrays(spec), Amount(key="learn.target", what="the target (out_channels × output_size)", size=out),
            Amount(key="learn.steps", what="the states of every step (output, ∂L/∂y, weight, ∂L/∂w, bias, ∂L/∂b, "
                                           "learn.steps + 1 times)", size=(learn.steps + 1) * per_state))


class LearnKind(FigureKind):
    """A config with ``learn:``: one frame per step of gradient descent (or every k-th)."""

    name = "learn"

    def applies(self, config: Config) -> bool:
        return config.learn is not None

    def check(self, config: Config) -> None:
        spec, render = config.spec, config.render
        if render.compare is not Compare.NONE:
            raise SpecError("render.compare", "a learn: config draws gradient descent; remove compare")
        if render.view is not View.GATHER:
            raise SpecError("render.view", "a learn: config draws gradient descent in one way; remove view")
        if render.style not in (Style.AUTO, Style.FLAT):
            raise SpecError("render.style", f"a learn: config is drawn flat; remove style: {render.style.value}")
        if render.reveal is not Reveal.ALL:
            raise SpecError("render.reveal", "a learn: config shows every value at every step; remove reveal")
        if spec.transposed or spec.padding_mode.value != "zeros":
            what = "transposed convolutions" if spec.transposed else f"{spec.padding_mode.value} padding"
            raise SpecError("learn", f"learns the kernel of a convolution with zero padding; not {what}")
        if spec.in_channels * spec.out_channels // spec.groups > MAX_CHANNELS:
            raise SpecError("learn", f"draws at most {MAX_CHANNELS} kernels, got {spec.in_channels} → "
                                     f"{spec.out_channels} channels")
        check_planar(config, "learning a kernel", "learn", "its forward and backward passes are drawn without "
                                                            "learn:")
        check_grid(spec.input_size, "the input", "learn")

    def steps(self, config: Config) -> int:
        return len(config.learn.shown_steps)  # type: ignore[union-attr]

    def footprint(self, config: Config) -> Footprint:
        """The descent's arrays, checked before anything runs; the canvas of ``LearnPlan`` (``check`` bounds the
        input to 24×24 cells and the kernels to 4, so one step costs little)."""
        frames = self.steps(config) + config.render.hold_last
        check_frames(frames, config.render.max_frames)
        arrays = learn_arrays(config)
        check_arrays(arrays, config.render.max_elements)
        lay = LearnPlan(config).layout()
        return Footprint(frames=frames, arrays=arrays,
                         canvas=(lay.width, lay.height), layers=2, canvas_key="learn")

    def scene(self, config: Config) -> Scene:
        return LearnFigure(config).scene()

    def info_lines(self, config: Config) -> list[str]:
        learn = config.learn
        assert learn is not None
        states = states_of(config)
        every = max(1, learn.steps // 10)
        lines_ = [*layer_info_lines(config.spec, f"{self.steps(config)} (learn: one per "
                                                 f"{'step' if learn.every == 1 else f'{learn.every} steps'})")]
        lines_.append(f"learn: {learn.steps} steps of gradient descent, lr {learn.lr:g}, "
                      f"{learn.loss.value} ({learn.reduction.value}) against the {dims(config.spec.output_size)} "
                      f"target")
        for st in states:
            if st.step % every == 0 or st.step == learn.steps:
                lines_.append(f"  step {st.step:>{len(str(learn.steps))}}: loss {st.loss:.6g}")
        final = states[-1]
        w = final.weight[0, 0] if final.weight.shape[0] * final.weight.shape[1] == 1 else final.weight
        lines_.append(f"final kernel: {printed(w)}")
        if final.bias is not None:
            lines_.append(f"final bias: {printed(final.bias)}")
        return lines_

    def ignored(self, config: Config) -> list[tuple[str, str]]:
        # its numbers are always drawn, so precision always applies
        return [(k, why) for k, why in unshown(config, caption=False, labels=False, what="a learn: figure",
                                               fix="its headline shows the loss and the update rule")
                if k != "render.precision"]

    def alt_text(self, config: Config) -> str:
        learn = config.learn
        assert learn is not None
        return (f"Learning the kernel of this {lowered(alt_text(config.spec))} by {learn.steps} steps of gradient "
                f"descent: the kernel, its gradient, the output beside the target and the falling loss")


register(LearnKind(), precedence=3)
