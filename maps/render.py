"""One call for a set of maps: the web map and print maps of a project, and the demo's map set.

Example
-------
>>> from redline.layers.project import load_project             # doctest: +SKIP
>>> render_demo_maps(load_project("demo/redline.toml"), "demo/maps")["web_map"]["path"]  # doctest: +SKIP
'demo/maps/web_map.html'
"""

from __future__ import annotations

import os
from pathlib import Path

from redline.layers.errors import UsageError
from redline.maps.layout import Layout, project_layout


def render_maps(project, *, html: str | os.PathLike | None = None, png: str | os.PathLike | None = None,
                pdf: str | os.PathLike | None = None, layout: Layout | str | os.PathLike | None = None,
                no_layout: bool = False, basemap: str = "none", tianditu_key: str | None = None,
                title: str | None = None, layers: str | list[str] | None = None, paper: str = "A4",
                orientation: str = "landscape") -> dict:
    """Write a web map (``html``) and print maps (``png`` at 300 dpi, ``pdf``) of the same layers and
    structure. Returns ``{"web_map": {...}, "print_maps": [...], "notes": [...], ...}``."""
    from redline.maps.printmap import print_map, save_print_map
    from redline.maps.webmap import save_web_map, web_map

    for p, ext in ((png, ".png"), (pdf, ".pdf"), (html, ".html")):
        if p is not None and not str(p).lower().endswith(ext if ext != ".html" else (".html", ".htm")):
            raise UsageError(f"{p}: expected a {ext} file")
    lay = project_layout(project, layout, no_layout=no_layout)
    lay = False if lay is None else lay  # resolved here: the map functions must not fall back to [map] layout
    result: dict = {"print_maps": [], "notes": [], "warnings": []}
    if html is not None:
        m = web_map(project, layout=lay, basemap=basemap, title=title, tianditu_key=tianditu_key, layers=layers)
        info = save_web_map(m, html)
        result["web_map"] = {**info, "megabytes": round(info["bytes"] / 1e6, 2)}
        result.update({k: v for k, v in m.redline_info.items() if k not in ("notes", "warnings")})
        result["notes"] = list(m.redline_info["notes"])
        result["warnings"] = list(m.redline_info["warnings"])
    if png is not None or pdf is not None:
        fig = print_map(project, layout=lay, paper=paper, orientation=orientation, title=title, layers=layers)
        result["warnings"] += [w for w in fig.redline_print["warnings"] if w not in result["warnings"]]
        for path in (png, pdf):
            if path is not None:
                result["print_maps"].append(save_print_map(fig, path))
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
