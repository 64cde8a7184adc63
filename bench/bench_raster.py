"""Benchmark: rasterizer frames/s on a synthetic stacked-like scene, alone and with GIF encoding."""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from convanim.core.scene import Polygon, Scene, Segment, Text
from convanim.core.theme import CONV_ARITHMETIC as TH
from convanim.draw import RasterRenderer
from convanim.encode.gif import write_gif
from convanim.encode.palette import build_palette

CW, CH, SHEAR = 36.0, 18.0, 14.0  # a cell of a sheared (perspective-like) grid


def cell(ox: float, oy: float, r: int, c: int) -> tuple[tuple[float, float], ...]:
    x, y = ox + c * CW + r * SHEAR, oy + r * CH
    return ((x, y), (x + CW, y), (x + CW + SHEAR, y + CH), (x + SHEAR, y + CH))


def grid(ox: float, oy: float, n: int, fill: str, z: int, reveal: bool = False) -> list:
    prims = [Polygon(points=cell(ox, oy, r, c), fill=fill, z=z, reveal=(r * n + c) if reveal else 0)
             for r in range(n) for c in range(n)]
    for k in range(n + 1):
        prims.append(Segment(start=cell(ox, oy, k, 0)[0], end=cell(ox, oy, k, n)[0], color=TH.grid,
                             width=2, z=z + 1))
        prims.append(Segment(start=cell(ox, oy, 0, k)[0], end=cell(ox, oy, n, k)[0], color=TH.grid,
                             width=2, z=z + 1))
    return prims


def make_scene(n_frames: int = 400, texts: int = 0, repeat: bool = False) -> Scene:
    """Three stacked 7x7 input planes at the bottom, a 5x5 output plane at the top, a 3x3 kernel."""
    static = []
    for ch in range(3):
        static += grid(30 + ch * 10, 230 - ch * 14, 7, TH.input, z=ch * 2)
    static += grid(60, 20, 5, TH.output, z=30, reveal=True)
    static.append(Text(xy=(200, 440), text="stride 1, padding 0", size=14, color=TH.caption))

    def frame(i: int) -> tuple:
        r, c = divmod(i % 25, 5)
        jitter = 0.0 if repeat else (i // 25) * 0.013  # sub-pixel drift: later cycles never hit the cache
        ox, oy = 30 + 2 * 10 + jitter, 230 - 2 * 14
        prims: list = [Polygon(points=cell(ox, oy, r + a, c + b), fill=TH.shade, alpha=TH.shade_alpha, z=20)
                       for a in range(3) for b in range(3)]
        for k in range(4):  # the footprint's outline, one short segment per cell edge (24)
            for m in range(3):
                for a, b in (((k, m), (k, m + 1)), ((m, k), (m + 1, k))):
                    prims.append(Segment(start=cell(ox, oy, r + a[0], c + a[1])[0], color=TH.grid,
                                         end=cell(ox, oy, r + b[0], c + b[1])[0], width=2, z=20))
        out = cell(60, 20, r, c)
        prims.append(Polygon(points=out, fill=TH.shade, alpha=TH.shade_alpha, z=40))
        corners = [cell(ox, oy, r + a, c + b)[0] for a, b in ((0, 0), (0, 3), (3, 3), (3, 0))]
        for s, d in zip(corners, out, strict=True):
            prims.append(Segment(start=s, end=d, color=TH.connector, width=0.8, z=20))
        for t in range(texts):
            rr, cc = divmod(t, 6)
            x, y = cell(ox, oy, rr % 7, cc)[0]
            prims.append(Text(xy=(x + 22, y + 9), text=f"{(i + t) % 10}", size=11, color=TH.text, z=40))
        return tuple(prims)

    return Scene(width=400, height=450, background=TH.background, static=tuple(static), n_frames=n_frames,
                 frame=frame, dynamic_z=frozenset({20, 40}))


def bench(scene: Scene) -> None:
    t0 = time.perf_counter()
    rr = RasterRenderer(scene)
    t1 = time.perf_counter()
    n = 0
    for _ in rr.frames():
        n += 1
    t2 = time.perf_counter()
    print(f"  setup {1e3 * (t1 - t0):.1f} ms; raster {n / (t2 - t1):.0f} frames/s "
          f"({1e3 * (t2 - t1) / n:.2f} ms/frame)")
    palette = build_palette(TH.colors().values(), ramps=4, overlays=[(TH.shade, TH.shade_alpha)])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "b.gif")
        t3 = time.perf_counter()
        write_gif(path, RasterRenderer(scene).frames(), fps=10, loop=0, palette=palette)
        t4 = time.perf_counter()
        size = os.path.getsize(path)
    print(f"  raster+gif {n / (t4 - t3):.0f} frames/s ({1e3 * (t4 - t3) / n:.2f} ms/frame); "
          f"gif {size} bytes ({size / n:.0f} bytes/frame)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=400)
    ap.add_argument("--png", help="write frame 7 of the plain scene here")
    args = ap.parse_args()
    for texts, repeat in ((0, False), (30, False), (0, True)):
        scene = make_scene(args.frames, texts, repeat)
        dyn = len(scene.frame(0))
        geometry = "repeating every 25 frames" if repeat else "never repeating"
        print(f"{scene.width}x{scene.height}, {len(scene.static)} static, {dyn} dynamic primitives/frame "
              f"({texts} texts), {args.frames} frames, geometry {geometry}")
        bench(scene)
    if args.png:
        from PIL import Image

        Image.fromarray(RasterRenderer(make_scene(args.frames)).frame(7)).save(args.png)


if __name__ == "__main__":
    main()
