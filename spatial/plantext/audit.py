"""Auditing a plan file: read, extract, check; and the computed figures of a project to check against.
"""

from __future__ import annotations

from pathlib import Path

from redline.layers.errors import InputError
from redline.layers.info import layer_info
from redline.spatial.plantext.checks import DEFAULT_REL_TOL, INCONSISTENT_KINDS, check_claims
from redline.spatial.plantext.decoding import read_plan_text
from redline.spatial.plantext.extraction import extract_claims
from redline.spatial.plantext.vocabulary import vocabulary


def audit_text(path: str | Path, *, boundary_m2: float | None = None, computed: dict | None = None,
               rel_tol: float = DEFAULT_REL_TOL, encoding: str | None = None) -> dict:
    """Extract the figures of a plan text and check them.

    Parameters
    ----------
    path : path
        The plan as plain text (UTF-8, UTF-16 or GB18030/GBK).
    boundary_m2 : float, optional
        The region's area from its boundary (m²).
    computed : dict, optional
        Computed areas (m²) by subject id, label or layer kind.
    encoding : str, optional
        The text's encoding, when the user gives it (default: detected).

    Returns
    -------
    dict
        ``{"path", "encoding", "lines", "claims": [...], "findings": [...], "summary"}``; each claim has
        ``line, text, subject, value, unit, value_m2, share_pct`` and more; each finding
        ``kind, lines, message``.

    Raises
    ------
    InputError
        The file is missing, binary or holds no text.
    """
    text, encoding = read_plan_text(path, encoding)
    claims = extract_claims(text)
    findings = check_claims(claims, boundary_m2=boundary_m2, computed=computed, rel_tol=rel_tol)
    if not claims:
        findings.append({"kind": "no_figures", "lines": [],
                         "message": "文中没有找到关于国土空间的面积、占比或长度数字"})
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
    return {
        "path": str(path),
        "encoding": encoding,
        "lines": len(text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")),
        "claims": [c.to_dict() for c in claims],
        "findings": findings,
        "summary": {"claims": len(claims), "findings": counts,
                    "inconsistent": any(f["kind"] in INCONSISTENT_KINDS for f in findings),
                    "boundary_m2": boundary_m2},
    }


def layer_area_m2(gdf, clip=None) -> float:
    """Ellipsoidal area (m²) of a layer's polygons dissolved (overlaps counted once), optionally clipped
    to the dissolved polygons of ``clip`` (another GeoDataFrame)."""
    import shapely

    from redline.spatial.areas import ellipsoidal_area

    if gdf.crs is None:
        raise InputError("the layer has no CRS", path=layer_info(gdf).path)
    geom = shapely.union_all(gdf.geometry.values)
    if clip is not None:
        other = clip.to_crs(gdf.crs) if clip.crs != gdf.crs else clip
        geom = shapely.intersection(geom, shapely.union_all(other.geometry.values))
    return float(ellipsoidal_area([geom], gdf.crs)[0])


def boundary_area_m2(gdf) -> float:
    """The ellipsoidal area of a boundary layer's polygons, dissolved; a layer without polygon area (empty,
    lines or points only) is an input error, never a silent 0 m² denominator."""
    import numpy as np
    import shapely

    from redline.spatial.areas import ellipsoidal_area

    if gdf.crs is None:
        raise InputError("the layer has no CRS", path=layer_info(gdf).path)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    polygons = geoms[np.isin(shapely.get_type_id(geoms), (3, 6))]
    area = float(ellipsoidal_area([shapely.union_all(polygons)], gdf.crs)[0]) if len(polygons) else 0.0
    if not area > 0:
        types = ", ".join(sorted(set(gdf.geom_type.dropna()))) or "no geometry"
        raise InputError(f"the boundary has no polygon area ({len(gdf)} feature(s): {types}); give the polygon "
                         "of the plan's region", path=layer_info(gdf).path)
    return area


def project_figures(project) -> tuple[float | None, dict[str, float]]:
    """``(boundary_m2, computed)`` from a project: the boundary's area and, for every vocabulary subject
    with a layer kind in the project, its dissolved area clipped to the boundary."""
    from redline.layers.readers import read_project_layer

    subjects, _ = vocabulary()
    bid = project.boundary_id()
    boundary = read_project_layer(project, bid) if bid else None
    boundary_m2 = boundary_area_m2(boundary) if boundary is not None else None
    computed: dict[str, float] = {}
    for s in subjects.values():
        if not s.kind or s.measure != "area":
            continue
        specs = [ls for ls in project.layers.values() if ls.kind == s.kind]
        if len(specs) != 1:
            continue
        gdf = read_project_layer(project, specs[0].id)
        computed[s.id] = layer_area_m2(gdf, clip=boundary)
    return boundary_m2, computed
