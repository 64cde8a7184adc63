"""`make bench`: the performance figures the issues ask for, measured and printed (no pass/fail here).

Figures: the conv_arithmetic gallery's total render time (start-up included), steady-state frames/s for a
~400-px stacked frame and for a figure with numbers, the time of encoding alone against the whole
pipeline, GIF bytes against conv_arithmetic's, a cold single render, and peak memory of a 1,000-frame
animation. Batch figures (jobs 1 vs 2, the no-op re-run) come from bench_batch.py, the cost-per-frame figures
(the scaling, formats and layer-stack tables, the no-op re-run against bare Python) from bench_cost.py, the
HTML player's (bytes against the GIFs, time to interactive, widget redraw) from bench_player.py, and the time
and memory to refuse each hostile config of issue 15 from bench_limits.py, when they are present.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "conv_arithmetic.tsv"
PY = sys.executable


def reference() -> dict[str, dict[str, str]]:
    """conv_arithmetic's measured figures, by name (empty if the reference is not beside the project)."""
    if not REFERENCE.exists():
        return {}
    rows = [line.rstrip("\n").split("\t") for line in REFERENCE.read_text().splitlines() if not line.startswith("#")]
    head, body = rows[0], rows[1:]
    return {row[0]: dict(zip(head, row)) for row in body}


REF = reference()
GALLERY = [ROOT / "configs" / f"{name}.yaml" for name in REF] or sorted((ROOT / "configs").glob("*.yaml"))[:19]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def best_of(n: int, cmd: list[str]) -> float:
    return min(wall(cmd) for _ in range(n))


def gallery_time() -> None:
    with tempfile.TemporaryDirectory() as out:
        cmd = [PY, "-m", "convanim", "render", *map(str, GALLERY), "-o", out]
        help_text = subprocess.run([PY, "-m", "convanim", "render", "--help"], capture_output=True, text=True).stdout
        extra = ["--jobs", "1", "--force"] if "--jobs" in help_text else []
        t1 = best_of(3, cmd + extra)
        frames = sum(int(REF[p.stem]["frames"]) for p in GALLERY) if REF else 0
        print(f"conv_arithmetic gallery: {len(GALLERY)} configs, {frames} frames, one process: {t1:.2f} s wall "
              f"(target <= 2 s; their LaTeX pipeline: 313 s)")
        if extra:
            t2 = best_of(3, cmd + ["--jobs", "2", "--force"])
            print(f"conv_arithmetic gallery with --jobs 2: {t2:.2f} s wall")
        sizes(Path(out))


def sizes(out: Path) -> None:
    if not REF:
        return
    from PIL import Image

    worst = 0.0
    print(f"{'GIF':42s} {'ours':>13s} {'bytes':>8s} {'theirs':>13s} {'bytes':>8s} {'ratio':>6s}")
    for path in GALLERY:
        ref = REF[path.stem]
        gif = out / f"{path.stem}.gif"
        with Image.open(gif) as im:
            w, h = im.size
        ratio = gif.stat().st_size / int(ref["bytes"])
        worst = max(worst, ratio)
        print(f"{path.stem:42s} {f'{w}x{h}':>13s} {gif.stat().st_size:8d} {ref['px']:>13s} {int(ref['bytes']):8d} "
              f"{ratio:6.2f}")
    print(f"largest bytes ratio to conv_arithmetic: {worst:.2f} (target <= 0.50)")


def steady_state() -> None:
    from convanim.app.pipeline import as_config, scene_of
    from convanim.draw import RasterRenderer

    cases = {
        "stacked ~400 px (16x16 input, 256 distinct frames)":
            as_config(input_size=16, kernel_size=3, padding=1, render={"scale": 14}),
        "flat with numbers ~400 px (8x8 input, 64 distinct frames, captions)":
            as_config(input_size=8, kernel_size=3, padding=1, render={"numbers": True, "caption": True,
                                                                         "scale": 30}),
    }
    for label, cfg in cases.items():
        scene = scene_of(cfg)
        renderer = RasterRenderer(scene)
        start = time.perf_counter()
        for i in range(scene.n_frames):
            renderer.frame(i)
        dt = time.perf_counter() - start
        print(f"steady state, {label}: {scene.width}x{scene.height} px, {scene.n_frames / dt:.0f} frames/s "
              f"(target: stacked >= 200, numbers >= 100)")


def encode_floor() -> None:
    """Total pipeline time over the time of encoding the same, already drawn frames."""
    from convanim.config import load_config
    from convanim.draw import render_frames
    from convanim.encode.gif import gif_palette, write_gif

    total = encode_only = 0.0
    with tempfile.TemporaryDirectory() as out:
        for path in GALLERY:
            from convanim.app.pipeline import scene_of

            start = time.perf_counter()
            cfg = load_config(path)
            scene = scene_of(cfg)
            palette = gif_palette(scene, cfg.render.theme)
            frames = list(render_frames(scene))
            drawn = time.perf_counter()
            write_gif(Path(out) / "x.gif", iter(frames), fps=1, loop=0, palette=palette)
            done = time.perf_counter()
            total += done - start
            encode_only += done - drawn
    print(f"pipeline / encode-only time (19 GIFs, in process): {total:.2f} s / {encode_only:.2f} s = "
          f"{total / encode_only:.1f}x the encoding floor")


def cold_single() -> None:
    with tempfile.TemporaryDirectory() as out:
        t = best_of(5, [PY, "-m", "convanim", "render", str(ROOT / "configs" / "padding_strides.yaml"), "-o", out])
        imported = subprocess.run(
            [PY, "-c", "import sys, convanim.app.cli, convanim.app.pipeline, convanim.draw, convanim.encode; "
                       "print(','.join(m for m in ('torch', 'matplotlib') if m in sys.modules) or 'none')"],
            capture_output=True, text=True).stdout.strip()
    print(f"cold `convanim render configs/padding_strides.yaml`: {t:.2f} s wall (target < 1 s); "
          f"torch/matplotlib imported on the GIF path: {imported}")


def memory() -> None:
    code = """
import resource, tempfile
from convanim.app.pipeline import as_config, render
cfg = as_config(input_size=33, kernel_size=3, name="big", render={"steps": %r, "max_frames": 1000})
with tempfile.TemporaryDirectory() as out:
    render(cfg, out)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    def peak(steps: str) -> float:
        return float(subprocess.run([PY, "-c", code % steps], capture_output=True, text=True,
                                    check=True).stdout)

    # The same canvas (33x33 input, 31x31 output) with 100 of its steps and with all 961.
    few, many = peak("0..99"), peak("all")
    print(f"peak memory, one canvas (31x31 output): 100 frames {few:.0f} MB, 961 frames {many:.0f} MB "
          f"(target: a few hundred MB, flat in frames)")


def script(name: str) -> None:
    """Run another bench script of this folder (bench_batch.py, ...) when it is present."""
    here = Path(__file__).parent / name
    if here.exists():
        subprocess.run([PY, str(here)], check=True, cwd=ROOT)


def main() -> None:
    print(f"convanim benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    gallery_time()
    steady_state()
    encode_floor()
    cold_single()
    memory()
    script("bench_batch.py")
    script("bench_cost.py")
    script("bench_player.py")
    script("bench_limits.py")


if __name__ == "__main__":
    main()
