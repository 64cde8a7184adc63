"""Worker processes for a batch: each renders one config at a time, dies with its parent, and a killed one
costs only the config it was rendering.

``run_pool(items, workers, work, finish, died)`` runs ``work(*args)`` for every ``(key, args)`` item in
``workers`` processes and calls ``finish(key, result)`` in this process as each completes. The pool knows
which item every worker holds, so when a worker is killed (by the OOM killer, or anyone) ``died(key,
exitcode)`` names that item alone; a new worker takes over the rest.

Stops: Ctrl-C, SIGTERM or SIGHUP to this process (or to its whole process group) set a flag that the loop
checks between waits; then every worker gets SIGTERM, unwinds its render (its atomic writers remove their
temporary files) and exits; results that arrived meanwhile are still finished; and the stop is raised here
as ``KeyboardInterrupt`` (``core.stops.Interrupted`` for SIGTERM and SIGHUP). A worker whose parent dies
(even by SIGKILL) gets SIGTERM from the kernel (``prctl(PR_SET_PDEATHSIG)`` on Linux) and, everywhere, from
a thread that watches its parent, so no worker outlives a batch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core.errors import ConvanimError
from ..core.stops import STOP_SIGNALS, Interrupted

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_SECONDS = 0.25  # how often a worker checks that its parent still runs
STOP_SECONDS = 10.0  # a stopped worker that has not unwound by then is killed

_BUSY = False  # this worker is inside ``work``
_STOPPING = False  # this worker was told to stop


# ---------------------------------------------------------------- in the worker

def _on_sigterm(_signum: int, _frame: Any) -> None:
    """Stop: unwind the current render (KeyboardInterrupt), or exit at once when idle."""
    global _STOPPING
    if not _BUSY:
        os._exit(128 + signal.SIGTERM)
    if _STOPPING:  # already unwinding (the kernel and the watching thread may both send one)
        return
    _STOPPING = True
    raise KeyboardInterrupt


def _watch_parent(parent: int) -> None:
    """When the parent is gone: SIGTERM to this process (its render unwinds), and if it has not exited a while
    later (an interrupt swallowed somewhere), exit anyway."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_SECONDS)
    os._exit(128 + signal.SIGTERM)


def die_with_parent(parent: int) -> None:
    """Make this process get SIGTERM when ``parent`` dies: from the kernel on Linux, and from a watching
    thread everywhere (also covering a parent that died before this was set up)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(128 + signal.SIGTERM)
    threading.Thread(target=_watch_parent, args=(parent,), name="convanim-parent-watch", daemon=True).start()


def _worker_main(conn: Any, parent: int, work: Callable[..., Any], inherited: tuple[Any, ...] = ()) -> None:
    """A worker's life: take one job at a time from ``conn``, answer with ``work(*args)``.

    ``inherited``: the other workers' connections, which a forked worker holds copies of; they are closed so
    that every worker sees the end of its own connection when the parent is gone.
    """
    global _BUSY
    # Ctrl-C reaches the whole process group: the parent decides, and stops the workers with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_sigterm if sig == signal.SIGTERM else signal.SIG_IGN)
    die_with_parent(parent)
    for other in inherited:
        with contextlib.suppress(OSError):
            other.close()
    while not _STOPPING:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            _BUSY = True
            result = work(*job)
        except KeyboardInterrupt:  # stopped: the render unwound and removed its temporary files
            os._exit(128 + signal.SIGTERM)
        finally:
            _BUSY = False
        if _STOPPING:  # a stop that the render swallowed: its result is not wanted
            os._exit(128 + signal.SIGTERM)
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


# ---------------------------------------------------------------- in the parent

@dataclass(slots=True)
class _Worker:
    process: Any
    conn: Any
    key: Hashable | None = None  # the item it is working on

    @property
    def busy(self) -> bool:
        return self.key is not None


@dataclass(slots=True)
class _Stop:
    signum: int = 0

    def exception(self) -> KeyboardInterrupt:
        return KeyboardInterrupt() if self.signum in (0, signal.SIGINT) else Interrupted(self.signum)


@contextlib.contextmanager
def _stops_flagged(stop: _Stop) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP set ``stop`` instead of raising (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def flag(signum: int, _frame: Any) -> None:
        stop.signum = stop.signum or signum

    signals = (signal.SIGINT, *STOP_SIGNALS)
    old = {sig: signal.signal(sig, flag) for sig in signals if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def signal_name(exitcode: int | None) -> str:
    """``SIGKILL`` for an exit code of -9; ``status 3`` for 3."""
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-exitcode).name
        return f"signal {-exitcode}"
    return f"status {exitcode}"


def run_pool(items: Iterable[tuple[Hashable, tuple[Any, ...]]], workers: int, work: Callable[..., Any],
             finish: Callable[[Hashable, Any], None], died: Callable[[Hashable, int | None], Any]) -> None:
    """Run ``work(*args)`` for every ``(key, args)`` in ``workers`` processes; ``finish(key, result)`` here as
    each completes, in completion order. A worker that dies gives ``finish(key, died(key, exitcode))``."""
    stop = _Stop()
    with _stops_flagged(stop):
        _Pool(workers, work, finish, died, stop).run(deque(items))


class _Pool:
    def __init__(self, workers: int, work: Callable[..., Any], finish: Callable[[Hashable, Any], None],
                 died: Callable[[Hashable, int | None], Any], stop: _Stop):
        import multiprocessing  # only when there is work

        self.ctx = multiprocessing.get_context()
        self.size, self.work, self.finish, self.died, self.stop = workers, work, finish, died, stop
        self.workers: list[_Worker] = []

    def start(self) -> _Worker:
        parent_end, child_end = self.ctx.Pipe(duplex=True)
        inherited = tuple(w.conn for w in self.workers) if self.ctx.get_start_method() == "fork" else ()
        process = self.ctx.Process(target=_worker_main, args=(child_end, os.getpid(), self.work, inherited),
                                   name="convanim-worker", daemon=True)
        try:
            process.start()
        except OSError as err:
            raise ConvanimError(f"cannot start a worker process: {err.strerror or err} (try --jobs 1)") from None
        finally:
            child_end.close()
        worker = _Worker(process=process, conn=parent_end)
        self.workers.append(worker)
        return worker

    def run(self, queue: deque[tuple[Hashable, tuple[Any, ...]]]) -> None:
        try:
            while queue or any(w.busy for w in self.workers):
                self.assign(queue)
                self.collect()
                if self.stop.signum:
                    raise self.stop.exception()
        except BaseException:
            self.halt()
            raise
        self.close()

    def assign(self, queue: deque[tuple[Hashable, tuple[Any, ...]]]) -> None:
        """Give every idle worker an item, starting workers up to the pool's size."""
        for worker in [w for w in self.workers if not w.busy and not w.process.is_alive()]:
            self.forget(worker)  # died between two items: nothing of ours was lost
        idle = [w for w in self.workers if not w.busy]
        while queue and (idle or len(self.workers) < self.size):
            worker = idle.pop() if idle else self.start()
            key, args = queue.popleft()
            try:
                worker.conn.send(args)
            except (OSError, ValueError):  # it died just now: the item goes back to the queue
                queue.appendleft((key, args))
                self.forget(worker)
                continue
            worker.key = key

    def forget(self, worker: _Worker) -> None:
        worker.process.join()
        self.workers.remove(worker)
        worker.conn.close()

    def collect(self, timeout: float = 0.1) -> None:
        """Wait for a result or a death; finish what came."""
        from multiprocessing.connection import wait

        busy = [w for w in self.workers if w.busy]
        if not busy:
            return
        wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        for worker in busy:
            self.answer(worker) or self.bury(worker)

    def answer(self, worker: _Worker) -> bool:
        """Finish the worker's result if it sent one; True if it did."""
        try:
            if not worker.conn.poll():
                return False
            result = worker.conn.recv()
        except (EOFError, OSError):
            return False
        key, worker.key = worker.key, None
        self.finish(key, result)
        return True

    def bury(self, worker: _Worker) -> None:
        """If the worker died, fail its item alone and forget it (a new one is started when needed)."""
        if worker.process.is_alive():
            return
        key, worker.key = worker.key, None
        self.forget(worker)
        self.finish(key, self.died(key, worker.process.exitcode))

    def close(self) -> None:
        """Idle workers are told to leave, and waited for."""
        for worker in self.workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        self.reap(signal_them=False)

    def halt(self) -> None:
        """Stop every worker (SIGTERM: renders unwind), finish results that came meanwhile, reap them all."""
        for worker in self.workers:
            with contextlib.suppress(OSError, ValueError):
                worker.process.terminate()
        self.reap(signal_them=True)
        for worker in self.workers:
            if worker.busy:
                with contextlib.suppress(Exception):
                    self.answer(worker)

    def reap(self, signal_them: bool) -> None:
        deadline = time.monotonic() + STOP_SECONDS
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():  # never hang: a worker that does not unwind in time is killed
                worker.process.kill()
                worker.process.join()
        if not signal_them:
            for worker in self.workers:
                worker.conn.close()
