"""Distance rules stated in a plan text ("黄河干流2公里、汾河1公里范围内禁止新建高污染项目"), and their draft as
project rules (``[[rules.distance]]`` of ``redline.toml``).

A plan rule is a sentence with a level word (禁止, 严禁, 不得 → ``prohibited``; 限制, 严格控制, 排查 …
→ ``needs_review``) and one or more distances that bound a zone around named features: a length figure
followed by 范围/以内/内 or preceded by 堤外/沿岸/两侧 …. The words before each distance name the features
(split at 、 和 及 与) and where the distance is measured from (堤外 → the levee, 岸线/沿岸 → the bank,
中心线 → the centre line); the words after the level word name the activities, mapped to project types by
the words of ``spatial/data/subjects.toml`` ``[plan_rules]``.

Example
-------
>>> [r] = extract_rules("严禁在黄河干流两公里范围内布设高污染工业项目。")
>>> r.features, r.distance_m, r.measured_from, r.level, r.types
(['黄河'], 2000.0, 'unspecified', 'prohibited', ['industry_high_pollution'])
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from redline.spatial.plantext.grammar import _figures
from redline.spatial.plantext.layout import _layout, _Row, _Segment
from redline.spatial.plantext.vocabulary import vocabulary

MEASURED_FROM_LABELS = {"levee": "堤防外侧（堤外）", "bank": "河岸（岸线）", "centre_line": "中心线",
                        "boundary": "边界", "unspecified": "未说明（按图层要素本身）"}
_SENTENCE_RE = re.compile(r"[^。;!?]+[。;!?]?")
_ZONE_AFTER_RE = re.compile(r"^\s*(?:的)?(?:范围内|范围|以内|之内|内|区域内|区域|两侧|两岸)")
_ITEM_SEP_RE = re.compile(r"、|和|及|与|以及|或")


@dataclass
class PlanRule:
    """One distance rule of a plan: ``features`` within ``distance_m`` concern ``types`` at ``level``."""

    line: int
    clause: str
    features: list[str]
    feature_kind: str | None
    distance_m: float
    distance_text: str
    measured_from: str  # levee | bank | centre_line | boundary | unspecified
    activities: list[str]
    types: list[str]
    level: str  # prohibited | needs_review
    level_word: str
    matched: dict[str, list[str]] = field(default_factory=dict)  # feature -> matching feature names in data
    unmatched: list[str] = field(default_factory=list)
    layer: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _words() -> dict:
    return vocabulary()[1]["plan_rules"]


def _level(text: str) -> tuple[str, str] | None:
    words = _words()
    hits = [(m.start(), w, "prohibited") for w in words["prohibited"] for m in re.finditer(re.escape(w), text)]
    hits += [(m.start(), w, "needs_review") for w in words["needs_review"] for m in re.finditer(re.escape(w), text)]
    if not hits:
        return None
    strict = [h for h in hits if h[2] == "prohibited"]
    pos, word, level = min(strict or hits)
    return level, word


def _feature_kind(name: str) -> str | None:
    for kind, suffixes in _words()["feature_kinds"].items():
        if name.endswith(tuple(suffixes)):
            return kind
    return None


def _features(before: str) -> tuple[list[str], str]:
    """Feature names and where the distance is measured from, from the words before a distance."""
    words = _words()
    text = re.split(r"[,:，：]", before)[-1]
    for lead in words["lead_words"]:  # "严禁在黄河干流" -> "黄河干流"
        k = text.rfind(lead)
        if k >= 0:
            text = text[k + len(lead):]
    measured = next((key for key, spellings in words["measured_from"].items() if any(s in text for s in spellings)),
                    "unspecified")  # the first that fits: levee before bank ("沿岸堤外" is the levee)
    names = []
    for item in _ITEM_SEP_RE.split(text):
        item = item.strip(" 、")
        changed = True
        while changed and item:
            changed = False
            for w in sorted(words["position_words"], key=len, reverse=True):
                if item.endswith(w) and len(item) > len(w):
                    item, changed = item[:-len(w)], True
        if item and re.fullmatch(r"[\u3400-\u9fff\w·]{1,20}", item):
            names.append(item)
    return names, measured


def _activities(after: str) -> tuple[list[str], list[str]]:
    """Activity words and the project types they name, from the words after the level word."""
    acts, types = [], []
    table = _words()["activity_types"]
    for word in sorted(table, key=len, reverse=True):
        if word in after:
            after = after.replace(word, "\0" * len(word))  # a longer word hides the shorter ones in it
            acts.append(word)
            if table[word] not in types:
                types.append(table[word])
    return acts, types


def _segment_rules(seg: _Segment) -> list[PlanRule]:
    out: list[PlanRule] = []
    for m in _SENTENCE_RE.finditer(seg.text):
        sentence = m.group(0)
        lv = _level(sentence)
        if lv is None:
            continue
        level, level_word = lv
        figs = [f for f in _figures(sentence) if f.measure == "length"]
        # a distance bounds a zone when 范围/以内… follows it or 堤外/两侧/距… precedes it; in a list
        # ("黄河干流2公里、汾河1公里范围内") the zone word after the last distance holds for every one
        zone = [bool(_ZONE_AFTER_RE.match(sentence[f.end:]) or re.search(
            r"(?:堤外|沿岸|两侧|两岸|外侧|周边|周围|距离?|离)\s*$", sentence[:f.start])) for f in figs]
        for i in range(len(figs) - 2, -1, -1):
            if not zone[i] and zone[i + 1] and re.match(r"\s*(?:、|,|和|及|与)", sentence[figs[i].end:]):
                zone[i] = True
        prev_end = 0
        found = []
        for f, is_zone in zip(figs, zone, strict=True):
            before = _ZONE_AFTER_RE.sub("", sentence[prev_end:f.start], count=1)  # 范围 of the distance before
            prev_end = f.end
            if not is_zone:
                continue
            names, measured = _features(before)
            if names:
                found.append((f, names, measured))
        if not found:
            continue
        acts, types = _activities(sentence[found[-1][0].end:])
        for f, names, measured in found:
            kinds = {_feature_kind(n) for n in names}
            out.append(PlanRule(line=seg.line_at(m.start() + f.start), clause=sentence.strip(), features=names,
                                feature_kind=kinds.pop() if len(kinds) == 1 else None,
                                distance_m=f.value * (1000.0 if f.unit == "km" else 1.0),
                                distance_text=sentence[f.start:f.end].strip(), measured_from=measured,
                                activities=acts, types=types, level=level, level_word=level_word))
    return out


def extract_rules(text: str) -> list[PlanRule]:
    """Every distance rule stated in a plan text, in the order of its lines.

    Example
    -------
    >>> rules = extract_rules("沁河干流沿岸堤外100米、其他支流堤外40米范围内严格控制新建建设项目。")
    >>> [(r.features, r.distance_m, r.measured_from, r.level) for r in rules]
    [(['沁河'], 100.0, 'levee', 'needs_review'), (['其他支流'], 40.0, 'levee', 'needs_review')]
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[PlanRule] = []
    for item in _layout(lines):
        for seg in (item.cells if isinstance(item, _Row) else [item]):
            out += _segment_rules(seg)
    return out


def match_features(rules: list[PlanRule], layers: dict[str, tuple[str, list[str]]]) -> None:
    """Match each rule's feature names against the names of the project's layers.

    ``layers``: ``{layer_id: (kind, [feature names])}``. A feature matches a name equal to it or starting
    with it ("黄河" matches "黄河干流"); a rule takes the layer of its feature kind (else any layer with a
    match) and lists the features that match nothing.
    """
    for r in rules:
        candidates = [lid for lid, (kind, _) in layers.items() if kind == r.feature_kind] or list(layers)
        r.matched, r.unmatched = {}, []
        for name in r.features:
            for lid in candidates:
                hits = sorted({n for n in layers[lid][1] if n and (n == name or n.startswith(name))})
                if hits:
                    r.matched[name] = hits
                    r.layer = r.layer or lid
                    break
            else:
                r.unmatched.append(name)


def _toml(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + " }"
    if isinstance(v, float):
        return f"{v:g}" if v != int(v) else str(int(v))
    return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def rules_toml(rules: list[PlanRule], plan_name: str) -> str:
    """The rules as a draft ``[[rules.distance]]`` block for ``redline.toml``, each with its clause.

    Example
    -------
    >>> print(rules_toml(extract_rules("黄河干流2公里范围内禁止新建化工项目。"), "规划.txt"))  # doctest: +ELLIPSIS
    # 距离规则草稿：由 redline audit-text 从《规划.txt》提取。逐条核对（图层、名称、距离、项目类型、等级）后粘贴到 redline.toml。
    <BLANKLINE>
    # 第1行：黄河干流2公里范围内禁止新建化工项目。
    [[rules.distance]]
    id = "plan_1_1"
    layer = "river"
    where = { name = ["黄河"] }
    distance_m = 2000
    types = ["industry_high_pollution"]
    level = "prohibited"
    clause = "《规划.txt》第1行：黄河干流2公里范围内禁止新建化工项目。"
    message = "项目位于黄河2公里范围内：规划规定禁止新建化工项目"
    <BLANKLINE>
    """
    out = [f"# 距离规则草稿：由 redline audit-text 从《{plan_name}》提取。逐条核对（图层、名称、距离、项目类型、等级）"
           "后粘贴到 redline.toml。", ""]
    count: dict[int, int] = {}
    for r in rules:
        count[r.line] = count.get(r.line, 0) + 1
        names = [n for n in r.features if n not in r.unmatched] or r.features
        where = sorted({h for n in names for h in r.matched.get(n, [n])})
        out.append(f"# 第{r.line}行：{r.clause}")
        if r.unmatched:
            out.append(f"# 注意：{'、'.join(r.unmatched)} 在项目图层中没有同名要素，请核对名称或删除")
        if r.measured_from not in ("unspecified", "centre_line"):
            out.append(f"# 距离自{MEASURED_FROM_LABELS[r.measured_from]}起算；检查按图层要素本身量算，请核对图层是否为堤线或岸线")
        if not r.types:
            out.append("# 注意：没有识别出项目类型，types 暂为全部类型（\"*\"），请核对")
        k = r.clause.find(r.level_word)
        what = r.clause[k:].rstrip("。;；") if k >= 0 else r.level_word
        out += ["[[rules.distance]]",
                f"id = {_toml(f'plan_{r.line}_{count[r.line]}')}",
                f"layer = {_toml(r.layer or r.feature_kind or 'river')}",
                f"where = {_toml({'name': where})}",
                f"distance_m = {_toml(r.distance_m)}",
                f"types = {_toml(r.types or ['*'])}",
                f"level = {_toml(r.level)}",
                f"clause = {_toml(f'《{plan_name}》第{r.line}行：{r.clause}')}",
                f"message = {_toml(f'项目位于{chr(12289).join(r.features)}{r.distance_text}范围内：规划规定{what}')}",
                ""]
    return "\n".join(out)
