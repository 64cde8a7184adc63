"""The one exception family convanim raises for bad input; the CLI prints it as one line and exits 2."""

from __future__ import annotations


class ConvanimError(Exception):
    """Base of every user-facing error: ``str(err)`` is the whole one-line message."""


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
