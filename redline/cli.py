"""The ``redline`` command: a thin shell over the public API (:mod:`redline`).

Each subcommand lives in its own module under :mod:`redline.commands` and is imported only when it runs, so
``redline --help`` and ``redline --version`` start without loading geopandas, GDAL or PROJ.
"""

from __future__ import annotations

import importlib

import click

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


class LazyGroup(click.Group):
    """A group whose subcommands are imported when invoked; ``--help`` lists them from :data:`COMMANDS`."""

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


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="redline", prog_name="redline")
def main() -> None:
    """redline: planning layers, official areas, site checks, maps and audits.

    Exit codes: 0 success, 1 findings reported, 2 usage error, 3 input error.
    """


if __name__ == "__main__":  # pragma: no cover
    main()
