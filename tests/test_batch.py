"""Batch rendering: files, folders and globs; the manifest skips unchanged configs; errors are collected; a
Ctrl-C leaves no partial file and no stale manifest entry; workers load no heavy module they do not need."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from convanim.app import batch
from convanim.app.batch import MANIFEST, collect, content_hash, plan, read_config, run

ROOT = Path(__file__).resolve().parents[1]
TINY = "input_size: 3\nkernel_size: 2\n"  # 4 frames: quick to render


def cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convanim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def write(folder: Path, name: str, text: str = TINY) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST).read_text())["outputs"]


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders that an atomic writer left behind."""
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name or p.name.endswith(".old"))


def mtimes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != MANIFEST}


@pytest.fixture
def cfgs(tmp_path: Path) -> Path:
    folder = tmp_path / "cfgs"
    for i in range(4):
        write(folder, f"c{i}.yaml", TINY + "padding: 1\n" if i % 2 else TINY)
    write(folder, "other.yml", "input_size: [6]\nkernel_size: 3\n")
    write(folder, "notes.txt", "not a config")
    write(folder, "sub/deep.yaml", TINY)
    write(folder, ".hidden/secret.yaml", TINY)
    return folder


# ---------------------------------------------------------------- collecting

def test_collect_folders_files_and_globs(cfgs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = lambda paths: [p.name for p in paths]  # noqa: E731
    found, errors = collect([cfgs])
    assert names(found) == ["c0.yaml", "c1.yaml", "c2.yaml", "c3.yaml", "other.yml"] and errors == []
    found, _ = collect([cfgs], recursive=True)
    assert names(found) == ["c0.yaml", "c1.yaml", "c2.yaml", "c3.yaml", "other.yml", "deep.yaml"]
    monkeypatch.chdir(cfgs)
    # A quoted glob is expanded here; a file named twice is taken once; the order given is kept.
    found, errors = collect(["c3.yaml", "c[0-2].yaml", "*.yml", "c3.yaml", "**/deep.yaml"])
    assert names(found) == ["c3.yaml", "c0.yaml", "c1.yaml", "c2.yaml", "other.yml", "deep.yaml"]
    assert errors == []
    found, errors = collect(["nope.yaml", "*.json", "sub", "notes.txt"])
    assert names(found) == ["deep.yaml", "notes.txt"]
    assert errors == ["nope.yaml: no such file or folder", "*.json: no config matches this pattern"]
    _, errors = collect([cfgs / ".hidden" / ".."])  # a folder given explicitly is fine
    assert errors == []
    (cfgs / "empty").mkdir()
    _, errors = collect(["empty"])
    assert errors == ["empty: no *.yaml or *.yml config in this folder (add --recursive to look in subfolders)"]


def test_cli_renders_a_mix_of_folders_files_and_quoted_globs(cfgs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("render", "cfgs", "cfgs/sub/*.yaml", "-o", str(out), "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 up to date, 6 rendered"  # not a terminal: one line, no progress bar
    names = ["c0", "c1", "c2", "c3", "deep", "other"]
    assert sorted(p.name for p in out.glob("*.gif")) == [f"{n}.gif" for n in names]
    assert sorted(manifest(out)) == names
    assert manifest(out)["deep"]["config"] == "cfgs/sub/deep.yaml"
    with Image.open(out / "c0.gif") as im:
        assert im.n_frames == 4


# ---------------------------------------------------------------- incremental

def test_second_run_renders_nothing_and_says_so(cfgs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("render", str(cfgs), "-o", str(out), "-j", "2").returncode == 0
    before = mtimes(out)
    result = cli("render", str(cfgs), "-o", str(out), "-j", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "5 up to date, 0 rendered"
    assert mtimes(out) == before
    quiet = cli("render", str(cfgs), "-o", str(out), "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_only_changed_or_missing_outputs_are_rendered_again(cfgs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(plan([cfgs], out), jobs=1)
    before = mtimes(out)
    (cfgs / "c0.yaml").write_text(TINY + "padding: 2\n")  # edited
    (out / "c2.gif").unlink()  # an output went missing
    p = plan([cfgs], out)
    assert sorted(t.name for t in p.todo) == ["c0", "c2"] and len(p.fresh) == 3
    result = run(p, jobs=1)
    assert result.summary() == "3 up to date, 2 rendered"
    after = mtimes(out)
    assert {n for n in after if after[n] != before.get(n)} == {"c0.gif", "c2.gif"}
    assert [t.name for t in plan([cfgs], out).todo] == []
    forced = plan([cfgs], out, force=True)
    assert len(forced.todo) == 5 and forced.fresh == ()


def test_the_hash_covers_data_options_formats_step_and_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def digest(text: str, formats=("gif",), step=None, stem="h") -> str:
        data, _config = read_config(write(tmp_path, "h.yaml", text))
        return content_hash(data, stem, formats, step)

    base = digest(TINY)
    assert digest(TINY) == base
    assert digest(TINY + "render: {fps: 2}\n") != base
    assert digest(TINY.replace("3", "4")) != base
    assert digest(TINY, stem="other") != base  # the file's stem names the output
    assert digest(TINY, ("gif", "png")) != base and digest(TINY, ("png", "gif")) == digest(TINY, ("gif", "png"))
    assert digest(TINY, ("png",), 1) != digest(TINY, ("png",), 2)
    monkeypatch.setattr(batch, "__version__", "99.0")
    assert digest(TINY) != base


def test_the_hash_covers_convanims_own_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same text can give other pictures when convanim changes (a new default seed, a new renderer): the
    hash covers the source of every module, so any code change renders again."""
    import shutil

    fingerprint = batch.code_fingerprint
    copy = tmp_path / "pkg" / "convanim"
    shutil.copytree(Path(batch.__file__).parents[1], copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(batch, "__file__", str(copy / "app" / "batch.py"))
    fingerprint.cache_clear()
    before = fingerprint()
    assert before == fingerprint.__wrapped__()  # deterministic
    data_module = copy / "config" / "data.py"
    data_module.write_text(data_module.read_text() + "\n# a change\n")
    changed = fingerprint.__wrapped__()
    assert changed != before
    player = copy / "encode" / "player" / "player.css"  # written into every player page
    player.write_text(player.read_text() + "\n/* a change */\n")
    assert fingerprint.__wrapped__() != changed
    fingerprint.cache_clear()


def test_an_up_to_date_config_is_not_parsed(cfgs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    run(plan([cfgs], out), jobs=1)
    monkeypatch.setattr(batch, "parse_bytes", lambda *a: pytest.fail("parsed an up-to-date config"))
    again = plan([cfgs], out)
    assert len(again.fresh) == 5 and again.todo == ()
    monkeypatch.undo()
    (cfgs / "c0.yaml").write_text(TINY + "padding: 1\n")
    assert [t.name for t in plan([cfgs], out).todo] == ["c0"]


def test_a_corrupt_manifest_means_render_everything(cfgs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(plan([cfgs], out), jobs=1)
    (out / MANIFEST).write_text("{not json")
    result = run(plan([cfgs], out), jobs=1)
    assert result.summary() == "0 up to date, 5 rendered"
    assert len(manifest(out)) == 5


def test_biggest_configs_go_first(tmp_path: Path) -> None:
    write(tmp_path / "c", "small.yaml", TINY)
    write(tmp_path / "c", "big.yaml", "input_size: 9\nkernel_size: 3\n")
    write(tmp_path / "c", "mid.yaml", "input_size: 5\nkernel_size: 3\n")
    assert [t.name for t in plan([tmp_path / "c"], tmp_path / "out").todo] == ["big", "mid", "small"]
    # Later runs use the measured times.
    out = tmp_path / "out"
    run(plan([tmp_path / "c"], out), jobs=1)
    entries = manifest(out)
    entries["small"]["seconds"] = 99.0
    (out / MANIFEST).write_text(json.dumps({"manifest": batch.MANIFEST_VERSION, "outputs": entries}))
    assert [t.name for t in plan([tmp_path / "c"], out, force=True).todo][0] == "small"


def test_parallel_and_serial_give_identical_files(cfgs: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    run(plan([cfgs], one), jobs=1)
    run(plan([cfgs], two), jobs=3)
    assert {p.name: p.read_bytes() for p in one.glob("*.gif")} == {p.name: p.read_bytes() for p in two.glob("*.gif")}


# ---------------------------------------------------------------- errors

def test_bad_configs_do_not_stop_the_good_ones(cfgs: Path, tmp_path: Path) -> None:
    write(cfgs, "bad_stride.yaml", "# comment\ninput_size: 5\nstride: 0\n")
    write(cfgs, "bad_key.yaml", "input_size: 5\nstridee: 2\n")
    write(cfgs, "bad_step.yaml", "input_size: 3\nkernel_size: 3\n")  # 1 frame: --step 1 fails at render time
    out = tmp_path / "out"
    result = cli("render", str(cfgs), "-o", str(out), "-f", "png", "--step", "1", "-j", "2")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {cfgs / 'bad_key.yaml'}:2: stridee: unknown key (did you mean 'stride'?)",
        f"error: {cfgs / 'bad_stride.yaml'}:3: stride: must be >= 1, got 0",
        f"error: {cfgs / 'bad_step.yaml'}:1: step: must be between 0 and 0, got 1",
    ]
    assert result.stdout.strip() == "0 up to date, 5 rendered, 3 failed"
    assert sorted(p.name for p in out.glob("*.png")) == ["c0.png", "c1.png", "c2.png", "c3.png", "other.png"]
    assert set(manifest(out)) == {"c0", "c1", "c2", "c3", "other"}
    assert leftovers(out) == []


def test_a_bug_in_one_render_is_one_line_and_the_others_go_on(cfgs: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import convanim.app.pipeline as api

    original = api.render

    def render(config, *args, **kwargs):
        if config.name == "c2":
            raise RuntimeError("disk on fire")
        return original(config, *args, **kwargs)

    monkeypatch.setattr(api, "render", render)
    result = run(plan([cfgs], tmp_path / "out"), jobs=1)
    assert result.errors == (f"{cfgs / 'c2.yaml'}: internal error: RuntimeError: disk on fire",)
    assert len(result.rendered) == 4 and "c2" not in manifest(tmp_path / "out")


def test_a_config_that_fails_everything_leaves_no_folder(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "input_size: 5\nstride: 0\n")
    result = cli("render", str(bad), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_missing_paths_are_errors_too(cfgs: Path, tmp_path: Path) -> None:
    result = cli("render", str(cfgs / "c0.yaml"), str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: no such file or folder"
    assert (tmp_path / "out" / "c0.gif").exists()


def test_two_configs_writing_one_file_is_refused_before_rendering(cfgs: Path, tmp_path: Path) -> None:
    write(cfgs, "twin.yaml", "name: c1\n" + TINY)
    out = tmp_path / "out"
    result = cli("render", str(cfgs), "-o", str(out))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {cfgs / 'twin.yaml'}:1: name: would write c1.gif")
    assert str(cfgs / "c1.yaml") in line
    assert not out.exists()  # nothing rendered at all


def test_png_frames_folder_clashes_with_a_file_inside_it(tmp_path: Path) -> None:
    write(tmp_path / "c", "a.yaml", TINY)
    write(tmp_path / "c", "b.yaml", "name: a/frame00000\n" + TINY)
    p = plan([tmp_path / "c"], tmp_path / "out", ("png",))
    assert p.todo == () and len(p.errors) == 1 and "would write a/frame00000" in p.errors[0]


def test_a_name_cannot_leave_the_output_folder(cfgs: Path, tmp_path: Path) -> None:
    write(cfgs, "escape.yaml", "name: ../../x\n" + TINY)
    out = tmp_path / "deep" / "out"
    result = cli("render", str(cfgs), "-o", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: {cfgs / 'escape.yaml'}:1: name: must stay inside the output folder, "
                                     "got '../../x'")
    assert len(list(out.glob("*.gif"))) == 5 and not (tmp_path / "x.gif").exists()


# ---------------------------------------------------------------- interruption

def test_interrupt_after_a_config_keeps_it_recorded(cfgs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    def stop(task: batch.Task, error: str | None) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(plan([cfgs], out), jobs=1, on_done=stop)
    assert len(manifest(out)) == 1 and leftovers(out) == []
    result = run(plan([cfgs], out), jobs=1)
    assert result.summary() == "1 up to date, 4 rendered"


def test_interrupt_mid_render_leaves_no_partial_file_nor_stale_entry(cfgs: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import convanim.draw.raster as raster

    out = tmp_path / "out"
    run(plan([cfgs], out), jobs=1)
    (cfgs / "c0.yaml").write_text(TINY + "padding: 2\n")
    (cfgs / "c1.yaml").write_text(TINY + "padding: 2\n")
    original, calls = raster.RasterRenderer.update, []

    def frame(self, i):  # the second config to render is interrupted on its third frame
        calls.append(i)
        if calls.count(2) == 2:
            raise KeyboardInterrupt
        return original(self, i)

    monkeypatch.setattr(raster.RasterRenderer, "update", frame)
    with pytest.raises(KeyboardInterrupt):
        run(plan([cfgs], out), jobs=1)
    assert leftovers(out) == []
    entries = manifest(out)
    # One of the two edited configs finished and is recorded with its new hash; the other is not recorded
    # at all (its old entry is gone), so the next run renders it.
    assert len(entries) == 4 and ("c0" in entries) != ("c1" in entries)
    monkeypatch.undo()
    assert [t.name for t in plan([cfgs], out).todo] in (["c0"], ["c1"])


def started_batch(tmp_path: Path) -> tuple[Path, Path, subprocess.Popen]:
    """Six slow configs rendering with two workers, returned once the first has finished."""
    cfg, out = tmp_path / "cfg", tmp_path / "out"
    _slow_configs(cfg)
    proc = subprocess.Popen([sys.executable, "-m", "convanim", "render", str(cfg), "-o", str(out), "-j", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out / MANIFEST).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # polling for the first finished config, not waiting for a fixed time
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    return cfg, out, proc


def finish(proc: subprocess.Popen) -> tuple[str, str]:
    """The interrupted batch's output; if it hangs, kill its whole process group so nothing outlives the test."""
    try:
        return proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


def _slow_configs(folder: Path, n: int = 6) -> None:
    for i in range(n):  # ~1 s each
        write(folder, f"slow{i}.yaml", f"input_size: [{60 + i}]\nkernel_size: 4\nstride: 7\npadding: 5\n"
                                       "dilation: 6\ntransposed: true\noutput_padding: 1\nrender: {scale: 8}\n")


@pytest.mark.parametrize("target", ["group", "parent"])
def test_ctrl_c_mid_batch_with_workers(tmp_path: Path, target: str) -> None:
    """SIGINT to the whole process group (a terminal's Ctrl-C) or to the parent only."""
    cfg, out, proc = started_batch(tmp_path)
    if target == "group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    stdout, stderr = finish(proc)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr, stderr
    entries = manifest(out)  # valid JSON
    assert 1 <= len(entries) < 6, (entries, stderr)
    assert leftovers(out) == [] and leftovers(tmp_path) == [], (leftovers(out), leftovers(tmp_path), stderr)
    for entry in entries.values():
        with Image.open(out / entry["files"][0]) as im:
            assert im.n_frames > 400  # whole
    again = cli("render", str(cfg), "-o", str(out), "-j", "2")
    assert again.returncode == 0
    assert again.stdout.strip() == f"{len(entries)} up to date, {6 - len(entries)} rendered", (entries, stderr)


# ---------------------------------------------------------------- imports and output

CHECK_WORKER = """
import sys
from convanim.app import batch
from convanim.app.cli import main

render_one = batch._render_one

def checked(*args):
    outcome = render_one(*args)
    if "--control" in sys.argv:  # the negative control: a worker that does load matplotlib
        import matplotlib  # noqa: F401
    heavy = [m for m in ("torch", "matplotlib") if m in sys.modules]
    if heavy and outcome.error is None:
        return batch._Outcome(error="worker imported " + ", ".join(heavy))
    return outcome

checked.__module__, checked.__qualname__ = "convanim.app.batch", "_render_one"
batch._render_one = checked
main([a for a in sys.argv[1:] if a != "--control"])
"""


def test_workers_import_neither_torch_nor_matplotlib_for_any_format(cfgs: Path, tmp_path: Path) -> None:
    def render(*formats: str, control: bool = False) -> subprocess.CompletedProcess[str]:
        args = [a for f in formats for a in ("-f", f)]
        return subprocess.run([sys.executable, "-c", CHECK_WORKER, *(["--control"] if control else []), "render",
                               str(cfgs), "-o", str(tmp_path / "o"), "-j", "2", "--force", *args],
                              capture_output=True, text=True, timeout=120)

    # PDF and SVG are written directly (fontTools embeds the font), the player is text: none needs matplotlib
    result = render("gif", "png", "webp", "pdf", "svg", "html")
    assert result.returncode == 0, result.stderr
    control = render("gif", control=True)  # the check can fail: a worker that loads matplotlib is caught
    assert control.returncode == 2 and "worker imported matplotlib" in control.stderr


def test_a_run_with_nothing_to_do_loads_no_renderer(cfgs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(plan([cfgs], out), jobs=1)
    code = ("import sys; from convanim.app.cli import main\n"
            f"main(['render', {str(cfgs)!r}, '-o', {str(out)!r}, '-q'], standalone_mode=False)\n"
            "print(sorted(m for m in ('PIL', 'matplotlib', 'torch', 'concurrent.futures.process') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_progress_bar_on_a_terminal(cfgs: Path, tmp_path: Path) -> None:
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "convanim", "render", str(cfgs), "-o", str(tmp_path / "o"),
                             "-j", "2"], stdout=child_fd, stderr=subprocess.PIPE, text=True)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    shown = b"".join(chunks).decode()
    assert "rendering" in shown and "5/5" in shown
    assert shown.rstrip().endswith("0 up to date, 5 rendered")


def test_repeated_ctrl_c_to_the_parent_still_exits_cleanly(tmp_path: Path) -> None:
    """Impatient users press Ctrl-C several times: the batch must neither hang nor strand a file."""
    cfg, out, proc = started_batch(tmp_path)
    for _ in range(4):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
    stdout, stderr = finish(proc)
    assert proc.returncode == 130, stderr
    assert leftovers(out) == [] and leftovers(tmp_path) == [], stderr
    manifest(out)  # still valid JSON


# ---------------------------------------------------------------- hard stops with --jobs 2

def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the batch's workers)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def gone(pids: list[int], seconds: float = 15) -> bool:
    """Whether every process in ``pids`` has exited within ``seconds`` (polled, not waited for blindly)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        alive.append(pid)
            except OSError:
                pass
        if not alive:
            return True
        time.sleep(0.02)
    return False


def busy_workers(proc: subprocess.Popen, n: int = 2) -> list[int]:
    deadline = time.monotonic() + 30
    while len(workers := children(proc.pid)) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(workers) == n, workers
    return workers


def rerun_renders_the_rest(cfg: Path, out: Path, entries: dict) -> None:
    again = cli("render", str(cfg), "-o", str(out), "-j", "2")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"{len(entries)} up to date, {6 - len(entries)} rendered", (entries, again)
    assert leftovers(out) == []


@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_to_the_parent_is_handled_like_ctrl_c(tmp_path: Path, sig: int, status: int) -> None:
    cfg, out, proc = started_batch(tmp_path)
    workers = busy_workers(proc)
    proc.send_signal(sig)
    stdout, stderr = finish(proc)
    assert proc.returncode == status, stderr
    assert f"interrupted by {signal.Signals(sig).name}: " in stderr and "Traceback" not in stderr, stderr
    assert gone(workers), "a worker outlived its batch"
    assert leftovers(out) == [] and leftovers(tmp_path) == [], (leftovers(out), stderr)
    rerun_renders_the_rest(cfg, out, manifest(out))


def test_sigkill_to_the_parent_takes_the_workers_with_it(tmp_path: Path) -> None:
    """The workers die with their parent (nothing renders on, orphaned, into the folder) and whatever the
    kill left is swept by the next run."""
    cfg, out, proc = started_batch(tmp_path)
    workers = busy_workers(proc)
    proc.kill()
    finish(proc)
    assert gone(workers), "workers outlived their parent's SIGKILL"
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".gif"}
    time.sleep(0.3)  # nothing is still writing into the folder
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".gif"} == before
    assert all(".tmp" not in p.name or p.name.startswith(".convanim-manifest") for p in out.iterdir())
    entries = manifest(out)
    rerun_renders_the_rest(cfg, out, entries)


def test_a_killed_worker_fails_only_its_config_and_the_others_go_on(tmp_path: Path) -> None:
    """As the OOM killer would: SIGKILL to one busy worker. Its config is named, its temporary file is swept,
    and every other config is rendered."""
    cfg, out, proc = started_batch(tmp_path)
    victim = busy_workers(proc)[0]
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = finish(proc)
    assert proc.returncode == 2, stderr
    [line] = stderr.strip().splitlines()
    assert line.startswith(f"error: {cfg}/slow") and line.endswith(
        ".yaml: the worker rendering it was killed by SIGKILL (out of memory?); the other configs went on"), line
    assert stdout.strip() == "0 up to date, 5 rendered, 1 failed"
    assert leftovers(out) == [] and len(manifest(out)) == 5
    failed = Path(line.split(": the worker")[0].removeprefix("error: ")).stem
    again = cli("render", str(cfg), "-o", str(out), "-j", "2")
    assert again.returncode == 0 and again.stdout.strip() == "5 up to date, 1 rendered"
    assert failed in manifest(out)
