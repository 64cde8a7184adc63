"""Batch figures: rendering configs/ with --jobs 1 vs --jobs 2 (speed-up), and a no-op gallery re-run (wall time).

Every figure is the best of a few runs of the real command line (``python -m convanim``), process start
included. Targets: speed-up >= 1.6 with 2 workers, no-op re-run < 0.5 s.

    .venv/bin/python bench/bench_batch.py [--configs configs] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(*args: str) -> float:
    """Seconds of wall time for one ``python -m convanim ...`` run (which must succeed)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "convanim", *args], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"convanim {' '.join(args)} failed:\n{result.stderr}")
    return elapsed


def best(repeat: int, *args: str) -> float:
    return min(wall(*args) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="configs", help="folder of configs (default: configs)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts (default: 3)")
    args = parser.parse_args()
    n = len(list((ROOT / args.configs).glob("*.y*ml")))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{n} configs in {args.configs}/, {cores} cores, best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="convanim-bench-") as tmp:
        out = str(Path(tmp) / "out")
        wall("render", args.configs, "-o", out, "-q")  # warm the file cache
        one = best(args.repeat, "render", args.configs, "-o", out, "--force", "-q", "--jobs", "1")
        two = best(args.repeat, "render", args.configs, "-o", out, "--force", "-q", "--jobs", "2")
        ratio = one / two
        print(f"render --force --jobs 1: {one:6.2f} s")
        print(f"render --force --jobs 2: {two:6.2f} s")
        print(f"speed-up:                {ratio:6.2f}x  (target >= 1.6)  {'ok' if ratio >= 1.6 else 'MISSED'}")
        site = str(Path(tmp) / "site")
        wall("gallery", args.configs, "-o", site, "-q")
        noop = best(max(args.repeat, 5), "gallery", args.configs, "-o", site, "-q")
        print(f"gallery no-op re-run:    {noop:6.3f} s  (target < 0.5)   {'ok' if noop < 0.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
