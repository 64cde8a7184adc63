"""Files that survive hard stops: atomic writes, our own stale temporary files swept, capped reads, folder locks.

* ``atomic_path``: a file appears whole or not at all, and an older one survives a failed write. The temporary
  file beside the target is named ``.NAME.PID-TOKEN.tmp.SUFFIX`` (a folder: ``.NAME.PID-TOKEN.tmp``; a folder
  being replaced: ``.NAME.PID-TOKEN.old``), so that ``sweep_stale`` can remove exactly the ones whose writer is
  gone (killed with SIGKILL, or by the OOM killer) at the next run, and never anything else.
* ``read_regular``: read a file only if it is a regular file of at most so many bytes (a FIFO, ``/dev/zero``
  or a huge file is refused before anything is read, and never blocks).
* ``folder_lock``: an exclusive ``flock`` on ``FOLDER/.convanim.lock`` so that two runs writing into one
  folder take turns.
* Failures to write (a full disk, a read-only folder, a path that is a file) are ``WriteError``: one line
  naming the path, never an ``OSError`` of a clean-up step hiding the real one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

from .errors import WriteError

LOCK_NAME = ".convanim.lock"
TEMP_PATTERN = re.compile(r"\.(?P<stem>.+)\.(?P<pid>[0-9]{1,10})-(?P<token>[0-9a-f]{8})\.(?P<kind>tmp|old)"
                          r"(?P<suffix>\.[A-Za-z0-9]{1,10})?")


@lru_cache(maxsize=1)
def umask() -> int:
    """The process umask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block is done, then act on them (for a few steps that must not be
    split, such as the two renames that swap a folder). Python runs signal handlers in the main thread
    only, so elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    old = {sig: signal.signal(sig, lambda signum, _frame: caught.append(signum))
           for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for signum in caught[:1]:
            handler = old[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


# ---------------------------------------------------------------- temporary names and the sweep

def temp_name(stem: str, suffix: str = "", kind: str = "tmp") -> str:
    """A fresh temporary name for a file or folder ``stem + suffix``: ``.STEM.PID-TOKEN.KIND SUFFIX``."""
    return f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.{kind}{suffix}"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OverflowError, OSError):
        return False
    return True


def sweep_stale(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove our temporary files and folders in ``folder`` whose writer process is gone; return them.

    Only names of the exact pattern ``temp_name`` makes are touched, and only when the process id in the name
    no longer runs (a live writer, this process included, keeps its files). Best effort: errors are ignored.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = TEMP_PATTERN.fullmatch(entry.name)
        if m is None:
            continue
        pid = int(m["pid"])
        if pid == os.getpid() or _alive(pid):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def _discard(path: Path | None) -> None:
    """Remove a temporary file if it is there; never raise (the error being handled matters more)."""
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


# ---------------------------------------------------------------- writing

def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create folder ``path`` (and its parents) if needed; WriteError if that is impossible."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WriteError(path, "it is a file, not a folder") from None
    except OSError as err:
        raise WriteError(path, err) from None
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix) that replaces ``path`` only if the block succeeds.

    The temporary name is chosen before the file is created, so an interrupt at any point leaves nothing
    behind (and a SIGKILL leaves a file that ``sweep_stale`` recognises). Any OSError, in the block or while
    moving the file into place, becomes one WriteError naming ``path``.
    """
    path = Path(path)
    ensure_dir(path.parent)
    tmp = None
    try:
        while True:
            tmp = path.parent / temp_name(path.stem, path.suffix)
            try:
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600))
                break
            except FileExistsError:  # another file by that name (never ours): pick again
                tmp = None
        yield tmp
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except OSError as err:
        _discard(tmp)
        raise WriteError(path, err) from None
    except BaseException:
        _discard(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    path = Path(path)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise WriteError(path, f"the text is not valid Unicode ({err.reason})") from None
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


# ---------------------------------------------------------------- reading

class Unreadable(Exception):
    """A file refused before it is read: ``str(err)`` says why (not a regular file, too large, an OSError)."""


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_regular(path: str | os.PathLike[str], limit: int, *, head: bool = False) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes; otherwise Unreadable.

    Opened without blocking (a FIFO with no writer is refused at once, never waited on) and read at most
    ``limit + 1`` bytes (a file that grows while it is read is refused too). ``head``: the first ``limit``
    bytes of a larger file instead. FileNotFoundError propagates.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except NotADirectoryError as err:  # a parent is a file: the file cannot exist
        raise FileNotFoundError(err.errno, err.strerror, err.filename) from None
    except OSError as err:
        raise Unreadable(f"cannot read: {err.strerror or err}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise Unreadable(f"is {kind}, not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise Unreadable(f"cannot read: {err.strerror or err}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if size > limit:
        if head:
            return data[:limit]
        raise Unreadable(f"is larger than {limit:,} bytes")
    return data


# ---------------------------------------------------------------- locking a folder

_HELD: dict[tuple[int, int], list[int]] = {}  # (st_dev, st_ino) of a locked folder -> [fd, depth]


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str], on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (created if needed) for the block: other convanim processes
    writing into it wait until it is released. ``on_wait()`` is called once if another one holds it. Nested
    use in one process is fine. Where ``fcntl`` does not exist, this only creates the folder."""
    folder = ensure_dir(folder)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    st = os.stat(folder)
    key = (st.st_dev, st.st_ino)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                     0o666 & ~umask())
    except OSError as err:
        raise WriteError(path, err) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD[key] = [fd, 1]
        try:
            yield
        finally:
            del _HELD[key]
    finally:
        os.close(fd)  # releases the lock
