"""GeoJSON for the app's maps (Leaflet draws longitude/latitude, EPSG:4326).

:func:`check_geojson` turns a check into two feature collections: the sites (with their verdict) and the
features they overlap, highlighted; ``result.hits`` names those features by ``layer`` and ``feature_index``
(the row of ``result.context.prepared.layers[layer]``, in the analysis CRS). :func:`layer_geojson` gives a
project layer for the drawing map, simplified for display.

Display only: CGCS2000 and WGS84 differ by less than a metre, so the map shows the analysis CRS's
coordinates as EPSG:4326 (a site drawn on the map is read back the same way).

Example
-------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[shapely.box(37_500_000, 4_200_000, 37_500_100, 4_200_100)],
...                      crs=4525)
>>> fc = layer_geojson(g, tolerance=0)
>>> fc["features"][0]["properties"], fc["features"][0]["geometry"]["type"]
({'name': '甲'}, 'Polygon')
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["check_geojson", "layer_geojson"]

LONLAT = 4326


def _collection(geoms, props: list[dict]) -> dict:
    """A FeatureCollection of shapely geometries in EPSG:4326, coordinates to 7 decimals (1 cm)."""
    feats = []
    for g, p in zip(geoms, props, strict=True):
        if g is None or g.is_empty:
            continue
        geom = json.loads(shapely.to_geojson(shapely.set_precision(g, 1e-7, mode="pointwise")))
        feats.append({"type": "Feature", "properties": p, "geometry": geom})
    return {"type": "FeatureCollection", "features": feats}


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return str(v)


def check_geojson(result) -> dict:
    """The sites and the overlapped features of a :class:`redline.CheckResult`, in EPSG:4326.

    Returns
    -------
    dict
        ``{"sites": FeatureCollection, "hits": FeatureCollection}``; a site has ``site_id``, ``name``,
        ``verdict``; an overlapped feature ``layer``, ``label``, ``kind``, ``feature_name``, ``zone``,
        ``sites`` (the ids of the sites overlapping it).
    """
    sites = result.sites.to_crs(LONLAT)
    site_props = [{"site_id": _text(a), "name": _text(b), "verdict": _text(c)}
                  for a, b, c in zip(sites["site_id"], sites["name"], sites["verdict"], strict=True)]
    out = {"sites": _collection(sites.geometry.values, site_props)}
    hits = result.hits
    layers = getattr(getattr(result, "context", None), "prepared", None)
    geoms, props = [], []
    if layers is not None and len(hits):
        for (layer, index), group in hits.groupby(["layer", "feature_index"], sort=False):
            gdf = layers.layers[layer]
            geom = gpd.GeoSeries([gdf.geometry.values[int(index)]], crs=gdf.crs).to_crs(LONLAT).values[0]
            first = group.iloc[0]
            geoms.append(geom)
            props.append({"layer": str(layer), "label": _text(first["label"]), "kind": _text(first["kind"]),
                          "feature_name": _text(first["feature_name"]), "zone": _text(first["zone"]),
                          "sites": sorted({str(s) for s in group["site_id"]})})
    out["hits"] = _collection(np.asarray(geoms, dtype=object), props)
    return out


def layer_geojson(gdf: gpd.GeoDataFrame, *, tolerance: float = 2e-5) -> dict:
    """A layer in EPSG:4326 with its ``name`` (when it has one), simplified by ``tolerance`` degrees
    (2e-5° is about 2 m) preserving topology."""
    g = gdf.to_crs(LONLAT) if gdf.crs is not None else gdf
    geoms = g.geometry.values
    if tolerance:
        geoms = shapely.simplify(np.asarray(geoms), tolerance, preserve_topology=True)
    names = g["name"] if "name" in g.columns else [None] * len(g)
    return _collection(geoms, [{"name": _text(n)} for n in names])
