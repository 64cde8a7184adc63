"""Hard stops: SIGTERM and SIGHUP unwind like Ctrl-C, so every writer removes its temporary file on the way out.

``handle_stop_signals()`` (the CLI calls it once) makes SIGTERM and SIGHUP raise ``Interrupted``, a
``KeyboardInterrupt``; code that cleans up after Ctrl-C cleans up after them too. ``exit_status`` is the
shell's convention for a process stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM).
SIGKILL cannot be caught: what it leaves behind is swept at the next run (``core.files.sweep_stale``).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A stop signal other than Ctrl-C, raised where Ctrl-C would be; ``signum`` is the signal."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_interrupted(signum: int, _frame: Any) -> None:
    """A signal handler: raise ``Interrupted(signum)`` (``KeyboardInterrupt`` for SIGINT)."""
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Interrupted(signum)


def handle_stop_signals() -> None:
    """Make SIGTERM and SIGHUP raise ``Interrupted`` in the main thread (a signal set to be ignored, as by
    ``nohup``, stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, raise_interrupted)


def signal_of(exc: BaseException) -> int:
    """The signal a KeyboardInterrupt stands for (SIGINT unless it is an ``Interrupted``)."""
    return getattr(exc, "signum", signal.SIGINT)


def exit_status(exc: BaseException) -> int:
    """128 + the signal's number: 130 after Ctrl-C, 143 after SIGTERM."""
    return 128 + int(signal_of(exc))
