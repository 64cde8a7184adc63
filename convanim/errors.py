"""The one exception family convanim raises for bad input; the CLI prints it as one line and exits 2."""


class ConvanimError(Exception):
    """Base of every user-facing error: ``str(err)`` is the whole one-line message."""
