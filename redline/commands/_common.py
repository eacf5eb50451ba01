"""Shared CLI plumbing: error handling, JSON printing, progress."""

from __future__ import annotations

import functools
import sys

import click

from redline.layers.errors import EXIT_USAGE, RedlineError
from redline.layers.outputs import to_json


def handle_errors(func):
    """Turn expected faults (:class:`redline.layers.errors.RedlineError`) into one line on stderr and an exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RedlineError as exc:
            echo_text(f"redline: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException:
            raise
        except KeyboardInterrupt:
            click.echo("redline: interrupted", err=True)
            sys.exit(130)

    return wrapper


MAX_LINE = 2000   # display columns of one line of a text report: a 1 MB value never prints whole


def echo_text(text: str, err: bool = False) -> None:
    """Print a text report: each line without control or bidirectional-override characters and at most
    :data:`MAX_LINE` columns (the files keep every value whole)."""
    from redline.maps.report.text import display_line

    click.echo("\n".join(display_line(line, MAX_LINE) for line in str(text).split("\n")), err=err)


def echo_json(obj) -> None:
    """Print exactly one JSON object on stdout."""
    click.echo(to_json(obj))


def warn(message: str, quiet: bool = False) -> None:
    """One ``redline: warning:`` line (cleaned as :func:`echo_text` does), unless ``quiet``."""
    if not quiet:
        echo_text(f"redline: warning: {message}", err=True)


def progress_enabled(quiet: bool) -> bool:
    """Progress bars only on a terminal and without --quiet."""
    return not quiet and sys.stderr.isatty()


def usage_error(message: str):
    click.echo(f"redline: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress or warnings on stderr.")
project_option = click.option("--project", "project_path", type=click.Path(readable=False),
                              help="Project file (default: redline.toml in the current folder).")
scheduler_option = click.option(
    "--scheduler", metavar="ADDRESS",
    help="Address of a running dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --engine dask).")
workers_option = click.option("--workers", type=int, metavar="N",
                              help="Workers of the local dask cluster (default: one per core).")
gcj02_option = click.option(
    "--from-gcj02", "gcj02", is_flag=True,
    help="The input files in longitude/latitude are GCJ-02 (exported from 高德/腾讯 web maps): convert them "
         "to WGS84/CGCS2000 on reading. Projected files are never GCJ-02; project layers say it with "
         'datum = "gcj02".')


def write_text_output(path: str, text: str, *, what: str) -> None:
    """Write one text output whole or not at all; a write error is one line naming the file."""
    from redline.layers.errors import InputError
    from redline.layers.outputs import write_text

    try:
        write_text(path, text)
    except OSError as exc:
        raise InputError(f"cannot write {what}: {exc.strerror or exc}", path=path) from None


def guard(outputs, inputs=(), *, project_path=None, cwd_project: bool = False, folders=()) -> None:
    """Before any work: refuse outputs that would overwrite an input (exit 2) or cannot be written (exit 3).

    ``inputs`` are the paths the command was given (arguments that are not files, such as project layer ids,
    are skipped). The project the command reads (``project_path``, or with ``cwd_project`` the
    ``redline.toml`` of the current folder) adds itself and every file it names. See
    :func:`redline.layers.outputs.guard_outputs`.
    """
    import os
    from pathlib import Path

    from redline.layers.outputs import guard_outputs
    from redline.layers.project import PROJECT_FILE, load_project

    if not any(o is not None for o in outputs) and not any(f is not None for f in folders):
        return
    files = []
    for given in (str(i) for i in inputs if i is not None):
        if not os.path.lexists(given) and ":" in given:   # PATH:LAYER
            given = given.rpartition(":")[0]
        if os.path.lexists(given):
            files.append(given)
    toml = Path(project_path) if project_path else (Path.cwd() / PROJECT_FILE if cwd_project else None)
    if toml is not None and toml.is_dir():
        toml = toml / PROJECT_FILE
    if toml is not None and os.path.lexists(toml):
        files.append(toml)
        try:
            files += load_project(toml).input_paths()
        except RedlineError:
            pass    # a broken project is reported by the command itself, with its own message
    guard_outputs(outputs, files, folders=folders)
