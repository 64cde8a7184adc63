"""The ``convanim`` command: a thin click layer over ``convanim.api``; errors become one-line messages."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from ._version import __version__
from .errors import ConvanimError


def _one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a ConvanimError as one line on stderr and exit 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConvanimError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="convanim")
def main() -> None:
    """Animate convolutions exactly as PyTorch computes them."""


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_one_line_errors
def info(configs: tuple[str, ...]) -> None:
    """Print each config's output size worked through the formula, its frames and its PyTorch line.

    Example: convanim info configs/padding_strides.yaml
    """
    from .arithmetic import info_lines
    from .config import load_config

    for i, path in enumerate(configs):
        config = load_config(path)
        if i:
            click.echo()
        click.echo(f"{path}: {config.title}")
        for line in info_lines(config.spec):
            click.echo(f"  {line}")


@main.command()
@click.option("--input-size", "-i", type=click.IntRange(min=1), required=True, help="Input size along one axis.")
@click.option("--kernel-size", "-k", type=click.IntRange(min=1), required=True, help="Kernel size.")
@click.option("--stride", "-s", type=click.IntRange(min=1), default=1, show_default=True, help="Stride.")
@click.option("--dilation", "-d", type=click.IntRange(min=1), default=1, show_default=True, help="Dilation.")
@_one_line_errors
def solve(input_size: int, kernel_size: int, stride: int, dilation: int) -> None:
    """Find the padding that keeps or divides a size, and the output_padding that multiplies it.

    Example: convanim solve -i 32 -k 3 -s 2
    """
    from .arithmetic import solve as solve_

    for answer in solve_(input_size, kernel_size, stride, dilation):
        click.echo(f"{answer.question}:\n  {answer.answer}    ({answer.check})")


FORMATS = ("gif", "png", "apng", "webp", "mp4", "svg", "pdf")


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--out-dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write into (DIR/NAME.EXT).")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS), default=("gif",),
              show_default=True, help="Output format; repeat for several.")
@click.option("--step", type=click.IntRange(min=0), default=None,
              help="Draw only this frame (png, svg, pdf).")
@_one_line_errors
def render(configs: tuple[str, ...], out_dir: str, formats: tuple[str, ...], step: int | None) -> None:
    """Render configs into animations and frames.

    Example: convanim render configs/padding_strides.yaml -f gif -f pdf
    """
    from .api import render as render_

    for path in configs:
        for written in render_(path, out_dir, formats, step):
            click.echo(str(written))
