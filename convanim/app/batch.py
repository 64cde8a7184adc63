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

The output folder is shared state. ``run()`` holds a lock on it (``core.files.folder_lock``) while it renders
and writes the manifest, re-reads the manifest under the lock (another batch may have rendered some configs
meanwhile) and first sweeps the temporary files that killed writers left (``core.files.sweep_stale``). The
manifest is read only if it is a regular file of at most ``MAX_MANIFEST_BYTES``; entries that are not what
convanim writes are dropped. Folders are walked without following a symbolic link back into a folder
already visited, so link cycles end.

A run with nothing to do imports neither numpy nor YAML, Pillow, matplotlib or torch; workers load the
renderers they need.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import glob
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..config.source import config_text, read_config_bytes
from ..core.errors import ConvanimError
from ..core.files import Unreadable, folder_lock, read_regular, signals_deferred, sweep_stale, write_text_atomic
from ..core.spec import ConvSpec

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config

MANIFEST = ".convanim-manifest.json"
MANIFEST_VERSION = 2
MAX_MANIFEST_BYTES = 16 << 20  # a larger manifest is not ours: it is ignored, and replaced
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
    layers: tuple[Any, ...] = ()  # a layers: config's whole stack (spec is its first layer); () when not parsed


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
    force: bool = False  # render even what the manifest says is up to date


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

def walk(folder: Path, recursive: bool = True) -> Iterator[tuple[Path, bool]]:
    """Every entry below ``folder`` as ``(path, is_folder)``, hidden names (``.x``) skipped, depth first in
    sorted order. Symbolic links to folders are followed, but never into a folder already visited (by device
    and inode): a link cycle ends instead of running forever."""
    seen: set[tuple[int, int]] = set()

    def listing(path: Path) -> Iterator[os.DirEntry[str]] | None:
        try:
            st = path.stat()
            if (st.st_dev, st.st_ino) in seen:
                return None
            seen.add((st.st_dev, st.st_ino))
            return iter(sorted(os.scandir(path), key=lambda e: e.name))
        except OSError:
            return None

    first = listing(folder)
    stack = [first] if first is not None else []
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        yield Path(entry.path), is_dir
        inner = listing(Path(entry.path)) if is_dir and recursive else None
        if inner is not None:
            stack.append(inner)


def _configs_in(folder: Path, recursive: bool) -> list[Path]:
    """``*.yaml`` and ``*.yml`` files in ``folder`` (and its subfolders, skipping hidden ones), sorted."""
    found = [p for p, is_dir in walk(folder, recursive) if not is_dir and p.suffix.lower() in SUFFIXES]
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _match(parts: tuple[str, ...], pats: tuple[str, ...]) -> bool:
    """Whether path ``parts`` match pattern components ``pats`` as glob's: ``**`` is any number of folders,
    and a wildcard matches a hidden name (``.x``) only when the pattern's component starts with a dot."""
    ok = [True] + [False] * len(pats)  # ok[j]: the parts so far match pats[:j]
    for j, pat in enumerate(pats, 1):
        ok[j] = ok[j - 1] and pat == "**"
    for part in parts:
        hidden = part.startswith(".")
        new = [False] * (len(pats) + 1)
        for j, pat in enumerate(pats, 1):
            if pat == "**":
                new[j] = new[j - 1] or (ok[j] and not hidden)
            else:
                new[j] = ok[j - 1] and not (hidden and not pat.startswith(".")) and fnmatch.fnmatchcase(part, pat)
        ok = new
    return ok[-1]


def expand(pattern: str) -> list[Path]:
    """The paths a glob pattern matches, sorted; ``**`` walks folders without following link cycles."""
    parts = Path(pattern).parts
    if "**" not in parts:
        return sorted(Path(p) for p in glob.glob(pattern))
    first = next(i for i, part in enumerate(parts) if _GLOB_CHARS & set(part))
    base = Path(*parts[:first]) if first else Path(".")
    rest = parts[first:]
    found = [p for p, _ in walk(base) if _match(p.relative_to(base).parts, rest)]
    return sorted(found if first else [Path(os.path.relpath(p)) for p in found])


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
            for m in expand(text):
                files += _configs_in(m, recursive) if m.is_dir() else [m] if m.suffix.lower() in SUFFIXES else []
            if not files:
                errors.append(f"{text}: no config matches this pattern")
            for f in files:
                add(f)
        else:
            errors.append(f"{text}: no such file or folder")
    return found, errors


# ---------------------------------------------------------------- reading and hashing

def read_config(path: str | os.PathLike[str], source: str | None = None) -> tuple[bytes, Config]:
    """A config file's bytes (read once) and its Config (named after the file unless it has ``name:``);
    ``source`` names the file in messages (default: ``path``)."""
    from ..config.load import read_config_file

    return read_config_file(path, source)


@cache
def code_fingerprint() -> bytes:
    """SHA-256 of convanim's own source: every module's and every bundled file's path and text (the player's
    script and style are written into its pages), a few ms, once per process."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".py", ".js", ".css"}):
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
    """The manifest's entries by output name; empty if there is none or it is not a manifest (corrupt JSON,
    too large, too deeply nested), without entries that are not what convanim writes. A manifest that is not
    a regular file (a FIFO, a device) is an error: it is never read, and never replaced."""
    path = Path(out_dir) / MANIFEST
    try:
        raw = read_regular(path, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        return {}
    except Unreadable as err:
        if "larger than" in str(err):
            return {}
        raise ConvanimError(f"{path}: {err}; remove it (convanim writes a new one)") from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("manifest") != MANIFEST_VERSION:
        return {}
    outputs = data.get("outputs")
    if not isinstance(outputs, dict):
        return {}
    return {k: v for k, v in outputs.items() if _valid_entry(v)}


def _valid_entry(entry: Any) -> bool:
    """An entry as ``run`` writes it: a hash, files inside the folder, a config path and seconds."""
    if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
        return False
    files = entry.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) and f and not os.path.isabs(f)
                                              and ".." not in Path(f).parts for f in files):
        return False
    seconds = entry.get("seconds", 0.0)
    return isinstance(entry.get("config", ""), str) and isinstance(seconds, (int, float)) \
        and not isinstance(seconds, bool) and math.isfinite(seconds) and seconds >= 0


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
            data = read_config_bytes(path)
            digest = content_hash(data, path.stem, formats, step)
            task = None if force else _recorded_task(path, digest, manifest, recorded, out)
            if task is None or details:  # an up-to-date config is parsed only for its details
                config = parse_bytes(data, path)
                configs[str(path)] = config
                task = _parsed_task(path, config, digest, manifest, out, formats, step, details,
                                    check=task is None)
        except ConvanimError as err:
            errors.append(str(err))
            continue
        tasks.append(task)
    clashes = _clashes(tasks, configs, out)
    if clashes:
        return Plan(out_dir=out, formats=formats, step=step, tasks=tuple(tasks), todo=(), fresh=(),
                    errors=(*errors, *clashes), force=force)
    fresh = [] if force else [t for t in tasks
                              if _is_fresh(manifest.get(t.name), t.hash, _relative(t.outputs, out), out)]
    skip = {t.name for t in fresh}
    todo = sorted((t for t in tasks if t.name not in skip), key=lambda t: -t.cost)
    return Plan(out_dir=out, formats=formats, step=step, tasks=tuple(tasks), todo=tuple(todo),
                fresh=tuple(fresh), errors=tuple(errors), force=force)


def parse_bytes(data: bytes, path: Path) -> Config:
    """The Config of a config file's bytes (named after the file unless it has ``name:``)."""
    from ..config import parse_config

    return parse_config(config_text(data, str(path)), source=str(path), default_name=path.stem)


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
                 formats: tuple[str, ...], step: int | None, details: bool, check: bool = True) -> Task:
    """The task of a parsed config; ``check``: its size limits too (not needed for one the manifest records
    as rendered from these bytes by this convanim)."""
    from .pipeline import alt_text, n_frames, output_paths

    outputs = tuple(output_paths(config, out, formats, step))
    if check:
        n_frames(config)  # every size limit, from the spec alone
    alt = alt_text(config) if details else ""
    entry = manifest.get(config.name)
    seconds = entry.get("seconds") if entry else None
    cost = float(seconds) if isinstance(seconds, (int, float)) else _guess_seconds(config.spec, config)
    return Task(path=path, name=config.name, title=config.title, spec=config.spec, alt=alt, hash=digest,
                outputs=outputs, cost=cost, layers=tuple(config.layers or ()))


def _clashes(tasks: list[Task], configs: dict[str, Config], out: Path) -> list[str]:
    """One error per config that would write (into) a file another config writes, or the manifest."""
    root = os.path.normcase(os.path.abspath(out))
    owner: dict[str, Task] = {}
    for task in tasks:
        for p in task.outputs:
            owner.setdefault(os.path.normcase(os.path.abspath(p)), task)

    def error(task: Task, message: str) -> str:
        config = configs.get(str(task.path)) or parse_bytes(read_config_bytes(task.path), Path(task.path))
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


# ---------------------------------------------------------------- rendering one config

def _render_one(path: str, out_dir: str, formats: tuple[str, ...], step: int | None) -> _Outcome:
    """Render one config file (in a worker, or in-process); a ConvanimError becomes ``error``."""
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


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _killed(task: Task, exitcode: int | None) -> _Outcome:
    """The outcome of a config whose worker died (the OOM killer's SIGKILL, most likely); its temporary
    files are swept at once."""
    from .workers import signal_name

    for folder in {p.parent for p in task.outputs}:
        sweep_stale(folder)
    hint = " (out of memory?)" if exitcode == -9 else ""
    return _Outcome(error=f"{task.path}: the worker rendering it was killed by {signal_name(exitcode)}{hint}; "
                          "the other configs went on")


# ---------------------------------------------------------------- running

def run(plan: Plan, *, jobs: int | None = None, on_done: Callable[[Task, str | None], None] | None = None,
        on_wait: Callable[[], None] | None = None) -> Result:
    """Render ``plan.todo`` with ``jobs`` worker processes (default: one per core; 1: in this process).

    ``on_done(task, error)`` is called in this process after each config (error: None or its line).
    The output folder is locked meanwhile: ``on_wait()`` is called if another run holds it.
    """
    if not plan.todo:
        return Result(plan=plan, rendered=(), written=(), errors=plan.errors)
    with folder_lock(plan.out_dir, on_wait):
        for folder in {plan.out_dir, *(p.parent for t in plan.todo for p in t.outputs)}:
            sweep_stale(folder)  # what killed writers left
        return _run_locked(plan, jobs, on_done)


def _run_locked(plan: Plan, jobs: int | None, on_done: Callable[[Task, str | None], None] | None) -> Result:
    out = plan.out_dir
    manifest = load_manifest(out)  # again: another run may have rendered some of ours while we waited
    if not plan.force:
        done = {t.name for t in plan.todo if _is_fresh(manifest.get(t.name), t.hash, _relative(t.outputs, out), out)}
        if done:
            fresh = done | {t.name for t in plan.fresh}
            plan = dataclasses.replace(plan, todo=tuple(t for t in plan.todo if t.name not in done),
                                       fresh=tuple(t for t in plan.tasks if t.name in fresh))
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
            from .workers import run_pool

            by_name = {t.name: t for t in plan.todo}
            run_pool(((t.name, (str(t.path), *args)) for t in plan.todo), workers, _render_one,
                     lambda name, outcome: finish(by_name[name], outcome),
                     lambda name, exitcode: _killed(by_name[name], exitcode))
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
