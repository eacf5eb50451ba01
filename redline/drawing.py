"""Maps and reports from Python: the offline web map, print maps, the structure diagram, and the check report.

Example
-------
>>> import redline, tempfile, os
>>> demo = os.path.join(tempfile.mkdtemp(), "demo")
>>> _ = redline.demo(demo)
>>> m = redline.web_map(os.path.join(demo, "redline.toml"))
>>> m.redline_info["title"]
'示范县生态空间结构图'
"""

from __future__ import annotations

import contextlib

from redline.reading import as_project

__all__ = ["check_outputs", "check_report", "print_map", "structure_map", "web_map", "write_check_outputs"]


def web_map(project, *, layout=None, basemap: str = "none", title: str | None = None,
            tianditu_key: str | None = None, layers: str | list[str] | None = None):
    """An offline web map of a project's layers (and its structure diagram, when it has one).

    Parameters
    ----------
    project : Project or path
        The project (or its ``redline.toml``).
    layout : path, Layout or False, optional
        The structure-diagram layout; default the project's ``[map] layout``; ``False`` for none.
    basemap : {"none", "tianditu", "amap"}
        ``none``: nothing is loaded from any host. ``tianditu`` needs ``tianditu_key`` (embedded in the file).
        ``amap``: GCJ-02 tiles; the overlay is shifted for display only, and the map says so.
    layers : str or list, optional
        Layer ids or kinds to draw (``"base"``: boundaries, rivers, roads, towns); default every layer.

    Returns
    -------
    offlinefolium.Map
        Save it with ``m.save("map.html")`` (one self-contained file); it shows itself in Jupyter.
        ``m.redline_info`` says what was drawn and the notes.
    """
    from redline.maps.webmap import web_map as draw

    return draw(as_project(project), layout=layout, basemap=basemap, title=title, tianditu_key=tianditu_key,
                layers=layers)


def print_map(project, *, layout=None, paper: str = "A4", orientation: str = "landscape",
              title: str | None = None, layers: str | list[str] | None = None):
    """A print-ready appendix map (规划附图): title, legend, north arrow, scale bar and numeric scale, neat line,
    producer, date and CRS note, with CJK fonts embedded.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with ``fig.savefig("map.pdf")`` or ``redline.maps.printmap.save_print_map(fig, path)``.

    Example
    -------
    >>> import redline, tempfile, os
    >>> demo = os.path.join(tempfile.mkdtemp(), "demo")
    >>> _ = redline.demo(demo)
    >>> redline.print_map(demo, paper="A4").redline_print["paper"]
    'A4'
    """
    from redline.maps.printmap import print_map as draw

    return draw(as_project(project), layout=layout, paper=paper, orientation=orientation, title=title,
                layers=layers)


def structure_map(project, layout=None, *, basemap: str = "none", title: str | None = None):
    """The plan's structure diagram (规划结构图, e.g. “一带两片、一区三轴”) over the base layers (boundaries,
    rivers, roads, towns), as an offline web map.

    Parameters
    ----------
    project : Project or path
    layout : path or Layout, optional
        The structure layout (TOML or YAML); default the project's ``[map] layout``.

    Raises
    ------
    redline.layers.errors.UsageError
        Neither ``layout`` nor a ``[map] layout`` in the project.
    """
    from redline.layers.errors import UsageError
    from redline.maps.layout import project_layout

    p = as_project(project)
    lay = project_layout(p, layout)
    if lay is None:
        raise UsageError("no structure layout: give one, or set [map] layout in the project")
    return web_map(p, layout=lay, basemap=basemap, title=title, layers="base")


def check_report(result, *, maps: bool = True, report_sites: int | None = None,
                 notes: list[str] | None = None) -> dict[str, bytes]:
    """The 压覆分析报告 of a check: ``{"压覆分析报告.html": ..., "压覆分析报告.docx": ...}`` (self-contained HTML
    and DOCX, with a location map and a map per overlapped layer for the first sites when ``maps``).

    Parameters
    ----------
    result : redline.CheckResult
        From :func:`redline.check`.
    maps : bool
        Draw the maps (needs a CJK font; without one the report says so and has none).
    report_sites : int, optional
        Full sections for at most this many sites, those not 符合 first (default 50); the report
        summarises the rest and points to the tables.
    notes : list, optional
        Receives what the user should be told (maps not drawn, drawn for the first sites only).

    Example
    -------
    >>> import redline, geopandas as gpd, shapely
    >>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
    >>> site = gpd.GeoDataFrame(geometry=[shapely.Point(37_500_500, 4_200_500)], crs=4525)
    >>> report = redline.check_report(redline.check(site, {"red_line": rl}, project_type="mining"), maps=False)
    >>> sorted(report), "不符合" in report["压覆分析报告.html"].decode()
    (['压覆分析报告.docx', '压覆分析报告.html'], True)
    """
    return check_outputs(result, maps=maps, report_sites=report_sites, notes=notes, outputs=("report",))


def check_outputs(result, *, maps: bool = True, report_sites: int | None = None, notes: list[str] | None = None,
                  outputs=("json", "csv", "xlsx", "report")) -> dict[str, bytes]:
    """Output files of a check, built in memory: ``check.json`` (``json``), ``sites.csv`` and ``hits.csv``
    (``csv``), ``check.xlsx`` (``xlsx``), ``压覆分析报告.html`` and ``.docx`` (``report``, see
    :func:`check_report`); ``outputs`` chooses (default all)."""
    from redline.maps.report.check import check_outputs as build

    with _report_notes(notes):
        return build(result, maps=maps, outputs=outputs, report_sites=_report_sites(report_sites))


def write_check_outputs(result, folder, *, maps: bool = True, report_sites: int | None = None,
                        notes: list[str] | None = None, outputs=("json", "csv", "xlsx", "report")) -> list:
    """:func:`check_outputs` written into ``folder`` all together or not at all, each file as it is made
    (the CSV files block by block, never held whole); other files there are left alone. Returns the paths.

    Example
    -------
    >>> import redline, geopandas as gpd, shapely, tempfile
    >>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
    >>> site = gpd.GeoDataFrame(geometry=[shapely.Point(37_500_500, 4_200_500)], crs=4525)
    >>> result = redline.check(site, {"red_line": rl}, project_type="mining")
    >>> [p.name for p in write_check_outputs(result, tempfile.mkdtemp(), outputs=("csv",))]
    ['sites.csv', 'hits.csv']
    """
    from redline.layers.outputs import write_parts
    from redline.maps.report.check import output_names, output_parts

    with _report_notes(notes):
        return write_parts(folder, output_names(outputs),
                           output_parts(result, maps=maps, outputs=outputs, report_sites=_report_sites(report_sites),
                                        files=True))


def _report_sites(report_sites: int | None) -> int:
    from redline.maps.report.check_content import DEFAULT_REPORT_SITES

    return DEFAULT_REPORT_SITES if report_sites is None else report_sites


@contextlib.contextmanager
def _report_notes(notes: list[str] | None):
    """What the report's makers warn of (maps not drawn, drawn for the first sites only), into ``notes``."""
    import warnings

    from redline.maps.report.check import ReportWarning

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", ReportWarning)
        yield
    for w in said:
        if issubclass(w.category, ReportWarning) and notes is not None:
            notes.append(str(w.message))
