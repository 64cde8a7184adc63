"""Cost proportional to what changes: the scaling table, the formats table, layer stacks and the no-op re-run.

Every case is rendered in a fresh process (``python -c``), so peak memory is that render's own. Figures:

- *CPU*: user + system seconds of the whole process and its children (ffmpeg included), as ``/usr/bin/time``
  reports them: interpreter start-up and imports included.
- *ms/frame*: CPU seconds of the ``render()`` call alone (scene, drawing, encoding, and the lazy imports a
  format needs), over the frame count: start-up excluded, so it is the per-frame cost itself.
- *peak RSS*: the rendering process's maximum resident set.

Targets and ratios are measured in the same run; ``bench/baseline_cost.json`` holds the figures of the
commit before this work (measured with this script), shown beside them.

    .venv/bin/python bench/bench_cost.py [--only scaling,formats,layers,noop] [--sizes 8,16,32,64]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BASELINE = Path(__file__).with_name("baseline_cost.json")

CASE = r"""
import json, os, resource, sys, tempfile, time
from pathlib import Path
from convanim.app.pipeline import as_config, render
keys, fmt = json.loads(sys.argv[1]), sys.argv[2]
cfg = as_config(**keys)
children = lambda: (lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(resource.RUSAGE_CHILDREN))
c0, k0 = time.process_time(), children()
with tempfile.TemporaryDirectory() as out:
    (path,) = render(cfg, out, (fmt,))
    c1, k1 = time.process_time(), children()
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    size = sum(p.stat().st_size for p in files)
    head = path.read_bytes()[:10] if fmt == "gif" else b""
width, height = (int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")) if head else (0, 0)
print(json.dumps({"render_cpu": (c1 - c0) + (k1 - k0), "bytes": size, "width": width, "height": height,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_case(keys: dict, fmt: str = "gif") -> dict:
    """Render one config (given as keys) in a fresh process; its figures, plus the process's total CPU."""
    before = children_cpu()
    done = subprocess.run([PY, "-c", CASE, json.dumps(keys), fmt], capture_output=True, text=True, cwd=ROOT)
    total = children_cpu() - before
    if done.returncode != 0:
        sys.exit(f"bench case {keys} ({fmt}) failed:\n{done.stderr}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["cpu"] = total
    return out


def square(n: int, style: str) -> dict:
    render = {"max_frames": n * n, "max_pixels": 100_000_000}  # n = 64: a 15-Mpx canvas, over the default
    if style == "flat":
        render.update(numbers=True, caption=True)
    return {"input_size": n, "kernel_size": 3, "padding": 1, "name": f"{style}{n}", "render": render}


def baseline() -> dict:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else {}


def fmt_ratio(value: float, target: float) -> str:
    return f"{value:5.2f} (target <= {target:g}) {'ok' if value <= target else 'MISSED'}"


# ---------------------------------------------------------------- the scaling table

def scaling(sizes: list[int], results: dict) -> None:
    base = baseline().get("scaling", {})
    from convanim.encode.lzw import native

    lzw = "C (convanim.encode._gif)" if native is not None else "Python (the C module is not built here)"
    print(f"\nScaling: square input n x n, kernel 3, padding 1 (n^2 frames), GIF; run encoder for LZW: {lzw}")
    print(f"{'':>3} {'n':>3} {'frames':>6} {'canvas':>9} | {'stacked CPU':>11} {'ms/frame':>8} {'x n=8':>5} "
          f"{'RSS MB':>6} {'bytes':>9} | {'flat+num+cap CPU':>16} {'ms/frame':>8} {'x n=8':>5} {'RSS MB':>6} "
          f"{'bytes':>9}")
    rows = results.setdefault("scaling", {})
    for n in sizes:
        row = rows[str(n)] = {style: run_case(square(n, style)) for style in ("stacked", "flat")}
        frames = n * n
        cells = [f"now {n:3d} {frames:6d} {row['stacked']['width'] * row['stacked']['height'] / 1e6:6.2f} Mpx |"]
        for style in ("stacked", "flat"):
            r = row[style]
            per = 1e3 * r["render_cpu"] / frames
            first = rows.get(str(sizes[0]), {}).get(style)
            ratio = per / (1e3 * first["render_cpu"] / sizes[0] ** 2) if first else float("nan")
            width = 11 if style == "stacked" else 16
            cells.append(f"{r['cpu']:{width - 2}.1f} s {per:8.2f} {ratio:5.2f} {r['rss_mb']:6.0f} "
                         f"{r['bytes']:9d} |")
        print(" ".join(cells).rstrip("|"))
        old = base.get(str(n))
        if old:
            cells = [f"was {n:3d} {frames:6d} {'':>9} |"]
            for style in ("stacked", "flat"):
                r = old[style]
                per = 1e3 * r["render_cpu"] / frames
                first = base.get(str(sizes[0]), {}).get(style)
                ratio = per / (1e3 * first["render_cpu"] / sizes[0] ** 2) if first else float("nan")
                width = 11 if style == "stacked" else 16
                cells.append(f"{r['cpu']:{width - 2}.1f} s {per:8.2f} {ratio:5.2f} {r['rss_mb']:6.0f} "
                             f"{r['bytes']:9d} |")
            print(" ".join(cells).rstrip("|"))
    scaling_targets(sizes, rows, base)


def scaling_targets(sizes: list[int], rows: dict, base: dict) -> None:
    first = str(sizes[0])
    for style, label in (("stacked", "stacked"), ("flat", "flat+numbers+caption")):
        per = {n: rows[str(n)][style]["render_cpu"] / n ** 2 for n in sizes}
        for n in sizes[1:]:
            if n >= 32:
                print(f"  {label}: ms/frame at n={n} over n={first}: {fmt_ratio(per[n] / per[sizes[0]], 1.5)}")
    if "64" in rows:
        r = rows["64"]["stacked"]
        old = base.get("64", {}).get("stacked")
        print(f"  n=64 stacked peak RSS: {r['rss_mb']:.0f} MB (target < 400) {'ok' if r['rss_mb'] < 400 else 'MISSED'}")
        if old:
            print(f"  n=64 stacked total CPU over the baseline's ({old['cpu']:.1f} s): "
                  f"{fmt_ratio(r['cpu'] / old['cpu'], 1 / 8)}")
            print(f"  n=64 stacked GIF bytes over the baseline's ({old['bytes']}): "
                  f"{fmt_ratio(r['bytes'] / old['bytes'], 1.0)}")


# ---------------------------------------------------------------- the formats table

FORMATS = ("gif", "apng", "png", "webp", "mp4", "pdf")


def formats(results: dict, names: tuple[str, ...] = FORMATS) -> None:
    base = baseline().get("formats", {})
    keys = {"input_size": 16, "kernel_size": 3, "padding": 1, "name": "flat16", "render": {"numbers": True}}
    print("\nFormats: 16x16 flat with numbers (256 frames); render CPU relative to GIF's in the same run")
    print(f"{'format':>7} {'CPU':>8} {'render':>8} {'ms/frame':>8} {'x GIF':>6} {'bytes':>10} {'RSS MB':>6}  "
          f"{'was x GIF':>9}  target")
    rows = results.setdefault("formats", {})
    names = ("gif", *(n for n in names if n != "gif"))
    for fmt in names:
        rows[fmt] = run_case(keys, fmt)
    gif = rows["gif"]["render_cpu"]
    for fmt in names:
        r = rows[fmt]
        ratio = r["render_cpu"] / gif
        limit = 3 if fmt == "pdf" else 2
        old = base.get(fmt)
        was = f"{old['render_cpu'] / base['gif']['render_cpu']:9.1f}" if old and "gif" in base else f"{'':>9}"
        verdict = "" if fmt == "gif" else f"<= {limit}x GIF{' per frame' if fmt == 'pdf' else ''}: " + (
            "ok" if ratio <= limit else "MISSED")
        print(f"{fmt:>7} {r['cpu']:7.2f}s {r['render_cpu']:7.2f}s {1e3 * r['render_cpu'] / 256:8.2f} {ratio:6.2f} "
              f"{r['bytes']:10d} {r['rss_mb']:6.0f}  {was}  {verdict}")


# ---------------------------------------------------------------- layer stacks

def stack(n_layers: int) -> dict:
    return {"input_size": 16, "name": f"stack{n_layers}", "render": {"max_pixels": 100_000_000},  # 12 layers: 20 M
            "layers": [{"kernel_size": 3, "padding": 1} for _ in range(n_layers)]}


def changed_pixels(keys: dict) -> float:
    """Mean pixels per frame that differ from the frame before: what changes, whatever draws it."""
    import numpy as np

    from convanim.app.pipeline import as_config, scene_of
    from convanim.draw import RasterRenderer

    scene = scene_of(as_config(**keys))
    renderer = RasterRenderer(scene)
    prev, total = None, 0
    for i in range(scene.n_frames):
        frame = np.array(renderer.frame(i), copy=True)
        if prev is not None:
            total += int((frame != prev).any(axis=2).sum())
        prev = frame
    return total / max(scene.n_frames - 1, 1)


def layers(results: dict) -> None:
    base = baseline().get("layers", {})
    print("\nLayer stacks: 16x16 input, 3x3 layers with padding 1 (256 frames), GIF")
    print(f"{'layers':>6} {'canvas':>9} {'changed px':>10} {'ms/frame':>8} {'us/kpx':>7} {'was ms/frame':>12}")
    rows = results.setdefault("layers", {})
    for n in (3, 6, 12):
        r = rows[str(n)] = run_case(stack(n))
        r["changed"] = changed_pixels(stack(n))
        per = 1e3 * r["render_cpu"] / 256
        old = base.get(str(n))
        was = f"{1e3 * old['render_cpu'] / 256:12.2f}" if old else ""
        print(f"{n:6d} {r['width'] * r['height'] / 1e6:6.2f} Mpx {r['changed']:10.0f} {per:8.2f} "
              f"{1e6 * per / r['changed']:7.2f} {was}")
    cost = {n: rows[str(n)]["render_cpu"] / rows[str(n)]["changed"] for n in (3, 6, 12)}
    print(f"  cost per changed pixel, 12 layers over 3: {fmt_ratio(cost[12] / cost[3], 1.5)}")


# ---------------------------------------------------------------- the no-op re-run

def cpu_of(cmd: list[str], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        before = children_cpu()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        best = min(best, children_cpu() - before)
    return best


def noop(results: dict) -> None:
    base = baseline().get("noop", {})
    with tempfile.TemporaryDirectory(prefix="convanim-noop-") as tmp:
        cmd = [PY, "-m", "convanim", "render", "configs", "-o", tmp, "-q"]
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        bare = cpu_of([PY, "-c", "pass"])
        rerun = cpu_of(cmd)
        imports = cpu_of([PY, "-c", "import convanim.app.cli, convanim.app.batch"])
    n = len(list((ROOT / "configs").glob("*.y*ml")))
    extra = rerun - bare
    results["noop"] = {"bare": bare, "rerun": rerun, "imports": imports}
    was = f" (before: {base['rerun'] - base['bare']:.3f} s beyond bare)" if base else ""
    print(f"\nNo-op re-run of configs/ ({n} configs, render, nothing to do): {rerun:.3f} s CPU; bare "
          f"`python -c pass`: {bare:.3f} s; imports of the CLI and batch: {imports - bare:.3f} s")
    print(f"  beyond bare Python: {extra:.3f} s (target < 0.15) {'ok' if extra < 0.15 else 'MISSED'}{was}")
    yaml_share()


def yaml_share() -> None:
    """What reading YAML costs per no-op run now, and with libyaml's loader read once (issue 15's work)."""
    code = r"""
import time, yaml
from pathlib import Path
texts = [p.read_text() for p in sorted(Path("configs").glob("*.y*ml"))]
def cost(fn):
    best = 1e9
    for _ in range(5):
        t = time.process_time()
        for s in texts: fn(s)
        best = min(best, time.process_time() - t)
    return best
twice = cost(lambda s: (yaml.safe_load(s), yaml.compose(s, Loader=yaml.SafeLoader)))
once_c = cost(lambda s: yaml.compose(s, Loader=yaml.CSafeLoader)) if yaml.__with_libyaml__ else float("nan")
print(twice, once_c)
"""
    done = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    twice, once_c = (float(v) for v in done.stdout.split())
    print(f"  YAML: a no-op run parses none; a run that parses all {len(list((ROOT / 'configs').glob('*.y*ml')))} "
          f"configs (gallery, --force) spends {twice:.3f} s with the pure-Python loader parsing each twice (load + "
          f"compose), {once_c:.3f} s composing each once with CSafeLoader (issue 15: ~{twice - once_c:.3f} s saved)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="scaling,formats,layers,noop")
    parser.add_argument("--sizes", default="8,16,32,64")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    results: dict = {}
    sections = args.only.split(",")
    start = time.perf_counter()
    if "scaling" in sections:
        scaling([int(v) for v in args.sizes.split(",")], results)
    if "formats" in sections:
        formats(results, tuple(args.formats.split(",")))
    if "layers" in sections:
        layers(results)
    if "noop" in sections:
        noop(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n(bench_cost: {time.perf_counter() - start:.0f} s wall on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
