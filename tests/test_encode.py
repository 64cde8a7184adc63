"""Encoders and vector output: decode what was written, determinism, atomicity, streaming."""

from __future__ import annotations

import os
import re
import sys
import tracemalloc
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from convanim import encode
from convanim.core.scene import Polygon, Scene, Segment, Text
from convanim.draw import render_vector
from convanim.encode import EncodeError
from convanim.encode.apng import write_apng
from convanim.encode.gif import write_gif
from convanim.encode.mp4 import Yuv420, write_mp4
from convanim.encode.palette import build_palette, quantize
from convanim.encode.png import write_png, write_png_frames
from convanim.encode.webp import write_webp

PALETTE = ["#ffffff", "#268bd2", "#2aa198", "#002b36", "#073642", "#000000"]
COLORS = np.array([(255, 255, 255), (0x26, 0x8B, 0xD2), (0x2A, 0xA1, 0x98), (0, 0x2B, 0x36)], np.uint8)


def frames(n=6, w=48, h=32):
    """A square moving right over a two-colour background; every frame differs."""
    for i in range(n):
        f = np.empty((h, w, 3), np.uint8)
        f[:] = COLORS[0]
        f[:, w // 2:] = COLORS[1]
        f[8:20, 2 + 3 * i:14 + 3 * i] = COLORS[3]
        f[0, 0] = COLORS[2 if i % 2 else 0]
        yield f


def read_all(path):
    im = Image.open(path)
    out, durations = [], []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(np.asarray(im.convert("RGB")))
        durations.append(im.info.get("duration"))
    return im, out, durations


def failing(n_ok=3):
    yield from list(frames(n_ok))
    raise RuntimeError("renderer broke")


def leftovers(directory):
    return sorted(p for p in os.listdir(directory) if p.startswith("."))


# ---------------------------------------------------------------- palette


def test_build_palette_keys_first_dedup_and_blends():
    pal = build_palette(PALETTE + ["#FFFFFF"], ramps=3)
    assert pal[:6] == [(255, 255, 255), (0x26, 0x8B, 0xD2), (0x2A, 0xA1, 0x98), (0, 0x2B, 0x36),
                       (7, 0x36, 0x42), (0, 0, 0)]
    assert len(pal) == len(set(pal)) <= 255
    assert (128, 128, 128) in pal  # white/black midpoint
    assert (191, 191, 191) in pal and (64, 64, 64) in pal


def test_build_palette_overlays_and_limit():
    pal = build_palette(["#268bd2"], overlays=[("#073642", 0.4)])
    assert (0x1A, 0x69, 0x98) in pal
    rng = np.random.default_rng(1)
    big = build_palette([tuple(c) for c in rng.integers(0, 256, (30, 3))], ramps=8)
    assert len(big) == 255 and len(set(big)) == 255


def test_quantize_maps_palette_colours_to_themselves():
    pal = build_palette(PALETTE, ramps=4)
    img = np.array([pal], np.uint8)
    idx = quantize(img, pal)[0]
    assert np.array_equal(idx[:len(PALETTE)], np.arange(len(PALETTE)))  # flat colours exactly
    assert np.abs(np.array(pal)[idx] - np.array(pal)).max() <= 4  # blends sharing a LUT cell: nearly
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (20, 20, 3)).astype(np.uint8)
    dist = np.linalg.norm(img[:, :, None, :].astype(float) - np.array(pal, float), axis=-1)
    chosen = np.take_along_axis(dist, quantize(img, pal)[..., None].astype(int), axis=-1)[..., 0]
    assert (chosen <= dist.min(axis=-1) + 4).all()  # nearest colour up to the LUT's cell size


# ---------------------------------------------------------------- GIF


def test_gif_roundtrip(tmp_path):
    path = write_gif(tmp_path / "a.gif", frames(), fps=10, loop=0, palette=PALETTE)
    im, decoded, durations = read_all(path)
    assert im.size == (48, 32) and im.n_frames == 6 and im.info["loop"] == 0
    assert durations == [100] * 6
    for got, want in zip(decoded, frames(), strict=True):
        assert np.array_equal(got, want)


@pytest.mark.parametrize(("loop", "expected"), [(True, 0), (0, 0), (3, 3), (None, None), (False, None)])
def test_gif_loop_semantics(tmp_path, loop, expected):
    im = Image.open(write_gif(tmp_path / "l.gif", frames(3), fps=5, loop=loop, palette=PALETTE))
    assert im.info.get("loop") == expected


def test_gif_durations_track_fps_without_drift(tmp_path):
    _, _, durations = read_all(write_gif(tmp_path / "d.gif", frames(6), fps=30, palette=PALETTE))
    assert set(durations) <= {30, 40} and sum(durations) == 200


def test_gif_identical_frames_keep_the_frame_count(tmp_path):
    still = list(frames(1)) * 4
    im, decoded, _ = read_all(write_gif(tmp_path / "s.gif", still, fps=10, palette=PALETTE))
    assert im.n_frames == 4 and all(np.array_equal(d, still[0]) for d in decoded)


def test_gif_is_byte_identical_on_reencode(tmp_path):
    a = write_gif(tmp_path / "a.gif", frames(), fps=10, palette=PALETTE).read_bytes()
    b = write_gif(tmp_path / "b.gif", frames(), fps=10, palette=PALETTE).read_bytes()
    assert a == b


def test_gif_without_palette_uses_first_frame_colours(tmp_path):
    im, decoded, _ = read_all(write_gif(tmp_path / "p.gif", frames(), fps=10))
    assert im.n_frames == 6 and np.array_equal(decoded[0], next(frames()))


def test_gif_failure_leaves_no_file_and_keeps_the_old_one(tmp_path):
    with pytest.raises(RuntimeError):
        write_gif(tmp_path / "new.gif", failing(), fps=10, palette=PALETTE)
    assert not (tmp_path / "new.gif").exists() and leftovers(tmp_path) == []
    old = write_gif(tmp_path / "old.gif", frames(2), fps=10, palette=PALETTE).read_bytes()
    with pytest.raises(RuntimeError):
        write_gif(tmp_path / "old.gif", failing(), fps=10, palette=PALETTE)
    assert (tmp_path / "old.gif").read_bytes() == old and leftovers(tmp_path) == []


def test_gif_streams_with_flat_memory(tmp_path):
    def many():
        for i in range(300):
            f = np.full((200, 200, 3), 255, np.uint8)
            f[50:90, (i % 150):(i % 150) + 40] = (0x26, 0x8B, 0xD2)
            yield f
    tracemalloc.start()
    write_gif(tmp_path / "m.gif", many(), fps=25, palette=PALETTE)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 2**20  # holding the frames would take 36 MB
    assert Image.open(tmp_path / "m.gif").n_frames == 300


@pytest.mark.parametrize("bad", [dict(fps=0), dict(fps=float("nan")), dict(loop=-1), dict(loop="x")])
def test_gif_rejects_bad_arguments(tmp_path, bad):
    kw = dict(fps=10, palette=PALETTE) | bad
    with pytest.raises(EncodeError):
        write_gif(tmp_path / "x.gif", frames(2), **kw)
    assert os.listdir(tmp_path) == []


def test_empty_or_mixed_frames_are_rejected(tmp_path):
    with pytest.raises(EncodeError, match="no frames"):
        write_gif(tmp_path / "e.gif", iter(()), fps=10, palette=PALETTE)
    mixed = [np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)]
    with pytest.raises(EncodeError, match="size"):
        write_apng(tmp_path / "m.png", mixed, fps=10)
    with pytest.raises(EncodeError, match="uint8"):
        write_gif(tmp_path / "f.gif", [np.zeros((4, 4, 3))], fps=10)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- PNG frames, APNG, WebP, MP4


def test_single_png(tmp_path):
    frame = next(frames())
    path = write_png(tmp_path / "one.png", frame)
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), frame) and leftovers(tmp_path) == []


def test_png_frames_directory(tmp_path):
    out = write_png_frames(tmp_path / "frames", frames(5))
    names = sorted(os.listdir(out))
    assert names == [f"frame{i:05d}.png" for i in range(5)]
    for name, want in zip(names, frames(5), strict=True):
        assert np.array_equal(np.asarray(Image.open(out / name).convert("RGB")), want)
    write_png_frames(tmp_path / "frames", frames(2))  # replaces the older set whole
    assert sorted(os.listdir(out)) == ["frame00000.png", "frame00001.png"]
    with pytest.raises(RuntimeError):
        write_png_frames(tmp_path / "frames", failing())
    assert sorted(os.listdir(out)) == ["frame00000.png", "frame00001.png"] and leftovers(tmp_path) == []


def test_png_frames_never_replaces_a_folder_with_other_files(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(EncodeError):
        write_png_frames(tmp_path / "mine", frames(2))
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep" and leftovers(tmp_path) == []


def test_apng_roundtrip_is_lossless(tmp_path):
    path = write_apng(tmp_path / "a.png", frames(), fps=20, loop=2)
    im, decoded, durations = read_all(path)
    assert im.n_frames == 6 and im.info["loop"] == 3 and durations == [50.0] * 6
    for got, want in zip(decoded, frames(), strict=True):
        assert np.array_equal(got, want)
    assert path.read_bytes() == write_apng(tmp_path / "b.png", frames(), fps=20, loop=2).read_bytes()


def test_webp_roundtrip_is_lossless(tmp_path):
    path = write_webp(tmp_path / "a.webp", frames(), fps=10, loop=0)
    im, decoded, durations = read_all(path)
    assert im.n_frames == 6 and im.info["loop"] == 0 and durations[1:] == [100] * 5
    for got, want in zip(decoded, frames(), strict=True):
        assert np.array_equal(got, want)
    assert path.read_bytes() == write_webp(tmp_path / "b.webp", frames(), fps=10).read_bytes()


def test_mp4_without_the_extra_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(EncodeError, match=r"pip install 'convanim\[mp4\]'"):
        write_mp4(tmp_path / "a.mp4", frames(), fps=10)
    assert os.listdir(tmp_path) == []


def test_mp4_roundtrip_when_available(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    path = write_mp4(tmp_path / "a.mp4", frames(8, w=47, h=31), fps=10)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert meta["size"] == (48, 32) and abs(meta["fps"] - 10) < 0.01  # odd sizes padded to even
    decoded = [np.frombuffer(f, np.uint8).reshape(32, 48, 3) for f in reader]
    assert len(decoded) == 8
    for got, want in zip(decoded, frames(8, w=47, h=31), strict=True):
        assert np.abs(got[:31, :47].astype(int) - want).mean() < 6  # lossy, but the same picture
    assert path.read_bytes() == write_mp4(tmp_path / "b.mp4", frames(8, w=47, h=31), fps=10).read_bytes()


def test_yuv420_is_bt709_to_within_a_level_and_boxes_match_the_whole_frame():
    from convanim.draw.frame import FrameUpdate

    rng = np.random.default_rng(7)
    h, w = 31, 47  # odd: the last row and column repeat the edge
    first, second = (rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(2))
    yuv = Yuv420(h, w)
    yuv.update(FrameUpdate(index=0, pixels=first))
    rgb = np.pad(first, ((0, 1), (0, 1), (0, 0)), mode="edge").astype(np.float64)
    kr, kb = 0.2126, 0.0722
    luma = kr * rgb[..., 0] + (1 - kr - kb) * rgb[..., 1] + kb * rgb[..., 2]

    def quad(a):
        return a.reshape(16, 2, 24, 2).mean(axis=(1, 3))

    want = (16 + 219 / 255 * luma, 128 + 224 / 255 * quad((rgb[..., 2] - luma) / (2 - 2 * kb)),
            128 + 224 / 255 * quad((rgb[..., 0] - luma) / (2 - 2 * kr)))
    for got, exact in zip((yuv.y, yuv.u, yuv.v), want, strict=True):
        assert np.abs(got - exact).max() <= 0.51  # rounded to the nearest level (fixed point: within 0.01)
    mixed = first.copy()
    mixed[3:9, 5:40] = second[3:9, 5:40]
    mixed[20:31, 44:47] = second[20:31, 44:47]
    yuv.update(FrameUpdate(index=1, pixels=mixed, boxes=((3, 9, 5, 40), (20, 31, 44, 47)),
                           masks=(np.ones((6, 35), bool), np.ones((11, 3), bool))))
    whole = Yuv420(h, w)
    whole.update(FrameUpdate(index=1, pixels=mixed))
    assert np.array_equal(yuv.buffer, whole.buffer)


def test_the_format_registry_lists_every_format_and_loads_its_writer():
    assert encode.names() == ("gif", "png", "apng", "webp", "mp4", "svg", "pdf", "html")
    for fmt in encode.formats():
        assert callable(fmt.save), fmt.name
    assert encode.by_suffix(".PNG").name == "png" and encode.by_suffix(".gif").name == "gif"
    assert encode.by_suffix(".bmp") is None
    with pytest.raises(ValueError, match="already registered"):
        encode.register(encode.get("gif"))


@pytest.mark.parametrize(("writer", "name"), [(write_apng, "a.png"), (write_webp, "a.webp")])
def test_every_writer_is_atomic(tmp_path, writer, name):
    old = writer(tmp_path / name, frames(2), fps=10).read_bytes()
    with pytest.raises(RuntimeError):
        writer(tmp_path / name, failing(), fps=10)
    assert (tmp_path / name).read_bytes() == old and leftovers(tmp_path) == []


# ---------------------------------------------------------------- vector


def vector_scene(n=3):
    static = (Polygon(points=((10, 10), (50, 10), (50, 40), (10, 40)), fill="#268bd2"),
              Segment(start=(10, 10), end=(50, 10), color="#002b36", width=2, dash=(3, 2)),
              Polygon(points=((60, 10), (90, 10), (90, 40), (60, 40)), fill="#2aa198", z=30, reveal=2),
              Text(xy=(30, 50), text="0·3 + 1 = 3", size=8, color="#000000"))
    return Scene(width=100, height=60, background="#ffffff", static=static, n_frames=n,
                 frame=lambda i: (Segment(start=(10 + 10 * i, 25), end=(75, 25), color="#000000", z=20),),
                 dynamic_z=frozenset({20}))


def test_pdf_has_one_page_per_frame_and_is_deterministic(tmp_path):
    data = render_vector(vector_scene(), tmp_path / "a.pdf", "pdf").read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 3
    assert data == render_vector(vector_scene(), tmp_path / "b.pdf", "pdf").read_bytes()
    assert b"CreationDate" not in data
    one = render_vector(vector_scene(), tmp_path / "c.pdf", "pdf", step=1).read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", one)) == 1


def test_svg_is_xml_and_deterministic(tmp_path):
    path = render_vector(vector_scene(), tmp_path / "a.svg", "svg", step=2)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg") and root.get("width", "").startswith("100")
    data = path.read_bytes()
    assert data == render_vector(vector_scene(), tmp_path / "b.svg", "svg", step=2).read_bytes()
    assert b"<dc:date>" not in data
    first = render_vector(vector_scene(), tmp_path / "c.svg", "svg").read_bytes()
    assert first != data  # the default is frame 0, which differs (reveal, moving segment)


def test_vector_rejects_bad_format_and_step(tmp_path):
    with pytest.raises(ValueError):
        render_vector(vector_scene(), tmp_path / "a.eps", "eps")
    with pytest.raises(ValueError):
        render_vector(vector_scene(), tmp_path / "a.svg", "svg", step=7)
    assert os.listdir(tmp_path) == []
