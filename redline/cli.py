"""The ``redline`` command: a thin shell over the library functions in layers, spatial and maps."""

from __future__ import annotations

import importlib

import click

from redline import __version__

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
    ("serve", "serve"),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
