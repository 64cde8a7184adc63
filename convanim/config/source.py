"""A config file's bytes, read once and safely: only a regular file within the size limit (no YAML here, so
a batch can hash a file without loading the parser)."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.errors import ConfigError, UsageError
from ..core.files import Unreadable, read_regular
from ..core.limits import MAX_FILE_BYTES


def read_config_bytes(path: str | os.PathLike[str], source: str | None = None) -> bytes:
    """The bytes of a config file: only a regular file of at most ``MAX_FILE_BYTES`` is read (a FIFO or a
    device is refused at once); a ConfigError naming ``source`` (default: ``path``) otherwise."""
    if not isinstance(path, (str, os.PathLike)):
        raise UsageError(f"expected a path to a config file, got {type(path).__name__}")
    source = str(path) if source is None else source
    try:
        return read_regular(Path(path), MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ConfigError(source, None, None, "no such file") from None
    except Unreadable as err:
        hint = " (convanim's documented limit for a config)" if "larger than" in str(err) else ""
        raise ConfigError(source, None, None, f"{err}{hint}") from None


def config_text(data: bytes, source: str) -> str:
    """A config file's bytes as text (UTF-8, a byte-order mark allowed); a ConfigError with the line of the
    first byte that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError(source, line, None, f"is not UTF-8 text: {err.reason} at byte {err.start}") from None
