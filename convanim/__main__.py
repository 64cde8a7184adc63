"""``python -m convanim``: the command-line interface."""

from .cli import main

main()
