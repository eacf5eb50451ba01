"""Site-check rules as data: the package's rule file, a project's own rules, and the project types.

Rules live in ``spatial/data/rules.toml`` (format in its header) and project types in
``spatial/data/project_types.toml``. A project adds rule files (``[rules] files = [...]``) and buffer rules
(``[[rules.distance]]``) in its ``redline.toml``.

A zone rule concerns one layer kind, one or more functional zones and a set of project types; a distance
rule concerns the features of one project layer (filtered by attributes) within a distance of the site.

Example
-------
>>> rules = load_rules()
>>> r = rules.rule("red_line.limited_6")
>>> r.level, r.concerns("linear_infrastructure"), r.concerns("mining")
('needs_review', True, False)
>>> resolve_type("线性基础设施")
'linear_infrastructure'
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from redline.layers.errors import InputError, UsageError
from redline.layers.kinds import KIND_IDS

#: Finding levels, strictest first. ``no_data`` is only produced by the coverage test, never by a rule file.
LEVELS = ("prohibited", "needs_review", "no_data", "allowed", "info")
RULE_LEVELS = ("prohibited", "needs_review", "allowed", "info")
LEVEL_LABELS = {"prohibited": "禁止", "needs_review": "需论证", "no_data": "无数据", "allowed": "允许",
                "info": "提示"}
ANY = "*"
NO_ZONE = "none"


# ------------------------------------------------------------------------------------------ project types
@dataclass(frozen=True)
class ProjectType:
    """One project type: identifier, Chinese label, description, aliases, limited-activity number."""

    id: str
    label: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    limited_activity: int = 0


@cache
def project_types() -> dict[str, ProjectType]:
    """The documented project types, by identifier (``spatial/data/project_types.toml``)."""
    with resources.files("redline.spatial").joinpath("data/project_types.toml").open("rb") as f:
        table = tomllib.load(f)
    return {tid: ProjectType(id=tid, label=spec["label"], description=spec.get("description", ""),
                             aliases=tuple(spec.get("aliases", ())),
                             limited_activity=int(spec.get("limited_activity", 0)))
            for tid, spec in table["types"].items()}


def type_label(type_id: str | None) -> str:
    """Chinese label of a project type (``"未指定"`` for None)."""
    if type_id is None:
        return "未指定"
    t = project_types().get(type_id)
    return t.label if t else str(type_id)


def valid_types_text() -> str:
    """``id（label）`` of every project type, for error messages and help."""
    return ", ".join(f"{t.id}（{t.label}）" for t in project_types().values())


def resolve_type(value, *, strict: bool = True) -> str | None:
    """The identifier of a project type given by identifier, Chinese label or alias.

    Parameters
    ----------
    value : str or None
        ``linear_infrastructure``, ``线性基础设施``, ``城镇住宅用地``... Case and surrounding spaces are ignored.
    strict : bool
        Raise :class:`UsageError` listing the valid types for an unknown value (True), or return None.

    Examples
    --------
    >>> resolve_type("住宅"), resolve_type("Mining"), resolve_type("公用设施用地", strict=False)
    ('housing', 'mining', None)
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none"):
        return None
    low = text.lower()
    types = project_types()
    if low in types:
        return low
    for t in types.values():
        if text == t.label or text in t.aliases:
            return t.id
    if strict:
        raise UsageError(f"unknown project type {text!r}; valid types: {valid_types_text()}")
    return None


# ------------------------------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Rule:
    """A zone rule: applies when a site touches (or lies outside) a layer of ``kinds`` in ``zones``."""

    id: str
    kinds: tuple[str, ...]
    zones: tuple[str, ...]          # (ANY,) or canonical zones, NO_ZONE for features without one
    types: tuple[str, ...]          # (ANY,) or type ids
    except_types: tuple[str, ...]
    level: str
    clause: str
    message: str
    applies: str = "inside"         # or "outside"
    clause_field: str | None = None
    source: str = "spatial/data/rules.toml"
    title: str = ""                 # a few Chinese words naming the rule in reports
    feature_contains: tuple = ()    # ((attribute, (texts...)), ...): features whose attribute contains a text

    @property
    def type_dependent(self) -> bool:
        """Whether the rule concerns only some project types (so an unknown type cannot be decided)."""
        return self.types != (ANY,) or bool(self.except_types)

    def concerns(self, type_id: str | None) -> bool | None:
        """Whether the rule concerns a project type; None when the type is unknown and it matters."""
        if type_id is None:
            return None if self.type_dependent else True
        if self.types != (ANY,) and type_id not in self.types:
            return False
        return type_id not in self.except_types

    def matches_feature(self, attrs: dict) -> bool:
        """Whether a feature with canonical attributes ``attrs`` is one the rule concerns (``feature_contains``).

        >>> r = Rule("x", ("protected_area",), ("*",), ("*",), (), "prohibited", "c", "m",
        ...          feature_contains=(("type", ("湿地公园",)), ("level", ("国家",))))
        >>> r.matches_feature({"type": "湿地公园", "level": "国家级"}), r.matches_feature({"type": "湿地公园"})
        (True, False)
        """
        return all(any(t in (attrs.get(a) or "") for t in texts) for a, texts in self.feature_contains)

    def matches_zone(self, zone: str | None) -> bool:
        if ANY in self.zones:
            return True
        if zone is None:
            return NO_ZONE in self.zones
        return zone in self.zones


@dataclass(frozen=True)
class DistanceRule:
    """A buffer rule: a site within ``distance_m`` of a feature of ``layer`` matching ``where``."""

    id: str
    layer: str                       # a project layer id, or a kind
    where: dict
    distance_m: float
    types: tuple[str, ...]
    except_types: tuple[str, ...]
    level: str
    clause: str
    message: str
    source: str = "redline.toml"
    title: str = ""

    type_dependent = Rule.type_dependent
    concerns = Rule.concerns


@dataclass
class RuleSet:
    """The zone rules and distance rules of one check, and where they came from."""

    rules: list[Rule] = field(default_factory=list)
    distance: list[DistanceRule] = field(default_factory=list)
    version: str = ""
    files: list[str] = field(default_factory=list)

    def rule(self, rule_id: str) -> Rule | DistanceRule:
        for r in (*self.rules, *self.distance):
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def for_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if kind in r.kinds]

    def describe(self) -> dict:
        """``{"version", "files", "rules", "distance_rules"}`` for the provenance of a check."""
        return {"version": self.version, "files": list(self.files), "rules": len(self.rules),
                "distance_rules": [r.id for r in self.distance]}


def _as_tuple(value, what: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"{what} must be a string or a list of strings", path=where)


def _types(spec: dict, key: str, where: str, *, default=(ANY,)) -> tuple[str, ...]:
    raw = spec.get(key)
    if raw is None:
        return tuple(default)
    values = _as_tuple(raw, f"rule {spec.get('id')!r}: {key}", where)
    if values == (ANY,):
        return values
    out = []
    for v in values:
        t = resolve_type(v, strict=False)
        if t is None:
            raise InputError(f"rule {spec.get('id')!r}: {key} names unknown project type {v!r}; valid types: "
                             f"{valid_types_text()}", path=where)
        out.append(t)
    return tuple(out)


def _common(spec: dict, where: str, seen: set[str]) -> dict:
    rid = spec.get("id")
    if not rid or not isinstance(rid, str):
        raise InputError("a rule has no id", path=where)
    if rid in seen:
        raise InputError(f"rule id {rid!r} is defined twice", path=where)
    seen.add(rid)
    level = spec.get("level")
    if level not in RULE_LEVELS:
        raise InputError(f"rule {rid!r}: level {level!r} is not one of {', '.join(RULE_LEVELS)}", path=where)
    for key in ("clause", "message"):
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            raise InputError(f"rule {rid!r} has no {key} (every rule cites its clause and states its case)",
                             path=where)
    title = spec.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise InputError(f"rule {rid!r}: title must be a text", path=where)
    return {"id": rid, "level": level, "clause": spec["clause"].strip(), "message": spec["message"].strip(),
            "types": _types(spec, "types", where), "except_types": _types(spec, "except_types", where, default=()),
            "source": where, "title": (title or "").strip() or clause_title(spec["clause"])}


def clause_title(clause: str) -> str:
    """A rule's title when it has none: the document (and article) its clause cites, before the colon.

    >>> clause_title("《中华人民共和国河道管理条例》第十一条：跨河、穿河……")
    '《中华人民共和国河道管理条例》第十一条'
    """
    head = clause.strip().split("：", 1)[0].split(":", 1)[0]
    return head[:80]


def parse_rule(spec: dict, where: str, seen: set[str] | None = None) -> Rule:
    """One ``[[rules]]`` table as a :class:`Rule` (errors name the file and the rule id)."""
    seen = set() if seen is None else seen
    base = _common(spec, where, seen)
    kinds = _as_tuple(spec.get("kind"), f"rule {base['id']!r}: kind", where)
    if not kinds:
        raise InputError(f"rule {base['id']!r} has no kind", path=where)
    for k in kinds:
        if k not in KIND_IDS:
            raise InputError(f"rule {base['id']!r}: kind {k!r} is not a layer kind ({', '.join(KIND_IDS)})",
                             path=where)
    zones = _as_tuple(spec.get("zone", ANY), f"rule {base['id']!r}: zone", where) or (ANY,)
    applies = spec.get("applies", "inside")
    if applies not in ("inside", "outside"):
        raise InputError(f"rule {base['id']!r}: applies must be 'inside' or 'outside', not {applies!r}",
                         path=where)
    cf = spec.get("clause_field")
    if cf is not None and not isinstance(cf, str):
        raise InputError(f"rule {base['id']!r}: clause_field must be an attribute name", path=where)
    fc = spec.get("feature_contains") or {}
    if not isinstance(fc, dict):
        raise InputError(f"rule {base['id']!r}: feature_contains must be a table {{attribute = text or [texts]}}",
                         path=where)
    contains = tuple((str(a), _as_tuple(v, f"rule {base['id']!r}: feature_contains.{a}", where))
                     for a, v in fc.items())
    return Rule(kinds=kinds, zones=zones, applies=applies, clause_field=cf, feature_contains=contains, **base)


def parse_distance_rule(spec: dict, where: str, seen: set[str] | None = None) -> DistanceRule:
    """One ``[[rules.distance]]`` (or ``[[distance]]``) table as a :class:`DistanceRule`."""
    seen = set() if seen is None else seen
    base = _common(spec, where, seen)
    layer = spec.get("layer")
    if not layer or not isinstance(layer, str):
        raise InputError(f"distance rule {base['id']!r} has no layer (a layer id of the project or a kind)",
                         path=where)
    try:
        d = float(spec.get("distance_m"))
    except (TypeError, ValueError):
        raise InputError(f"distance rule {base['id']!r}: distance_m must be a number of metres", path=where) from None
    if not d > 0:
        raise InputError(f"distance rule {base['id']!r}: distance_m must be positive, not {d:g}", path=where)
    where_ = spec.get("where") or {}
    if not isinstance(where_, dict):
        raise InputError(f"distance rule {base['id']!r}: where must be a table {{attribute = value}}", path=where)
    return DistanceRule(layer=layer, where=dict(where_), distance_m=d, **base)


def _read_toml(path: Path) -> dict:
    from redline.layers.tomlfile import read_toml

    return read_toml(path, what="rule file")[0]


@cache
def _package_table() -> dict:
    with resources.files("redline.spatial").joinpath("data/rules.toml").open("rb") as f:
        return tomllib.load(f)


def load_rules(files: list[str | os.PathLike] = (), distance: list[dict] = (), *,
               distance_source: str = "redline.toml") -> RuleSet:
    """The package's rules, plus rule files and distance rules of a project.

    Parameters
    ----------
    files : list of paths
        Extra rule files (same format as ``spatial/data/rules.toml``; ``[[rules]]`` and ``[[distance]]``).
    distance : list of dict
        ``[[rules.distance]]`` tables of a project file.
    distance_source : str
        Where ``distance`` came from, for messages.

    Raises
    ------
    InputError
        A rule file is missing or malformed, or a rule is not valid (the message names file and rule id).
    """
    seen: set[str] = set()
    table = _package_table()
    pkg = "spatial/data/rules.toml"
    out = RuleSet(version=str(table.get("version", "")), files=[pkg])
    out.rules = [parse_rule(s, pkg, seen) for s in table.get("rules", [])]
    for f in files:
        p = Path(f)
        t = _read_toml(p)
        out.files.append(str(p))
        out.rules += [parse_rule(s, str(p), seen) for s in t.get("rules", [])]
        out.distance += [parse_distance_rule(s, str(p), seen) for s in t.get("distance", [])]
    if distance and not isinstance(distance, list):
        raise InputError("[rules] distance must be an array of tables ([[rules.distance]])", path=distance_source)
    out.distance += [parse_distance_rule(s, distance_source, seen) for s in (distance or [])]
    return out


def rules_for_project(project) -> RuleSet:
    """The rules of a :class:`redline.layers.project.Project`: the package's, its rule files and distance rules."""
    spec = project.rules or {}
    files = spec.get("files") or []
    if isinstance(files, str):
        files = [files]
    where = str(project.path) if project.path else "project"
    return load_rules([project.resolve(f) for f in files], spec.get("distance") or [], distance_source=where)


# ------------------------------------------------------------------------------------------------ messages
class _Blank(dict):
    def __missing__(self, key):
        return ""


def format_message(template: str, values: dict) -> str:
    """Fill a message template; unknown placeholders become empty (a rule file cannot break a check).

    >>> format_message("压覆{layer}{nothing}。", {"layer": "生态保护红线"})
    '压覆生态保护红线。'
    """
    try:
        return template.format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError):
        return template
