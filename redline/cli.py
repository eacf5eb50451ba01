"""The ``redline`` command: a thin shell over the library functions in layers, spatial and maps."""

from __future__ import annotations

import contextlib
import errno
import importlib
import signal
import sys
import threading
import warnings

import click

from redline import __version__
from redline.layers.errors import EXIT_INPUT, EXIT_USAGE, RedlineError

# (module under redline.commands, command name); each module defines ``command``.
COMMANDS = [
    ("inspect", "inspect"),
    ("convert", "convert"),
    ("demo", "demo"),
    ("area", "area"),
    ("raster_share", "raster-share"),
    ("audit", "audit"),
    ("audit_text", "audit-text"),
    ("check", "check"),
    ("map", "map"),
    ("verify", "verify"),
]


class RedlineGroup(click.Group):
    """The ``redline`` group: every fault ends the same way, one line on stderr and a documented exit code.

    click's own usage errors (a missing argument, an unknown option, a value of the wrong type) would print
    a multi-line usage block; here they are one ``redline: error: …`` line, exit 2, like every usage error of
    redline. Expected faults (:class:`redline.layers.errors.RedlineError`) and system errors of files
    (``OSError``: a permission, a full disk) that reach this far are one line with exit 2 or 3; Ctrl-C and
    SIGTERM exit 130 and 143 after the outputs under way are removed. Warnings of redline and of the libraries
    it uses are one ``redline: warning: …`` line each; numerical RuntimeWarnings of the libraries are silenced
    (each case they flag is handled or reported by redline itself).
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        code = 0
        with _cli_warnings(), _terminate_cleanly():
            try:
                rv = super().main(args, prog_name or "redline", complete_var, standalone_mode=False, **extra)
                code = rv if isinstance(rv, int) else 0
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
        sys.exit(code)


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
@click.version_option(__version__, prog_name="redline")
def main() -> None:
    """redline: planning layers, official areas, site checks, maps and audits.

    Exit codes: 0 success, 1 findings reported, 2 usage error, 3 input error.
    """


for module_name, name in COMMANDS:
    try:
        module = importlib.import_module(f"redline.commands.{module_name}")
    except ModuleNotFoundError as exc:  # a command not written yet
        if exc.name != f"redline.commands.{module_name}":
            raise
        continue
    main.add_command(module.command, name=name)


if __name__ == "__main__":  # pragma: no cover
    main()
