"""Structure-diagram layout files (规划结构图): the elements of a formula such as "一带两片、一区三轴".

Format (TOML; YAML with the same keys when PyYAML is installed):

.. code-block:: toml

    title = "示范县生态空间结构图"
    formula = "一带两片、一区三轴"
    crs = "EPSG:4490"        # optional: CRS of the coords below (default CGCS2000 lon/lat)

    [[elements]]
    kind = "belt"            # belt 带 | corridor 廊 | patch 片 | zone 区 | axis 轴 | core 核/心 | node 点 |
                             # barrier 屏障 (the Chinese names are accepted too)
    label = "沿河生态带"
    rank = "main"            # axes: main | secondary (主/次); cores: 1 | 2 | 3 (1 = largest)
    from = { layer = "rivers", where = { name = ["汾河", "孝河"] } }  # project features
    buffer_m = 1500          # optional: buffer in metres
    coords = [[111.5, 38.3], [111.6, 38.4]]  # optional alternative or addition
    color = "#2e9d4b"        # optional: overrides the kind's colour

``where`` is ``{field: value or list of values}`` on canonical fields (``name``, ``zone``...) or the
layer's own fields; several fields must all match. ``coords`` is a point ``[x, y]``, a list of points
(a line; a ring for patches and zones) or a list of such lists (several parts).

Example
-------
>>> lay = parse_layout({"elements": [{"kind": "轴", "label": "主轴", "rank": "主",
...                                   "coords": [[111.0, 38.0], [111.2, 38.1]]}]}, "structure.toml")
>>> lay.elements[0].kind, lay.elements[0].rank
('axis', 'main')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from redline.layers.errors import InputError, UsageError
from redline.layers.inputs import check_input

KINDS = ("belt", "corridor", "patch", "zone", "axis", "core", "node", "barrier")
KIND_ALIASES = {
    "belt": "belt", "带": "belt", "生态带": "belt",
    "corridor": "corridor", "廊": "corridor", "廊道": "corridor",
    "patch": "patch", "片": "patch", "片区": "patch",
    "zone": "zone", "区": "zone",
    "axis": "axis", "轴": "axis", "轴线": "axis",
    "core": "core", "核": "core", "心": "core", "核心": "core", "中心": "core",
    "node": "node", "点": "node", "节点": "node",
    "barrier": "barrier", "屏障": "barrier", "屏": "barrier",
}
KIND_LABELS = {"belt": "带", "corridor": "廊", "patch": "片", "zone": "区", "axis": "轴", "core": "核/心",
               "node": "点", "barrier": "屏障"}
AXIS_RANKS = {"main": "main", "主": "main", "主轴": "main", "primary": "main",
              "secondary": "secondary", "次": "secondary", "次轴": "secondary", "minor": "secondary"}
ELEMENT_KEYS = ("kind", "label", "rank", "from", "buffer_m", "coords", "color", "symbol")
SYMBOLS = ("circle", "star")


@dataclass(frozen=True)
class Element:
    """One element of a structure diagram, as written in the layout file (not yet resolved)."""

    index: int                  # 1-based position in the file
    kind: str                   # one of KINDS
    label: str
    rank: str | int | None = None
    layer: str | None = None    # from.layer
    where: dict = field(default_factory=dict)  # from.where: {field: [values]}
    buffer_m: float | None = None
    coords: list | None = None
    color: str | None = None
    symbol: str = "circle"      # cores: circle or star

    @property
    def ref(self) -> str:
        """How error messages name the element: ``element 3 (沿河生态带)``."""
        return f"element {self.index} ({self.label})"


@dataclass(frozen=True)
class Layout:
    """A parsed layout file."""

    path: str
    title: str | None
    formula: str | None
    crs: str
    elements: list[Element]


def yaml_available() -> bool:
    """Whether YAML layout files can be read (PyYAML installed)."""
    try:
        import yaml  # noqa: F401
    except ImportError:
        return False
    return True


def load_layout(path: str | os.PathLike) -> Layout:
    """Read a layout file (``.toml``, or ``.yaml``/``.yml`` when PyYAML is installed).

    Raises
    ------
    InputError
        Missing file, syntax error, or an element that is not valid (naming the file, the element's index
        and label, and what is wrong).
    """
    from redline.layers.tomlfile import MAX_DEPTH, read_toml, toml_depth

    p = check_input(path, what="layout file")
    if p.suffix.lower() not in (".yaml", ".yml"):
        return parse_layout(read_toml(p, what="layout file")[0], str(p))
    if not yaml_available():
        raise InputError("YAML layout files need PyYAML (pip install pyyaml); or write the layout in TOML",
                         path=str(p))
    import yaml

    try:
        with open(p, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except UnicodeDecodeError:
        raise InputError("layout file is not UTF-8 text", path=str(p)) from None
    except RecursionError:
        raise InputError("not a valid YAML layout file: nested too deeply", path=str(p)) from None
    except Exception as exc:  # yaml.YAMLError and friends
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not a valid YAML layout file: {getattr(exc, 'problem', exc)}", path=str(p),
                         line=None if mark is None else mark.line + 1) from None
    if toml_depth(data) > MAX_DEPTH:
        raise InputError(f"not a valid YAML layout file: nested more than {MAX_DEPTH} levels deep", path=str(p))
    return parse_layout(data, str(p))


def _coords_ok(value) -> bool:
    def is_pair(v):
        return (isinstance(v, (list, tuple)) and len(v) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v))

    if is_pair(value):
        return True
    if isinstance(value, (list, tuple)) and value:
        if all(is_pair(v) for v in value):
            return True
        return all(isinstance(v, (list, tuple)) and v and all(is_pair(w) for w in v) for v in value)
    return False


def parse_layout(data, path: str = "layout") -> Layout:
    """Check a layout's parsed content and return a :class:`Layout`; see the module docstring."""
    if not isinstance(data, dict):
        raise InputError("a layout file is a table with an `elements` list", path=path)
    raw = data.get("elements")
    if not isinstance(raw, list) or not raw:
        raise InputError("the layout has no [[elements]]", path=path)
    elements = []
    for i, spec in enumerate(raw, start=1):
        label = str(spec.get("label", "")).strip() if isinstance(spec, dict) else ""
        where = f"element {i}" + (f" ({label})" if label else "")

        def bad(msg, where=where):
            return InputError(f"{where}: {msg}", path=path)

        if not isinstance(spec, dict):
            raise bad("must be a table")
        unknown = [k for k in spec if k not in ELEMENT_KEYS]
        if unknown:
            raise bad(f"unknown key(s) {', '.join(map(repr, unknown))} (keys: {', '.join(ELEMENT_KEYS)})")
        if not label:
            raise bad("has no label")
        kind = KIND_ALIASES.get(str(spec.get("kind", "")).strip().lower())
        if kind is None:
            raise bad(f"unknown kind {spec.get('kind')!r}; kinds: "
                      + ", ".join(f"{k} {KIND_LABELS[k]}" for k in KINDS))
        rank = spec.get("rank")
        if kind == "axis":
            rank = AXIS_RANKS.get(str(rank if rank is not None else "main").strip().lower())
            if rank is None:
                raise bad(f"an axis rank is main or secondary, not {spec.get('rank')!r}")
        elif kind == "core":
            try:
                rank = int(rank) if rank is not None else 1
            except (TypeError, ValueError):
                rank = 0
            if rank not in (1, 2, 3):
                raise bad(f"a core rank is 1, 2 or 3 (1 = largest), not {spec.get('rank')!r}")
        layer, where_map = None, {}
        ref = spec.get("from")
        if ref is not None:
            if not isinstance(ref, dict) or not isinstance(ref.get("layer"), str) or not ref["layer"]:
                raise bad("`from` must be a table with a `layer` (a project layer id)")
            extra = [k for k in ref if k not in ("layer", "where")]
            if extra:
                raise bad(f"`from` has unknown key(s) {', '.join(map(repr, extra))} (keys: layer, where)")
            layer = ref["layer"]
            w = ref.get("where") or {}
            if not isinstance(w, dict):
                raise bad("`from.where` must be a table {field = value or [values]}")
            for fld, val in w.items():
                vals = val if isinstance(val, list) else [val]
                if not vals or any(isinstance(v, (dict, list)) for v in vals):
                    raise bad(f"`from.where.{fld}` must be a value or a list of values")
                where_map[str(fld)] = [str(v).strip() for v in vals]
        coords = spec.get("coords")
        if coords is not None and not _coords_ok(coords):
            raise bad("`coords` must be [x, y], a list of [x, y] or a list of such lists")
        if layer is None and coords is None:
            raise bad("has no geometry: give `from` (project features), `coords`, or both")
        buffer_m = spec.get("buffer_m")
        if buffer_m is not None:
            if isinstance(buffer_m, bool) or not isinstance(buffer_m, (int, float)) or buffer_m < 0:
                raise bad(f"`buffer_m` must be a distance in metres >= 0, not {buffer_m!r}")
            buffer_m = float(buffer_m)
        color = spec.get("color")
        if color is not None:
            from redline.maps.styles import _color

            color = _color(color, f"{where} color", path)
        symbol = str(spec.get("symbol", "circle")).strip().lower()
        if symbol not in SYMBOLS:
            raise bad(f"`symbol` is circle or star, not {spec.get('symbol')!r}")
        elements.append(Element(index=i, kind=kind, label=label, rank=rank, layer=layer, where=where_map,
                                buffer_m=buffer_m, coords=coords, color=color, symbol=symbol))
    title = data.get("title")
    formula = data.get("formula")
    crs = str(data.get("crs") or "EPSG:4490")
    return Layout(path=path, title=None if title is None else str(title),
                  formula=None if formula is None else str(formula), crs=crs, elements=elements)


def project_layout(project, layout: Layout | str | os.PathLike | None = None, *, no_layout: bool = False
                   ) -> Layout | None:
    """The layout to draw: the one given, else the project's ``[map] layout``; none with ``no_layout``."""
    if layout is not None and no_layout:
        raise UsageError("--layout and --no-layout exclude each other")
    if no_layout:
        return None
    if layout is None and (project.map or {}).get("layout"):
        layout = project.resolve(project.map["layout"])
    if layout is not None and not isinstance(layout, Layout):
        layout = load_layout(layout)
    return layout
