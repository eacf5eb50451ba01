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

from redline.layers.errors import RedlineError
from redline.reading import as_project

__all__ = ["check_outputs", "check_report", "print_map", "structure_map", "web_map"]


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


def _images(result, maps: bool) -> tuple[dict, list[str]]:
    """The report's maps of the first sites, or none (and why) when no CJK font can draw them."""
    ctx = result.context
    if not maps or ctx is None or not len(result.sites):
        return {}, []
    from redline.maps.report_maps import site_images

    p = ctx.prepared
    head = result.head(20)
    try:
        images = site_images(head.to_dict(), head.sites, p.layers, p.kinds, p.labels, project=ctx.project)
    except RedlineError as exc:
        return {}, [f"report maps not drawn: {exc}"]
    notes = [f"report maps drawn for the first 20 of {len(result.sites)} sites"] if len(result.sites) > 20 else []
    return images, notes


def check_report(result, *, maps: bool = True) -> dict[str, bytes]:
    """The 压覆分析报告 of a check: ``{"压覆分析报告.html": ..., "压覆分析报告.docx": ...}`` (self-contained HTML
    and DOCX, with a location map and a map per overlapped layer for the first sites when ``maps``).

    Parameters
    ----------
    result : redline.CheckResult
        From :func:`redline.check`.
    """
    return {k: v for k, v in check_outputs(result, maps=maps).items() if k.startswith("压覆分析报告")}


def check_outputs(result, *, maps: bool = True, notes: list[str] | None = None) -> dict[str, bytes]:
    """Every output file of a check, built in memory: ``check.json``, ``sites.csv``, ``hits.csv``,
    ``check.xlsx``, ``压覆分析报告.html`` and ``.docx``. ``notes``, when given, receives what the caller
    should tell the user (maps not drawn, or drawn for the first sites only)."""
    from redline.layers.outputs import to_json
    from redline.spatial import report

    js = result.to_dict()
    images, said = _images(result, maps)
    if notes is not None:
        notes += said
    return {
        "check.json": (to_json(js) + "\n").encode("utf-8"),
        "sites.csv": report.to_csv(report.site_rows(js)),
        "hits.csv": report.to_csv(report.hit_rows(js)),
        "check.xlsx": report.to_xlsx(js),
        "压覆分析报告.html": report.report_html(js, images=images).encode("utf-8"),
        "压覆分析报告.docx": report.report_docx(js, images=images),
    }
