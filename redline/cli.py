"""The ``redline`` command: a thin shell over the public API (:mod:`redline`).

Each subcommand lives in its own module under :mod:`redline.commands` and is imported only when it runs, so
``redline --help`` and ``redline --version`` start without loading geopandas, GDAL or PROJ.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import importlib
import os
import signal
import sys
import threading
import warnings
from typing import NoReturn

import click

from redline.layers.errors import EXIT_INPUT, EXIT_USAGE, RedlineError

# command name → (module under redline.commands, one-line help shown by ``redline --help``)
COMMANDS = {
    "inspect": ("inspect", "Describe a layer or a 国土TXT file: format, encoding, CRS, validity, areas."),
    "convert": ("convert", "Convert between formats (国土TXT, Shapefile, GeoPackage, GeoJSON, KML, ...)."),
    "demo": ("demo", "Write the fictional demo region 示范县 (layers, sites, plan text, redline.toml)."),
    "area": ("area", "Area of a layer (overlaps counted once), its share of a boundary, and a breakdown."),
    "raster-share": ("raster_share", "Share of each raster class (e.g. land cover) inside each zone."),
    "audit": ("audit", "Audit a project's layers: declared areas, stated figures, the three control lines."),
    "audit-text": ("audit_text", "Audit the area, share and length figures stated in a plan text."),
    "check": ("check", "Check project sites against the control layers (压覆分析) and report."),
    "map": ("map", "Offline web map, structure diagram and print maps (PNG/PDF)."),
    "verify": ("verify", "Check that the inputs named in an output's provenance are unchanged."),
    "serve": ("serve", "The offline web app for people who never open a terminal (loopback by default)."),
}


class RedlineGroup(click.Group):
    """The ``redline`` group: subcommands imported when invoked (``--help`` lists them from :data:`COMMANDS`),
    and every fault ends the same way, one line on stderr and a documented exit code.

    click's own usage errors (a missing argument, an unknown option, a value of the wrong type) would print
    a multi-line usage block; here they are one ``redline: error: …`` line, exit 2, like every usage error of
    redline. Expected faults (:class:`redline.layers.errors.RedlineError`) and system errors of files
    (``OSError``: a permission, a full disk) that reach this far are one line with exit 2 or 3; Ctrl-C and
    SIGTERM exit 130 and 143 after the outputs under way are removed. Warnings of redline and of the libraries
    it uses are one ``redline: warning: …`` line each; numerical RuntimeWarnings of the libraries are silenced
    (each case they flag is handled or reported by redline itself).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"redline.commands.{COMMANDS[name][0]}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in COMMANDS.items()])

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        code = 0
        with _cli_warnings(), _terminate_cleanly():
            try:
                rv = super().main(args, prog_name or "redline", complete_var, standalone_mode=False, **extra)
                code = rv if isinstance(rv, int) else 0
            except SystemExit as exc:
                if args is not None:           # called with its arguments (as in tests): exit as usual
                    raise
                exit_now(exc.code)             # the console command: its results left unfreed at the end
            except click.exceptions.ClickException as exc:
                click.echo(f"redline: error: {_click_message(exc)}", err=True)
                code = EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
            except click.exceptions.Abort:
                click.echo("redline: interrupted", err=True)
                code = 130
            except RedlineError as exc:
                click.echo(f"redline: error: {one_line(str(exc))}", err=True)
                code = exc.exit_code
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # `redline … | head`: the reader went away
                    raise
                where = f"{exc.filename}: " if exc.filename else ""
                click.echo(f"redline: error: {where}{one_line(exc.strerror or str(exc))}", err=True)
                code = EXIT_INPUT
        if args is None:
            exit_now(code)
        sys.exit(code)


def exit_now(code) -> NoReturn:
    """End the process with the status of ``sys.exit(code)``, after the exit handlers (``atexit``) and with the
    output flushed, but without freeing its objects one by one: the operating system takes the memory back at
    once. A command's result can hold tens of millions of objects (a check of a million points), which the
    interpreter would otherwise free one at a time, for about a second, after the work is done."""
    if code is None or isinstance(code, int):
        status = code or 0
    else:                                   # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):   # a closed pipe or stream
                stream.flush()
        os._exit(status)


def one_line(text: str) -> str:
    """Text on one line for a terminal: control and bidirectional-override characters dropped, runs of
    whitespace (line breaks included) as one space, at most 2,000 columns."""
    from redline.maps.report.text import display_text

    return display_text(text, 2000)


def _click_message(exc: click.exceptions.ClickException) -> str:
    message = one_line(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        command = ctx.command_path.partition(" ")[2]
        return f"{command + ': ' if command else ''}{message} (see '{' '.join(['redline', command]).strip()} --help')"
    return message


@contextlib.contextmanager
def _cli_warnings():
    """Warnings as one ``redline: warning:`` line each (once per message); RuntimeWarnings of the numerical
    libraries silenced."""
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = one_line(str(message))
        if text not in shown:
            shown.add(text)
            click.echo(f"redline: warning: {text}", err=True)

    hook = sys.unraisablehook
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        for category in (RuntimeWarning, DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        warnings.showwarning = show
        # an exception a library raises while its objects are collected after a failed write (openpyxl's
        # sheet writers on a full disk) is already reported by the error it caused
        sys.unraisablehook = lambda unraisable: None
        try:
            yield
        finally:
            sys.unraisablehook = hook


@contextlib.contextmanager
def _terminate_cleanly():
    """SIGTERM (a killed job, a closed session) unwinds like Ctrl-C, so that outputs under way are removed."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def stop(signum, frame):
        click.echo("redline: terminated", err=True)
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):  # pragma: no cover
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.group(cls=RedlineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="redline", prog_name="redline")
def main() -> None:
    """redline: planning layers, official areas, site checks, maps and audits.

    Exit codes: 0 success, 1 findings reported, 2 usage error, 3 input error.
    """


if __name__ == "__main__":  # pragma: no cover
    main()
