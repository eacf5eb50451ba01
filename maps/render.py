"""One call for a set of maps: the web map and print maps of a project, and the demo's map set.

The files of one call are written all together or not at all (a web map is never left without the print maps
asked with it), and each carries the provenance block of the files it was drawn from (the project file, the
layers drawn, the layout), which ``redline verify`` reads back.

Example
-------
>>> from redline.layers.project import load_project             # doctest: +SKIP
>>> render_demo_maps(load_project("demo/redline.toml"), "demo/maps")["web_map"]["web_map"]["path"]  # doctest: +SKIP
'demo/maps/web_map.html'
"""

from __future__ import annotations

import os
from pathlib import Path

from redline.layers.errors import UsageError
from redline.maps.layout import Layout, project_layout


def map_provenance(project, layers: str | list[str] | None = None, layout: Layout | None = None) -> dict:
    """The provenance block of maps of ``project``: its file, each layer drawn (and each a layout element is
    taken from), and the layout file.

    >>> from redline.layers.project import Project
    >>> p = Project.from_dict({"layers": {"rl": {"kind": "red_line", "path": "无.gpkg"}}}, base="/tmp")
    >>> [(r["role"], r["layer"], r["sha256"]) for r in map_provenance(p)["inputs"]]
    [('layer', 'rl', None)]
    """
    from redline.layers.outputs import file_record, provenance
    from redline.maps.sources import select_layer_ids

    ids = select_layer_ids(project, layers)
    if layout is not None:
        ids += [e.layer for e in layout.elements if e.layer in project.layers and e.layer not in ids]
    records = []
    if project.path is not None:
        records.append({**file_record(project.path), "role": "project"})
    for lid in ids:
        spec = project.layers[lid]
        records.append({**file_record(spec.path, vintage=spec.date, source=spec.source), "role": "layer",
                        "layer": lid, "label": spec.label})
    if layout is not None and layout.path:
        records.append({**file_record(layout.path), "role": "layout"})
    return provenance(records)


def render_maps(project, *, html: str | os.PathLike | None = None, png: str | os.PathLike | None = None,
                pdf: str | os.PathLike | None = None, layout: Layout | str | os.PathLike | None = None,
                no_layout: bool = False, basemap: str = "none", tianditu_key: str | None = None,
                title: str | None = None, layers: str | list[str] | None = None, paper: str = "A4",
                orientation: str = "landscape") -> dict:
    """Write a web map (``html``) and print maps (``png`` at 300 dpi, ``pdf``) of the same layers and
    structure, all together or none. Returns ``{"web_map": {...}, "print_maps": [...], "notes": [...],
    "provenance": {...}, ...}``."""
    from redline.layers.outputs import write_paths
    from redline.maps.printmap import print_map, print_map_bytes, print_map_info
    from redline.maps.webmap import web_map, web_map_bytes

    for p, ext in ((png, ".png"), (pdf, ".pdf"), (html, ".html")):
        if p is not None and not str(p).lower().endswith(ext if ext != ".html" else (".html", ".htm")):
            raise UsageError(f"{p}: expected a {ext} file")
    lay = project_layout(project, layout, no_layout=no_layout)
    prov = map_provenance(project, layers, lay or None)
    lay = False if lay is None else lay  # resolved here: the map functions must not fall back to [map] layout
    result: dict = {"print_maps": [], "notes": [], "warnings": []}
    files: dict = {}
    if html is not None:
        m = web_map(project, layout=lay, basemap=basemap, title=title, tianditu_key=tianditu_key, layers=layers)
        data, ext = web_map_bytes(m, prov)
        files[html] = data
        result["web_map"] = {"path": str(html), "bytes": len(data), "external_resources": ext,
                             "megabytes": round(len(data) / 1e6, 2)}
        result.update({k: v for k, v in m.redline_info.items() if k not in ("notes", "warnings")})
        result["notes"] = list(m.redline_info["notes"])
        result["warnings"] = list(m.redline_info["warnings"])
    if png is not None or pdf is not None:
        fig = print_map(project, layout=lay, paper=paper, orientation=orientation, title=title, layers=layers)
        result["warnings"] += [w for w in fig.redline_print["warnings"] if w not in result["warnings"]]
        for path, fmt in ((png, "png"), (pdf, "pdf")):
            if path is not None:
                files[path] = print_map_bytes(fig, fmt, provenance=prov)
                result["print_maps"].append(print_map_info(fig, path, files[path]))
    write_paths(files)
    result["provenance"] = prov
    return result


def render_demo_maps(project, out_dir: str | os.PathLike) -> dict:
    """The demo's map set in ``out_dir``:

    * ``web_map.html``: every layer, with the structure diagram as a layer group of its own;
    * ``structure_diagram.png`` / ``.pdf``: the structure diagram over the base layers (boundaries,
      rivers, roads, towns), A4 landscape;
    * ``print_map_A3.pdf`` and ``print_map_A4.png``: the appendix map of every control layer, titled by
      ``[map] title``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res = {"web_map": render_maps(project, html=out / "web_map.html")}
    if (project.map or {}).get("layout"):
        res["structure_diagram"] = render_maps(project, png=out / "structure_diagram.png",
                                               pdf=out / "structure_diagram.pdf", layers="base")
    res["print_map_A3"] = render_maps(project, pdf=out / "print_map_A3.pdf", no_layout=True, paper="A3")
    res["print_map_A4"] = render_maps(project, png=out / "print_map_A4.png", no_layout=True)
    return res
