"""``redline verify OUTPUT``: have the inputs named in an output's provenance changed since?"""

from __future__ import annotations

import click

from redline.commands._common import echo_json, echo_text, handle_errors, json_option
from redline.layers.errors import EXIT_FINDINGS
from redline.layers.provenance_check import verify_output


@click.command()
@click.argument("output")
@json_option
@handle_errors
def command(output, as_json):
    """Re-hash the inputs an output names and say whether they changed.

    OUTPUT is any redline output that carries a provenance block: JSON, the HTML report and web map, XLSX,
    DOCX, and the PNG and PDF print maps and structure diagrams.

    Exit status: 0 every input unchanged; 1 an input changed, is missing, or could not be verified (no hash
    recorded, now a folder, a pipe or a device, unreadable); 3 the output holds no valid provenance block.

    Example: redline verify demo-out/check/check.json
    """
    result = verify_output(output)
    if as_json:
        echo_json(result)
    else:
        for item in result["inputs"]:
            why = f"  ({item['why']})" if item.get("why") else ""
            echo_text(f"{item['status']:<10} {item['path']}{why}")
        counts = {s: sum(i["status"] == s for i in result["inputs"]) for s in ("changed", "missing", "unverified")}
        if result["unchanged"]:
            echo_text("所有输入未变 inputs unchanged")
        else:
            said = [f"{n} {s}" for s, n in counts.items() if n]
            echo_text(("输入已变化 inputs changed" if counts["changed"] or counts["missing"] else
                        "无法核验部分输入 could not verify every input") + f" ({', '.join(said)})")
    if not result["unchanged"]:
        raise SystemExit(EXIT_FINDINGS)
