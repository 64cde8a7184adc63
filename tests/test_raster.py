"""Raster renderer behaviour: fills, blending, anti-aliasing, dashes, z-order, reveal, text, laziness."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convanim.core.scene import Polygon, Scene, Segment, Text
from convanim.core.text import font_path
from convanim.draw import RasterRenderer, coverage, render_frame, render_frames

WHITE, BLUE, SHADE, GRID = (255, 255, 255), (0x26, 0x8B, 0xD2), (0x07, 0x36, 0x42), (0x00, 0x2B, 0x36)


def rect(x0, y0, x1, y1, fill="#268bd2", **kw):
    return Polygon(points=((x0, y0), (x1, y0), (x1, y1), (x0, y1)), fill=fill, **kw)


def scene(static=(), frame=None, n=1, w=80, h=60, dyn=frozenset(), bg="#ffffff"):
    return Scene(width=w, height=h, background=bg, static=tuple(static), n_frames=n,
                 frame=frame or (lambda i: ()), dynamic_z=dyn)


def px(img, x, y):
    return tuple(int(v) for v in img[y, x])


def close(a, b, tol=2):
    return all(abs(int(p) - int(q)) <= tol for p, q in zip(a, b, strict=True))


def test_frame_shape_dtype_and_background():
    img = render_frame(scene(w=37, h=23, bg="#fdf6e3"), 0)
    assert img.shape == (23, 37, 3) and img.dtype == np.uint8
    assert px(img, 0, 0) == (0xFD, 0xF6, 0xE3) and px(img, 36, 22) == (0xFD, 0xF6, 0xE3)


def test_polygon_fill_is_exact_and_pixel_aligned():
    img = render_frame(scene([rect(10, 10, 30, 20)]), 0)
    assert px(img, 20, 15) == BLUE
    assert px(img, 10, 10) == BLUE and px(img, 29, 19) == BLUE  # integer edges fill whole pixels
    assert px(img, 9, 15) == WHITE and px(img, 30, 15) == WHITE and px(img, 20, 20) == WHITE


def test_alpha_blend_matches_expected_mix():
    img = render_frame(scene([rect(0, 0, 80, 60), rect(20, 20, 60, 40, fill="#073642", alpha=0.4, z=1)]), 0)
    assert close(px(img, 40, 30), (0x1A, 0x69, 0x98))
    assert px(img, 5, 5) == BLUE


def test_antialiased_edges_are_intermediate():
    tri = Polygon(points=((10, 10), (70, 15), (20, 50)), fill="#000000")
    img = render_frame(scene([rect(10.5, 10, 30, 20, fill="#000000"), tri], w=80, h=60), 0)
    half = render_frame(scene([rect(10.5, 10, 30, 20, fill="#000000")]), 0)
    assert 100 < half[15, 10, 0] < 155  # half-covered column
    grey = (img[..., 0] > 10) & (img[..., 0] < 245)
    assert grey[10:50, 10:70].sum() > 40  # slanted edges are smoothed
    assert px(img, 30, 25) == (0, 0, 0)


def test_winding_does_not_matter():
    pts = ((12.3, 8.1), (50.2, 12.7), (40.9, 44.4), (15.5, 30.0))
    a = render_frame(scene([Polygon(points=pts, fill="#002b36")]), 0)
    b = render_frame(scene([Polygon(points=pts[::-1], fill="#002b36")]), 0)
    assert np.array_equal(a, b) and (a != 255).any()


def test_segment_square_caps_and_width():
    img = render_frame(scene([Segment(start=(10, 30), end=(40, 30), color="#000000", width=4)]), 0)
    col = img[:, 20, 0]
    assert list(np.flatnonzero(col < 128)) == [28, 29, 30, 31]  # 4 px wide, centred on y = 30
    row = img[30, :, 0]
    assert row[8] == 0 and row[41] == 0 and row[7] == 255 and row[42] == 255  # ends extend by w/2


def test_square_caps_close_grid_corners():
    segs = [Segment(start=(10, 10), end=(50, 10), color="#000000", width=2),
            Segment(start=(10, 10), end=(10, 50), color="#000000", width=2)]
    img = render_frame(scene(segs), 0)
    assert px(img, 9, 9) == (0, 0, 0) and px(img, 8, 8) == WHITE


def test_dashed_segment_has_gaps_where_expected():
    seg = Segment(start=(10, 30), end=(50, 30), color="#000000", width=2, dash=(4, 4))
    row = render_frame(scene([seg]), 0)[30, :, 0]
    for t in (0.5, 2.5, 8.5, 10.5, 16.5, 35.5):  # inside "on" pieces [0,4], [8,12], [16,20], [32,36]
        assert row[int(10 + t)] == 0, t
    for t in (5.5, 6.5, 13.5, 22.5, 29.5, 38.5):  # inside gaps
        assert row[int(10 + t)] == 255, t
    assert row[9] == 0  # the first dash keeps the segment's square start


def test_diagonal_dashed_segment_alternates():
    seg = Segment(start=(5, 5), end=(75, 55), color="#000000", width=2, dash=(6, 6))
    img = render_frame(scene([seg]), 0)
    n = 400
    ts = np.linspace(1, np.hypot(70, 50) - 1, n)
    xs, ys = 5 + 70 / np.hypot(70, 50) * ts, 5 + 50 / np.hypot(70, 50) * ts
    dark = img[ys.astype(int), xs.astype(int), 0] < 128
    flips = np.count_nonzero(dark[1:] != dark[:-1])
    assert 10 <= flips <= 16  # ~86 px / 12 px period -> 7 dashes


def test_thin_segment_is_lighter_and_diagonal_is_continuous():
    thin = render_frame(scene([Segment(start=(5, 20.5), end=(70, 20.5), color="#000000", width=0.5)]), 0)
    assert 100 < thin[20, 30, 0] < 160
    diag = render_frame(scene([Segment(start=(5, 5), end=(70, 50), color="#000000", width=1)]), 0)
    for x in range(8, 68):
        assert diag[:, x, 0].min() < 128  # no holes along the line


def test_shapes_off_canvas_are_clipped():
    prims = [rect(-20, -20, 10, 10), Segment(start=(-50, 30), end=(200, 35), color="#000000", width=3),
             Segment(start=(-50, -50), end=(-10, -10), color="#000000"),
             Text(xy=(78, 58), text="clipped", size=20, color="#000000")]
    img = render_frame(scene(prims), 0)
    assert px(img, 5, 5) == BLUE and img[25:40].min(axis=0)[:, 0].max() < 128


def test_dynamic_primitives_and_static_band_occlusion():
    plane = rect(40, 0, 80, 60, fill="#2aa198", z=30)
    line = Segment(start=(0, 30), end=(80, 30), color="#000000", width=2, z=20)
    sc = scene([rect(0, 0, 80, 60, z=0), plane], frame=lambda i: (line,), dyn=frozenset({20}))
    img = render_frame(sc, 0)
    assert px(img, 20, 30) == (0, 0, 0)  # drawn over the static base
    assert px(img, 60, 30) == (0x2A, 0xA1, 0x98)  # hidden under the static plane above it
    assert px(img, 20, 10) == BLUE


def test_static_at_the_dynamic_level_is_below_it():
    under = rect(0, 0, 80, 60, fill="#ff0000", z=20)
    sc = scene([under], frame=lambda i: (rect(10, 10, 20, 20, fill="#000000", z=20),), dyn=frozenset({20}))
    assert px(render_frame(sc, 0), 15, 15) == (0, 0, 0)


def test_undeclared_dynamic_z_still_draws():
    sc = scene([rect(0, 0, 80, 60, z=0)], frame=lambda i: (rect(10, 10, 20, 20, fill="#000000", z=7),), n=2)
    assert px(render_frame(sc, 1), 15, 15) == (0, 0, 0)


def moving_scene(n=12):
    static = [rect(0, 0, 60, 40, z=0), rect(60, 0, 100, 40, fill="#2aa198", z=30)]
    static += [rect(60 + 10 * (k % 4), 10 * (k // 4), 70 + 10 * (k % 4), 10 + 10 * (k // 4),
                    fill="#ff8800", z=31, reveal=k) for k in range(n)]
    static.append(Segment(start=(60, 20), end=(100, 20), color="#002b36", width=2, z=32, reveal=5))

    def frame(i):
        x = 3 + 3 * i
        return (rect(x, 5, x + 15, 20, fill="#073642", alpha=0.4, z=20),
                Segment(start=(x, 5), end=(65 + 10 * (i % 4), 10 * (i // 4) + 5), color="#000000",
                        width=1.5, z=20, dash=(3, 2)),
                Text(xy=(x + 7, 30), text=str(i), size=10, color="#000000", z=40))
    return Scene(width=100, height=40, background="#ffffff", static=tuple(static), n_frames=n, frame=frame,
                 dynamic_z=frozenset({20, 40}))


def test_reveal_hides_until_its_frame():
    sc = moving_scene()
    cell_7 = (60 + 10 * 3 + 5, 10 + 5)
    for i in range(sc.n_frames):
        colour = px(render_frame(sc, i), *cell_7)
        assert colour == ((0xFF, 0x88, 0x00) if i >= 7 else (0x2A, 0xA1, 0x98)), i
    assert px(render_frame(sc, 4), 80, 20) != (0, 0x2B, 0x36)
    assert px(render_frame(sc, 5), 80, 20) == (0, 0x2B, 0x36)


def test_sequential_frames_equal_random_access():
    sc = moving_scene()
    frames = list(render_frames(sc))
    assert len(frames) == sc.n_frames
    for i, f in enumerate(frames):
        assert np.array_equal(f, render_frame(sc, i)), i
    rr = RasterRenderer(sc)
    for i in (9, 2, 11, 0, 5):  # backwards and forwards on one renderer
        assert np.array_equal(rr.frame(i), frames[i]), i
    assert not np.array_equal(frames[3], frames[4])


def test_frames_are_independent_arrays():
    frames = list(render_frames(moving_scene(4)))
    before = frames[0].copy()
    frames[1][...] = 0
    assert np.array_equal(frames[0], before)


def test_text_draws_near_its_anchor_and_is_cached():
    coverage.text_mask.cache_clear()
    t = Text(xy=(40, 30), text="0·3 + 1", size=14, color="#000000", anchor="mm")
    img = render_frame(scene([t]), 0)
    ys, xs = np.nonzero(img[..., 0] < 100)
    assert len(ys) > 20
    assert abs((xs.min() + xs.max()) / 2 - 40) < 3 and abs((ys.min() + ys.max()) / 2 - 30) < 3
    sc = scene(frame=lambda i: (t,), n=5, dyn=frozenset({0}))
    list(render_frames(sc))
    info = coverage.text_mask.cache_info()
    assert info.misses == 1 and info.hits >= 1


@pytest.mark.parametrize(("font", "file"), [("serif", "DejaVuSerif.ttf"), ("sans", "DejaVuSans.ttf"),
                                          ("mono", "DejaVuSansMono.ttf")])
def test_fonts_are_matplotlibs_dejavu(font, file):
    assert font_path(font).endswith("/" + file)


def test_raster_path_never_imports_matplotlib():
    code = ("import sys; from convanim.draw import render_frame; from convanim import encode; "
            "from convanim.core.scene import Scene, Text; "
            "s = Scene(width=40, height=20, background='#ffffff', n_frames=1, "
            "static=(Text(xy=(20, 10), text='1', size=9, color='#000000'),)); "
            "assert render_frame(s, 0).min() < 128; assert 'matplotlib' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_render_frames_is_lazy_and_memory_flat():
    calls = []

    def frame(i):
        calls.append(i)
        x = i % 300
        return (rect(x, 10, x + 30, 40, fill="#073642", alpha=0.4, z=20),
                Segment(start=(0, 0), end=(x + 1, 199), color="#000000", z=20))
    sc = scene([rect(0, 0, 400, 200)], frame=frame, n=1000, w=400, h=200, dyn=frozenset({20}))
    gen = render_frames(sc)
    assert calls == []  # nothing happens before the first frame is asked for
    tracemalloc.start()
    count = 0
    for _ in gen:
        count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 1000
    assert peak < 30 * 2**20  # 1000 frames would be 240 MB if kept


@settings(max_examples=150, deadline=None)
@given(x0=st.integers(-30, 130), y0=st.integers(-30, 130), dx=st.integers(-90, 90), dy=st.integers(-90, 90),
       mx=st.integers(-60, 60), my=st.integers(-60, 60), width=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
       antialias=st.booleans(), dash=st.sampled_from([None, (4.0, 3.0)]))
def test_a_stroke_moved_by_whole_pixels_is_drawn_as_if_fresh(x0, y0, dx, dy, mx, my, width, antialias, dash):
    """Coverage of a slanted stroke reused from the same stroke drawn elsewhere (the connectors of the stacked
    figures move so) equals the coverage computed afresh, clipped canvas edges included."""
    from convanim.draw import coverage as cov_module

    pen = {"width": width, "antialias": antialias, "dash": dash, "color": "#000000"}
    first = Segment(start=(x0, y0), end=(x0 + dx, y0 + dy), **pen)
    moved = Segment(start=(x0 + mx, y0 + my), end=(x0 + dx + mx, y0 + dy + my), **pen)
    cov_module._STROKES.clear()
    fresh = cov_module.coverage(moved, 96, 112)
    cov_module._STROKES.clear()
    cov_module.coverage(first, 96, 112)
    reused = cov_module.coverage(moved, 96, 112)
    if fresh is None:
        assert reused is None
        return
    assert reused is not None
    if fresh.idx is None:
        assert reused.idx is None and np.array_equal(fresh.cov, reused.cov)
        return
    assert np.array_equal(fresh.idx, reused.idx) and np.array_equal(fresh.cov, reused.cov)
