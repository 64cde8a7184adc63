"""The HTML player's figures: its bytes against the GIF's for the 19 conv_arithmetic configs, the time to
interactive of the largest player of the gallery (in Debian's headless Chromium, when Playwright is there),
and the notebook widget's redraw time (when ipywidgets is there). Printed, no pass/fail."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REFERENCE = next((p / "shared" / "reference" / "conv_arithmetic.tsv" for p in ROOT.parents
                  if (p / "shared" / "reference" / "conv_arithmetic.tsv").exists()), ROOT / "missing.tsv")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def names() -> list[str]:
    if REFERENCE.exists():
        rows = [line.split("\t")[0] for line in REFERENCE.read_text().splitlines() if not line.startswith("#")]
        return rows[1:]
    return sorted(p.stem for p in (ROOT / "configs").glob("*.yaml"))[:19]


def sizes(out: Path) -> None:
    from convanim.app.pipeline import render

    total_html = total_gif = 0
    print("player bytes against GIF bytes (conv_arithmetic's 19 figures):")
    for name in names():
        html, gif = render(ROOT / "configs" / f"{name}.yaml", out, ["html", "gif"])
        h, g = html.stat().st_size, gif.stat().st_size
        total_html, total_gif = total_html + h, total_gif + g
        print(f"  {name:42s} html {h:8,d}  gif {g:8,d}  {h / g:5.2f}x")
    print(f"  {'total':42s} html {total_html:8,d}  gif {total_gif:8,d}  {total_html / total_gif:5.2f}x")


def time_to_interactive(out: Path) -> None:
    """From navigation to the player's ``data-ready`` (script run, controls and hit targets made)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("time to interactive: skipped (pip install playwright; Debian's chromium)")
        return
    import subprocess

    configs = sorted((ROOT / "configs").glob("*.yaml"))
    subprocess.run([sys.executable, "-m", "convanim", "gallery", *map(str, configs), "-o", str(out / "site"), "-q"],
                   check=True, cwd=ROOT)
    largest = max((out / "site").glob("*.html"), key=lambda p: p.stat().st_size if p.name != "index.html" else 0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, url, where in (("alone", largest.as_uri(), "figure.cv-player"),
                                  ("in the gallery page", (out / "site" / "index.html").as_uri(),
                                   f"#{largest.stem} figure.cv-player")):
            times = []
            for _ in range(5):
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector(f"{where}[data-interactive]")
                times.append(float(page.get_attribute(where, "data-interactive")))
                page.close()
            print(f"time to interactive, largest player {largest.name} ({largest.stat().st_size:,d} bytes) {label}: "
                  f"median {statistics.median(times):.0f} ms")
        browser.close()


def redraw() -> None:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        print("widget redraw: skipped (pip install 'convanim[notebook]')")
        return
    import convanim

    medians = []
    for name in names():
        ex = convanim.explore(str(ROOT / "configs" / f"{name}.yaml"))
        times = []
        for value in (True, False, True, False, True, False, True):
            start = time.perf_counter()
            ex.controls["caption"].value = value
            times.append((time.perf_counter() - start) * 1000)
        medians.append((statistics.median(times), name))
    worst = max(medians)
    print(f"widget redraw (a control changed -> new scene and player), conv_arithmetic's 19 figures: median of "
          f"medians {statistics.median(m for m, _ in medians):.0f} ms, worst {worst[0]:.0f} ms ({worst[1]})")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="convanim-bench-player-") as tmp:
        sizes(Path(tmp))
        time_to_interactive(Path(tmp))
    redraw()


if __name__ == "__main__":
    main()
