"""Hard stops leave nothing behind, and the output folder is shared state: SIGTERM is Ctrl-C, SIGKILL's leftovers
are swept by the next run, Ctrl-C while planning exits 130; the manifest is read only as a small regular
file, two runs into one folder take turns, a full disk or a read-only folder is one line, and globbing ends
in a folder with symbolic link cycles. (Stops of batches with workers: tests/test_batch.py.)"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from convanim.app import batch
from convanim.app.batch import MANIFEST, collect, load_manifest, plan, run
from convanim.app.cli import main
from convanim.core import files
from convanim.core.errors import ConvanimError, WriteError
from convanim.core.files import atomic_path, folder_lock, sweep_stale, temp_name, write_text_atomic

TINY = "input_size: 3\nkernel_size: 2\n"
SLOW = ("input_size: [90]\nkernel_size: 4\nstride: 7\npadding: 5\ndilation: 6\ntransposed: true\noutput_padding: 1\n"
        "render: {scale: 8}\n")  # ~1.5 s


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name or p.name.endswith(".old"))


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convanim", *args], capture_output=True, text=True, timeout=timeout)


def start(args: list[str], out: Path) -> subprocess.Popen:
    """A render that has begun writing a temporary file into ``out`` (polled, not slept for)."""
    proc = subprocess.Popen([sys.executable, "-m", "convanim", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out.exists() and leftovers(out)) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the render finished before it could be stopped"
    return proc


def finish(proc: subprocess.Popen) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


# ---------------------------------------------------------------- a single render, stopped

@pytest.mark.parametrize("fmt", ["gif", "png"])
def test_sigterm_during_a_single_render_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    cfg, out = tmp_path / "slow.yaml", tmp_path / "out"
    cfg.write_text(SLOW)
    proc = start(["render", str(cfg), "-o", str(out), "-f", fmt, "-j", "1"], out)
    proc.send_signal(signal.SIGTERM)
    _, stderr = finish(proc)
    assert proc.returncode == 143, stderr
    assert stderr.startswith("interrupted by SIGTERM: ") and "Traceback" not in stderr, stderr
    assert leftovers(out) == [] and not (out / "slow.gif").exists() and not (out / "slow").exists()


def test_what_sigkill_leaves_is_swept_by_the_next_run(tmp_path: Path) -> None:
    cfg, out = tmp_path / "slow.yaml", tmp_path / "out"
    cfg.write_text(SLOW)
    proc = start(["render", str(cfg), "-o", str(out), "-j", "1"], out)
    proc.kill()
    finish(proc)
    [left] = leftovers(out)
    assert files.TEMP_PATTERN.fullmatch(left) and f".{proc.pid}-" in left
    mine = out / temp_name("keep", ".gif")  # a live writer's (this process's) file is never touched
    mine.write_text("x")
    other = out / ".notes.123-deadbeef.txt"  # not our pattern: never touched
    other.write_text("x")
    result = cli("render", str(cfg), "-o", str(out), "-j", "1")
    assert result.returncode == 0, result.stderr
    assert leftovers(out) == [mine.name] and other.exists() and (out / "slow.gif").exists()


def test_sweep_stale_removes_only_files_and_folders_of_dead_writers(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / f".a.{dead}-0123abcd.tmp.gif").write_text("x")
    (tmp_path / f".b.{dead}-0123abcd.tmp").mkdir()
    (tmp_path / f".b.{dead}-0123abcd.tmp" / "frame00000.png").write_text("x")
    (tmp_path / f".c.{dead}-0123abcd.old").mkdir()
    keep = [f".a.{os.getpid()}-0123abcd.tmp.gif", f".a.{os.getppid()}-0123abcd.tmp.gif", f".a.{dead}-0123abcd.tmp.x.y",
            f"a.{dead}-0123abcd.tmp.gif", f".a.{dead}-0123ABCD.tmp.gif", "a.gif"]
    for name in keep:
        (tmp_path / name).write_text("x")
    removed = sweep_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted([f".a.{dead}-0123abcd.tmp.gif", f".b.{dead}-0123abcd.tmp",
                                                      f".c.{dead}-0123abcd.old"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


CTRL_C_WHILE_PLANNING = """
import os, sys, time
from convanim.app import batch
from convanim.app.cli import main

def slow_plan(*args, **kwargs):
    print("planning", flush=True)
    time.sleep(60)

batch.plan = slow_plan
main(sys.argv[1:])
"""


@pytest.mark.parametrize("sig, status, words", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "interrupted by SIGTERM")])
def test_a_stop_while_planning_exits_like_any_stop(tmp_path: Path, sig: int, status: int, words: str) -> None:
    (tmp_path / "a.yaml").write_text(TINY)
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_WHILE_PLANNING, "render", str(tmp_path / "a.yaml"), "-o",
                             str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "planning\n"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == status and stderr.strip() == words and "Aborted" not in stderr, stderr


# ---------------------------------------------------------------- the manifest

@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Path, Path]:
    cfg, out = tmp_path / "cfg", tmp_path / "out"
    cfg.mkdir()
    for name in ("a", "b"):
        (cfg / f"{name}.yaml").write_text(TINY)
    assert run(plan([cfg], out), jobs=1).summary() == "0 up to date, 2 rendered"
    return cfg, out


@pytest.mark.parametrize("kind", ["dev/zero", "fifo", "folder"])
def test_a_manifest_that_is_not_a_regular_file_is_one_line_and_never_read(rendered: tuple[Path, Path],
                                                                          kind: str) -> None:
    cfg, out = rendered
    manifest = out / MANIFEST
    manifest.unlink()
    if kind == "dev/zero":
        manifest.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(manifest)
    else:
        manifest.mkdir()
    result = cli("render", str(cfg), "-o", str(out), timeout=30)  # a hang or an 18 GB read would time out
    assert result.returncode == 2
    what = {"dev/zero": "a character device", "fifo": "a FIFO", "folder": "a folder"}[kind]
    assert result.stderr == f"error: {manifest}: is {what}, not a regular file; remove it (convanim writes a new " \
                            f"one)\n"


@pytest.mark.parametrize("doc", [
    {"manifest": 1, "outputs": {"a": {"hash": "x", "files": None}, "b": {"hash": "x", "files": ["../../etc"]}}},
    {"manifest": 1, "outputs": {"a": {"hash": "x", "files": ["a.gif"], "seconds": "slow"}}},
    "[" * 100_000 + "]" * 100_000,
    "x" * (batch.MAX_MANIFEST_BYTES + 1),
])
def test_a_manifest_convanim_did_not_write_is_ignored_and_replaced(rendered: tuple[Path, Path], doc: object) -> None:
    cfg, out = rendered
    (out / MANIFEST).write_text(doc if isinstance(doc, str) else json.dumps(doc))
    assert load_manifest(out) == {} or all(isinstance(e["files"], list) for e in load_manifest(out).values())
    result = run(plan([cfg], out), jobs=1)
    assert result.errors == () and len(result.rendered) == 2
    assert sorted(json.loads((out / MANIFEST).read_text())["outputs"]) == ["a", "b"]


def test_two_batches_into_one_folder_take_turns_and_keep_every_entry(tmp_path: Path) -> None:
    one, two, out = tmp_path / "one", tmp_path / "two", tmp_path / "out"
    for folder, names in ((one, ("a", "b", "same")), (two, ("c", "d", "same"))):
        folder.mkdir()
        for name in names:
            (folder / f"{name}.yaml").write_text(SLOW if name == "same" else TINY)
    (two / "same.yaml").write_text(SLOW.replace("[90]", "[91]"))  # same name, other content
    procs = [subprocess.Popen([sys.executable, "-m", "convanim", "render", str(folder), "-o", str(out), "-j", "1",
                               "-f", fmt], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for folder, fmt in ((one, "gif"), (two, "apng"))]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    entries = json.loads((out / MANIFEST).read_text())["outputs"]
    assert sorted(entries) == ["a", "b", "c", "d", "same"]  # nobody's entries were lost
    # "same" is recorded for the run that wrote it last, with that run's file: exactly one of the two runs
    # finds it up to date, and its file is there.
    fresh = []
    for folder, fmt in ((one, "gif"), (two, "apng")):
        p = plan([folder], out, (fmt,))
        if "same" in {t.name for t in p.fresh}:
            fresh.append(fmt)
            assert (out / f"same.{fmt}").exists()
    assert len(fresh) == 1, (fresh, entries["same"])
    assert entries["same"]["files"] == [f"same.{fresh[0]}"]


def test_the_folder_lock_makes_a_second_run_wait(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "a.yaml").write_text(TINY)
    with folder_lock(out):
        with folder_lock(out):  # nested in one process: fine
            pass
        proc = subprocess.Popen([sys.executable, "-m", "convanim", "render", str(tmp_path / "a.yaml"), "-o", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr.readline() == f"waiting for another convanim run writing into {out} ...\n"
        assert proc.poll() is None and not (out / "a.gif").exists()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0 and (out / "a.gif").exists(), stderr


# ---------------------------------------------------------------- a full disk, a read-only folder

def fail_on(monkeypatch: pytest.MonkeyPatch, name: str, code: int, when: str) -> None:
    """Make ``os.<name>`` fail with ``code`` for paths containing ``when``."""
    real = getattr(os, name)

    def failing(path, *args, **kwargs):
        if any(isinstance(a, (str, os.PathLike)) and when in os.fspath(a) for a in (path, *args)):
            raise OSError(code, os.strerror(code), os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, name, failing)


def test_a_read_only_folder_reports_the_real_error_not_the_clean_up(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fail_on(monkeypatch, "open", errno.EROFS, ".tmp")  # the temporary file cannot be created ...
    fail_on(monkeypatch, "unlink", errno.EACCES, ".tmp")  # ... and cleaning up fails with another error
    with pytest.raises(WriteError) as info:
        write_text_atomic(tmp_path / "page.html", "x")
    assert str(info.value) == f"{tmp_path / 'page.html'}: cannot write: Read-only file system"


def test_a_full_disk_while_writing_the_manifest_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text(TINY)
    fail_on(monkeypatch, "replace", errno.ENOSPC, MANIFEST)
    result = CliRunner().invoke(main, ["render", str(tmp_path / "a.yaml"), "-o", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {tmp_path / 'out' / MANIFEST}: cannot write: No space left on device\n"
    assert leftovers(tmp_path) == []


def test_a_full_disk_while_writing_the_gallery_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text(TINY)
    fail_on(monkeypatch, "replace", errno.ENOSPC, "index.html")
    result = CliRunner().invoke(main, ["gallery", str(tmp_path / "a.yaml"), "-o", str(tmp_path / "out"), "-j", "1",
                                       "-q"])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'out' / 'index.html'}: cannot write: No space left on device\n"


def test_an_output_folder_inside_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(TINY)
    (tmp_path / "file").write_text("a file")
    out = tmp_path / "file" / "out"
    result = CliRunner().invoke(main, ["render", str(tmp_path / "a.yaml"), "-o", str(out), "-j", "1"])
    assert result.exit_code == 2
    assert result.stderr == f"error: {out}: cannot write: Not a directory\n"


def test_atomic_path_removes_its_file_whatever_stops_the_block(tmp_path: Path) -> None:
    for stop in (KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left on device")):
        with pytest.raises((KeyboardInterrupt, ConvanimError)):
            with atomic_path(tmp_path / "x.gif") as tmp:
                tmp.write_text("half")
                raise stop
        assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- globbing through link cycles

def test_globs_and_recursive_folders_end_in_symlink_cycles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loop = tmp_path / "loop"
    (loop / "a" / "b").mkdir(parents=True)
    (loop / "top.yaml").write_text(TINY)
    (loop / "a" / "mid.yaml").write_text(TINY)
    (loop / "a" / "b" / "deep.yaml").write_text(TINY)
    (loop / "a" / "b" / "up").symlink_to(loop)  # two cycles
    (loop / "a" / "side").symlink_to(loop / "a")
    monkeypatch.chdir(tmp_path)
    found, errors = collect(["loop/**/*.yaml"])
    assert errors == [] and sorted(p.name for p in found) == ["deep.yaml", "mid.yaml", "top.yaml"]
    found, _ = collect([loop], recursive=True)
    assert sorted(p.name for p in found) == ["deep.yaml", "mid.yaml", "top.yaml"]
    found, _ = collect(["loop/*/*.yaml", "loop/a/**/deep.yaml"])
    assert [p.name for p in found] == ["mid.yaml", "deep.yaml"]
