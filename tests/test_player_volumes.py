"""Hover linking of the 3-D players (the ``volume`` kind, stacked and flat) and of the 3-D and numbers layouts of
``layers:`` in headless Chromium, checked against PyTorch: which cells a hovered cell reads and feeds come from
``torch.autograd`` (with every weight 1, so the pattern is the windows'), never from our engine.

A 3-D figure is one cell group per depth slice (``in 1, slice d 2``; the padding slices ``slice pad``); the test
finds the slices by their names and maps a voxel (d, r, c) of x to its drawn (padded) slice and cell."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from test_player import FIG, frame_of, highlighted, hover, open_page, player

from convanim.app.pipeline import as_config

ROOT = Path(__file__).resolve().parents[1]


def groups_of(page) -> list[dict]:
    data = page.evaluate(f"document.querySelector('{FIG} script.cv-data').textContent")
    return json.loads(data)["links"]["groups"]


def slices(groups: list[dict], prefix: str) -> list[int]:
    """The groups of one volume (names starting with ``prefix``), in drawn depth order."""
    return [n for n, g in enumerate(groups) if g["name"].startswith(prefix + ",")]


class Volume:
    """Where a volume's voxels are among a player's groups: its drawn slices and the padding around x."""

    def __init__(self, groups: list[dict], prefix: str, size: tuple[int, int, int], before: tuple[int, int, int]):
        self.ids = slices(groups, prefix)
        self.size, self.before = size, before
        self.cols = groups[self.ids[0]]["shape"][1]
        for d in range(size[0]):  # the slice holding depth d of x is named so
            assert groups[self.ids[d + before[0]]]["name"].endswith(f"slice d {d}"), groups[self.ids[d + before[0]]]

    def ref(self, d: int, r: int, c: int) -> tuple[int, int]:
        b = self.before
        return self.ids[d + b[0]], (r + b[1]) * self.cols + c + b[2]

    def real(self, cells: set[tuple[int, int]]) -> set[int]:
        """The flat indices into x of the highlighted cells that are voxels of x (not padding)."""
        out = set()
        for d, r, c in np.ndindex(*self.size):
            if self.ref(d, r, c) in cells:
                out.add(int(np.ravel_multi_index((d, r, c), self.size)))
        return out

    def cells(self, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
        return {cell for cell in cells if cell[0] in self.ids}


def pattern3d(torch, fn, shape_in: tuple[int, ...]) -> np.ndarray:
    """(outputs, inputs) bool: which output depends on which input, from autograd's Jacobian."""
    x = torch.zeros((1, *shape_in), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(fn, x)
    return jac.reshape(-1, math.prod(shape_in)).numpy() != 0


@pytest.mark.parametrize("style", ["stacked", "flat"])
def test_volume_hover_links_follow_the_conv3d_jacobian(browser, torch, tmp_path: Path, style: str) -> None:
    """Conv3d(2, 2, 3, stride=(1, 2, 2), padding=1, groups=2) on 3×4×4: an input voxel feeds the output voxels of
    its Jacobian column (its own group's channel only); an output voxel reads its 3×3×3 window (padding
    included) on its group's input channel and shows its own frame; the status line is its equation."""
    import torch.nn.functional as F

    cfg = as_config(input_size=[3, 4, 4], kernel_size=3, stride=[1, 2, 2], padding=1, in_channels=2,
                    out_channels=2, groups=2, render={"style": style})
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    groups = groups_of(page)
    ins = [Volume(groups, f"in {c} · g{c}", (3, 4, 4), (1, 1, 1)) for c in range(2)]
    out_size = cfg.spec.output_size
    assert out_size == (3, 2, 2)
    outs = [Volume(groups, f"out {c} · g{c}", out_size, (0, 0, 0)) for c in range(2)]
    assert len(groups) == 2 * 5 + 2 * 3  # every drawn slice: 3 + 2 padding per input channel, 3 per output
    ones = torch.ones((2, 1, 3, 3, 3), dtype=torch.float64)
    pattern = pattern3d(torch, lambda t: F.conv3d(t, ones, stride=(1, 2, 2), padding=1, groups=2), (2, 3, 4, 4))
    n_in, n_out = 48, 12
    for ci, voxel in ((0, (0, 0, 0)), (1, (1, 2, 3)), (0, (2, 3, 1))):
        hover(page, "{}:{}".format(*ins[ci].ref(*voxel)))
        column = pattern[:, ci * n_in + int(np.ravel_multi_index(voxel, (3, 4, 4)))]
        above = highlighted(page, "cv-above")
        for co in range(2):
            assert outs[co].real(outs[co].cells(above)) == {o - co * n_out for o in np.flatnonzero(column)
                                                           if o // n_out == co}
        assert not highlighted(page, "cv-below") and frame_of(page) == 0
    for co, voxel in ((0, (0, 0, 0)), (1, (1, 1, 0)), (1, (2, 1, 1))):
        hover(page, "{}:{}".format(*outs[co].ref(*voxel)))
        o = co * n_out + int(np.ravel_multi_index(voxel, out_size))
        assert frame_of(page) == o
        assert re.match(rf"Step {o + 1} of 24: ", page.inner_text(f"{FIG} .cv-status"))
        below = highlighted(page, "cv-below")
        assert len(ins[co].cells(below)) == 27 and not ins[1 - co].cells(below)  # its group's channel only
        assert ins[co].real(below) == {i - co * n_in for i in np.flatnonzero(pattern[o])}
    assert page.errors == []
    page.close()


def stack_truth(torch, layers, shape_in: tuple[int, ...]):
    """For a stack of torch functions with every weight 1: the planes' shapes, and ``depends(p, q)``: (cells of
    plane q, cells of plane p) bool, which cell of q depends on which of p (autograd's Jacobian of q w.r.t. p)."""
    shapes = [shape_in]
    x = torch.zeros((1, *shape_in), dtype=torch.float64)
    for fn in layers:
        x = fn(x)
        shapes.append(tuple(x.shape[1:]))

    def depends(p: int, q: int) -> np.ndarray:
        def upto(t):
            for fn in layers[p:q]:
                t = fn(t)
            return t

        return pattern3d(torch, upto, shapes[p])

    return shapes, depends


def test_3d_stack_links_are_the_field_below_and_what_a_cell_feeds_above(browser, torch, tmp_path: Path) -> None:
    """layers: Conv3d(k2), ReLU, Conv3d(k2, padding 1), Conv3d(k2, stride 2) on 4×4×4, drawn as columns of depth
    sheets: hovering a cell of any layer shades its receptive field on every plane below and the cells that read
    it on every plane above, as autograd finds them; a top cell shows its frame."""
    import torch.nn.functional as F

    ones = torch.ones((1, 1, 2, 2, 2), dtype=torch.float64)
    cfg = as_config(input_size=[4, 4, 4], layers=[{"kernel_size": 2}, {"op": "relu"},
                                                 {"kernel_size": 2, "padding": 1},
                                                 {"kernel_size": 2, "stride": 2}])
    fns = [lambda t: F.conv3d(t, ones), lambda t: t, lambda t: F.conv3d(t, ones, padding=1),
           lambda t: F.conv3d(t, ones, stride=2)]
    shapes, depends = stack_truth(torch, fns, (1, 4, 4, 4))
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    groups = groups_of(page)
    pad = [(0, 0, 0), (0, 0, 0), (1, 1, 1), (0, 0, 0), (0, 0, 0)]  # plane p carries the padding layer p+1 adds
    planes = [Volume(groups, "input" if p == 0 else f"layer {p}", shapes[p][1:], pad[p]) for p in range(5)]
    assert shapes[-1][1:] == (2, 2, 2) and len(groups) == 4 + 3 + 5 + 4 + 2
    for p, voxel in ((4, (1, 0, 1)), (3, (0, 2, 3)), (2, (1, 1, 1)), (1, (2, 0, 2))):
        hover(page, "{}:{}".format(*planes[p].ref(*voxel)))
        flat = int(np.ravel_multi_index(voxel, shapes[p][1:]))
        below, above = highlighted(page, "cv-below"), highlighted(page, "cv-above")
        for q in range(p):
            want = {int(i) for i in np.flatnonzero(depends(q, p)[flat])}
            assert planes[q].real(planes[q].cells(below)) == want, (p, q)
        for q in range(p + 1, 5):
            want = {int(o) for o in np.flatnonzero(depends(p, q)[:, flat])}
            assert planes[q].real(planes[q].cells(above)) == want, (p, q)
        if p == 4:
            assert frame_of(page) == flat
    assert page.errors == []
    page.close()


def test_numbers_stack_links_follow_channels_and_groups(browser, torch, tmp_path: Path) -> None:
    """layers: with numbers: true (every plane's values), 2 channels: Conv2d(2, 2, 3, padding=1, groups=2),
    AvgPool2d(2), Conv2d(2, 1, 2) on 6×6: one group per plane and channel; a cell reads its window on the channels
    of the plane below that feed it (its group's; pooling: its own channel), as autograd's Jacobian says."""
    import torch.nn.functional as F

    cfg = as_config(input_size=6, in_channels=2, render={"numbers": True},
                    layers=[{"kernel_size": 3, "padding": 1, "out_channels": 2, "groups": 2},
                            {"op": "avg_pool", "kernel_size": 2}, {"kernel_size": 2, "out_channels": 1}])
    w1 = torch.ones((2, 1, 3, 3), dtype=torch.float64)
    w3 = torch.ones((1, 2, 2, 2), dtype=torch.float64)
    fns = [lambda t: F.conv2d(t, w1, padding=1, groups=2), lambda t: F.avg_pool2d(t, 2), lambda t: F.conv2d(t, w3)]
    shapes, depends = stack_truth(torch, fns, (2, 6, 6))
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    names = [g["name"] for g in groups_of(page)]
    assert names == ["input, channel 0", "input, channel 1", "layer 1, channel 0", "layer 1, channel 1",
                     "layer 2, channel 0", "layer 2, channel 1", "layer 3"]
    pad = [1, 0, 0, 0]
    cols = [shapes[p][-1] + 2 * pad[p] for p in range(4)]

    def ref(p: int, c: int, r: int, q: int) -> tuple[int, int]:
        first = {0: 0, 1: 2, 2: 4, 3: 6}[p]
        return first + c, (r + pad[p]) * cols[p] + q + pad[p]

    def real(p: int, cells: set[tuple[int, int]]) -> set[int]:
        c_n, h, w = shapes[p]
        return {int(np.ravel_multi_index((c, r, q), (c_n, h, w))) for c, r, q in np.ndindex(c_n, h, w)
                if ref(p, c, r, q) in cells}

    for p, cell in ((3, (0, 1, 0)), (2, (1, 2, 1)), (1, (0, 0, 5)), (1, (1, 3, 3))):
        hover(page, "{}:{}".format(*ref(p, *cell)))
        flat = int(np.ravel_multi_index(cell, shapes[p]))
        below, above = highlighted(page, "cv-below"), highlighted(page, "cv-above")
        for q in range(p):
            assert real(q, below) == {int(i) for i in np.flatnonzero(depends(q, p)[flat])}, (p, q)
        for q in range(p + 1, 4):
            assert real(q, above) == {int(o) for o in np.flatnonzero(depends(p, q)[:, flat])}, (p, q)
        if p == 3:
            assert frame_of(page) == flat
    assert page.errors == []
    page.close()
