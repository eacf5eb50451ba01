"""``redline verify OUTPUT``: have the inputs named in an output's provenance changed since?"""

from __future__ import annotations

import click

from redline.commands._common import echo_json, handle_errors, json_option
from redline.layers.errors import EXIT_FINDINGS
from redline.layers.provenance_check import verify_output


@click.command()
@click.argument("output", type=click.Path())
@json_option
@handle_errors
def command(output, as_json):
    """Re-hash the inputs an output names and say whether they changed.

    Example: redline verify demo-out/check/check.json
    """
    result = verify_output(output)
    if as_json:
        echo_json(result)
    else:
        for item in result["inputs"]:
            click.echo(f"{item['status']:<10} {item['path']}")
        click.echo("所有输入未变 inputs unchanged" if result["unchanged"] else "输入已变化 inputs changed")
    if not result["unchanged"]:
        raise SystemExit(EXIT_FINDINGS)
