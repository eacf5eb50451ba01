"""The control side of a site check, read and prepared once, before any site is read.

:func:`load_check_layers` reads a project's control layers (or ``--layer KIND=PATH`` layers), chooses the
analysis CRS and brings every layer into it (never across datums without ``--towgs84``), repairs invalid
geometries for the check (the files are unchanged), and finds the coverage and the rules; the result, a
:class:`CheckContext` holding :class:`PreparedLayers`, serves any number of batches of sites.

Example
-------
>>> parse_layer_args(["red_line=生态保护红线.shp", "basic_farmland=永久基本农田.gpkg"])
[('red_line', '生态保护红线.shp'), ('basic_farmland', '永久基本农田.gpkg')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from redline.layers.columns import text_value
from redline.layers.crs import epsg_of, parse_crs
from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.layers.kinds import find_field, is_control_kind, kind_label
from redline.layers.repair import is_valid, repair_geometries, repair_message
from redline.layers.reproject import analysis_crs_for, to_analysis_crs
from redline.spatial.areas import ellipsoidal_area, method_description
from redline.spatial.check.findings import ZONE_ATTRIBUTE, unchecked_core
from redline.spatial.check.kernel import (
    DEFAULT_MAX_DISTANCE,
    HIT_ATTRIBUTES,
    MIN_OVERLAP_M2,
    LayerIndex,
    coverage_of,
    layer_index,
    layer_label,
)
from redline.spatial.overlay import EdgeIndex, as_array, dissolve, edge_index
from redline.spatial.region import project_level
from redline.spatial.rules import DistanceRule, RuleSet, load_rules


@dataclass
class PreparedLayers:
    """The control side of a check, prepared once: layers in the analysis CRS with invalid geometries
    repaired, their kinds and labels, the coverage, the rules and the search distance.

    Per-site results depend only on the site and these layers, so any batch of sites (a chunk of a file,
    a partition on a dask worker) is checked with :func:`check_prepared` and the batches concatenated
    (:func:`combine_results`) give the result of checking all the sites at once.
    """

    crs: pyproj.CRS
    layers: dict[str, gpd.GeoDataFrame]
    kinds: dict[str, str]
    labels: dict[str, str]
    control: list[str]
    rules: RuleSet
    max_distance: float
    min_overlap_m2: float
    coverage: shapely.Geometry | None
    coverage_label: str
    coverage_m2: float
    towgs84: tuple[float, ...] | None = None
    crs_notes: list[str] = field(default_factory=list)     # choosing the analysis CRS
    layer_notes: list[str] = field(default_factory=list)   # reprojecting and repairing the layers
    distance_targets: list = field(default_factory=list)   # (rule, layer id, feature indices) per distance rule
    _edges: dict = field(default_factory=dict, repr=False)  # edge indexes of layers, built when first needed
    _indexes: dict = field(default_factory=dict, repr=False)  # layer indexes, built when first needed

    def edges(self, layer_id: str) -> EdgeIndex:
        """The layer's :class:`~redline.spatial.overlay.EdgeIndex` (built once, on first use)."""
        if layer_id not in self._edges:
            self._edges[layer_id] = edge_index(as_array(self.layers[layer_id]))
        return self._edges[layer_id]

    def index(self, layer_id: str) -> LayerIndex:
        """The layer's :class:`~redline.spatial.check.kernel.LayerIndex` (built once, on first use), with the
        attributes its hits and its rules' clauses show."""
        if layer_id not in self._indexes:
            clause_fields = tuple(r.clause_field for r in self.rules.for_kind(self.kinds[layer_id]) if r.clause_field)
            self._indexes[layer_id] = layer_index(self.layers[layer_id], layer_id, HIT_ATTRIBUTES + clause_fields)
        return self._indexes[layer_id]

    def prepare_geometries(self) -> None:
        """Build the control layers' indexes and prepare their geometries (GEOS point-in-polygon indexes) now,
        once: the checks of sites do it when first needed, and children forked afterwards share them."""
        for lid in self.control:
            shapely.prepare(self.index(lid).geoms)

    def analysis(self, *, nearest: bool = True) -> dict:
        """The ``analysis`` block of a check result; ``nearest=False``: the nearest features were not searched
        (outputs without them), and the block says so."""
        return {
            "crs": {"epsg": epsg_of(self.crs), "name": self.crs.name},
            "area_method": method_description(self.crs),
            "length_method": "测地线长度（在分析坐标系平面内加密后反算经纬度，按椭球计算）",
            "distance_method": "最近距离：在分析坐标系平面内求两几何的最短连线，再按椭球计算其测地线长度；"
                               + (f"搜索限于{self.max_distance:g}米以内" if nearest else
                                  "本次输出不含最近距离，未搜索最近要素"),
            "max_distance_m": float(self.max_distance),
            "nearest_searched": nearest,
            "min_overlap_m2": float(self.min_overlap_m2),
            "coverage": {"label": self.coverage_label, "area_m2": self.coverage_m2},
            "verdict_rule": "存在禁止性条款→不符合；否则项目用地不完全在数据覆盖范围内→无法判定；"
                            "否则存在需论证条款→需论证；否则→符合。未提供的核心管控图层（生态保护红线、永久基本农田、"
                            "城镇开发边界、自然保护地）不在核查之列，结论注明“未核查：…”",
            "unchecked_core_layers": self.unchecked_core(),
        }

    def unchecked_core(self) -> list[str]:
        """The core control layers (生态保护红线, 永久基本农田, 城镇开发边界, 自然保护地) no layer of the check
        holds."""
        return unchecked_core(self.kinds[lid] for lid in self.control)

    def describe_layers(self) -> list[dict]:
        """The ``layers`` block of a check result."""
        return [{"layer": lid, "kind": self.kinds[lid], "label": self.labels[lid],
                 "features": int(len(self.layers[lid])), "control": lid in self.control} for lid in self.layers]


def prepare_layers(layers: dict[str, gpd.GeoDataFrame], *, rules: RuleSet | None = None,
                   max_distance: float = DEFAULT_MAX_DISTANCE, coverage: shapely.Geometry | None = None,
                   coverage_label: str | None = None, crs=None, kinds: dict[str, str] | None = None,
                   labels: dict[str, str] | None = None, towgs84: tuple[float, ...] | None = None,
                   min_overlap_m2: float = MIN_OVERLAP_M2) -> PreparedLayers:
    """Everything of a check that does not depend on the sites, done once.

    Parameters are those of :func:`check_sites` without the sites.

    Example
    -------
    >>> import geopandas as gpd, shapely
    >>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
    >>> p = prepare_layers({"red_line": rl}, kinds={"red_line": "red_line"})
    >>> p.control, p.crs.to_epsg()
    (['red_line'], 4525)

    Raises
    ------
    UsageError
        No control layer, or a search distance that is not a positive number.
    InputError
        A layer without CRS, or in an older datum without ``towgs84``; a distance rule naming a missing
        layer or attribute.
    """
    if max_distance is None or not max_distance > 0:
        raise UsageError(f"the search distance must be a positive number of metres, not {max_distance!r}")
    rules = rules or load_rules()
    kinds = dict(kinds or {})
    for lid, g in layers.items():
        if lid not in kinds:
            kind = layer_info(g).kind
            if not kind:
                raise ValueError(f"layer {lid!r}: no kind (give kinds= or read it with a kind)")
            kinds[lid] = kind
    control = [lid for lid in layers if is_control_kind(kinds[lid])]
    if not control:
        raise UsageError("no control layer to check against (give a project with control layers, or "
                         "--layer KIND=PATH)")

    base = crs if crs is not None else layers[control[0]].crs
    if base is None:
        raise InputError(f"layer {control[0]!r} has no CRS")
    base = base if isinstance(base, pyproj.CRS) else parse_crs(base)
    acrs, crs_notes = analysis_crs_for(base, as_array(layers[control[0]]))
    layer_notes: list[str] = []
    lay: dict[str, gpd.GeoDataFrame] = {}
    for lid, g in layers.items():
        path = layer_info(g).path
        g2, notes = to_analysis_crs(g, acrs, f"layer {lid}", path=path, towgs84=towgs84)
        layer_notes += notes
        geoms = as_array(g2)
        bad = ~(is_valid(geoms) | shapely.is_missing(geoms))      # on threads
        if bad.any():  # a layer given in Python (files are repaired when read), or made invalid by reprojecting
            g2, info = repair_geometries(g2)
            layer_notes.append(f"layer {lid}: {repair_message(info)}, for the check (the data is unchanged)")
        g2.attrs = g.attrs
        lay[lid] = g2
    labels = {lid: (labels or {}).get(lid) or layer_label(lay[lid], kinds[lid]) for lid in lay}
    if coverage is None:
        coverage, cov_label = coverage_of(lay, kinds)
    else:
        cov_label = coverage_label or "给定的数据覆盖范围"
    if coverage is not None and not coverage.is_empty:
        shapely.prepare(coverage)
    missing = unchecked_core(kinds[lid] for lid in control)
    if missing:
        layer_notes.append(f"core control layers not checked: {', '.join(missing)} (no layer of the check holds "
                           "them); every verdict says so (e.g. 符合（未核查：" + "、".join(missing) + "）)")
    targets = distance_targets(rules.distance, lay, kinds)
    for dr, lid, idx in targets:
        if not len(idx):
            layer_notes.append(f"distance rule {dr.id!r} ({dr.title}): where {dr.where!r} matches no feature of "
                               f"layer {lid!r}; "
                               "the rule cannot apply to any site (check the names in the rule)")
    return PreparedLayers(
        crs=acrs, layers=lay, kinds=kinds, labels=labels, control=control, rules=rules,
        max_distance=float(max_distance), min_overlap_m2=float(min_overlap_m2), coverage=coverage,
        coverage_label=cov_label,
        coverage_m2=float(ellipsoidal_area([coverage], acrs)[0]) if coverage is not None else 0.0,
        towgs84=towgs84, crs_notes=crs_notes, layer_notes=layer_notes,
        distance_targets=targets)



def distance_targets(drules: list[DistanceRule], lay: dict, kinds: dict) -> list[tuple]:
    """Per distance rule: (rule, layer id, indices of the layer's features it concerns)."""
    out = []
    for dr in drules:
        lid = resolve_layer_ref(dr.layer, kinds, what=f"distance rule {dr.id!r}", where=dr.source)
        g = lay[lid]
        mask = np.ones(len(g), bool)
        for attr, want in dr.where.items():
            col = attr if attr in g.columns else find_field([c for c in g.columns if c != g.geometry.name], [attr])
            if col is None:
                raise InputError(f"distance rule {dr.id!r}: where names attribute {attr!r}, which layer "
                                 f"{lid!r} does not have (fields: {', '.join(map(str, g.columns))})",
                                 path=dr.source)
            values = {str(v) for v in (want if isinstance(want, list) else [want])}
            mask &= g[col].map(lambda v, vs=values: text_value(v) in vs).to_numpy(dtype=bool)
        geoms = as_array(g)
        idx = np.flatnonzero(mask)
        idx = idx[~(shapely.is_missing(geoms[idx]) | shapely.is_empty(geoms[idx]))]
        out.append((dr, lid, idx))
    return out


def resolve_layer_ref(ref: str, kinds: dict[str, str], *, what: str, where: str | None = None) -> str:
    """A layer id, or the one layer of a kind; InputError naming ``what`` otherwise."""
    if ref in kinds:
        return ref
    same = [lid for lid, k in kinds.items() if k == ref]
    if len(same) == 1:
        return same[0]
    raise InputError(f"{what} names layer {ref!r}, which is not a layer of the check "
                     f"(layers: {', '.join(kinds) or 'none'})", path=where)

def parse_layer_args(args) -> list[tuple[str, str]]:
    """``["red_line=rl.shp", ...]`` → ``[(kind, path), ...]``; UsageError for a bad form or kind."""
    from redline.layers.kinds import KIND_IDS

    out = []
    for a in args or ():
        if "=" not in a:
            raise UsageError(f"--layer takes KIND=PATH, not {a!r} (kinds: {', '.join(KIND_IDS)})")
        kind, path = a.split("=", 1)
        kind = kind.strip()
        if kind not in KIND_IDS:
            raise UsageError(f"--layer {a!r}: {kind!r} is not a layer kind; valid kinds: {', '.join(KIND_IDS)}")
        if kind == "site":
            raise UsageError("--layer: sites are the SITES argument, not a control layer")
        out.append((kind, path.strip()))
    return out


@dataclass
class CheckContext:
    """The control side of :func:`check_project`, read and prepared once, before any site is read.

    ``inputs`` holds the file records of the layers, the project and the rule files; ``warnings`` what
    reading and reprojecting the layers said (they follow the sites' own warnings in a result); ``towns``
    the project's township layer in the analysis CRS (for each site's location), with its record
    ``towns_input``. ``gcj02``: input files in longitude/latitude (sites, ``--layer`` files) are GCJ-02
    (``--from-gcj02``); ``gcj02_converted`` the files that were converted.
    """

    prepared: PreparedLayers
    inputs: list[dict]
    warnings: list[str]
    project: object | None = None
    towns: gpd.GeoDataFrame | None = None
    towns_input: dict | None = None
    records: dict = field(default_factory=dict)   # file records by path (each file hashed once)
    gcj02: bool = False
    gcj02_converted: list = field(default_factory=list)

    def record(self, path, **kw) -> dict:
        """The file record of ``path`` (``PATH:LAYER``: the file hashed once, the layer as ``file_layer``) with
        the extra keys ``kw``."""
        from redline.layers.outputs import file_record
        from redline.layers.paths import LayerPath

        key = str(path)
        if key not in self.records:
            lp = LayerPath.parse(path)
            self.records[key] = file_record(lp.file)
            if lp.layer is not None:
                self.records[key]["file_layer"] = lp.layer
        rec = dict(self.records[key])
        rec.update({k: v for k, v in kw.items() if v is not None or k in ("vintage", "source")})
        return rec


def load_check_layers(project=None, *, layer_args=(), max_distance: float = DEFAULT_MAX_DISTANCE,
                      towgs84: tuple[float, ...] | None = None, gcj02: bool = False) -> CheckContext:
    """Read and prepare the control layers of a project (or ``--layer KIND=PATH`` layers).

    Parameters
    ----------
    project : redline.layers.project.Project, optional
        Its control layers, boundary (the coverage), townships, analysis CRS and rules.
    layer_args : list of (kind, path or GeoDataFrame)
        Layers of a quick check without a project (attributes mapped with each kind's default fields).
    max_distance : float
        The search distance for nearest features (m).
    towgs84 : tuple, optional
        Parameters between an older datum and CGCS2000.
    gcj02 : bool
        ``--layer`` files (and later the sites) in longitude/latitude are GCJ-02: converted on reading.

    Raises
    ------
    UsageError
        Neither a project nor layers, or both.
    InputError
        A layer the project names is missing or unreadable; a rule names a missing layer.
    """
    from redline.layers.readers import read_layer, read_project_layer

    if project is None and not layer_args:
        raise UsageError("nothing to check against: give --project redline.toml (or run in a folder with "
                         "redline.toml), or --layer KIND=PATH")
    if project is not None and layer_args:
        raise UsageError("give either a project or --layer layers, not both")
    from redline.layers.gcj02 import converted_from_gcj02, gcj02_warnings, maybe_from_gcj02

    ctx = CheckContext(prepared=None, inputs=[], warnings=[], project=project, gcj02=gcj02)  # type: ignore[arg-type]
    layers: dict[str, gpd.GeoDataFrame] = {}
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    warns = ctx.warnings
    inputs = ctx.inputs

    crs = None
    if project is not None:
        from redline.spatial.rules import rules_for_project

        rules = rules_for_project(project)
        wanted = [s for s in project.control_layers()]
        bid = project.boundary_id()
        if bid:
            wanted.insert(0, project.layers[bid])
        if not [s for s in wanted if is_control_kind(s.kind)]:
            raise InputError("the project has no control layer to check against", path=str(project.path))
        for spec in wanted:
            gdf = read_project_layer(project, spec.id, repair=True)
            warns += [f"layer {spec.id} ({spec.path.name}): {w}" for w in layer_info(gdf).warnings]
            _field_warnings(gdf, spec.id, spec.kind, spec.path.name, spec.fields, warns)
            layers[spec.id] = gdf
            kinds[spec.id] = spec.kind
            labels[spec.id] = spec.label or kind_label(spec.kind)
            inputs.append(ctx.record(spec.path, vintage=spec.date, source=spec.source, role="layer", layer=spec.id,
                                     kind=spec.kind, label=labels[spec.id]))
        for dr in rules.distance:
            resolve_layer_ref(dr.layer, kinds, what=f"distance rule {dr.id!r}", where=dr.source)
        if project.region.get("crs"):
            crs = parse_crs(project.region["crs"])
        elif bid:
            crs = layers[bid].crs
        if project.path:
            inputs.append(ctx.record(project.path, role="project"))
        for f in rules.files[1:]:
            inputs.append(ctx.record(f, role="rules"))
    else:
        rules = load_rules()
        counts: dict[str, int] = {}
        for kind, path in layer_args:
            counts[kind] = counts.get(kind, 0) + 1
            lid = kind if counts[kind] == 1 else f"{kind}_{counts[kind]}"
            given = isinstance(path, gpd.GeoDataFrame)   # a layer given in Python: mapped, not read
            gdf = _given_layer(path, kind) if given else read_layer(path, kind=kind, repair=True)
            if gcj02 and not given:
                gdf = maybe_from_gcj02(gdf)
                if converted_from_gcj02(gdf):
                    ctx.gcj02_converted.append(str(path))
            meta = layer_info(gdf)
            meta.label = kind_label(kind)
            name = lid if given else Path(path).name
            warns += [f"layer {lid} ({name}): {w}" for w in meta.warnings]
            _field_warnings(gdf, lid, kind, name, {}, warns)
            layers[lid] = gdf
            kinds[lid] = kind
            labels[lid] = kind_label(kind)
            if not given:
                inputs.append(ctx.record(path, vintage=None, source=None, role="layer", layer=lid, kind=kind,
                                         label=labels[lid]))

    for lid, g in layers.items():   # an empty layer cannot show that a site lies outside its zones
        if is_control_kind(kinds[lid]) and not (~(g.geometry.isna() | g.geometry.is_empty)).any():
            what = "no features" if not len(g) else f"no usable geometry ({len(g)} feature(s), all empty or missing " \
                                                    "after repair)"
            raise InputError(f"control layer {lid} has {what}: no zones to check against (an empty layer cannot "
                             "show that a site lies outside them)", path=layer_info(g).path)
    bid = project.boundary_id() if project is not None else None
    order = ([bid] if bid in layers else []) + [lid for lid in layers if lid != bid]
    warns += gcj02_warnings([(f"layer {lid}", layers[lid]) for lid in order])
    first = crs or next((layers[lid].crs for lid in layers if is_control_kind(kinds[lid])), None)
    if first is None:
        raise InputError("the control layers have no CRS")
    acrs = first if isinstance(first, pyproj.CRS) else parse_crs(first)
    if acrs.is_geographic:
        ctrl = next(lid for lid in layers if is_control_kind(kinds[lid]))
        acrs, notes = analysis_crs_for(acrs, as_array(layers[ctrl]))
        warns += notes
    lay_a = {}
    for lid, g in layers.items():
        g2, notes = to_analysis_crs(g, acrs, f"layer {lid}", path=layer_info(g).path,
                                    towgs84=towgs84)
        g2.attrs = g.attrs
        warns += notes
        lay_a[lid] = g2
    coverage, cov_label = None, None
    bid = project.boundary_id() if project is not None else None
    if bid:  # the region's boundary, not the township layer (also of kind boundary)
        coverage = dissolve(as_array(lay_a[bid]))
        cov_label = labels[bid]
    elif any(k == "boundary" for k in kinds.values()):
        coverage, cov_label = coverage_of(lay_a, kinds)
    ctx.prepared = prepare_layers(lay_a, rules=rules, max_distance=max_distance, coverage=coverage,
                                  coverage_label=cov_label, crs=acrs, kinds=kinds, labels=labels, towgs84=towgs84)
    tid = project.townships_id() if project is not None else None
    if tid:
        towns = read_project_layer(project, tid)
        from redline.layers.info import warnings_once

        seen = {(layer_info(g).path, layer_info(g).layer, w) for g in layers.values() for w in layer_info(g).warnings}
        warns += warnings_once([(f"layer {tid} ({project.layers[tid].path.name})", towns)], seen)
        ctx.towns, _ = to_analysis_crs(towns, acrs, f"layer {tid}", towgs84=towgs84)
        spec = project.layers[tid]
        ctx.towns_input = ctx.record(spec.path, vintage=spec.date, source=spec.source, role="layer", layer=tid,
                                     kind="boundary", label=spec.label or project_level(project).sub_short)
    return ctx


def _given_layer(gdf: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """A control layer given as a GeoDataFrame: the kind's canonical columns added (when the frame was not
    read by redline with that kind), invalid geometries repaired as when reading with ``repair=True``."""
    from redline.layers.info import LayerInfo, with_info
    from redline.layers.kinds import map_attributes
    if layer_info(gdf).kind == kind:
        return gdf
    mapped, fields, warnings = map_attributes(gdf, kind)
    mapped, _ = repair_geometries(mapped)
    return with_info(mapped, LayerInfo(kind=kind, fields=fields, warnings=warnings))


def project_block(project) -> dict:
    """The ``project`` block of a check result."""
    return {"name": project.name, "path": str(project.path) if project.path else None,
            "fictional": project.fictional, "region": {k: v for k, v in project.region.items()
                                                       if isinstance(v, (str, int, float, bool))}}


def locate(sites: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> list[str | None]:
    """Per site, the names of the areas (e.g. townships) it lies in, joined with 、 (one STRtree query)."""
    names = areas["name"].map(text_value).to_numpy(dtype=object) if "name" in areas.columns else \
        np.full(len(areas), None, dtype=object)
    li, ri = shapely.STRtree(as_array(areas)).query(as_array(sites), predicate="intersects")
    out: list[list[str]] = [[] for _ in range(len(sites))]
    for i, j in zip(li.tolist(), ri.tolist(), strict=True):
        if names[j] and names[j] not in out[i]:
            out[i].append(names[j])
    return ["、".join(x) or None for x in out]


def _field_warnings(gdf: gpd.GeoDataFrame, lid: str, kind: str, fname: str, fields: dict, warns: list[str]) -> None:
    """Say when a kind's zone attribute found no field: the zone rules then cannot apply."""
    used = layer_info(gdf).fields or {}
    attr = ZONE_ATTRIBUTE.get(kind, "zone")
    if kind in ("protected_area", "protected_area_zone", "shoreline_zone", "water_source_zone", "control_unit") \
            and attr in used and used[attr] is None:
        hint = f" (the mapping {attr} = {fields[attr]!r} names no field of the layer)" if attr in fields else ""
        warns.append(f"layer {lid} ({fname}): no field for {attr}{hint}; rules by zone cannot be applied, so "
                     f"hits need review. Map it with fields = {{ {attr} = \"FIELD\" }} in [layers.{lid}]")
