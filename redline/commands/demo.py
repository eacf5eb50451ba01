"""``redline demo``: write the fictional demo region 示范县 (layers, sites, project file)."""

from __future__ import annotations

from pathlib import Path

import click

from redline.commands._common import echo_json, handle_errors, json_option


@click.command()
@click.option("--out", "out_dir", default="demo", show_default=True, type=click.Path(file_okay=False, readable=False),
              help="Folder to write into; other files in it are left alone.")
@click.option("--seed", default=2026, show_default=True, type=int,
              help="Random seed: the same seed gives the same data.")
@json_option
@handle_errors
def command(out_dir: str, seed: int, as_json: bool) -> None:
    """Generate the fictional demo county 示范县（虚构）: layers, project sites and redline.toml.

    Everything is in CGCS2000 3-degree Gauss-Krüger zone 37 (EPSG:4525) and is clearly marked fictional.

    \b
    Example:
      redline demo --out demo
      redline check demo/sites/01_示范县幸福里住宅小区.txt --project demo/redline.toml
    """
    from redline.layers.demo import write_demo

    result = write_demo(out_dir, seed=seed)
    out = Path(out_dir)
    facts = result.facts
    if as_json:
        echo_json({"out": str(out.resolve()), "project": str(result.project.resolve()), "seed": seed,
                   "files": result.files, "fictional": True,
                   "sites": [{k: s[k] for k in ("id", "file", "type", "verdict")} for s in facts["sites"]]})
        return
    click.echo(f"示范县（虚构）demo region, seed {seed}, written to {out.resolve()}:")
    for rel in result.files:
        size = (out / rel).stat().st_size
        click.echo(f"  {size:>12,d}  {rel}")
    click.echo(f"county about {facts['county_area_km2']:.0f} km² (planar), red line about "
               f"{100 * facts['red_share']:.1f} % of it; {len(facts['sites'])} project sites in {out / 'sites'}")
    click.echo(f"project file: {result.project}  (all data is fictional / 虚构)")
