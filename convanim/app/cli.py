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
from ..core.stops import exit_status, handle_stop_signals, signal_of

INTERRUPTED = "the configs that finished are recorded; run again to render the rest"


def _stopped(exc: BaseException, detail: str = "") -> None:
    """After Ctrl-C, SIGTERM or SIGHUP: one line, and the shell's status for that signal (130, 143, 129)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping already: more Ctrl-C changes nothing
    name = signal.Signals(signal_of(exc)).name
    head = "interrupted" if name == "SIGINT" else f"interrupted by {name}"
    click.echo(f"{head}: {detail}" if detail else head, err=True)
    sys.exit(exit_status(exc))


def _one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a ConvanimError as one line on stderr and exit 2 (no traceback); a stop signal exits 128 + its
    number after one line."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConvanimError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except KeyboardInterrupt as exc:
            _stopped(exc)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="convanim")
def main() -> None:
    """Animate convolutions exactly as PyTorch computes them."""
    handle_stop_signals()  # SIGTERM and SIGHUP unwind like Ctrl-C: no temporary file is left behind


@main.command()
@click.argument("configs", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--from-torch", "expression", metavar="EXPR",
              help='Describe a PyTorch module instead of config files, e.g. "nn.Conv2d(3, 2, 3, stride=2)" or '
                   '"nn.Sequential(...)" (nn.X(...) or torch.nn.X(...) calls and literals only; never evaluated '
                   'as Python).')
@click.option("-i", "--input-size", metavar="N[,M[,L]]",
              help="With --from-torch: the spatial input size, 8, 8,6 or 4,8,6.")
@click.option("--in-channels", type=click.IntRange(min=1), default=None,
              help="With --from-torch: input channels when the first layer does not say them (pooling).")
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
        lines = config_lines(config)  # every limit checked before anything is printed
        if i:
            click.echo()
        if as_yaml:
            from ..config.dump import to_yaml

            click.echo(to_yaml(config, header=f"convanim config of {where}" if expression else None), nl=False)
            continue
        lines = config_lines(config)  # a config its figure kind refuses prints nothing
        click.echo(f"{where}: {config.title}")
        for line in lines:
            click.echo(f"  {line}")


@main.command()
@click.option("--input-size", "-i", required=True, metavar="N[,N,N]",
              help="Input size: one for every axis, or one per axis (depth,height,width).")
@click.option("--kernel-size", "-k", required=True, metavar="K[,K,K]", help="Kernel size (one, or one per axis).")
@click.option("--stride", "-s", default="1", show_default=True, metavar="S[,S,S]",
              help="Stride (one, or one per axis).")
@click.option("--dilation", "-d", default="1", show_default=True, metavar="D[,D,D]",
              help="Dilation (one, or one per axis).")
@click.option("--output", "-o", "output", default=None, metavar="N[,N,N]",
              help="A target output size: the strides and paddings (or a transposed layer's) that reach it.")
@_one_line_errors
def solve(input_size: str, kernel_size: str, stride: str, dilation: str, output: str | None) -> None:
    """Find the padding that keeps or divides a size, and the output_padding that multiplies it, per axis.

    Example: convanim solve -i 32 -k 3 -s 2; convanim solve -i 16,32,32 -k 3 -s 1,2,2; convanim solve -i 33 -k 4
    --output 17
    """
    from ..core.arithmetic import solve_axes
    from .info import parse_ints

    values = [parse_ints(f"--{name}", text) for name, text in (("input-size", input_size), ("kernel-size", kernel_size),
                                                                ("stride", stride), ("dilation", dilation))]
    if output is not None:
        values.append(parse_ints("--output", output))
    try:
        groups = solve_axes(*values)
    except ValueError as err:
        raise ConvanimError(f"solve: {err}") from None
    for group in groups:
        indent = "  " if group.axes else ""
        if group.axes:
            click.echo(f"{', '.join(group.axes)} (input {group.input_size}, kernel {group.kernel_size}, "
                       f"stride {group.stride}, dilation {group.dilation}):")
        asked = None
        for answer in group.answers:
            if answer.question != asked:
                click.echo(f"{indent}{answer.question}:")
                asked = answer.question
            click.echo(f"{indent}  {answer.answer}    ({answer.check})")


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


def _waiting(out_dir: str) -> None:
    click.echo(f"waiting for another convanim run writing into {out_dir} ...", err=True)


def _run_batch(plan: Any, jobs: int | None, quiet: bool) -> Any:
    """Run a batch plan with a progress bar on a terminal; print its errors and summary; Ctrl-C exits 130
    (SIGTERM 143)."""
    from .batch import run

    wait = functools.partial(_waiting, str(plan.out_dir))
    try:
        if plan.todo and not quiet and sys.stdout.isatty():
            with click.progressbar(length=len(plan.todo), label="rendering", show_pos=True,
                                   item_show_func=lambda name: name) as bar:
                result = run(plan, jobs=jobs, on_done=lambda task, error: bar.update(1, task.name), on_wait=wait)
        else:
            result = run(plan, jobs=jobs, on_wait=wait)
    except KeyboardInterrupt as exc:
        _stopped(exc, INTERRUPTED)
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
              help="Draw only this frame (png, svg, pdf; an html player starts paused there).")
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
    """Render configs as GIFs and players and write DIR/index.html and DIR/README.md showing every figure.

    Example: convanim gallery configs -o output
    """
    from ..core.files import folder_lock
    from .batch import plan
    from .gallery import check_pages, check_title, write_gallery

    check_title(title)
    check_pages(out_dir)  # before rendering: never into a folder whose README.md is someone else's
    todo = plan(configs, out_dir, ("gif", "html"), None, recursive=recursive, force=force, details=True)
    result = _run_batch(todo, jobs, quiet)
    if result.done:
        with folder_lock(out_dir, functools.partial(_waiting, out_dir)):
            pages = write_gallery(result.done, out_dir, title=title)
        if not quiet:
            click.echo(f"wrote {' and '.join(map(str, pages))}")
    if result.errors:
        sys.exit(2)


@main.command()
@click.argument("target", required=False, metavar="[CONFIG|DIR]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@_one_line_errors
def serve(target: str | None, host: str, port: int) -> None:
    """Edit a config in the browser (form and YAML), the player redrawn live; save YAML, download GIFs.

    TARGET is a config file or a folder (default: this one); files are saved only into that folder.
    Example: convanim serve configs --port 8000
    """
    from .serve import make_server

    server = make_server(target, host, port)
    address, bound = server.server_address[:2]
    shown = f"[{address}]" if ":" in str(address) else address
    click.echo(f"convanim serve: http://{shown}:{bound}/ (folder {server.RequestHandlerClass.space.root}; "
               "Ctrl-C stops)")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()
