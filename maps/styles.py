"""Map styles from ``maps/data/styles.toml``, with a project's overrides under ``[map.styles]``.

A :class:`LayerStyle` holds a kind's base :class:`Style` and, for graded kinds (functional zones,
shoreline functions, control-unit classes), one style per attribute value. Every colour is normalised
to ``#rrggbb`` so the same style draws in Leaflet and matplotlib.

Example
-------
>>> book = load_styles()
>>> book.for_layer("rl", "red_line").base.fill_color
'#4fae5a'
>>> book.for_layer("pa", "protected_area_zone").by
'zone'
>>> book.for_element("axis", "secondary").dash
(10.0, 6.0)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors

from redline.layers.errors import InputError
from redline.spatial.region import project_level

STYLE_KEYS = ("label", "color", "weight", "opacity", "dash", "fill", "fill_color", "fill_opacity", "hatch",
              "radius", "order")
STRUCTURE_KINDS = ("belt", "corridor", "barrier", "patch", "zone", "axis", "core", "node")
TOWNSHIP = "township"  # style key of the project's [region] townships layer


@dataclass(frozen=True)
class Style:
    """How one class of features is drawn (web and print)."""

    label: str = ""
    color: str = "#555555"
    weight: float = 1.0
    opacity: float = 1.0
    dash: tuple[float, ...] = ()
    fill: bool = True
    fill_color: str = "#cccccc"
    fill_opacity: float = 0.5
    hatch: str = ""
    radius: float = 5.0
    order: int = 50

    def leaflet(self) -> dict:
        """Leaflet path options (``color``, ``weight``, ``dashArray``, ``fillColor``...)."""
        opts = {"color": self.color, "weight": self.weight, "opacity": self.opacity, "fill": self.fill,
                "fillColor": self.fill_color, "fillOpacity": self.fill_opacity if self.fill else 0.0}
        if self.dash:
            opts["dashArray"] = " ".join(f"{d:g}" for d in self.dash)
        return opts


@dataclass(frozen=True)
class LayerStyle:
    """The style of one layer: a base style and, when ``by`` is set, one style per attribute value."""

    key: str
    base: Style
    by: str | None = None
    values: dict[str, Style] = field(default_factory=dict)

    def classify(self, gdf: pd.DataFrame) -> np.ndarray:
        """Style key per feature: the attribute value when it has a style of its own, else ``""``.

        Values with no style of their own draw in the base style; :meth:`legend` lists them by name.
        """
        if not self.by or self.by not in gdf.columns:
            return np.full(len(gdf), "", dtype=object)
        vals = gdf[self.by].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                else str(v).strip())
        return vals.to_numpy(dtype=object)

    def style_for(self, key: str) -> Style:
        return self.values.get(key, self.base)

    def legend(self, keys_present) -> list[tuple[str, Style]]:
        """``(label, style)`` per style drawn: the base style first when some feature uses it, then the
        graded values present, strictest first (the table's order)."""
        present = set(keys_present)
        out = [(self.values[k].label or k, self.values[k]) for k in self.values if k in present]
        if present - set(self.values):
            out.insert(0, (self.base.label, self.base))
        return out


@dataclass(frozen=True)
class StyleBook:
    """All styles of one map: per kind, per structure element, and the popup field labels."""

    kinds: dict[str, LayerStyle]
    structure: dict[str, Style]
    core_radii: tuple[float, ...]
    field_labels: dict[str, str]
    overrides: dict = field(default_factory=dict)
    source: str = "maps/data/styles.toml"

    def for_layer(self, layer_id: str, kind: str, *, township: bool = False) -> LayerStyle:
        """The style of a project layer: the kind's (or the township style), then the overrides of that
        kind (or ``township``) and of the layer id, in that order."""
        key = TOWNSHIP if township else kind
        style = self.kinds.get(key) or LayerStyle(key=key, base=Style(label=key))
        for ref in (key, layer_id):
            if ref in self.overrides and ref != "structure":
                style = _apply_layer_override(style, self.overrides[ref], f"[map.styles.{ref}]", self.source)
        return style

    def for_element(self, kind: str, rank: str | int | None = None) -> Style:
        """The style of a structure element; axes by rank ``main``/``secondary``, cores sized by rank 1-3."""
        if kind == "axis":
            return self.structure["axis." + ("secondary" if str(rank) == "secondary" else "main")]
        style = self.structure[kind]
        if kind == "core":
            r = int(rank) if rank not in (None, "") else 1
            r = min(max(r, 1), len(self.core_radii))
            style = replace(style, radius=self.core_radii[r - 1])
        return style


@cache
def _table() -> dict:
    with resources.files("redline.maps").joinpath("data/styles.toml").open("rb") as f:
        return tomllib.load(f)


def _color(value, where: str, source: str) -> str:
    text = str(value).strip()
    if text.startswith("#") and len(text) in (4, 7) and mcolors.is_color_like(text):
        return mcolors.to_hex(text)
    if text.lower() in mcolors.CSS4_COLORS:
        return mcolors.to_hex(mcolors.CSS4_COLORS[text.lower()])
    raise InputError(f"{where}: {value!r} is not a colour (use #rrggbb or a CSS colour name)", path=source)


def _style(spec: dict, base: Style, where: str, source: str) -> Style:
    """A Style from a TOML table over ``base``; unknown keys and bad values raise InputError."""
    kwargs = {}
    for key, value in spec.items():
        if key in ("by", "values", "radius_by_rank"):
            continue
        if key not in STYLE_KEYS:
            raise InputError(f"{where}: unknown style key {key!r} (keys: {', '.join(STYLE_KEYS)})",
                             path=source)
        try:
            if key in ("color", "fill_color"):
                kwargs[key] = _color(value, f"{where} {key}", source)
            elif key == "dash":
                kwargs[key] = tuple(float(d) for d in value)
                if any(d < 0 for d in kwargs[key]):
                    raise ValueError
            elif key == "fill":
                if not isinstance(value, bool):
                    raise ValueError
                kwargs[key] = value
            elif key in ("label", "hatch"):
                kwargs[key] = str(value)
            elif key == "order":
                kwargs[key] = int(value)
            else:
                kwargs[key] = float(value)
                if kwargs[key] < 0 or (key.endswith("opacity") and kwargs[key] > 1):
                    raise ValueError
        except (TypeError, ValueError):
            raise InputError(f"{where}: {key} = {value!r} is not a valid value", path=source) from None
    return replace(base, **kwargs)


def _layer_style(key: str, spec: dict, defaults: Style, source: str) -> LayerStyle:
    base = _style(spec, defaults, f"[kinds.{key}]", source)
    values = {str(v): _style(vs, replace(base, label=str(v)), f"[kinds.{key}.values.{v}]", source)
              for v, vs in (spec.get("values") or {}).items()}
    return LayerStyle(key=key, base=base, by=spec.get("by"), values=values)


def _apply_layer_override(style: LayerStyle, spec: dict, where: str, source: str) -> LayerStyle:
    if not isinstance(spec, dict):
        raise InputError(f"{where} must be a table of style keys", path=source)
    base = _style(spec, style.base, where, source)
    values = dict(style.values)
    for v, vs in (spec.get("values") or {}).items():
        start = values.get(str(v), replace(base, label=str(v)))
        values[str(v)] = _style(vs, start, f"{where}.values.{v}", source)
    return LayerStyle(key=style.key, base=base, by=spec.get("by", style.by), values=values)


def load_styles(project=None) -> StyleBook:
    """The styles of ``maps/data/styles.toml``, with ``[map.styles]`` of a project applied.

    Parameters
    ----------
    project : redline.layers.project.Project, optional
        Its ``map["styles"]`` table: ``{layer id or kind: {style keys..., values: {...}}}`` and
        ``structure = {belt = {...}, axis = {main = {...}}}``. Its region's level
        (:func:`redline.spatial.region.project_level`) names the boundary and township lines in the legend
        (县级行政界线 and 乡镇界线 for a county, 市级行政界线 and 县级行政界线 for a city); a ``label`` in
        ``[map.styles]`` still wins.

    Raises
    ------
    InputError
        An override names an unknown style key or gives a value that is not valid (the message names the
        project file and the table).
    """
    table = _table()
    src = "maps/data/styles.toml"
    defaults = _style(table.get("defaults", {}), Style(), "[defaults]", src)
    kinds = {k: _layer_style(k, spec, defaults, src) for k, spec in table["kinds"].items()}
    if project is not None:   # the region's boundary and its zones labelled at the region's level
        lv = project_level(project)
        for key, label in (("boundary", lv.boundary_line), (TOWNSHIP, lv.sub_line)):
            if key in kinds:
                kinds[key] = replace(kinds[key], base=replace(kinds[key].base, label=label))
    structure: dict[str, Style] = {}
    for k, spec in table["structure"].items():
        if k == "axis":
            for rank, rs in spec.items():
                structure[f"axis.{rank}"] = _style(rs, defaults, f"[structure.axis.{rank}]", src)
        else:
            structure[k] = _style(spec, defaults, f"[structure.{k}]", src)
    core_radii = tuple(float(r) for r in table["structure"]["core"].get("radius_by_rank", [12.0]))
    overrides = {}
    source = src
    if project is not None:
        overrides = dict((project.map or {}).get("styles") or {})
        source = str(project.path) if project.path else "project"
        from redline.layers.kinds import KIND_IDS

        for ref, spec in overrides.items():
            if ref == "structure":
                continue
            if ref not in project.layers and ref not in KIND_IDS and ref != TOWNSHIP:
                raise InputError(f"[map.styles.{ref}] names no layer id or kind of the project "
                                 f"(layers: {', '.join(project.layers)})", path=source)
            _apply_layer_override(kinds.get(ref) or LayerStyle(key=ref, base=defaults), spec,
                                  f"[map.styles.{ref}]", source)
        for k, spec in (overrides.get("structure") or {}).items():
            if k == "axis":
                for rank, rs in spec.items():
                    name = f"axis.{rank}"
                    if name not in structure:
                        raise InputError(f"[map.styles.structure.axis.{rank}]: axes rank main or secondary",
                                         path=source)
                    structure[name] = _style(rs, structure[name], f"[map.styles.structure.axis.{rank}]",
                                             source)
            elif k in structure:
                structure[k] = _style(spec, structure[k], f"[map.styles.structure.{k}]", source)
            else:
                raise InputError(f"[map.styles.structure.{k}]: not a structure element kind "
                                 f"({', '.join(STRUCTURE_KINDS)})", path=source)
    return StyleBook(kinds=kinds, structure=structure, core_radii=core_radii,
                     field_labels=dict(table.get("fields", {})), overrides=overrides, source=source)


def style_fields() -> tuple[str, ...]:
    """Names of the :class:`Style` fields (for documentation and tests)."""
    return tuple(f.name for f in fields(Style))
