"""Layer kinds (生态保护红线, 自然保护地, ...) and the mapping of real field names to canonical attributes.

The kinds, their labels and field-name lists live in ``layers/data/kinds.toml``.

Example
-------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> gdf = gpd.GeoDataFrame({"HXMC": ["示例红线"]}, geometry=[box(0, 0, 1, 1)])
>>> mapped, used, warnings = map_attributes(gdf, "red_line")
>>> mapped["name"].tolist(), used["name"]
(['示例红线'], 'HXMC')
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd

from redline.layers.columns import per_value
from redline.layers.errors import UsageError

KIND_IDS = ("red_line", "protected_area", "protected_area_zone", "shoreline_zone", "river",
            "river_management_range", "urban_boundary", "basic_farmland", "control_unit",
            "water_source_zone", "boundary", "site", "road", "town")


@cache
def kinds_table() -> dict:
    """The parsed ``kinds.toml``."""
    with resources.files("redline.layers").joinpath("data/kinds.toml").open("rb") as f:
        return tomllib.load(f)


def kind_info(kind: str) -> dict:
    """``{"label", "geometry", "attributes", "fields"}`` for a kind id; unknown ids raise UsageError."""
    kinds = kinds_table()["kinds"]
    if kind not in kinds:
        raise UsageError(f"unknown layer kind {kind!r}; valid kinds: {', '.join(KIND_IDS)}")
    return kinds[kind]


def is_control_kind(kind: str) -> bool:
    """Whether sites are checked against layers of this kind (not boundaries, sites, roads, towns)."""
    return bool(kind_info(kind).get("control", True))


def kind_label(kind: str) -> str:
    """Chinese label of a kind, e.g. ``red_line`` → ``生态保护红线``."""
    return kind_info(kind)["label"]


def normalise_zone(value, kind: str | None = None) -> str | None:
    """Canonical functional-zone label for a value as written in data (``核心`` → ``核心区``); ``kind``
    adds the short forms that are unambiguous within that kind (``保留区`` in a shoreline layer)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    table = kinds_table()
    zones = {**table["zones"]}
    for label, aliases in table.get("kind_zones", {}).get(kind, {}).items():
        zones[label] = list(zones.get(label, [])) + list(aliases)
    low = text.lower()
    for label, aliases in zones.items():
        if low in (a.lower() for a in aliases):
            return label
    return text


def find_field(columns, candidates) -> str | None:
    """First column matching one of ``candidates`` (case-insensitive), or None."""
    lower = {str(c).lower(): c for c in columns}
    for cand in candidates:
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def map_attributes(gdf: gpd.GeoDataFrame, kind: str, overrides: dict | None = None
                   ) -> tuple[gpd.GeoDataFrame, dict, list[str]]:
    """Add the kind's canonical attribute columns to a copy of ``gdf``.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer as read; its own columns are kept.
    kind : str
        One of :data:`KIND_IDS`.
    overrides : dict, optional
        ``{canonical: source_field}`` from the project file; a named field that does not exist is a warning.

    Returns
    -------
    (GeoDataFrame, dict, list of str)
        The layer with canonical columns (``name``, ``code``, ``zone``...; None where unmapped),
        the mapping used ``{canonical: source field or None}``, and warnings.
    """
    info = kind_info(kind)
    overrides = dict(overrides or {})
    out = gdf.copy()
    used: dict[str, str | None] = {}
    warnings: list[str] = []
    source_cols = [c for c in gdf.columns if c != gdf.geometry.name]
    for attr in info["attributes"]:
        field = None
        if attr in overrides:
            wanted = overrides.pop(attr)
            field = find_field(source_cols, [wanted])
            if field is None:
                warnings.append(f"field mapping {attr} = {wanted!r} names no field of the layer "
                                f"(fields: {', '.join(map(str, source_cols))})")
        if field is None:
            field = find_field(source_cols, info["fields"].get(attr, []))
        used[attr] = field
        if field is None:
            if attr not in out.columns:
                out[attr] = None
        elif field != attr:
            out[attr] = gdf[field]
    for attr in overrides:
        warnings.append(f"field mapping names {attr!r}, which is not an attribute of kind {kind}")
    if "zone" in out.columns:
        out["zone"] = pd.Series(per_value(out["zone"], lambda v: normalise_zone(v, kind)), index=out.index,
                                dtype=object)       # each distinct zone name normalised once
    if "unit_class" in out.columns:
        out["unit_class"] = pd.Series(per_value(out["unit_class"], normalise_zone), index=out.index, dtype=object)
    for attr in ("name", "code"):
        if attr in out.columns and isinstance(out[attr].dtype, pd.StringDtype):
            out[attr] = out[attr].str.strip()          # text already: stripped in one vectorized pass
        elif attr in out.columns and out[attr].isna().all():     # none given (a million points' names)
            out[attr] = pd.Series(np.full(len(out), None, dtype=object), index=out.index, dtype=object)
        elif attr in out.columns:
            out[attr] = out[attr].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v))
                                      else str(v).strip())
    return out, used, warnings
