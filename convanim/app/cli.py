"""The ``convanim`` command: a thin click layer over ``convanim.api``; errors become one-line messages."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable
from typing import Any

import click

from .. import encode
from .._version import __version__
from ..core.errors import ConvanimError


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
@click.argument("configs", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--from-torch", "expression", metavar="EXPR",
              help='Describe a PyTorch module instead of config files, e.g. "nn.Conv2d(3, 2, 3, stride=2)" or '
                   '"nn.Sequential(...)" (only nn is in scope).')
@click.option("-i", "--input-size", metavar="N[,M]", help="With --from-torch: the spatial input size, 8 or 8,6.")
@click.option("--in-channels", type=click.IntRange(min=1), default=None,
              help="With --from-torch: input channels when the first layer is a pooling layer.")
@click.option("--weights", is_flag=True, help="With --from-torch: copy the module's weights (initialised with --seed).")
@click.option("--seed", type=int, default=0, show_default=True, help="With --from-torch: torch seed for the weights.")
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the config as YAML (a file for convanim render).")
@_one_line_errors
def info(configs: tuple[str, ...], expression: str | None, input_size: str | None, in_channels: int | None,
         weights: bool, seed: int, as_yaml: bool) -> None:
    """Print each config's output size worked through the formula, its frames and its PyTorch line
    (for a layers: config, each layer's output size, receptive field, jump and start).

    Example: convanim info configs/padding_strides.yaml;
    convanim info --from-torch "nn.Conv2d(3, 2, 3, stride=2)" --input-size 8 --yaml
    """
    from ..config import load_config
    from .info import config_from_expression, config_lines

    if expression is None and not configs:
        raise click.UsageError("give config files, or --from-torch EXPR --input-size N")
    if expression is not None and configs:
        raise click.UsageError("give config files or --from-torch, not both")
    loaded = ([(expression, config_from_expression(expression, input_size, weights=weights, seed=seed,
                                                   in_channels=in_channels))]
              if expression is not None else [(path, load_config(path)) for path in configs])
    for i, (where, config) in enumerate(loaded):
        if i:
            click.echo()
        if as_yaml:
            from ..config.dump import to_yaml

            click.echo(to_yaml(config, header=f"convanim config of {where}" if expression else None), nl=False)
            continue
        click.echo(f"{where}: {config.title}")
        for line in config_lines(config):
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
    from ..core.arithmetic import solve as solve_

    for answer in solve_(input_size, kernel_size, stride, dilation):
        click.echo(f"{answer.question}:\n  {answer.answer}    ({answer.check})")


def _batch_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``render`` and ``gallery`` share: which configs, how many workers, how chatty."""
    options = [
        click.argument("configs", nargs=-1, required=True),
        click.option("-o", "--out-dir", default="output", show_default=True, type=click.Path(file_okay=False),
                     help="Folder to write into (DIR/NAME.EXT)."),
        click.option("-r", "--recursive", is_flag=True, help="Also take configs from subfolders of a folder."),
        click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, show_default="number of cores",
                     help="Worker processes; 1 renders in this process."),
        click.option("--force", is_flag=True, help="Render every config, even those that are up to date."),
        click.option("-q", "--quiet", is_flag=True, help="Print errors only: no progress bar, no summary."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run_batch(plan: Any, jobs: int | None, quiet: bool) -> Any:
    """Run a batch plan with a progress bar on a terminal; print its errors and summary; Ctrl-C exits 130."""
    from .batch import run

    try:
        if plan.todo and not quiet and sys.stdout.isatty():
            with click.progressbar(length=len(plan.todo), label="rendering", show_pos=True,
                                   item_show_func=lambda name: name) as bar:
                result = run(plan, jobs=jobs, on_done=lambda task, error: bar.update(1, task.name))
        else:
            result = run(plan, jobs=jobs)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping already: more Ctrl-C changes nothing
        click.echo("interrupted: the configs that finished are recorded; run again to render the rest",
                   err=True)
        sys.exit(130)
    for line in result.errors:
        click.echo(f"error: {line}", err=True)
    if not quiet:
        click.echo(result.summary())
    return result


@main.command()
@_batch_options
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(encode.names()), default=("gif",),
              show_default=True, help="Output format; repeat for several.")
@click.option("--step", type=click.IntRange(min=0), default=None,
              help="Draw only this frame (png, svg, pdf).")
@_one_line_errors
def render(configs: tuple[str, ...], out_dir: str, formats: tuple[str, ...], step: int | None, recursive: bool,
           jobs: int | None, force: bool, quiet: bool) -> None:
    """Render configs (files, folders, glob patterns) into animations and frames; skip unchanged ones.

    Example: convanim render configs -f gif -f pdf --jobs 4
    """
    from .batch import plan

    result = _run_batch(plan(configs, out_dir, formats, step, recursive=recursive, force=force), jobs, quiet)
    if result.errors:
        sys.exit(2)


@main.command()
@_batch_options
@click.option("--title", default="convanim gallery", show_default=True, help="The page's heading.")
@_one_line_errors
def gallery(configs: tuple[str, ...], out_dir: str, recursive: bool, jobs: int | None, force: bool, quiet: bool,
            title: str) -> None:
    """Render configs as GIFs and write DIR/index.html and DIR/README.md showing every figure.

    Example: convanim gallery configs -o output
    """
    from .batch import plan
    from .gallery import check_pages, write_gallery

    check_pages(out_dir)  # before rendering: never into a folder whose README.md is someone else's
    result = _run_batch(plan(configs, out_dir, ("gif",), None, recursive=recursive, force=force, details=True), jobs,
                        quiet)
    if result.done:
        pages = write_gallery(result.done, out_dir, title=title)
        if not quiet:
            click.echo(f"wrote {' and '.join(map(str, pages))}")
    if result.errors:
        sys.exit(2)
