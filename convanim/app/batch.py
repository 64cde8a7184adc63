"""Batch rendering: collect configs, plan their outputs, skip the unchanged ones, render the rest in parallel.

``plan()`` finds every config named by files, folders and glob patterns, works out the files each writes,
refuses two configs writing one file, and checks a manifest in the output folder: a config whose content
hash (its file's bytes and name, the formats, the step, and convanim itself: its version and the source of
every module, so a code change renders again) and files are unchanged is up to date, decided without
parsing it. Only configs to render (or all of them, with ``details=True``, for the gallery's titles and
alt text) are parsed. ``run()`` renders the rest, the most expensive first, in worker processes that
receive paths only. Every error is collected, one line each, and the good configs are still written. The
manifest records a config only after all of its files were written atomically, and is itself written
atomically after each config, so an interrupted batch leaves no partial file and no stale entry: the next
run picks up where it stopped.

A run with nothing to do imports neither numpy nor YAML, Pillow, matplotlib or torch; workers load the
renderers they need.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..core.errors import ConfigError, ConvanimError
from ..core.files import signals_deferred, write_text_atomic
from ..core.spec import ConvSpec

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config

MANIFEST = ".convanim-manifest.json"
MANIFEST_VERSION = 2
SUFFIXES = (".yaml", ".yml")
_GLOB_CHARS = frozenset("*?[")


# ---------------------------------------------------------------- values

@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One good config of a batch: where it is, what it writes, and whether that is up to date."""

    path: Path  # the config file, as given (or as found in a folder)
    name: str  # the output name, the manifest's key
    title: str  # "" for an up-to-date config that was not parsed (see ``plan(details=...)``)
    spec: ConvSpec | None  # None when not parsed
    alt: str  # the figure's alt text ("" when not asked for)
    hash: str  # content_hash(...) at planning time
    outputs: tuple[Path, ...]  # out_dir / NAME.EXT (a folder for PNG frames)
    cost: float  # estimated seconds to render: the last run's time, else a guess from the spec


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a batch will do: every good config in the order given, those to render, and the errors."""

    out_dir: Path
    formats: tuple[str, ...]
    step: int | None
    tasks: tuple[Task, ...]  # every config that can be rendered, in the order given
    todo: tuple[Task, ...]  # to render, most expensive first (empty when outputs clash)
    fresh: tuple[Task, ...]  # up to date: nothing to do
    errors: tuple[str, ...]  # one line each: ``path:line: key: message``


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """What a batch did."""

    plan: Plan
    rendered: tuple[Task, ...]  # in the order given
    written: tuple[Path, ...]
    errors: tuple[str, ...]  # the plan's errors, then render errors in the order given

    @property
    def done(self) -> tuple[Task, ...]:
        """Configs whose files are all in place (up to date or rendered now), in the order given."""
        ok = {t.name for t in (*self.plan.fresh, *self.rendered)}
        return tuple(t for t in self.plan.tasks if t.name in ok)

    def summary(self) -> str:
        """"23 up to date, 0 rendered" (and ", 2 failed")."""
        text = f"{len(self.plan.fresh)} up to date, {len(self.rendered)} rendered"
        return text + (f", {len(self.errors)} failed" if self.errors else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    """A worker's answer: the files it wrote, or the one-line error."""

    hash: str = ""
    files: tuple[str, ...] = ()  # relative to out_dir, posix
    seconds: float = 0.0
    error: str | None = None


# ---------------------------------------------------------------- collecting config files

def _configs_in(folder: Path, recursive: bool) -> list[Path]:
    """``*.yaml`` and ``*.yml`` files in ``folder`` (and its subfolders, skipping hidden ones), sorted."""
    found = []
    for p in folder.glob("**/*" if recursive else "*"):
        rel = p.relative_to(folder).parts
        if p.suffix.lower() in SUFFIXES and not any(part.startswith(".") for part in rel) and p.is_file():
            found.append(p)
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def collect(sources: Iterable[str | os.PathLike[str]], *, recursive: bool = False) -> tuple[list[Path], list[str]]:
    """The config files named by ``sources`` (files, folders, glob patterns), each once, in the order given;
    and one error line for each source that names none."""
    found: list[Path] = []
    errors: list[str] = []
    seen: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.normcase(os.path.realpath(path))
        if key not in seen:
            seen.add(key)
            found.append(path)

    for source in sources:
        text = os.fspath(source)
        path = Path(text)
        if path.is_dir():
            files = _configs_in(path, recursive)
            if not files:
                errors.append(f"{text}: no *.yaml or *.yml config in this folder"
                              + ("" if recursive else " (add --recursive to look in subfolders)"))
            for f in files:
                add(f)
        elif path.exists():
            add(path)  # a file named explicitly, whatever its suffix
        elif _GLOB_CHARS & set(text):
            files = []
            for match in sorted(glob.glob(text, recursive=True)):
                m = Path(match)
                files += _configs_in(m, recursive) if m.is_dir() else [m] if m.suffix.lower() in SUFFIXES else []
            if not files:
                errors.append(f"{text}: no config matches this pattern")
            for f in files:
                add(f)
        else:
            errors.append(f"{text}: no such file or folder")
    return found, errors


# ---------------------------------------------------------------- reading and hashing

def read_bytes(path: str | os.PathLike[str], source: str | None = None) -> bytes:
    """A config file's bytes; a ConfigError naming ``source`` (default: the path) if it cannot be read."""
    source = str(path) if source is None else source
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(source, None, None, "no such file") from None
    except OSError as err:
        raise ConfigError(source, None, None, f"cannot read: {err.strerror or err}") from None


def read_config(path: str | os.PathLike[str], source: str | None = None) -> tuple[bytes, Config]:
    """A config file's bytes and its Config (named after the file unless it has ``name:``); ``source``
    names the file in messages (default: ``path``)."""
    from ..config import parse_config

    path = Path(path)
    source = str(path) if source is None else source
    data = read_bytes(path, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(source, None, None, f"cannot read: {err}") from None
    return data, parse_config(text, source=source, default_name=path.stem)


@cache
def code_fingerprint() -> bytes:
    """SHA-256 of convanim's own source: every module's path and text (a few ms, once per process)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.digest()


def content_hash(text: bytes | str, stem: str, formats: Iterable[str], step: int | None = None) -> str:
    """The hex SHA-256 of everything an output depends on: the config text and the file's stem (its default
    name), the formats, the step, and convanim (its version and source), so data, options and any change
    to the code that draws them are all seen without parsing the config."""
    h = hashlib.sha256()

    def put(label: str, data: bytes) -> None:
        h.update(label.encode() + b"\0" + len(data).to_bytes(8, "little") + data)

    put("convanim", __version__.encode())
    put("code", code_fingerprint())
    put("text", text.encode() if isinstance(text, str) else text)
    put("stem", stem.encode())
    put("formats", ",".join(sorted(set(map(str, formats)))).encode())
    put("step", repr(step).encode())
    return h.hexdigest()


def _guess_seconds(spec: ConvSpec, config: Config) -> float:
    """A rough render time (frames x drawn pixels) to start the biggest configs first."""
    drawn = math.prod(i * max(s, 1) + b + a for i, s, b, a in
                      zip(spec.input_size, spec.stride if spec.transposed else (1,) * spec.ndim,
                          spec.pad_before, spec.pad_after))
    scale = config.render.scale or 30
    pixels = (drawn + math.prod(spec.output_size)) * scale * scale
    return spec.n_steps * (0.002 + 2e-8 * pixels)


# ---------------------------------------------------------------- the manifest

def load_manifest(out_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The manifest's entries by output name; empty if there is none or it is unreadable."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("manifest") != MANIFEST_VERSION:
        return {}
    outputs = data.get("outputs")
    if not isinstance(outputs, dict):
        return {}
    return {k: v for k, v in outputs.items() if isinstance(v, dict)}


def save_manifest(out_dir: str | os.PathLike[str], entries: dict[str, dict[str, Any]]) -> Path:
    """Write the manifest atomically (keys sorted, so equal entries give equal bytes)."""
    doc = {"manifest": MANIFEST_VERSION, "convanim": __version__, "outputs": entries}
    return write_text_atomic(Path(out_dir) / MANIFEST, json.dumps(doc, indent=1, sort_keys=True) + "\n")


def _relative(paths: Iterable[Path], out_dir: Path) -> tuple[str, ...]:
    return tuple(Path(os.path.relpath(p, out_dir)).as_posix() for p in paths)


def _is_fresh(entry: dict[str, Any] | None, digest: str, files: tuple[str, ...], out_dir: Path) -> bool:
    return (entry is not None and entry.get("hash") == digest and tuple(entry.get("files", ())) == files
            and all((out_dir / f).exists() for f in files))


# ---------------------------------------------------------------- planning

def plan(sources: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str] = "output",
         formats: Iterable[str] = ("gif",), step: int | None = None, *, recursive: bool = False,
         force: bool = False, details: bool = False) -> Plan:
    """Find every config named by ``sources`` and decide what to render into ``out_dir``.

    A config the manifest shows up to date is not parsed unless ``details`` asks for every task's title,
    spec and alt text. Two configs that would write the same file are an error naming both, and then
    nothing is rendered.
    """
    out = Path(out_dir)
    formats = tuple(dict.fromkeys(formats))
    paths, errors = collect(sources, recursive=recursive)
    manifest = load_manifest(out)
    recorded = {entry.get("config"): name for name, entry in manifest.items()}
    tasks: list[Task] = []
    configs: dict[str, Config] = {}
    for path in paths:
        try:
            data = read_bytes(path)
            digest = content_hash(data, path.stem, formats, step)
            task = None if details or force else _recorded_task(path, digest, manifest, recorded, out)
            if task is None:
                config = parse_bytes(data, path)
                configs[str(path)] = config
                task = _parsed_task(path, config, digest, manifest, out, formats, step, details)
        except ConvanimError as err:
            errors.append(str(err))
            continue
        tasks.append(task)
    clashes = _clashes(tasks, configs, out)
    if clashes:
        return Plan(out_dir=out, formats=formats, step=step, tasks=tuple(tasks), todo=(), fresh=(),
                    errors=(*errors, *clashes))
    fresh = [] if force else [t for t in tasks
                              if _is_fresh(manifest.get(t.name), t.hash, _relative(t.outputs, out), out)]
    skip = {t.name for t in fresh}
    todo = sorted((t for t in tasks if t.name not in skip), key=lambda t: -t.cost)
    return Plan(out_dir=out, formats=formats, step=step, tasks=tuple(tasks), todo=tuple(todo),
                fresh=tuple(fresh), errors=tuple(errors))


def parse_bytes(data: bytes, path: Path) -> Config:
    """The Config of a config file's bytes (named after the file unless it has ``name:``)."""
    from ..config import parse_config

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(str(path), None, None, f"cannot read: {err}") from None
    return parse_config(text, source=str(path), default_name=path.stem)


def _recorded_task(path: Path, digest: str, manifest: dict[str, dict[str, Any]], recorded: dict[Any, str],
                   out: Path) -> Task | None:
    """The task of a config the manifest records with this hash and whose files are all there (not parsed:
    the hash covers its text, name and convanim itself); None otherwise."""
    name = recorded.get(Path(path).as_posix())
    entry = manifest.get(name) if name is not None else None
    files = entry.get("files") if entry is not None else None
    if entry is None or entry.get("hash") != digest or not isinstance(files, list) or not all(
            isinstance(f, str) and (out / f).exists() for f in files):
        return None
    seconds = entry.get("seconds")
    cost = float(seconds) if isinstance(seconds, (int, float)) else 0.0
    return Task(path=path, name=name, title="", spec=None, alt="", hash=digest, outputs=tuple(out / f for f in files),
                cost=cost)


def _parsed_task(path: Path, config: Config, digest: str, manifest: dict[str, dict[str, Any]], out: Path,
                 formats: tuple[str, ...], step: int | None, details: bool) -> Task:
    from .pipeline import alt_text, output_paths

    outputs = tuple(output_paths(config, out, formats, step))
    alt = alt_text(config) if details else ""
    entry = manifest.get(config.name)
    seconds = entry.get("seconds") if entry else None
    cost = float(seconds) if isinstance(seconds, (int, float)) else _guess_seconds(config.spec, config)
    return Task(path=path, name=config.name, title=config.title, spec=config.spec, alt=alt, hash=digest,
                outputs=outputs, cost=cost)


def _clashes(tasks: list[Task], configs: dict[str, Config], out: Path) -> list[str]:
    """One error per config that would write (into) a file another config writes, or the manifest."""
    root = os.path.normcase(os.path.abspath(out))
    owner: dict[str, Task] = {}
    for task in tasks:
        for p in task.outputs:
            owner.setdefault(os.path.normcase(os.path.abspath(p)), task)

    def error(task: Task, message: str) -> str:
        config = configs.get(str(task.path)) or parse_bytes(read_bytes(task.path), Path(task.path))
        return str(config.error("name", message))

    errors = []
    for task in tasks:
        for p in task.outputs:
            path = os.path.normcase(os.path.abspath(p))
            shown = Path(os.path.relpath(path, root)).as_posix()
            if path == os.path.join(root, os.path.normcase(MANIFEST)):
                errors.append(error(task, f"would overwrite the manifest {shown}"))
                break
            # The same file, or a file inside another config's folder of PNG frames.
            other = owner.get(path)
            parent = os.path.dirname(path)
            while (other is None or other is task) and parent.startswith(root) and parent != root:
                other, parent = owner.get(parent), os.path.dirname(parent)
            if other is not None and other is not task:
                errors.append(error(task, f"would write {shown}, which {other.path} writes too (give one of "
                                          "them another name)"))
                break
    return errors


# ---------------------------------------------------------------- workers

_BUSY = False  # a worker is inside a task
_STOPPING = False  # a worker was told to stop: refuse further tasks


def _on_sigterm(signum: int, frame: Any) -> None:
    """Stop the current render; its atomic writers remove their temporary files on the way out."""
    global _STOPPING
    _STOPPING = True
    if _BUSY:
        raise KeyboardInterrupt


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: the parent decides and stops the workers with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)


def _render_one(path: str, out_dir: str, formats: tuple[str, ...], step: int | None) -> _Outcome:
    """Render one config file (in a worker, or in-process); a ConvanimError becomes ``error``."""
    global _BUSY
    _BUSY = True
    try:
        if _STOPPING:
            raise KeyboardInterrupt
        start = time.perf_counter()
        try:
            data, config = read_config(path)
            digest = content_hash(data, Path(path).stem, formats, step)
            from .pipeline import render

            written = render(config, out_dir, formats, step)
        except ConvanimError as err:
            return _Outcome(error=str(err))
        except Exception as err:  # a bug: still one line, and the other configs go on
            return _Outcome(error=f"{path}: internal error: {type(err).__name__}: {err}")
        return _Outcome(hash=digest, files=_relative(written, Path(out_dir)), seconds=time.perf_counter() - start)
    finally:
        _BUSY = False


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _sigint_flagged(flag: threading.Event) -> Iterator[None]:
    """Ctrl-C sets ``flag`` instead of raising: a KeyboardInterrupt inside ``concurrent.futures.wait``
    could leave a future's lock held and deadlock the pool's shutdown. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, lambda _signum, _frame: flag.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)


def _run_pool(todo: tuple[Task, ...], workers: int, args: tuple[Any, ...],
              finish: Callable[[Task, _Outcome], None]) -> None:
    """Render ``todo`` in ``workers`` processes, calling ``finish(task, outcome)`` here as each completes.

    On Ctrl-C the workers are stopped (SIGTERM: their renders unwind and remove their temporary files),
    configs that finished meanwhile are still finished, and the KeyboardInterrupt is raised again.
    """
    interrupted = threading.Event()
    with _sigint_flagged(interrupted):
        _pool_loop(todo, workers, args, finish, interrupted)


def _pool_loop(todo: tuple[Task, ...], workers: int, args: tuple[Any, ...],
               finish: Callable[[Task, _Outcome], None], interrupted: threading.Event) -> None:
    """The pool itself: Ctrl-C is seen as ``interrupted`` between waits, never inside one."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # only when there is work

    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    futures: dict[Any, Task] = {pool.submit(_render_one, str(t.path), *args): t for t in todo}
    order = {t.name: i for i, t in enumerate(todo)}
    unfinished = set(futures)

    def finish_all(done: Iterable[Any]) -> None:
        for fut in sorted(done, key=lambda f: order[futures[f].name]):
            unfinished.discard(fut)
            try:
                outcome = fut.result()
            except Exception as err:  # the worker died or its answer could not be sent back
                outcome = _Outcome(error=f"{futures[fut].path}: internal error: {type(err).__name__}: {err}")
            finish(futures[fut], outcome)

    try:
        while unfinished:
            done, _ = wait(unfinished, timeout=0.1, return_when=FIRST_COMPLETED)
            finish_all(done)
            if interrupted.is_set():
                raise KeyboardInterrupt
    except BaseException as exc:
        for fut in unfinished:
            fut.cancel()
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)  # idle workers get their stop signal now
        deadline = time.monotonic() + 10  # a worker that does not unwind in time is killed: never hang
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        if isinstance(exc, KeyboardInterrupt):  # record what finished whole before the stop reached it
            finish_all([f for f in unfinished if f.done() and not f.cancelled() and f.exception() is None])
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- running

def run(plan: Plan, *, jobs: int | None = None,
        on_done: Callable[[Task, str | None], None] | None = None) -> Result:
    """Render ``plan.todo`` with ``jobs`` worker processes (default: one per core; 1: in this process).

    ``on_done(task, error)`` is called in this process after each config (error: None or its line).
    """
    out = plan.out_dir
    manifest = load_manifest(out)
    changed = False
    for task in plan.todo:  # stale until rendered again: an interrupted render must not look done
        changed |= manifest.pop(task.name, None) is not None
    outcomes: dict[str, _Outcome] = {}

    def finish(task: Task, outcome: _Outcome) -> None:
        nonlocal changed
        outcomes[task.name] = outcome
        if outcome.error is None:
            manifest[task.name] = {"config": Path(task.path).as_posix(), "hash": outcome.hash,
                                   "files": list(outcome.files), "seconds": round(outcome.seconds, 3)}
            save_manifest(out, manifest)
            changed = False
        if on_done is not None:
            on_done(task, outcome.error)

    args = (str(out), plan.formats, plan.step)
    workers = min(jobs or default_jobs(), len(plan.todo))
    try:
        if workers > 1:
            _run_pool(plan.todo, workers, args, finish)
        else:
            for task in plan.todo:
                finish(task, _render_one(str(task.path), *args))
    finally:
        if changed:
            with signals_deferred():  # a second Ctrl-C waits for the manifest to be written
                save_manifest(out, manifest)
    order = [t for t in plan.tasks if t.name in outcomes]
    rendered = tuple(t for t in order if outcomes[t.name].error is None)
    return Result(plan=plan, rendered=rendered,
                  written=tuple(out / f for t in rendered for f in outcomes[t.name].files),
                  errors=(*plan.errors, *(outcomes[t.name].error for t in order
                                          if outcomes[t.name].error is not None)))
