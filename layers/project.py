"""The project file ``redline.toml``: a region's layers, their kinds and field mappings, rules, map settings.

Format
------
.. code-block:: toml

    [region]
    name = "示范县"
    boundary = "county"          # layer id of the county boundary (denominator of shares)
    townships = "townships"      # layer id of the township layer (breakdowns)
    crs = "EPSG:4527"            # analysis CRS (optional: taken from the boundary layer)
    fictional = false

    [layers.red_line]            # one table per layer; the key is the layer id
    kind = "red_line"            # a kind from layers/data/kinds.toml
    path = "data/red_line.gpkg"  # relative to the project file
    layer = "red_line"           # layer inside a GeoPackage / File Geodatabase (optional)
    source = "示范县自然资源局"    # data provenance: who made it
    date = "2026-06-30"          # and its vintage
    fields = { name = "HXMC" }   # canonical attribute = field in the data (overrides the kind's defaults)
    encoding = "gbk"             # optional, for shapefiles without .cpg
    crs = "EPSG:4527"            # optional: the layer's CRS when its file has none (DXF) or a wrong one
    datum = "gcj02"              # optional: longitude/latitude exported from 高德/腾讯 maps, converted on reading

    [rules]
    files = ["rules/local.toml"] # extra rule files, relative to the project file
    [[rules.distance]]           # buffer rules (see spatial/data/rules.toml for the fields)
    id = "fen_river_1km"
    ...

    [map]
    title = "示范县生态保护红线分布图"
    producer = "示范县自然资源局"
    approval_number = ""          # 审图号, only when the base map has one
    layout = "structure.toml"     # structure diagram layout
    [map.styles.red_line]         # style overrides per layer id or kind

Example
-------
>>> p = Project.from_dict({"layers": {"rl": {"kind": "red_line", "path": "rl.gpkg"}}}, base="/tmp")
>>> p.layers["rl"].kind, str(p.layers["rl"].path)
('red_line', '/tmp/rl.gpkg')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from redline.layers.errors import InputError, UsageError
from redline.layers.kinds import KIND_IDS, is_control_kind

PROJECT_FILE = "redline.toml"
# a layer's datum = …: "gcj02" converts on reading; the others say what the file already is
LAYER_DATUMS = ("gcj02", "wgs84", "cgcs2000")


@dataclass
class LayerSpec:
    """One layer of a project."""

    id: str
    kind: str
    path: Path
    layer: str | None = None
    source: str | None = None
    date: str | None = None
    fields: dict = field(default_factory=dict)
    encoding: str | None = None
    label: str | None = None
    crs: str | None = None
    datum: str | None = None

    @property
    def vintage(self) -> str | None:
        return self.date


@dataclass
class Project:
    """A parsed ``redline.toml``."""

    path: Path | None
    base: Path
    region: dict
    layers: dict[str, LayerSpec]
    rules: dict
    map: dict
    raw: dict

    @classmethod
    def from_dict(cls, data: dict, base: str | os.PathLike = ".", path: str | os.PathLike | None = None,
                  text: str | None = None) -> Project:
        """A project from parsed TOML (``text``, when given, lets errors name the line of the key at fault).

        Raises
        ------
        InputError
            A key of the wrong type (:mod:`redline.layers.project_schema`), an unknown layer kind, a layer
            without a path, a ``[region]`` reference to no layer, a rule file or layout that is the project
            file itself.
        """
        from redline.layers.project_schema import validate
        from redline.layers.tomlfile import key_line

        base = Path(base)
        where = str(path) if path else "project"

        def line(*key) -> int | None:
            return key_line(text, key) if text else None

        validate(data, text, where)
        layers: dict[str, LayerSpec] = {}
        for lid, spec in (data.get("layers") or {}).items():
            kind = spec.get("kind")
            if kind not in KIND_IDS:
                raise InputError(f"[layers.{lid}] kind {kind!r} is not a layer kind; valid kinds: "
                                 f"{', '.join(KIND_IDS)}", path=where, line=line("layers", lid, "kind"))
            if not spec.get("path"):
                raise InputError(f"[layers.{lid}] has no path", path=where, line=line("layers", lid))
            fields = spec.get("fields") or {}
            datum = spec.get("datum")
            if datum is not None and str(datum).lower() not in LAYER_DATUMS:
                raise InputError(f"[layers.{lid}] datum {datum!r}: give \"gcj02\" for longitude/latitude from "
                                 "高德/腾讯 web maps (converted on reading), or leave it out", path=where,
                                 line=line("layers", lid, "datum"))
            p = Path(spec["path"])
            layers[lid] = LayerSpec(
                id=lid, kind=kind, path=p if p.is_absolute() else base / p, layer=spec.get("layer"),
                source=spec.get("source"), date=None if spec.get("date") is None else str(spec.get("date")),
                fields=dict(fields), encoding=spec.get("encoding"), label=spec.get("label"),
                crs=None if spec.get("crs") is None else str(spec["crs"]),
                datum=None if datum is None else str(datum).lower())
        region = dict(data.get("region") or {})
        for role in ("boundary", "townships"):
            ref = region.get(role)
            if ref is not None and ref not in layers:
                raise InputError(f"[region] {role} = {ref!r} names no layer of the project "
                                 f"(layers: {', '.join(layers) or 'none'})", path=where, line=line("region", role))
        if path is not None:
            _not_itself(data, base, Path(path), where, line)
        return cls(path=Path(path) if path else None, base=base, region=region, layers=layers,
                   rules=dict(data.get("rules") or {}), map=dict(data.get("map") or {}), raw=data)

    @property
    def name(self) -> str:
        return self.region.get("name") or (self.base.name if self.path else "")

    @property
    def fictional(self) -> bool:
        return bool(self.region.get("fictional", False))

    def resolve(self, relpath: str | os.PathLike) -> Path:
        p = Path(relpath)
        return p if p.is_absolute() else self.base / p

    def boundary_id(self) -> str | None:
        if self.region.get("boundary"):
            return self.region["boundary"]
        ids = [lid for lid, s in self.layers.items() if s.kind == "boundary"]
        return ids[0] if ids else None

    def townships_id(self) -> str | None:
        return self.region.get("townships")

    def control_layers(self) -> list[LayerSpec]:
        """Every layer a site is checked against: all but boundaries, sites, roads and towns."""
        return [s for s in self.layers.values() if is_control_kind(s.kind)]

    def input_paths(self) -> list[Path]:
        """Every file the project names: the project file itself, each layer's file, rule files, the
        ``[map] layout`` and the ``[raster]`` files (a command never writes onto any of them)."""
        paths = [self.path] if self.path else []
        paths += [s.path for s in self.layers.values()]
        files = (self.rules or {}).get("files") or []
        paths += [self.resolve(f) for f in ([files] if isinstance(files, str) else files) if isinstance(f, str)]
        layout = (self.map or {}).get("layout")
        if isinstance(layout, str):
            paths.append(self.resolve(layout))
        raster = self.raw.get("raster") or {}
        paths += [self.resolve(v) for v in raster.values() if isinstance(v, str)] if isinstance(raster, dict) else []
        return [Path(p) for p in paths]

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Project:
        """Read a project file (:func:`load_project`); a folder means its ``redline.toml``."""
        return load_project(path)

    def layer(self, ref: str, *, repair: bool = False):
        """A layer of the project, read: a GeoDataFrame with the kind's canonical columns and its
        :class:`~redline.layers.info.LayerInfo` (source and date included).

        ``ref`` is a layer id, or a kind when exactly one layer has that kind.
        """
        from redline.layers.readers import read_project_layer

        return read_project_layer(self, self.spec(ref).id, repair=repair)

    def spec(self, ref: str) -> LayerSpec:
        """A layer's entry in the project file, by id, or by kind when exactly one layer has that kind."""
        if ref in self.layers:
            return self.layers[ref]
        by_kind = [s for s in self.layers.values() if s.kind == ref]
        if len(by_kind) == 1:
            return by_kind[0]
        raise UsageError(f"the project has no layer {ref!r} (layers: {', '.join(self.layers)})")


def _not_itself(data: dict, base: Path, path: Path, where: str, line) -> None:
    """A rule file or a layout that is the project file itself would be read as what it is not."""
    files = (data.get("rules") or {}).get("files") or []
    named = [("rules", "files", f) for f in ([files] if isinstance(files, str) else files)]
    if isinstance((data.get("map") or {}).get("layout"), str):
        named.append(("map", "layout", data["map"]["layout"]))
    for table, key, value in named:
        p = Path(value) if Path(value).is_absolute() else base / value
        try:
            same = p.exists() and os.path.samefile(p, path)
        except OSError:
            same = False
        if same:
            raise InputError(f"[{table}] {key} names the project file itself ({value!r}); a {key.rstrip('s')} "
                             "file is a file of its own", path=where, line=line(table, key))


def load_project(path: str | os.PathLike | None = None) -> Project:
    """Read a project file; with no path, ``redline.toml`` in the current folder.

    Raises
    ------
    InputError
        Missing file, TOML syntax error (with its line), or a layer entry that is not valid.
    """
    from redline.layers.tomlfile import read_toml

    p = Path(path) if path else Path.cwd() / PROJECT_FILE
    if p.is_dir():
        p = p / PROJECT_FILE
    if not os.path.lexists(p):
        raise InputError("project file not found" + ("" if path else " in the current folder (give --project)"),
                         path=str(p))
    data, text = read_toml(p, what="project file")
    return Project.from_dict(data, base=p.parent.resolve(), path=p, text=text)


def find_project(path: str | os.PathLike | None) -> Project | None:
    """The project named by ``--project``, else ``redline.toml`` in the current folder, else None."""
    if path:
        return load_project(path)
    if (Path.cwd() / PROJECT_FILE).is_file():
        return load_project(Path.cwd() / PROJECT_FILE)
    return None
