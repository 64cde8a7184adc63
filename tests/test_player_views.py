"""Hover linking of the scatter, matrix, im2col and forward-comparison players in headless Chromium, checked
against PyTorch: which cells a hovered cell reads and feeds come from ``torch.autograd``'s Jacobian (with every
weight 1, so the pattern is the windows') or from ``F.unfold`` of an index-encoded input, never from our engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from test_player import FIG, frame_of, highlighted, hover, open_page, player

from convanim.app.pipeline import as_config, load_config

ROOT = Path(__file__).resolve().parents[1]


def group_names(page) -> list[str]:
    data = page.evaluate(f"document.querySelector('{FIG} script.cv-data').textContent")
    return [g["name"] for g in json.loads(data)["links"]["groups"]]


def status_line(page) -> str:
    return page.inner_text(f"{FIG} .cv-status")


def ones_jacobian(torch, fn, shape_in) -> np.ndarray:
    """(outputs, inputs) bool: which output depends on which input (the Jacobian's pattern)."""
    x = torch.zeros((1, *shape_in), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(fn, x)
    return jac.reshape(-1, int(np.prod(shape_in))).numpy() != 0


# ---------------------------------------------------------------- scatter


def test_scatter_hover_links_are_conv_transpose_stamps(browser, torch, tmp_path: Path) -> None:
    """Scatter view of ConvTranspose2d(2, 2, 3, stride=2, padding=1, output_padding=1) on 3x3: an input cell feeds
    exactly the cells of its stamp on every output channel's stamped grid (conv_transpose with padding 0: the
    whole grid, cropped cells included); a stamped cell reads the input cells whose stamps reach it and shows the
    first frame that stamps it."""
    import torch.nn.functional as F

    cfg = as_config(input_size=3, kernel_size=3, stride=2, padding=1, output_padding=1, transposed=True,
                    in_channels=2, out_channels=2, render={"view": "scatter", "numbers": True})
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    names = group_names(page)
    assert names == ["input channel 0", "input channel 1", "stamped output channel 0", "stamped output channel 1"]
    ones = torch.ones((2, 2, 3, 3), dtype=torch.float64)
    full = 7  # (3-1)*2 + 3: the whole stamped grid; output_padding=1 keeps row/column 6 (cropped otherwise)
    pattern = ones_jacobian(torch, lambda t: F.conv_transpose2d(t, ones, stride=2), (2, 3, 3))  # (2*49, 2*9)
    for ci, cell in ((0, 0), (1, 4), (0, 8)):
        hover(page, f"{ci}:{cell}")
        want = {(2 + o // (full * full), o % (full * full)) for o in np.flatnonzero(pattern[:, ci * 9 + cell])}
        assert highlighted(page, "cv-above") == want and {g for g, _ in want} == {2, 3}
        assert highlighted(page, "cv-below") == set()
    for co, cell in ((0, 0), (1, 3 * full + 3), (0, 6 * full + 6), (1, 2 * full + 5)):
        hover(page, f"{2 + co}:{cell}")
        readers = np.flatnonzero(pattern[co * full * full + cell])
        assert highlighted(page, "cv-below") == {(i // 9, i % 9) for i in readers}
        assert frame_of(page) == readers.min()  # frames go input cell by input cell, channel by channel
        assert status_line(page).startswith(f"Step {readers.min() + 1} of 18: x[{readers.min() // 9},")
    page.close()


# ---------------------------------------------------------------- matrix


def test_matrix_hover_links_follow_the_jacobian(browser, torch, tmp_path: Path) -> None:
    """view: matrix of Conv2d(2, 2, 2, padding=1) on 2x3 (with bias): x, C, y and b are cell groups; an input cell
    feeds the y entries and output cells of its Jacobian column; y[r] reads C's row r where the Jacobian is
    non-zero, the x entries of those columns and b, and shows frame r."""
    import torch.nn.functional as F

    cfg = as_config(input_size=[2, 3], kernel_size=2, padding=1, in_channels=2, out_channels=2, bias=[1, 2],
                    render={"view": "matrix", "numbers": True})
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    names = group_names(page)
    assert names == ["input channel 0", "input channel 1", "output channel 0", "output channel 1", "x", "C", "y", "b"]
    g_x, g_c, g_y, g_b = 4, 5, 6, 7
    ones = torch.ones((2, 2, 2, 2), dtype=torch.float64)
    pattern = ones_jacobian(torch, lambda t: F.conv2d(t, ones, padding=1), (2, 2, 3))  # (2*12, 2*6)
    n_out, cols = 12, 12
    for col in (0, 4, 11):
        hover(page, f"{col // 6}:{col % 6}")
        rows = np.flatnonzero(pattern[:, col])
        above = highlighted(page, "cv-above")
        assert {n for g, n in above if g == g_y} == set(rows)
        assert {(g, n) for g, n in above if g in (2, 3)} == {(2 + r // n_out, r % n_out) for r in rows}
        assert {n for g, n in above if g == g_x} == {col}
    for row in (0, 7, 13, 23):
        hover(page, f"{g_y}:{row}")
        assert frame_of(page) == row
        below = highlighted(page, "cv-below")
        taps = np.flatnonzero(pattern[row])
        assert {n for g, n in below if g == g_x} == set(taps)
        assert {n for g, n in below if g == g_c} == {row * cols + c for c in taps}
        assert {(g, n) for g, n in below if g in (0, 1)} == {(c // 6, c % 6) for c in taps}
        assert {n for g, n in below if g == g_b} == {row}
    hover(page, f"3:{5}")  # output channel 1, cell 5: y[17], its frame
    assert frame_of(page) == 17
    assert {n for g, n in highlighted(page, "cv-below") if g == g_y} == {17}
    page.close()


# ---------------------------------------------------------------- im2col


def test_im2col_hover_links_follow_f_unfold(browser, torch, tmp_path: Path) -> None:
    """view: im2col of conv_arithmetic's numerical_padding_strides: P[l, j] reads the drawn (padded) input cell
    F.unfold puts there (the input encoded as 1 + its cell index, so unfold names the cell; 0 is padding); an
    output cell reads Y's entry, which reads row l of P and Kᵀ, and shows frame l."""
    import torch.nn.functional as F

    cfg = load_config(ROOT / "configs" / "im2col_padding_strides.yaml")
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    assert group_names(page) == ["input", "output", "P", "Kᵀ", "Y"]
    g_in, g_out, g_p, g_k, g_y = range(5)
    index = torch.arange(1, 26, dtype=torch.float64).reshape(1, 1, 5, 5)
    unfold = F.unfold(index, 3, padding=1, stride=2)[0].T.numpy().astype(int)  # (9 windows, 9 taps)
    padded_cols = 7

    def drawn(cell: int) -> int:  # input cell (1-based code) -> its cell on the drawn, padded grid
        r, c = divmod(cell - 1, 5)
        return (r + 1) * padded_cols + c + 1

    for w, j in ((0, 0), (4, 4), (8, 8), (3, 2)):
        hover(page, f"{g_p}:{w * 9 + j}")
        below = highlighted(page, "cv-below")
        code = unfold[w, j]
        if code:
            assert below == {(g_in, drawn(code))}
        else:  # padding: a cell of the padding ring
            [(g, n)] = below
            r, c = divmod(n, padded_cols)
            assert g == g_in and (r in (0, 6) or c in (0, 6))
    for w in (0, 4, 8):
        hover(page, f"{g_out}:{w}")
        assert frame_of(page) == w
        below = highlighted(page, "cv-below")
        assert {n for g, n in below if g == g_p} == {w * 9 + j for j in range(9)}
        assert {n for g, n in below if g == g_k} == set(range(9))
        assert {n for g, n in below if g == g_y} == {w}
        real = {drawn(code) for code in unfold[w] if code}
        assert real <= {n for g, n in below if g == g_in}
    hover(page, f"{g_in}:{drawn(13)}")  # the centre input cell: every window that copies it
    windows = {w for w in range(9) if 13 in unfold[w]}
    assert {n for g, n in highlighted(page, "cv-above") if g == g_out} == windows
    page.close()


# ---------------------------------------------------------------- compare: forward


def test_forward_comparison_links_both_sides(browser, torch, tmp_path: Path) -> None:
    """compare: forward of ConvTranspose2d(k=3, s=2, p=1) on 3x3: both sides' cells, named "forward: ..." and
    "transposed: ...", each linked as PyTorch's Jacobian says; hovering an output cell shows a frame where that
    side draws it."""
    import torch.nn.functional as F

    cfg = load_config(ROOT / "configs" / "forward_padding_strides_transposed.yaml")
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    names = group_names(page)
    assert names[0].startswith("forward: ") and names[-1].startswith("transposed: ")
    ones = torch.ones((1, 1, 3, 3), dtype=torch.float64)
    fwd = ones_jacobian(torch, lambda t: F.conv2d(t, ones, stride=2, padding=1), (1, 5, 5))  # (9, 25)
    tr = ones_jacobian(torch, lambda t: F.conv_transpose2d(t, ones, stride=2, padding=1), (1, 3, 3))  # (25, 9)
    g_fout = names.index("forward: output")
    g_tout = names.index("transposed: output")
    g_fin, g_tin = names.index("forward: input"), names.index("transposed: input")
    cols_f = 7  # the forward side's drawn input: 5x5 padded by 1
    cols_t = 7  # the transposed side's drawn input: 3x3 zero-inserted (5x5), padded by 1
    for o in (0, 4, 8):
        hover(page, f"{g_fout}:{o}")
        real = {(n // cols_f - 1) * 5 + n % cols_f - 1 for g, n in highlighted(page, "cv-below") if g == g_fin
                and 1 <= n // cols_f <= 5 and 1 <= n % cols_f <= 5}
        assert real == set(np.flatnonzero(fwd[o]))
    for o in (0, 12, 24):
        hover(page, f"{g_tout}:{o}")
        real = {((n // cols_t - 1) // 2) * 3 + (n % cols_t - 1) // 2 for g, n in highlighted(page, "cv-below")
                if g == g_tin and 1 <= n // cols_t <= 5 and 1 <= n % cols_t <= 5
                and (n // cols_t - 1) % 2 == 0 and (n % cols_t - 1) % 2 == 0}
        assert real == set(np.flatnonzero(tr[o]))
        frame = frame_of(page)
        assert f"transposed: y[{o // 5},{o % 5}]" in page.inner_text(f"{FIG} .cv-status"), frame
    page.close()


# ---------------------------------------------------------------- the backward pass


def test_backward_shares_link_each_output_gradient_to_its_window(browser, torch, tmp_path: Path) -> None:
    """pass: backward, view: scatter of conv_arithmetic's padding_strides: a ∂L/∂y cell feeds exactly the cells
    of the padded input that autograd gives a gradient when only that ∂L/∂y cell is 1 (all weights 1); a drawn
    cell reads the ∂L/∂y cells whose windows cover it and shows the first frame that sends to it."""
    import torch.nn.functional as F

    cfg = load_config(ROOT / "configs" / "backward_padding_strides_scatter.yaml")
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    assert group_names(page) == ["∂L/∂y", "∂L/∂x"]
    ones = torch.ones((1, 1, 3, 3), dtype=torch.float64)
    pattern = ones_jacobian(torch, lambda t: F.conv2d(t, ones, stride=2), (1, 7, 7))  # (9 ∂L/∂y, 49 padded cells)
    for o in (0, 4, 8):
        hover(page, f"0:{o}")
        assert highlighted(page, "cv-above") == {(1, int(c)) for c in np.flatnonzero(pattern[o])}
    for cell in (0, 3 * 7 + 3, 2 * 7 + 4, 6 * 7 + 6):
        hover(page, f"1:{cell}")
        senders = np.flatnonzero(pattern[:, cell])
        assert highlighted(page, "cv-below") == {(0, int(o)) for o in senders}
        if len(senders):
            assert frame_of(page) == senders.min()
            assert status_line(page).startswith(f"Step {senders.min() + 1} of 9: ∂L/∂y[")
    page.close()


def test_backward_gather_is_the_transposed_players_cells_renamed(browser, torch, tmp_path: Path) -> None:
    """pass: backward (gather) of padding_strides: the transposed convolution's player with its grids named ∂L/∂y
    and ∂L/∂x; a ∂L/∂x cell shows its frame and reads the ∂L/∂y cells autograd says it depends on."""
    import torch.nn.functional as F

    cfg = load_config(ROOT / "configs" / "backward_padding_strides.yaml")
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    assert group_names(page) == ["∂L/∂y", "∂L/∂x"]
    ones = torch.ones((1, 1, 3, 3), dtype=torch.float64)
    pattern = ones_jacobian(torch, lambda t: F.conv_transpose2d(t, ones, stride=2, padding=1), (1, 3, 3))  # (25, 9)
    cols = 7  # the drawn ∂L/∂y: 3x3 zero-inserted to 5x5, padded by 1
    for o in (0, 12, 24):
        hover(page, f"1:{o}")
        assert frame_of(page) == o
        assert status_line(page).startswith(f"Step {o + 1} of 25: ∂L/∂x[{o // 5},{o % 5}] = ")
        real = {((n // cols - 1) // 2) * 3 + (n % cols - 1) // 2 for g, n in highlighted(page, "cv-below")
                if g == 0 and (n // cols - 1) % 2 == 0 and (n % cols - 1) % 2 == 0
                and 1 <= n // cols <= 5 and 1 <= n % cols <= 5}
        assert real == set(np.flatnonzero(pattern[o]))
    page.close()


def test_weight_gradient_links_each_weight_to_its_taps(browser, torch, tmp_path: Path) -> None:
    """wrt: weight: hovering ∂L/∂w[o,i,a,b] shows its frame and the input cells it sums over: those where
    autograd's ∂L/∂w[o,i,a,b] changes with the input (its derivative with respect to x), on input channel i."""
    cfg = load_config(ROOT / "configs" / "backward_weight_channels.yaml")
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    names = group_names(page)
    assert names[:4] == ["x channel 0", "x channel 1", "∂L/∂y channel 0", "∂L/∂y channel 1"]
    g = torch.from_numpy(cfg.grad_output)[None]
    for index in ((0, 0, 0, 0), (1, 0, 1, 1), (0, 1, 0, 1)):
        o, i, a, b = index
        x = torch.from_numpy(cfg.input)[None].requires_grad_(True)
        w = torch.from_numpy(cfg.weight).requires_grad_(True)
        (gw,) = torch.autograd.grad((torch.nn.functional.conv2d(x, w, stride=2, padding=1) * g).sum(), w,
                                    create_graph=True)
        (gx,) = torch.autograd.grad(gw[index], x)
        group = names.index(f"∂L/∂w[{o},{i}]")
        hover(page, f"{group}:{a * 2 + b}")
        assert frame_of(page) == int(np.ravel_multi_index(index, cfg.weight.shape))
        below = highlighted(page, "cv-below")
        real = {(c, (n // 6 - 1) * 4 + n % 6 - 1) for c, n in below if c < 2 and 1 <= n // 6 <= 4 and 1 <= n % 6 <= 4}
        nonzero = {(c, int(n)) for c in range(2) for n in np.flatnonzero(gx[0, c].numpy())}
        assert nonzero <= real and {c for c, _ in real} == {i}
        assert {gr for gr, _ in below if gr in (2, 3)} == {2 + o}
    page.close()
