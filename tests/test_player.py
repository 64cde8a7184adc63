"""The HTML player (``-f html``) in a real headless Chromium: controls, keys, the frame and equation shown against
PyTorch, hover linking against autograd's Jacobian, two players on one page, reduced motion, no network."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convanim.app.pipeline import as_config, load_config, render, scene_of

ROOT = Path(__file__).resolve().parents[1]
FIG = "figure.cv-player"


def player(config, tmp_path: Path, name: str | None = None) -> Path:
    cfg = as_config(config) if not isinstance(config, (str, Path)) else load_config(config)
    if name:
        import dataclasses

        cfg = dataclasses.replace(cfg, name=name)
    [path] = render(cfg, tmp_path, ["html"])
    return path


def open_page(browser, url: str, *, motion: str = "reduce", width: int = 1000):
    page = browser.new_page(viewport={"width": width, "height": 900}, reduced_motion=motion)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector(f"{FIG}[data-ready]")
    page.errors, page.requests = errors, requests  # type: ignore[attr-defined]
    return page


def frame_of(page, fig: str = FIG) -> int:
    return int(page.get_attribute(fig, "data-frame"))


def status(page, fig: str = FIG) -> str:
    return page.inner_text(f"{fig} .cv-status")


def highlighted(page, cls: str, fig: str = FIG) -> set[tuple[int, int]]:
    cells = page.eval_on_selector_all(f"{fig} .cv-hl .{cls}", "els => els.map(e => e.dataset.cell)")
    return {tuple(int(v) for v in c.split(":")) for c in cells}


def hover(page, cell: str, fig: str = FIG) -> None:
    page.hover(f'{fig} .cv-hit path[data-cell="{cell}"]', force=True)


# ---------------------------------------------------------------- against PyTorch

def conv2d_truth(torch, cfg):
    """PyTorch's output and, per input cell, the output cells that depend on it (the Jacobian's pattern)."""
    import torch.nn.functional as F

    spec = cfg.spec
    x = torch.tensor(cfg.input, dtype=torch.float64).unsqueeze(0)
    w = torch.tensor(cfg.weight, dtype=torch.float64)
    out = F.conv2d(x, w, stride=spec.stride, padding=spec.padding, dilation=spec.dilation)[0]
    ones = torch.ones_like(w)  # every tap counts: the pattern is the windows'
    jac = torch.autograd.functional.jacobian(
        lambda t: F.conv2d(t, ones, stride=spec.stride, padding=spec.padding, dilation=spec.dilation), x)
    return out.numpy(), jac[0].numpy().reshape(out.numel(), -1) != 0  # (outputs, input cells)


EQUATION = re.compile(r"^Step (\d+) of (\d+): y\[(\d+),(\d+)\] = (.*) = (−?[\d.]+)$")


def number(text: str) -> float:
    return float(text.replace("−", "-").strip("()"))


def check_equation(text: str, out: np.ndarray, x: np.ndarray, weight: np.ndarray, spec) -> int:
    """The status line is the step's equation: output index, terms x·w of its window and PyTorch's value."""
    m = EQUATION.match(text)
    assert m, text
    step, _n, r, c, body, value = m.groups()
    r, c = int(r), int(c)
    assert number(value) == pytest.approx(out[0, r, c])
    pad = np.pad(x[0], spec.padding[0])
    window = pad[r * spec.stride[0]:r * spec.stride[0] + 3, c * spec.stride[1]:c * spec.stride[1] + 3]
    terms = [t.split("·") for t in body.split(" + ")]
    assert [number(a) for a, _ in terms] == window.ravel().tolist()
    assert [number(b) for _, b in terms] == weight[0, 0].ravel().tolist()
    return int(step) - 1


def marked_output(page, cfg, shot: Path, fig: str = FIG) -> tuple[int, int]:
    """The output cell painted as current (the footprint colour over the output colour) in a screenshot."""
    scene = scene_of(cfg)
    centers = scene.regions["output_centers"]
    page.locator(f"{fig} svg.cv-svg").screenshot(path=str(shot))
    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=int)
    kx, ky = pixels.shape[1] / scene.width, pixels.shape[0] / scene.height
    dark = sorted((int(np.abs(pixels[int(y * ky), int(x * kx)] - [0x1C, 0x76, 0x76]).sum()), (r, c))
                  for (r, c), (x, y) in ((rc, centers[rc]) for rc in np.ndindex(*centers.shape[:2])))
    assert dark[0][0] < 40 and dark[1][0] > 60, dark  # one cell marked, the others plain
    return dark[0][1]


def test_controls_and_keys_step_through_the_trace(browser, torch, tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs" / "padding_strides.yaml")
    out, _ = conv2d_truth(torch, cfg)
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    assert page.get_attribute(FIG, "data-playing") is None  # reduced motion: paused on the poster
    for expect in range(9):
        assert frame_of(page) == expect
        step = check_equation(status(page), out, cfg.input, cfg.weight, cfg.spec)
        assert step == expect
        assert marked_output(page, cfg, tmp_path / "shot.png") == divmod(expect, 3)
        page.click(f"{FIG} button[data-act=next]")
    assert frame_of(page) == 8  # the last step stays
    page.click(f"{FIG} button[data-act=first]")
    assert frame_of(page) == 0
    page.click(f"{FIG} button[data-act=last]")
    assert frame_of(page) == 8
    page.click(f"{FIG} button[data-act=prev]")
    assert frame_of(page) == 7

    page.focus(FIG)
    for key, expect in (("Home", 0), ("ArrowRight", 1), ("ArrowRight", 2), ("ArrowLeft", 1), ("End", 8)):
        page.keyboard.press(key)
        assert frame_of(page) == expect, key
    page.fill(f"{FIG} input[type=range]", "4")
    assert frame_of(page) == 4 and status(page).startswith("Step 5 of 9: y[1,1]")

    # Play, at 4x speed: the frames advance; pause (space) stops them.
    page.select_option(f"{FIG} select", "4")
    page.focus(FIG)
    page.keyboard.press(" ")
    assert page.get_attribute(FIG, "data-playing") == ""
    assert page.get_attribute(f"{FIG} button[data-act=play]", "aria-label") == "Pause"
    page.wait_for_function(f"document.querySelector('{FIG}').dataset.frame === '6'", timeout=3000)
    page.keyboard.press(" ")
    stopped = frame_of(page)
    page.wait_for_timeout(600)
    assert frame_of(page) == stopped and page.get_attribute(FIG, "data-playing") is None
    assert page.errors == [] and all(r.startswith("file://") for r in page.requests)  # no network
    page.close()


def test_accessibility_labels_live_region_and_transcript(browser, tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs" / "padding_strides.yaml")
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    labels = page.eval_on_selector_all(f"{FIG} .cv-controls button", "bs => bs.map(b => b.getAttribute('aria-label'))")
    assert labels == ["First step", "Previous step", "Play", "Next step", "Last step"]
    assert page.get_attribute(f"{FIG} .cv-status", "aria-live") == "polite"
    assert page.get_attribute(f"{FIG} input[type=range]", "aria-label") == "Step"
    from convanim.app.pipeline import alt_text

    assert page.get_attribute(f"{FIG} svg", "aria-label") == alt_text(cfg)
    items = page.eval_on_selector_all(f"{FIG} .cv-transcript li", "ls => ls.map(l => l.textContent)")
    assert len(items) == 9 and items[4].startswith("y[1,1] = ")
    assert page.get_attribute(f"{FIG} .cv-transcript li:nth-child(1)", "aria-current") == "step"
    page.close()


def test_without_reduced_motion_it_plays_like_the_gif(browser, tmp_path: Path) -> None:
    cfg = as_config(input_size=4, kernel_size=3, render={"fps": 20})
    page = open_page(browser, player(cfg, tmp_path).as_uri(), motion="no-preference")
    assert page.get_attribute(FIG, "data-playing") == ""
    page.wait_for_function(f"document.querySelector('{FIG}').dataset.frame === '3'", timeout=3000)
    page.wait_for_function(f"document.querySelector('{FIG}').dataset.frame === '0'", timeout=3000)  # loops
    page.close()


def test_hover_links_match_the_jacobian(browser, torch, tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs" / "padding_strides.yaml")
    out, pattern = conv2d_truth(torch, cfg)
    trace_cols = scene_of(cfg).regions["input_role"].shape[1]
    pad = cfg.spec.padding
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    for a, b in ((0, 0), (2, 3), (4, 4)):  # input cells: every output reading them
        hover(page, f"0:{(a + pad[0]) * trace_cols + b + pad[1]}")
        want = {(1, o) for o in np.flatnonzero(pattern[:, a * 5 + b])}
        assert highlighted(page, "cv-above") == want
        assert highlighted(page, "cv-below") == set()
        assert frame_of(page) == 0  # an input cell has no step of its own
    for o in (0, 4, 8):  # output cells: their window, and the step that computes them
        hover(page, f"1:{o}")
        assert frame_of(page) == o
        below = highlighted(page, "cv-below")
        assert len(below) == 9
        real = {(r - pad[0]) * 5 + (c - pad[1]) for _, n in below for r, c in [divmod(n, trace_cols)]
                if pad[0] <= r < pad[0] + 5 and pad[1] <= c < pad[1] + 5}
        assert real == set(np.flatnonzero(pattern[o]))
        assert highlighted(page, "cv-above") == set()
    # A click pins: moving away keeps the highlight; a second click releases it.
    hover(page, "1:2")
    page.click(f'{FIG} .cv-hit path[data-cell="1:2"]', force=True)
    page.mouse.move(1, 1)
    assert page.get_attribute(FIG, "data-pinned") == "1:2" and len(highlighted(page, "cv-below")) == 9
    hover(page, "1:5")
    assert frame_of(page) == 2  # pinned: hovering elsewhere changes nothing
    page.click(f'{FIG} .cv-hit path[data-cell="1:5"]', force=True)
    assert page.get_attribute(FIG, "data-pinned") == "1:5"
    page.keyboard.press("Escape")
    assert page.get_attribute(FIG, "data-pinned") is None and highlighted(page, "cv-here") == set()
    page.close()


def test_hover_on_channels_highlights_every_output_channel(browser, torch, tmp_path: Path) -> None:
    import torch.nn.functional as F

    cfg = load_config(ROOT / "configs" / "rgb_to_2_channels.yaml")
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    names = page.evaluate(f"JSON.parse(document.querySelector('{FIG} script.cv-data').textContent)"
                          ".links.groups.map(g => g.name)")
    assert names == ["input channel 0", "input channel 1", "input channel 2", "output channel 0", "output channel 1"]
    x = torch.tensor(cfg.input, dtype=torch.float64).unsqueeze(0)
    jac = torch.autograd.functional.jacobian(lambda t: F.conv2d(t, torch.ones(2, 3, 3, 3, dtype=torch.float64)), x)
    pattern = jac[0].numpy().reshape(2 * 9, 3, 25) != 0
    for ci, cell in ((0, 12), (1, 0), (2, 24)):
        hover(page, f"{ci}:{cell}")
        want = {(3 + o // 9, o % 9) for o in np.flatnonzero(pattern[:, ci, cell])}
        assert highlighted(page, "cv-above") == want and {g for g, _ in want} == {3, 4}
    hover(page, "4:4")  # output channel 1, centre: its window on all three input planes, and its frame
    assert frame_of(page) == 9 + 4
    assert {g for g, _ in highlighted(page, "cv-below")} == {0, 1, 2} and len(highlighted(page, "cv-below")) == 27
    page.close()


def test_layers_show_the_field_below_and_what_a_cell_feeds_above(browser, torch, tmp_path: Path) -> None:
    import torch.nn.functional as F

    cfg = load_config(ROOT / "configs" / "receptive_field_wavenet.yaml")  # kernel 2, dilations 1, 2, 4 on 16
    page = open_page(browser, player(cfg, tmp_path).as_uri())
    x = torch.zeros(1, 1, 16, dtype=torch.float64, requires_grad=True)

    def upto(t, n):
        for d in (1, 2, 4)[:n]:
            t = F.conv1d(t, torch.ones(1, 1, 2, dtype=torch.float64), dilation=d)
        return t

    for layer, pos in ((2, 5), (3, 0), (1, 7)):
        hover(page, f"{layer}:{pos}")
        y = upto(x, layer)[0, 0, pos]
        (grad,) = torch.autograd.grad(y, x)
        field = {(0, i) for i in np.flatnonzero(grad[0, 0].numpy())}
        assert {c for c in highlighted(page, "cv-below") if c[0] == 0} == field
        for above in range(layer + 1, 4):  # what it feeds: the cells of higher layers whose field holds it
            x2 = torch.zeros(1, 1, 16, dtype=torch.float64)
            feeds = set()
            mid = upto(x2, layer).detach().requires_grad_(True)
            top = mid
            for d in (1, 2, 4)[layer:above]:
                top = F.conv1d(top, torch.ones(1, 1, 2, dtype=torch.float64), dilation=d)
            for q in range(top.shape[-1]):
                (g,) = torch.autograd.grad(top[0, 0, q], mid, retain_graph=True)
                if g[0, 0, pos] != 0:
                    feeds.add((above, q))
            assert {c for c in highlighted(page, "cv-above") if c[0] == above} == feeds
    page.close()


def test_two_players_on_one_page_never_interfere(browser, tmp_path: Path) -> None:
    from convanim.encode.html import fragment, player_code

    a, b = (scene_of(load_config(ROOT / "configs" / name)) for name in ("padding_strides.yaml", "dilation.yaml"))
    opts = load_config(ROOT / "configs" / "padding_strides.yaml").render
    css, js = player_code()
    page_html = (f"<!doctype html><meta charset=utf-8><style>{css}</style>"
                 f"<div id=a>{fragment(a, opts, code=False)}</div><div id=b>{fragment(b, opts)}</div>"
                 f"<div id=c>{fragment(a, opts)}</div><script>{js}</script>")
    path = tmp_path / "two.html"
    path.write_text(page_html)
    page = open_page(browser, path.as_uri())
    A, B, C = (f"#{k} {FIG}" for k in "abc")
    assert page.eval_on_selector_all(f"{FIG}[data-ready]", "fs => fs.length") == 3
    page.click(f"{A} button[data-act=next]")
    page.click(f"{A} button[data-act=next]")
    assert (frame_of(page, A), frame_of(page, B), frame_of(page, C)) == (2, 0, 0)
    page.focus(B)
    page.keyboard.press("End")
    assert (frame_of(page, A), frame_of(page, B), frame_of(page, C)) == (2, 8, 0)
    hover(page, "1:4", A)
    assert highlighted(page, "cv-below", A) and not highlighted(page, "cv-below", B)
    assert not highlighted(page, "cv-below", C)  # the same figure twice: still two players
    assert frame_of(page, A) == 4 and frame_of(page, C) == 0
    assert page.errors == []
    page.close()


def test_player_bytes_are_deterministic_and_self_contained(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs" / "numerical_padding_strides.yaml")
    [first] = render(cfg, tmp_path / "a", ["html"])
    [second] = render(cfg, tmp_path / "b", ["html"])
    text = first.read_text()
    assert first.read_bytes() == second.read_bytes()
    assert not re.search(r"(src|href)=\"?https?:", text) and "http://" not in text.replace(
        "http://www.w3.org/2000/svg", "")
    assert text.count("<script>") == 1 and "<svg" in text


def test_a_kind_without_links_still_gets_a_working_player(browser, tmp_path: Path) -> None:
    import dataclasses

    from convanim.encode.html import document

    cfg = load_config(ROOT / "configs" / "padding_strides.yaml")
    scene = dataclasses.replace(scene_of(cfg), links=None, narration=None)
    path = tmp_path / "bare.html"
    path.write_text(document(scene, cfg.render))
    page = open_page(browser, path.as_uri())
    page.click(f"{FIG} button[data-act=next]")
    assert frame_of(page) == 1 and status(page) == "Step 2 of 9"
    assert page.eval_on_selector_all(f"{FIG} .cv-hit", "h => h.length") == 0
    page.close()


@pytest.mark.parametrize("name, frame", [("padding_strides", 4), ("numerical_padding_strides", 2),
                                         ("rgb_to_2_channels", 5), ("receptive_field_3_layers", 7),
                                         ("compare_flip_1d", 2), ("padding_strides_odd_transposed", 11)])
def test_the_player_paints_the_gif_frame_for_frame(browser, tmp_path: Path, name: str, frame: int) -> None:
    """A screenshot of the player's SVG at 1:1 against the GIF's raster frame: the same colours, layout and text
    (they differ only in anti-aliasing and glyph rasterizing)."""
    from convanim.draw import render_frame

    cfg = load_config(ROOT / "configs" / f"{name}.yaml")
    want = render_frame(scene_of(cfg), frame).astype(int)
    page = open_page(browser, player(cfg, tmp_path).as_uri(), width=1700)
    page.add_style_tag(content=".cv-player .cv-svg{margin:0!important}")  # whole pixels, as the raster
    page.fill(f"{FIG} input[type=range]", str(frame))
    page.mouse.move(0, 0)
    shot = tmp_path / "svg.png"
    page.locator(f"{FIG} svg.cv-svg").screenshot(path=str(shot))
    page.close()
    with Image.open(shot) as im:
        got = np.asarray(im.convert("RGB")).astype(int)
    assert got.shape == want.shape
    diff = np.abs(got - want).max(axis=2)
    assert diff.mean() < 4 and (diff > 40).mean() < 0.04, (diff.mean(), (diff > 40).mean())


def test_loop_false_plays_once_and_stops_on_the_last_step(browser, tmp_path: Path) -> None:
    cfg = as_config(input_size=4, kernel_size=3, render={"fps": 25, "loop": False})
    page = open_page(browser, player(cfg, tmp_path).as_uri(), motion="no-preference")
    assert page.is_checked(f"{FIG} .cv-controls input[type=checkbox]") is False
    page.wait_for_function(f"document.querySelector('{FIG}').dataset.playing === undefined", timeout=3000)
    assert frame_of(page) == 3
    page.close()
