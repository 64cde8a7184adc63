"""Cost proportional to what changes: the renderer's reports of what changed are exact, and every encoder that
writes only the changes (or reuses what did not change) gives the same pictures as writing whole frames."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import IN_CI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from convanim.app.pipeline import as_config, load_config, render, scene_of
from convanim.core.scene import Polygon, Scene, Segment, Text
from convanim.draw import FrameUpdate, RasterRenderer, raster, render_updates
from convanim.draw.tiles import TileStore
from convanim.encode import gif, lzw
from convanim.encode.apng import write_apng
from convanim.encode.common import bbox, updates_of
from convanim.encode.deflate import ZStream, compressed, zeros
from convanim.encode.gif import write_gif
from convanim.encode.lzw import pillow_lzw, runs_lzw, sparse_lzw
from convanim.encode.png import BandedPng, write_png_frames
from convanim.encode.webp import write_webp

CONFIGS = Path(__file__).parents[1] / "configs"


def scenes() -> dict[str, Scene]:
    return {
        "stacked": scene_of(as_config(input_size=7, kernel_size=3, padding=1)),
        "flat+caption": scene_of(as_config(input_size=6, kernel_size=3, padding=1,
                                           render={"numbers": True, "caption": True})),
        "progressive": scene_of(as_config(input_size=5, kernel_size=3, render={"reveal": "progressive"})),
        "layers": scene_of(load_config(CONFIGS / "receptive_field_3_layers.yaml")),
        "channels": scene_of(load_config(CONFIGS / "rgb_to_2_channels.yaml")),
    }


def decoded(path) -> list[np.ndarray]:
    im = Image.open(path)
    out = []
    for k in range(getattr(im, "n_frames", 1)):
        im.seek(k)
        out.append(np.asarray(im.convert("RGB")))
    return out


# ---------------------------------------------------------------- the renderer's updates

@pytest.fixture(params=["tiles", "pixels"])
def stroke_path(request, monkeypatch):
    """Slanted strokes drawn on the tiles they cross, or pixel by pixel (the path long ones take)."""
    monkeypatch.setattr(raster, "LINE_PIXELS", 10**9 if request.param == "tiles" else 1)
    return request.param


@pytest.mark.parametrize("name", ["stacked", "flat+caption", "progressive", "layers", "channels"])
def test_updates_report_exactly_the_pixels_that_changed(name, stroke_path):
    scene = scenes()[name]
    prev = None
    for update in RasterRenderer(scene).updates():
        frame = update.pixels.copy()
        assert not update.pixels.flags.writeable
        if prev is None:
            assert update.whole and update.boxes is None and update.points is None  # the first frame: whole
        else:
            truth = (frame != prev).any(axis=2)
            ys, xs = update.points  # each changed pixel once
            assert ys.size == int(truth.sum()) and truth[ys, xs].all()
            assert update.changed == bool(truth.any())
            assert update.bounds == (None if not truth.any() else bbox(truth))
            seen = np.zeros_like(truth)
            for (y0, y1, x0, x1), mask in zip(update.boxes, update.masks, strict=True):
                assert mask.shape == (y1 - y0, x1 - x0)
                assert mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any()  # tight
                assert not seen[y0:y1, x0:x1].any()  # disjoint
                seen[y0:y1, x0:x1] = mask
            assert np.array_equal(seen, truth), update.index
        prev = frame


@pytest.mark.parametrize("name", ["stacked", "layers"])
def test_strokes_drawn_pixel_by_pixel_give_the_same_frames_as_on_tiles(name, monkeypatch):
    scene = scenes()[name]
    order = [*range(scene.n_frames), 3, 1, 2, 2, 0, scene.n_frames - 1]  # jumps back and repeats too
    monkeypatch.setattr(raster, "LINE_PIXELS", 10**9)
    on_tiles = RasterRenderer(scene)
    expected = [on_tiles.frame(i) for i in order]
    monkeypatch.setattr(raster, "LINE_PIXELS", 1)
    by_pixel = RasterRenderer(scene)
    assert any(by_pixel._dynamic(0)[2])  # the strokes do take the pixel path
    for i, frame in zip(order, expected, strict=True):
        assert np.array_equal(by_pixel.frame(i), frame), i


def test_plain_frames_report_their_changes_as_points_and_boxes_alike():
    a = np.zeros((6, 9, 3), np.uint8)
    b = a.copy()
    b[1, 2] = 7
    b[4, 7] = 9
    whole, update = updates_of([a, b])
    assert whole.whole and whole.points is None
    assert update.boxes == ((1, 5, 2, 8),) and update.masks[0].sum() == 2
    assert sorted(zip(*(v.tolist() for v in update.points))) == [(1, 2), (4, 7)]
    from_points = FrameUpdate(index=1, pixels=b, points=update.points)
    assert from_points.boxes == update.boxes and np.array_equal(from_points.masks[0], update.masks[0])
    assert from_points.bounds == (1, 5, 2, 8) and from_points.changed
    quiet = FrameUpdate(index=2, pixels=b, points=(np.zeros(0, int), np.zeros(0, int)))
    assert not quiet.changed and quiet.boxes == () and quiet.bounds is None


@pytest.mark.parametrize("padded", [False, True])
def test_update_values_are_the_pixels_at_the_points(padded):
    rng = np.random.default_rng(3)
    buffer = rng.integers(0, 256, (9, 16 if padded else 11, 3), dtype=np.uint8)
    pixels = buffer[:7, :11]  # the renderer hands out such views of its wider buffer
    ys, xs = rng.integers(0, 7, 50), rng.integers(0, 11, 50)
    update = FrameUpdate(index=1, pixels=pixels, points=(ys, xs))
    assert np.array_equal(update.values(ys, xs), pixels[ys, xs])
    assert np.array_equal(FrameUpdate(index=1, pixels=buffer[:7, ::2], points=(ys, xs // 2)).values(ys, xs // 2),
                          buffer[:7, ::2][ys, xs // 2])  # any other view: copied first


def test_separate_changes_come_as_separate_boxes():
    """A caption under the grids, the window and the output cell are far apart: three boxes, not one."""
    scene = scenes()["flat+caption"]
    updates = RasterRenderer(scene).updates()
    next(updates)
    update = next(updates)
    area = sum((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in update.boxes)
    ys, xs = [b[0] for b in update.boxes] + [b[1] for b in update.boxes], [b[2] for b in update.boxes] + [
        b[3] for b in update.boxes]
    assert len(update.boxes) >= 3 and area < 0.5 * (max(ys) - min(ys)) * (max(xs) - min(xs))


def test_shapes_hidden_under_an_opaque_static_layer_are_neither_drawn_nor_reported():
    plane = Polygon(points=((40, 0), (80, 0), (80, 60), (40, 60)), fill="#2aa198", z=30)
    scene = Scene(width=80, height=60, background="#ffffff", static=(plane,), n_frames=3, dynamic_z=frozenset({20}),
                  frame=lambda i: (Segment(start=(0, 10 + 10 * i), end=(80, 10 + 10 * i), color="#000000", z=20),))
    renderer = RasterRenderer(scene)
    renderer.update(0)
    update = renderer.update(1)
    assert update.boxes and max(x1 for _y0, _y1, _x0, x1 in update.boxes) <= 40


def test_static_layers_keep_only_the_tiles_that_are_not_one_colour():
    scene = scene_of(as_config(input_size=24, kernel_size=3, padding=1, render={"numbers": True}))
    renderer = RasterRenderer(scene)
    tiles = renderer.grid[0] * renderer.grid[1]
    base = renderer.bands[0].store
    assert base.used < 0.2 * tiles  # cell fills are flat colours: kept as one colour a tile
    store = TileStore((2, 2), 3, np.zeros(3, np.float32), 4)
    store.put(np.array([0, 1]), np.array([0, 1]), np.stack([np.full((16, 16, 3), 7, np.float32),
                                                            np.arange(768, dtype=np.float32).reshape(16, 16, 3)]))
    assert store.used == 1 and np.array_equal(store.gather(np.array([0]), np.array([0]))[0], np.full((16, 16, 3), 7))


# ---------------------------------------------------------------- GIF

def runs_of(a: np.ndarray) -> tuple[list[int], list[int]]:
    flat = a.ravel()
    starts = np.flatnonzero(np.concatenate([[True], flat[1:] != flat[:-1]]))
    return flat[starts].tolist(), np.diff(np.append(starts, flat.size)).tolist()


@pytest.fixture(params=["c", "python"])
def encoder(request, monkeypatch):
    """The run encoder in C (the optional ``_gif`` module, built by every install with a C compiler, so it must
    be there under CI=true) or in Python (the same steps, where it is not built)."""
    if request.param == "c":
        if lzw.native is None:
            if IN_CI:
                pytest.fail("convanim.encode._gif was not built: the install needs a C compiler", pytrace=False)
            pytest.skip("convanim.encode._gif is not built here (no C compiler at install)")
    else:
        monkeypatch.setattr(lzw, "native", None)
        monkeypatch.setattr(gif, "native", None)
    return request.param


def require_c() -> None:
    if lzw.native is None:
        if IN_CI:
            pytest.fail("convanim.encode._gif was not built: the install needs a C compiler", pytrace=False)
        pytest.skip("convanim.encode._gif is not built here (no C compiler at install)")


def some_indices(kind: str, bits: int, h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "sparse":  # a transparent rectangle with a few changes: long runs, the bulk path
        a = np.full((h, w), (1 << bits) - 1, np.uint8)
        n = int(rng.integers(0, 6))
        a.ravel()[rng.integers(0, h * w, n)] = rng.integers(0, 1 << bits, n)
    elif kind == "banded":  # rows of short runs of a few values (text) amid transparent rows
        a = np.full((h, w), (1 << bits) - 1, np.uint8)
        rows = rng.random(h) < 0.3
        a[rows] = np.repeat(rng.integers(0, 3, (int(rows.sum()), w // 3 + 1)), 3, axis=1)[:, :w]
    elif kind == "strokes":  # thin slanted strokes of a few values over a transparent rectangle (connectors)
        a = np.full((h, w), (1 << bits) - 1, np.uint8)
        for _ in range(int(rng.integers(1, 5))):
            x, slope = rng.integers(0, w), rng.uniform(-3, 3)
            ys = np.arange(h)
            xs = np.clip((x + slope * ys).astype(int), 0, w - 1)
            a[ys, xs] = rng.integers(0, (1 << bits) - 1)
            a[ys, np.minimum(xs + 1, w - 1)] = rng.integers(0, (1 << bits) - 1)
    else:
        a = rng.integers(0, 1 << bits, (h, w)).astype(np.uint8)
    return a


ONE_ENCODER = [HealthCheck.function_scoped_fixture]  # the fixture picks the encoder once for all examples


@settings(max_examples=90, deadline=None, suppress_health_check=ONE_ENCODER)
@given(bits=st.integers(2, 8), h=st.integers(1, 40), w=st.integers(1, 90), seed=st.integers(0, 2**31),
       kind=st.sampled_from(["dense", "sparse", "banded", "strokes"]))
def test_the_run_encoder_gives_pillows_lzw_bit_for_bit(encoder, bits, h, w, seed, kind):
    a = some_indices(kind, bits, h, w, seed)
    assert runs_lzw(*runs_of(a), bits) == pillow_lzw(a, bits)


@settings(max_examples=90, deadline=None, suppress_health_check=ONE_ENCODER)
@given(bits=st.integers(2, 8), h=st.integers(1, 60), w=st.integers(1, 120), seed=st.integers(0, 2**31),
       kind=st.sampled_from(["dense", "sparse", "banded", "strokes"]))
def test_a_rectangle_from_its_changed_pixels_in_any_order_gives_pillows_lzw(encoder, bits, h, w, seed, kind):
    """What the GIF writer encodes: the changed pixels (positions in no order) of a transparent rectangle."""
    a = some_indices(kind, bits, h, w, seed)
    clear = (1 << bits) - 1
    pos = np.flatnonzero(a.ravel() != clear)
    np.random.default_rng(seed).shuffle(pos)
    assert sparse_lzw(pos, a.ravel()[pos], a.size, clear, bits) == pillow_lzw(a, bits)


def test_the_run_encoder_handles_full_tables_and_huge_runs(encoder):
    a = np.full((2000, 3000), 15, np.uint8)
    a[:40, :700] = np.random.default_rng(1).integers(0, 15, (40, 700))  # fills the table, then clears
    a[1900, 5::97] = 3
    a[1000:1400, 1000:1002] = 7  # a stroke down the transparent stretch: strings of 7 then transparent pixels
    expected = pillow_lzw(a, 4)
    assert runs_lzw(*runs_of(a), 4) == expected
    pos = np.flatnonzero(a.ravel() != 15)[::-1].copy()
    assert sparse_lzw(pos, a.ravel()[pos], a.size, 15, 4) == expected


def test_the_c_encoder_refuses_what_is_not_a_rectangle_of_changes():
    """Its own checks (the Python encoder trusts the GIF writer): bad input is an error, never bad memory."""
    require_c()
    pos, val = np.array([3, 1], np.int64), np.array([2, 2], np.uint8)
    assert lzw.native.sparse(pos, val, 4, 3, 2) == sparse_lzw(pos, val, 4, 3, 2)
    with pytest.raises(ValueError, match="outside the rectangle"):
        lzw.native.sparse(pos, val, 3, 3, 2)
    with pytest.raises(ValueError, match="there twice"):
        lzw.native.sparse(np.array([1, 1], np.int64), val, 4, 3, 2)
    with pytest.raises(ValueError, match="transparent index"):
        lzw.native.sparse(pos, np.array([3, 2], np.uint8), 4, 3, 2)
    with pytest.raises(ValueError, match="outside the palette"):
        lzw.native.runs(np.array([4], np.int64), np.array([2], np.int64), 2)
    with pytest.raises(TypeError, match="8-byte items"):
        lzw.native.sparse(pos.astype(np.int32), val, 4, 3, 2)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 30), w=st.integers(1, 40), pad=st.integers(0, 16), seed=st.integers(0, 2**31),
       share=st.floats(0, 1))
def test_the_c_changes_are_the_numpy_ones(h, w, pad, seed, share):
    """GifFrames.changes in C and in numpy: the same rectangle, positions, values and indices afterwards, on a
    frame that is a view into a wider buffer (the renderer's padded canvas)."""
    require_c()
    rng = np.random.default_rng(seed)
    palette = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(int(rng.integers(2, 60)))]
    canvas = rng.integers(0, 256, (h, w + pad, 3)).astype(np.uint8)
    pixels = canvas[:, :w]
    pick = np.flatnonzero(rng.random(h * w) < share)
    rng.shuffle(pick)
    update = FrameUpdate(index=1, pixels=pixels, points=(pick // w, pick % w))
    before = gif.quantize(pixels, gif.lookup(palette))
    before.ravel()[rng.permutation(h * w)[:h * w // 3]] = len(palette)  # a third of the indices differ
    out = []
    for native in (lzw.native, None):
        frames = gif.GifFrames(palette, len(palette), 6, (h, w))
        frames.prev[...] = before
        gif.native = native
        try:
            found = frames.changes(update)
        finally:
            gif.native = lzw.native
        out.append((found, frames.prev.copy()))
    (c, c_prev), (py, py_prev) = out
    assert (c is None) == (py is None)
    if c is not None:
        assert c[0] == py[0] and np.array_equal(c[1], py[1]) and np.array_equal(c[2], py[2])
    assert np.array_equal(c_prev, py_prev)


def test_the_c_changes_refuse_points_outside_the_frame():
    require_c()
    pixels = np.zeros((4, 5, 3), np.uint8)
    frames = gif.GifFrames([(0, 0, 0), (255, 255, 255)], 2, 2, (4, 5))
    for ys, xs in (([4], [0]), ([0], [5]), ([-1], [0])):
        with pytest.raises(ValueError, match="outside the frame"):
            frames.changes(FrameUpdate(index=1, pixels=pixels, points=(np.array(ys), np.array(xs))))


def test_gif_from_the_renderers_updates_equals_gif_from_whole_frames(tmp_path, encoder):
    from convanim.draw import render_frames
    from convanim.encode.gif import gif_palette

    for name, scene in scenes().items():
        palette = gif_palette(scene, as_config(input_size=3).render.theme)
        a = write_gif(tmp_path / f"{name}-a.gif", render_updates(scene), fps=2, palette=palette).read_bytes()
        b = write_gif(tmp_path / f"{name}-b.gif", render_frames(scene), fps=2, palette=palette).read_bytes()
        assert a == b, name
        frames = decoded(tmp_path / f"{name}-a.gif")
        assert len(frames) == scene.n_frames


def apng_blends(data: bytes) -> tuple[int, list[int]]:
    """An APNG's colour type and its frames' blend_op."""
    pos, blends, color = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            color = body[9]
        elif kind == b"fcTL":
            blends.append(body[25])
        pos += 12 + n
    return color, blends


@pytest.mark.parametrize("name", ["stacked", "flat+caption", "progressive", "layers", "channels"])
def test_apng_from_the_renderers_updates_decodes_to_its_frames_and_is_never_larger(tmp_path, name):
    from convanim.draw import render_frames

    scene = scenes()[name]
    n = scene.n_frames
    path = write_apng(tmp_path / "a.png", render_updates(scene), fps=10, durations=[100] * n)
    frames = decoded(path)
    assert len(frames) == n
    for got, want in zip(frames, render_frames(scene), strict=True):
        assert np.array_equal(got, want)
    whole = write_apng(tmp_path / "b.png", render_updates(scene), fps=10)  # (no durations: rectangles whole)
    assert apng_blends(whole.read_bytes()) == (2, [0] * n)
    assert path.stat().st_size <= whole.stat().st_size


def test_apng_stores_only_the_changed_pixels_where_that_pays(tmp_path):
    scene = scene_of(as_config(input_size=12, kernel_size=3, padding=1, render={"numbers": True}))
    n = scene.n_frames
    path = write_apng(tmp_path / "a.png", render_updates(scene), fps=10, durations=[100] * n)
    whole = write_apng(tmp_path / "b.png", render_updates(scene), fps=10)
    assert apng_blends(path.read_bytes()) == (6, [0] + [1] * (n - 1))  # RGBA; composited over the frame before
    assert path.stat().st_size < 0.8 * whole.stat().st_size
    for got, want in zip(decoded(path), decoded(whole), strict=True):
        assert np.array_equal(got, want)


def test_gif_codes_start_at_the_palettes_width(tmp_path):
    path = render(CONFIGS / "padding_strides.yaml", tmp_path)[0]
    data = path.read_bytes()
    table_bits = (data[10] & 7) + 1
    first_image = data.index(b",", 13 + (3 << table_bits))
    assert data[first_image + 10] == max(2, table_bits) < 8


# ---------------------------------------------------------------- PNG, WebP, deflate pieces

@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 70_000), head=st.binary(max_size=40), tail=st.binary(max_size=40))
def test_zero_runs_and_compressed_pieces_make_one_valid_zlib_stream(n, head, tail):
    stream = ZStream()
    for piece in (compressed(head), zeros(n), compressed(tail)):
        stream.add(piece)
    assert zlib.decompress(stream.bytes()) == head + bytes(n) + tail  # checks the combined Adler-32 too


def test_banded_png_frames_decode_exactly_and_reuse_unchanged_bands(tmp_path):
    scene = scene_of(as_config(input_size=22, kernel_size=3, padding=1, render={"numbers": True}))
    assert scene.width * scene.height > 1 << 19  # large enough for the banded writer
    updates = list(u.pixels.copy() for u in RasterRenderer(scene).updates())[:6]
    out = write_png_frames(tmp_path / "frames", updates)
    for k, want in enumerate(updates):
        assert np.array_equal(np.asarray(Image.open(out / f"frame{k:05d}.png").convert("RGB")), want)
    png = BandedPng(scene.height, scene.width)
    renderer = RasterRenderer(scene)
    png.png(renderer.update(0))
    before = list(png.pieces)
    png.png(renderer.update(1))
    kept = sum(a is b for a, b in zip(before, png.pieces))
    assert 0 < kept < len(before)  # unchanged bands reused, changed ones recompressed


def test_webp_of_changed_rectangles_decodes_exactly(tmp_path):
    scene = scenes()["flat+caption"]
    path = write_webp(tmp_path / "a.webp", render_updates(scene), fps=2, method=1, quality=0)
    want = [u.pixels.copy() for u in RasterRenderer(scene).updates()]
    got = decoded(path)
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def test_mp4_colours_are_close_to_the_frames(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    scene = scenes()["flat+caption"]
    [path] = render(as_config(input_size=6, kernel_size=3, padding=1, render={"numbers": True, "caption": True}),
                    tmp_path, ["mp4"])
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
    for got, want in zip(frames, RasterRenderer(scene).frames(), strict=True):
        assert np.abs(got[:want.shape[0], :want.shape[1]].astype(int) - want).mean() < 3


# ---------------------------------------------------------------- PDF

def test_pdf_draws_static_layers_once_and_pages_match_the_raster_frames(tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    config = as_config(input_size=5, kernel_size=3, padding=1, render={"numbers": True, "caption": True})
    scene = scene_of(config)
    [path] = render(config, tmp_path, ["pdf"])
    data = path.read_bytes()
    assert len(re.findall(rb"/Type /Page\b", data)) == scene.n_frames
    assert data.count(b"/Subtype /Form") == 2  # fills, then numbers and grid: each drawn once
    assert b"/FontFile2" in data and b"/ToUnicode" in data and b"CreationDate" not in data
    pdf = pdfium.PdfDocument(str(path))
    renderer = RasterRenderer(scene)
    texts = [p.text for p in scene.static if isinstance(p, Text)]
    for i in (0, 7, scene.n_frames - 1):
        page = pdf[i]
        assert (page.get_width(), page.get_height()) == (scene.width, scene.height)
        text = page.get_textpage().get_text_range()
        caption = [p.text for p in scene.frame(i) if isinstance(p, Text) and p.text.startswith("y[")][0]
        assert caption in text and all(t in text for t in texts[:5])  # text is text
        drawn = np.asarray(page.render(scale=1).to_pil().convert("RGB")).astype(int)
        assert np.abs(drawn - renderer.frame(i)).mean() < 4  # the same picture
    assert data == render(config, tmp_path / "again", ["pdf"])[0].read_bytes()


def test_pdf_pages_cost_their_frame_not_the_static_layer(tmp_path):
    config = as_config(input_size=12, kernel_size=3, padding=1, render={"numbers": True})
    [path] = render(config, tmp_path, ["pdf"])
    data = path.read_bytes()
    pages = [m for m in re.finditer(rb"<<  /Filter /FlateDecode /Length (\d+) >>", data)]
    assert pages and max(int(m.group(1)) for m in pages) < 2000  # a page is its frame's few shapes
    static = int(re.search(rb"/Subtype /Form .*?/Length (\d+)", data).group(1))
    assert static > 5 * max(int(m.group(1)) for m in pages)


def test_pdf_single_step_and_fonts_of_every_family(tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    texts = tuple(Text(xy=(60, 20 + 25 * k), text=f"{f} · −1 → 2", size=12, color="#000000", font=f, anchor=a)
                  for k, (f, a) in enumerate([("serif", "mm"), ("sans", "ls"), ("mono", "rd")]))
    scene = Scene(width=120, height=90, background="#ffffff", static=texts, n_frames=3)
    from convanim.draw import render_vector

    path = render_vector(scene, tmp_path / "t.pdf", "pdf", step=2)
    pdf = pdfium.PdfDocument(str(path))
    assert len(pdf) == 1
    text = pdf[0].get_textpage().get_text_range()
    for t in texts:
        assert t.text in text
    assert io.BytesIO(path.read_bytes()).getvalue().count(b"/Subtype /Type0") == 3


def test_a_browser_composites_the_changed_pixels_apng_into_the_same_pictures(browser, tmp_path):
    """Chromium plays an APNG whose frames hold only the changed pixels (blend OVER) to the same last picture."""
    cfg = as_config(input_size=8, kernel_size=3, padding=1, name="m",
                    render={"numbers": True, "fps": 50, "loop": 1})
    apng, frames = render(cfg, tmp_path, ["apng", "png"])
    color, blends = apng_blends(apng.read_bytes())
    assert color == 6 and blends[1:] == [1] * (len(blends) - 1)
    (tmp_path / "page.html").write_text(f'<html><body style="margin:0"><img id="i" src="{apng.name}"></body></html>')
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((tmp_path / "page.html").as_uri())
    page.wait_for_timeout(1000 * len(blends) / 50 + 1500)  # played once, then it stays on the last frame
    shot = np.asarray(Image.open(io.BytesIO(page.locator("#i").screenshot())).convert("RGB"))
    page.close()
    last = np.asarray(Image.open(sorted(frames.glob("*.png"))[-1]).convert("RGB"))
    assert np.array_equal(shot, last)
