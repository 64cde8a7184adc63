"""``python -m convanim``: the command-line interface."""

from .app.cli import main

main()
