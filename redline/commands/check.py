"""``redline check``: check project sites against the control layers (压覆分析) and write the report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from redline.commands._common import (
    echo_json,
    echo_text,
    gcj02_option,
    guard,
    handle_errors,
    json_option,
    progress_enabled,
    project_option,
    quiet_option,
    scheduler_option,
    warn,
)
from redline.layers.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from redline.maps.report.text import display_text


def _list_types(ctx, _param, value) -> None:
    if not value or ctx.resilient_parsing:
        return
    from redline.spatial.rules import project_types

    for t in project_types().values():
        click.echo(f"{t.id:<26}{t.label}　{t.description}")
    ctx.exit(0)


@click.command(short_help="Check project sites against the control layers (压覆分析) and report.")
@click.argument("sites", metavar="SITES")
@project_option
@click.option("--layer", "layer_args", multiple=True, metavar="KIND=PATH",
              help="A control layer for a quick check without a project (repeatable), e.g. "
                   "--layer red_line=红线.shp or --layer basic_farmland=示范县.gpkg:永久基本农田 (PATH:LAYER "
                   "names a layer inside a file); attributes are mapped with the kind's default field names.")
@click.option("--type", "project_type", metavar="TYPE",
              help="Project type of every site: identifier or Chinese label (e.g. linear_infrastructure or "
                   "线性基础设施). Default: each site's own type attribute (XMLX/项目类型/地块用途). "
                   "See --list-types.")
@click.option("--list-types", is_flag=True, expose_value=False, is_eager=True, callback=_list_types,
              help="List the project types (identifier, Chinese label, what they cover) and exit.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, readable=False),
              help="Folder for check.json, sites.csv, hits.csv, check.xlsx and the 压覆分析报告 (HTML, DOCX); "
                   "other files in it are left alone.")
@click.option("--max-distance", default=5000.0, show_default=True, type=float,
              help="Search distance (m) for the nearest feature of a layer the site does not touch.")
@click.option("--towgs84", metavar="DX,DY,DZ[,RX,RY,RZ,DS]",
              help="Transformation parameters from Xi'an 1980 / Beijing 1954 to CGCS2000 (PROJ +towgs84); "
                   "without them such data is refused, never converted silently.")
@click.option("--crs", "sites_crs", help="CRS of the sites when their file has none (e.g. EPSG:4525).")
@click.option("--repair", is_flag=True, help="Repair invalid site geometries (make_valid); the change is reported.")
@gcj02_option
@click.option("--no-maps", is_flag=True, help="Write the report without its maps (faster).")
@click.option("--outputs", "outputs", default="json,csv,xlsx,report", show_default=True, metavar="LIST",
              help="What --out writes: json (check.json), csv (sites.csv, hits.csv), xlsx (check.xlsx), report "
                   "(压覆分析报告.html, .docx); comma-separated. Without json, xlsx and report the nearest "
                   "features (which the CSV files do not show) are not searched.")
@click.option("--report-sites", type=click.IntRange(min=0), default=None, metavar="N",
              help="Full report sections for at most N sites, those not 符合 first (default 50); the report "
                   "summarises the rest, which are all in sites.csv, hits.csv and check.xlsx.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default=None,
              help="local (default): this process. dask: the sites in spatial partitions on a dask cluster "
                   "(a local one, one worker per core, unless --scheduler); same results. Needs "
                   'pip install "redline[dask]".')
@scheduler_option
@click.option("--workers", type=int, metavar="N",
              help="Workers of the local dask cluster, or processes checking the chunks of --stream (default: one "
                   "per core).")
@click.option("--partitions", type=int, metavar="N",
              help="Spatial partitions of the sites on the dask engine (default: 4 per worker; a folder of "
                   "GeoParquet files: one per file).")
@click.option("--stream", is_flag=True,
              help="Read, check and write the sites chunk by chunk in bounded memory (millions of point sites; "
                   "one GeoParquet, CSV or vector file; needs --out). Writes sites.csv, hits.csv and a "
                   "check.json without the per-site list; no XLSX or report.")
@click.option("--chunk-size", type=int, metavar="N",
              help="Sites per chunk with --stream (default 50000; memory grows with it and --workers).")
@json_option
@quiet_option
@handle_errors
def command(sites, project_path, layer_args, project_type, out_dir, max_distance, towgs84, sites_crs, repair,
            gcj02, no_maps, outputs, report_sites, engine, scheduler, workers, partitions, stream, chunk_size, as_json,
            quiet):
    """Check every site of SITES against every control layer: overlapped area and share, length, containing
    zone, overlapped features, nearest feature, the rule clauses that apply, and a verdict
    符合 / 不符合 / 需论证 / 无法判定.

    SITES is a 国土TXT file (each parcel a site), any vector layer (polygons, lines, points; KMZ; a DXF drawing
    with --crs), a CSV of points (longitude, latitude, name), PATH:LAYER for a layer inside a file, or a folder
    or zip of such files (a zip is read like a folder).

    Engines: local (default); --engine dask (or --scheduler) for long checks on many cores or machines,
    same results; --stream for millions of point sites in bounded memory (writes CSV files).

    Exit status: 0 every site conforms (符合); 1 some site is 不符合, 需论证 or 无法判定; 2 usage error;
    3 input error.

    \b
    Examples:
      redline check sites/项目选址.gpkg --project redline.toml --out 压覆分析
      redline check 01_住宅小区.txt --type housing --json
      redline check site.shp --layer red_line=生态保护红线.shp --layer basic_farmland=永久基本农田.gpkg
      redline check 地块.gpkg --engine dask --out 压覆分析             # local dask cluster
      redline check 地块.parquet --scheduler tcp://10.0.0.5:8786 --json
      redline check 1000万点.parquet --stream --chunk-size 200000 --out 结果
    """
    import redline

    if out_dir and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    layers = list(layer_args)
    if layers and project_path:
        raise UsageError("give either --project or --layer, not both")
    engine = _engine(engine, scheduler, workers, partitions, stream, chunk_size, out_dir, repair)
    wanted = _outputs(outputs)
    if out_dir:
        from redline.checking import OUTPUT_FILES

        names = ("sites.csv", "hits.csv", "check.json") if stream else OUTPUT_FILES
        guard([Path(out_dir) / n for n in names], [sites, *(a.partition("=")[2] for a in layers)],
              project_path=project_path, cwd_project=not layers, folders=[out_dir])
    against = layers or redline.Project.load(project_path) if project_path else layers or None
    if stream:
        _stream(sites, against, project_type, out_dir, max_distance, towgs84, sites_crs, chunk_size, as_json,
                quiet, gcj02, workers)

    def show(k: int, n: int | None, what: str) -> None:
        click.echo(f"\r{what} {k}/{n}\033[K", err=True, nl=k == n)

    result = redline.check(sites, against, project_type=project_type, max_distance=max_distance, engine=engine,
                           scheduler=scheduler, workers=workers, partitions=partitions, repair=repair,
                           crs=sites_crs, towgs84=towgs84, gcj02=gcj02,
                           progress=show if progress_enabled(quiet) else None,
                           nearest=as_json or bool(out_dir and {"json", "xlsx", "report"} & set(wanted)))
    for w in result.warnings:
        warn(w, quiet)
    written: list[Path] = []
    if out_dir:
        notes: list[str] = []
        written = result.to_files(out_dir, maps=not no_maps, report_sites=report_sites, notes=notes,
                                  outputs=wanted)
        for note in notes:
            warn(note, quiet)
        if not as_json:
            echo_text(f"wrote {len(written)} files to {Path(out_dir).resolve()}: "
                       f"{', '.join(p.name for p in written)}")
    if as_json:
        echo_json(result.to_dict())
    else:
        _print_sites(result, out_dir, [p.name for p in written if p.suffix in (".csv", ".xlsx")])
        counts = result.summary["verdicts"]
        echo_text("合计：" + "，".join(f"{k} {v}" for k, v in counts.items() if v))
        unchecked = result.analysis.get("unchecked_core_layers")
        if unchecked:
            echo_text(f"未核查的核心管控图层：{'、'.join(unchecked)}（检查未提供这些图层，结论不涉及它们）")
    sys.exit(EXIT_OK if result.conforming else EXIT_FINDINGS)


TERMINAL_SITES = 50   # sites listed on the terminal; more are in the output files


def _print_sites(result, out_dir, tables: list[str]) -> None:
    """Each site's verdict and its prohibiting, needs-review and no-data findings; beyond
    :data:`TERMINAL_SITES` sites, those that are not 符合 first, and where the rest are."""
    sites = result.sites
    shown = sites.index if len(sites) <= TERMINAL_SITES else \
        sites.index[(sites["verdict"] != "符合").to_numpy()][:TERMINAL_SITES]
    from redline.spatial.check import select_sites

    for s in select_sites(result, shown.to_numpy()).site_dicts():
        echo_text(f"{display_text(s['site_id'], 60)}  {display_text(s['name'] or '', 60)}  "
                  f"[{s.get('project_type_label')}]  {s.get('verdict_text') or s['verdict']}")
        for f in s["findings"]:
            if f["level"] in ("prohibited", "needs_review", "no_data"):
                echo_text(f"    - {f['message']}")
    if len(shown) < len(sites):
        where = f"见 {out_dir} 中的 {'、'.join(tables)}" if out_dir and tables else \
            f"见 {out_dir} 中的输出文件" if out_dir else "用 --out 写出全部结果"
        click.echo(f"……共 {len(sites)} 个项目，以上列出前 {len(shown)} 个不符合或需论证、无法判定的项目；{where}")


def _outputs(text: str) -> tuple[str, ...]:
    """``--outputs json,csv`` → ``("json", "csv")``; UsageError for an unknown name."""
    from redline.checking import OUTPUTS

    wanted = tuple(dict.fromkeys(w.strip().lower() for w in text.split(",") if w.strip()))
    unknown = [w for w in wanted if w not in OUTPUTS]
    if unknown or not wanted:
        raise UsageError(f"--outputs {text!r}: choose from {', '.join(OUTPUTS)} (comma-separated)")
    return wanted


def _engine(engine, scheduler, workers, partitions, stream, chunk_size, out_dir, repair) -> str:
    """The engine to run on; UsageError for options that do not go together."""
    if scheduler and engine == "local":
        raise UsageError("--scheduler runs on the dask engine: drop --engine local")
    engine = "dask" if scheduler else (engine or "local")
    if engine == "local" and (partitions is not None or (workers is not None and not stream)):
        raise UsageError(f"{'--workers' if partitions is None else '--partitions'} is for the dask engine"
                         f"{' or --stream' if partitions is None else ''}: add --engine dask")
    if scheduler and workers is not None:
        raise UsageError("--workers sizes the local dask cluster; a cluster at --scheduler has its own workers")
    for name, value in (("--workers", workers), ("--partitions", partitions), ("--chunk-size", chunk_size)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be at least 1, not {value}")
    if chunk_size is not None and not stream:
        raise UsageError("--chunk-size is for --stream")
    if stream:
        if engine == "dask":
            raise UsageError("--stream runs on the local engine, in bounded memory; drop --engine dask/--scheduler")
        if not out_dir:
            raise UsageError("--stream writes its results to files: give --out DIR")
        if repair:
            raise UsageError("--repair is not available with --stream: repair the site file first "
                             "(redline convert --repair), or check without --stream")
    return engine


def _stream(sites, against, project_type, out_dir, max_distance, towgs84, sites_crs, chunk_size, as_json, quiet,
            gcj02=False, workers=None):
    """``--stream``: check chunk by chunk, write sites.csv, hits.csv and check.json, exit."""
    import redline
    from redline.checking import DEFAULT_CHUNK

    def show(done: int, total: int | None, seconds: float) -> None:
        rate = done / seconds if seconds > 0 else 0.0
        of = f"/{total:,}" if total else ""
        click.echo(f"\r已检查 checked {done:,}{of} sites ({rate:,.0f}/s)\033[K", err=True,
                   nl=total is not None and done >= total)

    js = redline.check_stream(sites, against, out_dir, chunk_size=chunk_size or DEFAULT_CHUNK,
                              project_type=project_type, max_distance=max_distance, crs=sites_crs, towgs84=towgs84,
                              gcj02=gcj02, workers=workers, progress=show if progress_enabled(quiet) else None)
    for w in js["warnings"]:
        warn(w, quiet)
    counts = js["summary"]["verdicts"]
    if as_json:
        echo_json(js)
    else:
        echo_text(f"wrote sites.csv, hits.csv, check.json to {Path(out_dir).resolve()}")
        echo_text("合计：" + "，".join(f"{k} {v}" for k, v in counts.items() if v))
        unchecked = (js.get("analysis") or {}).get("unchecked_core_layers")
        if unchecked:
            echo_text(f"未核查的核心管控图层：{'、'.join(unchecked)}（检查未提供这些图层，结论不涉及它们）")
    sys.exit(EXIT_OK if counts.get("符合", 0) == js["summary"]["sites"] else EXIT_FINDINGS)
