"""The one exception family convanim raises for bad input; the CLI prints it as one line and exits 2.

Everything a user can cause (a config, an argument, a full disk, a folder another program broke) is a
``ConvanimError``: the library raises nothing else for it, the CLI prints ``error: <message>`` and exits 2,
the Sphinx directive turns it into a warning. Other exceptions are bugs.
"""

from __future__ import annotations

import os

MAX_MESSAGE = 400  # characters of a message; a longer one (a huge value quoted) is cut


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line and at most ``limit`` characters (a cut is marked with "…")."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 1] + "…"


class ConvanimError(Exception):
    """Base of every user-facing error: ``str(err)`` is the whole one-line message."""

    def __init__(self, message: str = "", *args: object):
        super().__init__(one_line(str(message)), *args)


class SpecError(ConvanimError, ValueError):
    """An invalid value of a layer or render key; ``key`` names it (``str(err)`` is ``"key: message"``)."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class ConfigError(ConvanimError, ValueError):
    """A config that cannot be used; ``str(err)`` is one line ``path:line: key: message``."""

    def __init__(self, source: str, line: int | None, key: str | None, message: str):
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")
        self.source, self.line, self.key, self.message = source, line, key, message


class UsageError(ConvanimError, TypeError, ValueError):
    """A library function called with an argument it cannot use: of the wrong kind, or an unknown value
    (also a TypeError and a ValueError, so code that catches either still does)."""


class WriteError(ConvanimError):
    """A file or folder could not be written: a full disk, a read-only folder, a path that is a file."""

    def __init__(self, path: str | os.PathLike[str], err: BaseException | str):
        reason = err if isinstance(err, str) else (getattr(err, "strerror", None) or str(err) or type(err).__name__)
        super().__init__(f"{os.fspath(path)}: cannot write: {reason}")
        self.path = os.fspath(path)
