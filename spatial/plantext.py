"""Area, share and length figures in plan texts, and whether they agree (the plan-text auditor).

A *claim* is one figure about land and space with the subject it is about: "划定生态保护红线面积47.89平方
千米，占全市土地总面积的5.11%" is one claim (subject 生态保护红线, 47.89 km², share 5.11 % of the total
area). Subjects come from the vocabulary ``spatial/data/subjects.toml`` (aliases and typo variants
included); an area with no known subject is kept with the words that precede it.

How statements are read (built from the forms such statements take, not from particular files):

* each line is cleaned: NFKC (full-width digits and punctuation, ㎡, ²), markup (``**``, ``<br>``,
  ``<sup>2</sup>``, ``[bookmark: …]``, ``$\\geq$``) removed;
* prose lines broken in mid-sentence are joined to the next (blank lines between are skipped) unless the
  line ends a sentence; a claim keeps the line on which its figure starts;
* table rows (tab- or ``|``-separated, or one cell per line in blocks separated by blank lines) give
  indicator claims: the indicator cell names the subject, the unit cell the unit, and the header row
  (现状 / 目标 columns) says which numbers are current values and which are targets;
* an area figure's subject is the nearest subject before it in its clause; a following "占…的P%" is its
  share, and the words after 占 name the denominator (国土总面积 …);
* a percentage is a claim only when it is such a share ("X占国土面积的P%") or the value of a rate
  subject: 森林覆盖率, 林草覆盖率 and 水土保持率 *are* shares of the total area; 草原综合植被盖度,
  湿地保护率 and 岸线保护率 are ratios of something else and are never treated as area shares;
* "约", "不低于", "≥", "以上" … are kept as the claim's ``qualifier``; bounds (不低于, 以上) are not
  compared as if they were exact values;
* a figure is a ``target`` (到2025年, 目标, 力争), a ``previous`` value (由15.2%增长为…), or a
  ``status``; amounts of work (治理, 新增, 造林 …) are ``flow`` figures, never compared as stocks.

Checks (:func:`check_claims`): the total implied by an area and its share (area ÷ share, as an interval
from the decimals written) against the stated total; the same stock subject stated with different values
(years taken into account); shares over 100 %; areas larger than the total (unit slips); and stated
against computed figures when a boundary area or computed areas are given.

Example
-------
>>> claims = extract_claims("划定生态保护红线面积47.89平方千米，占全市土地总面积的5.11%。")
>>> c = claims[0]
>>> c.subject, c.value, c.unit, c.value_m2, c.share_pct, c.denominator
('生态保护红线', 47.89, 'km2', 47890000.0, 5.11, '国土总面积')
"""

from __future__ import annotations

import bisect
import codecs
import math
import re
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.spatial.units import (
    NUMBER,
    PERCENT,
    UNIT_SPELLINGS,
    UNITS,
    combine_unit,
    from_m2,
    parse_unit,
    to_m2,
    unit_label,
)

#: Finding kinds that mean the plan contradicts itself or the computed figures (exit code 1).
INCONSISTENT_KINDS = ("inconsistent_total", "conflicting_values", "share_over_100", "area_over_total",
                      "computed_mismatch")
FINDING_LABELS = {
    "consistent": "一致",
    "inconsistent_total": "与总面积不符",
    "conflicting_values": "前后不一致",
    "implied_total": "推算总面积",
    "share_over_100": "占比超过100%",
    "area_over_total": "面积超过总面积",
    "computed_mismatch": "与计算值不符",
    "no_figures": "未找到面积数字",
}
TOTAL = "total_area"
DEFAULT_REL_TOL = 0.001  # stated vs computed: beyond the rounding of the stated figure, 0.1 %


# ------------------------------------------------------------------------------------------ vocabulary
@dataclass(frozen=True)
class Subject:
    id: str
    label: str
    en: str
    measure: str  # total | area | length | rate | ratio
    stock: bool
    kind: str | None
    aliases: tuple[str, ...]
    generic: tuple[str, ...]


@cache
def vocabulary() -> tuple[dict[str, Subject], dict]:
    """The subjects of ``spatial/data/subjects.toml`` and its ``[text]`` word lists."""
    with resources.files("redline.spatial").joinpath("data/subjects.toml").open("rb") as f:
        data = tomllib.load(f)
    subjects = {}
    for sid, s in data["subjects"].items():
        subjects[sid] = Subject(sid, s["label"], s.get("en", ""), s["measure"], bool(s.get("stock", False)),
                                s.get("kind"), tuple(s["aliases"]), tuple(s.get("generic", ())))
    return subjects, data["text"]


@cache
def _alias_table() -> tuple[re.Pattern, dict[str, str]]:
    subjects, _ = vocabulary()
    owner: dict[str, str] = {}
    for s in subjects.values():
        for a in (s.label, *s.aliases):
            owner.setdefault(unicodedata.normalize("NFKC", a), s.id)
    pattern = re.compile("|".join(re.escape(a) for a in sorted(owner, key=len, reverse=True)))
    return pattern, owner


def subject_label(subject_id: str | None) -> str | None:
    return None if subject_id is None else vocabulary()[0][subject_id].label


# ---------------------------------------------------------------------------------------------- claims
@dataclass
class Claim:
    """One figure about land and space in a plan text.

    ``value``/``unit`` as written (unit a :data:`redline.spatial.units.UNITS` id or ``"%"``); ``value_m2`` for
    areas, ``value_m`` for lengths; ``share_pct`` when the figure is (or comes with) a share of an area
    (``denominator``); ``value_step``/``share_step`` the rounding step of the figure as written.
    """

    line: int
    text: str
    subject: str | None
    subject_id: str | None
    subject_text: str
    kind: str  # area | length | share | rate | ratio
    value: float
    unit: str
    unit_text: str
    value_m2: float | None = None
    value_m: float | None = None
    share_pct: float | None = None
    denominator: str | None = None
    denominator_id: str | None = None
    qualifier: str | None = None
    share_qualifier: str | None = None
    role: str = "status"  # status | target | previous | unknown
    year: int | None = None
    flow: bool = False
    scope: str = "region"  # region | wider
    source: str = "text"  # text | table
    value_step: float = 1.0
    share_step: float | None = None
    share_line: int | None = None
    modifier: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


# A figure: qualifier, number, 万/亿, unit or %, qualifier.
_QB = r"约|大约|近|超过|不足|逾|不低于|不少于|不小于|不高于|不超过|不大于|>=|<=|≥|≤|>|<"
_QA = r"以上|以下|以内|左右|余|多"
_BOUND_WORDS = ("超过", "不足", "逾", "以内", "不低于", "不少于", "不小于", "不高于", "不超过", "不大于", ">", "<", "≥", "≤", "以上",
                "以下", "余", "多")
_UNIT_ALT = "|".join(re.escape(s) for s in sorted(UNIT_SPELLINGS, key=len, reverse=True))
_FIGURE_RE = re.compile(
    rf"(?:(?P<qb>{_QB})\s*)?(?<![\d.])(?<!\d,)(?P<num>{NUMBER})(?![\d])\s*(?P<mult>万|亿)?(?P<mid>余|多)?\s*"
    rf"(?P<unit>%|{_UNIT_ALT})(?![a-z0-9/])(?:\s*(?P<qa>{_QA}))?", re.IGNORECASE)
_CELL_NUMBER_RE = re.compile(
    rf"^\s*(?:(?P<qb>{_QB})\s*)?(?P<num>{NUMBER})\s*(?P<unit>%|{_UNIT_ALT})?\s*(?P<qa>{_QA})?\s*$",
    re.IGNORECASE)
_SENTENCE_END = "。!?;"
_CLAUSE_RE = re.compile(r",(?!\d{3}(?!\d))|:|。|!|\?|;")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_CHANGE_VERBS = ("增长", "增加", "提高", "提升", "上升", "下降", "减少", "降低", "扩大", "缩小", "减至", "增至")
_TARGET_RE = re.compile("".join(f"(?<!{v})" for v in _CHANGE_VERBS)
                        + r"(?<![截止直])到\s*(?:19|20)\d{2}\s*年|目标|力争|规划期末|规划末期|预期")
_PREVIOUS_AFTER_RE = re.compile(r"^\s*(?:增长|增加|提高|提升|上升|下降|减少|降低|扩大|缩小|变为)(?:为|到|至)")
_PREVIOUS_BEFORE_RE = re.compile(r"(?:由|从)\s*$")


@dataclass
class _Figure:
    start: int
    end: int
    value: float
    unit: str
    unit_text: str
    step: float
    qualifier: str | None

    @property
    def measure(self) -> str:
        return "percent" if self.unit == PERCENT else UNITS[self.unit].measure


@dataclass
class _Segment:
    """A run of cleaned text and the 1-based line of each character."""

    text: str
    lines: list[int] = field(default_factory=list)

    def line_at(self, pos: int) -> int:
        return self.lines[min(max(pos, 0), len(self.lines) - 1)] if self.lines else 0


def _figure_from_match(m: re.Match, offset: int = 0) -> _Figure | None:
    try:
        q = combine_unit(m["num"], m["mult"], m["unit"])
    except (UsageError, ValueError):
        return None
    num = m["num"].replace(",", "")
    step = 10.0 ** -(len(num.split(".")[1]) if "." in num else 0)
    if m["mult"] and not q.unit.startswith("10k_"):  # 万/亿 scaled the value, and its rounding step
        step *= 1e4 if m["mult"] == "万" else 1e8
    quals = [x for x in (m["qb"], m["mid"], m["qa"]) if x]
    return _Figure(offset + m.start(), offset + m.end(), q.value, q.unit, m["unit"], step,
                   "".join(quals) or None)


def _figures(text: str) -> list[_Figure]:
    out = []
    for m in _FIGURE_RE.finditer(text):
        f = _figure_from_match(m)
        if f is not None:
            out.append(f)
    return out


# --------------------------------------------------------------------------------------- reading text
def read_plan_text(path: str | Path) -> tuple[str, str]:
    """The text of a plan file and the encoding it was read in (UTF-8, UTF-16 with or without BOM,
    GB18030/GBK).

    Raises
    ------
    InputError
        Missing file, a folder, a binary file, undecodable bytes, or no text at all.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("plan text not found", path=str(p))
    if not p.is_file():
        raise InputError("not a file", path=str(p))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=str(p)) from None
    text, encoding = _decode(data, str(p))
    if not text.strip():
        raise InputError("the file holds no text", path=str(p))
    return text, encoding


def _gb2312_share(text: str) -> tuple[int, float]:
    """How many CJK characters (and kana) the text holds, and the share of them in GB2312."""
    chars = [c for c in text if "\u3400" <= c <= "\u9fff" or "\u3040" <= c <= "\u30ff"]
    common = 0
    for c in chars:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += c < "\u3040" or c > "\u30ff"  # kana are in GB2312 but no Chinese plan uses them
    return len(chars), common / max(len(chars), 1)


def _check_gbk_plausible(data: bytes, text: str, where: str) -> None:
    """Bytes in another double-byte encoding (Big5, Shift-JIS) often decode as GB18030 without error, into
    rare characters and kana; a real simplified-Chinese text is almost all GB2312 (≥ 99 % in the shared plans)."""
    n, share = _gb2312_share(text)
    if n < 10 or share >= 0.8:
        return
    for other, label in (("big5", "Big5 (traditional Chinese)"), ("shift_jis", "Shift-JIS (Japanese)")):
        try:
            alt = data.decode(other)
        except UnicodeDecodeError:
            continue
        if sum(1 for c in alt if "\u3400" <= c <= "\u9fff") >= n // 2:
            raise InputError(f"the text is not GBK/GB18030 but looks like {label}: only {100 * share:.0f} % "
                             "of its characters are common simplified Chinese when read as GBK; save it as "
                             f"UTF-8 (e.g. iconv -f {other.upper()} -t UTF-8) in simplified Chinese",
                             path=where)
    raise InputError(f"the text does not look like GBK/GB18030 Chinese (only {100 * share:.0f} % of its "
                     "characters are common simplified Chinese): save it as UTF-8", path=where)


def _decode(data: bytes, where: str) -> tuple[str, str]:
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc.replace("-sig", "") + " (BOM)"
            except UnicodeDecodeError:
                raise InputError(f"not valid {enc} text despite its byte-order mark", path=where) from None
    if b"\x00" in data:
        even, odd = data[0::2], data[1::2]
        zeros_even, zeros_odd = even.count(0) / max(len(even), 1), odd.count(0) / max(len(odd), 1)
        enc = "utf-16-le" if zeros_odd > 0.3 and zeros_even < 0.05 else \
            "utf-16-be" if zeros_even > 0.3 and zeros_odd < 0.05 else None
        if enc:
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                pass
        raise InputError("a binary file, not a plan text", path=where)
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
        if controls > max(8, len(text) // 100):
            raise InputError("a binary file, not a plan text", path=where)
        if enc == "gb18030":
            _check_gbk_plausible(data, text, where)
        return text, enc
    raise InputError("not text in UTF-8, UTF-16 or GB18030 (GBK)", path=where)


# ----------------------------------------------------------------------------------------- cleaning
_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]", re.IGNORECASE)
_SUPSUB_RE = re.compile(r"\s*<(sup|sub)>\s*([^<]{0,12}?)\s*</\1>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]{0,60}>")
_TEX = {r"\geq": "≥", r"\geqslant": "≥", r"\ge": "≥", r"\leq": "≤", r"\leqslant": "≤", r"\le": "≤",
        r"\times": "×", r"\%": "%", r"\sim": "~"}
_TEX_RE = re.compile("|".join(re.escape(k) for k in sorted(_TEX, key=len, reverse=True)))


def clean_line(raw: str) -> str:
    """A line without markup, in NFKC form (full-width digits and punctuation made ASCII)."""
    s = _BOOKMARK_RE.sub("", raw)
    s = unicodedata.normalize("NFKC", s.replace("\u3000", " "))
    s = _SUPSUB_RE.sub(r"\2", s)
    s = re.sub(r"<br\s*/?>", " ", s, flags=re.IGNORECASE)
    s = _TAG_RE.sub("", s)
    if "$" in s:
        s = _TEX_RE.sub(lambda m: _TEX[m.group(0)], s).replace("$", "")
    s = s.replace("**", "").replace("__", "")
    return s.rstrip("\r\n")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


# ------------------------------------------------------------------------------------- segmentation
@dataclass
class _Row:
    cells: list[_Segment]


def _layout(lines: list[str]) -> list[_Segment | _Row]:
    """Paragraph segments and table rows, in document order."""
    out: list[_Segment | _Row] = []
    n = len(lines)
    kind = []
    for raw in lines:
        body = raw.strip(" \r")
        if body == "\t":  # an empty cell of a one-cell-per-line table
            kind.append("cell")
        elif not body.strip():
            kind.append("blank")
        elif body.lstrip().startswith("|") or body.count("|") >= 2:
            kind.append("pipe")
        elif body.strip("\t").count("\t") >= 1 and body.count("\t") >= 2:
            kind.append("tabrow")
        elif raw.startswith("\t"):
            kind.append("cell")
        elif body.lstrip().startswith("#"):
            kind.append("heading")
        else:
            kind.append("prose")
    i = 0
    while i < n:
        k = kind[i]
        if k == "blank":
            i += 1
        elif k == "pipe":
            cells = [c for c in clean_line(lines[i]).strip().strip("|").split("|")]
            if not all(re.fullmatch(r"\s*:?-{2,}:?\s*", c) for c in cells):
                out.append(_Row([_Segment(c.strip(), [i + 1] * len(c.strip())) for c in cells]))
            i += 1
        elif k == "tabrow":
            cells = clean_line(lines[i]).split("\t")
            out.append(_Row([_Segment(c.strip(), [i + 1] * len(c.strip())) for c in cells]))
            i += 1
        elif k == "cell":
            j = i
            while j < n and kind[j] not in ("blank",) and (kind[j] == "cell" or j > i):
                j += 1
            block = list(range(i, j))
            if sum(1 for b in block if kind[b] == "cell") >= 3:
                cells: list[_Segment] = []
                for b in block:
                    text = clean_line(lines[b]).strip()
                    if kind[b] == "cell" or not cells:
                        cells.append(_Segment(text, [b + 1] * len(text)))
                    elif text:
                        seg = cells[-1]
                        sep = " " if seg.text else ""
                        seg.text += sep + text
                        seg.lines += [b + 1] * (len(sep) + len(text))
                out.append(_Row(cells))
                i = j
            else:
                kind[i] = "prose"
        else:
            # a paragraph: this line and the following ones while the sentence goes on
            seg = _Segment("", [])
            j = i
            while True:
                text = clean_line(lines[j]).strip().lstrip("#").strip()
                if seg.text and text:
                    a, b = seg.text[-1], text[0]
                    # a PDF line break cuts words, numbers and units: join with nothing, except two
                    # Latin words
                    sep = " " if (a.isascii() and a.isalpha() and b.isascii() and b.isalpha()) else ""
                    seg.text += sep
                    seg.lines += [seg.lines[-1]] * len(sep)
                seg.text += text
                seg.lines += [j + 1] * len(text)
                if kind[j] == "heading" or not text or text[-1] in _SENTENCE_END + ":)":
                    break
                nxt = j + 1
                while nxt < n and kind[nxt] == "blank" and nxt - j <= 2:
                    nxt += 1
                if nxt >= n or kind[nxt] != "prose":
                    break
                j = nxt
            out.append(seg)
            i = j + 1
    return out


def _spans(text: str) -> tuple[list[int], list[int]]:
    """Start offsets of sentences and of clauses."""
    sentences, clauses = [0], [0]
    for m in _CLAUSE_RE.finditer(text):
        clauses.append(m.end())
        if m.group(0) in _SENTENCE_END:
            sentences.append(m.end())
    return sentences, clauses


def _span_of(starts: list[int], pos: int, length: int) -> tuple[int, int]:
    k = bisect.bisect_right(starts, pos) - 1
    return starts[k], (starts[k + 1] if k + 1 < len(starts) else length)


@dataclass
class _Occurrence:
    start: int
    end: int
    subject_id: str


def _occurrences(text: str, clauses: list[int]) -> list[_Occurrence]:
    """The subjects named in a text. A generic alias (总面积) names the region's total only at the start
    of a clause or after a place or scope word; at a clause start right after a clause that names an area
    subject ("共有自然保护地5处，总面积86.4平方千米") it is that subject's total."""
    pattern, owner = _alias_table()
    subjects, words = vocabulary()
    prefixes = tuple(words["total_prefixes"])
    out: list[_Occurrence] = []
    for m in pattern.finditer(text):
        sid = owner[m.group(0)]
        if m.group(0) in subjects[sid].generic:
            cstart, _ = _span_of(clauses, m.start(), len(text))
            before = text[cstart:m.start()].strip()
            if before and not before.endswith(prefixes):
                continue
            if not before and cstart > 0 and text[cstart - 1] in ",:":
                pstart, _ = _span_of(clauses, cstart - 1, len(text))
                prev = [o for o in out if pstart <= o.start < cstart and subjects[o.subject_id].measure == "area"]
                if prev:
                    sid = prev[-1].subject_id
        out.append(_Occurrence(m.start(), m.end(), sid))
    return out


def _modifier(text: str, start: int, lo: int = 0) -> str:
    """The words right before a subject that make it a part or a named instance ("胜溪湖" in
    "胜溪湖湿地面积", "调整后" in "调整后的生态保护红线"); scope words of the region itself are dropped."""
    i = start
    while i > lo and (_is_cjk(text[i - 1]) or (text[i - 1].isascii() and text[i - 1].isalpha())):
        i -= 1
    run = text[i:start]
    for w in sorted(vocabulary()[1]["neutral_words"], key=len, reverse=True):
        run = run.replace(w, "")
    if len(run) <= 8 and re.search(r"(?:县|市|区|旗|州)$", run):
        run = ""  # the region's own name: 孝义市生态保护红线
    return run


def _crop(text: str, start: int, end: int, width: int = 120) -> str:
    text_s = text.strip()
    if len(text_s) <= width:
        return text_s
    lead = text[:start]
    first = max(0, len(lead) - width // 2)
    piece = text[first:first + width].strip()
    return ("…" if first > 0 else "") + piece + ("…" if first + width < len(text) else "")


def _context(claim: Claim, clause_before: str, sentence_before: str, after: str) -> None:
    """Role, year, flow and scope of a claim from the words around its figure."""
    _, words = vocabulary()
    if _PREVIOUS_AFTER_RE.search(after) or _PREVIOUS_BEFORE_RE.search(
            re.sub(rf"(?:{_QB})\s*$", "", sentence_before)):
        claim.role = "previous"
    elif _TARGET_RE.search(sentence_before):
        claim.role = "target"
    years = _YEAR_RE.findall(sentence_before)
    claim.year = int(years[-1]) if years else None
    if claim.role == "previous" and len(years) >= 2 and not re.search(
            rf"(?:19|20)\d{{2}}\s*年\s*的?\s*(?:{_QB})?\s*$", sentence_before):
        claim.year = int(years[-2])  # "2015年至2020年…由15.2%增长为16.02%": the earlier year
    claim.flow = claim.flow or any(w in clause_before for w in words["activity_words"])
    if any(w in clause_before for w in words["wider_scope"]):
        claim.scope = "wider"


def _not_land(text: str) -> bool:
    return any(w in text for w in vocabulary()[1]["not_land"])


def _fill_measure(claim: Claim) -> None:
    """``value_m2`` for areas, ``value_m`` for lengths (``to_m2`` converts both to base units)."""
    if claim.unit in UNITS:
        if UNITS[claim.unit].measure == "area":
            claim.value_m2 = to_m2(claim.value, claim.unit)
        else:
            claim.value_m = to_m2(claim.value, claim.unit)


def _strip_den(text: str) -> str:
    text = text.strip()
    text = re.sub(r"(?:的)?(?:比例|比重|份额)?(?:为|是|达到|达|约为|约|已达|近)?\s*$", "", text)
    return text.strip().rstrip("的").strip()


def _denominator(text: str, occ: list[_Occurrence], lo: int, hi: int) -> tuple[str | None, bool]:
    """The subject named between ``lo`` and ``hi`` (after 占), and whether it names an area at all."""
    subjects, _ = vocabulary()
    inside = [o for o in occ if lo <= o.start < hi and subjects[o.subject_id].measure in ("total", "area")]
    if inside:
        return inside[-1].subject_id, True
    den = _strip_den(text[lo:hi])
    return None, ("面积" in den or den in ("", "比", "地"))


def _extract_segment(seg: _Segment, source: str = "text") -> list[Claim]:
    text = seg.text
    if not text or not any(ch.isdigit() for ch in text):
        return []
    subjects, _ = vocabulary()
    sentences, clauses = _spans(text)
    figs = _figures(text)
    if not figs:
        return []
    occ = _occurrences(text, clauses)
    used: set[int] = set()
    claims: list[Claim] = []
    where: dict[int, int] = {}  # id(claim) -> offset of its figure

    def make(fi: int, sid: str | None, subject_text: str, kind: str, at: int | None = None) -> Claim | None:
        f = figs[fi]
        s0, s1 = _span_of(sentences, f.start, len(text))
        c0, _ = _span_of(clauses, f.start, len(text))
        clause_before = text[c0:f.start]
        if _not_land(clause_before):
            return None
        claim = Claim(line=seg.line_at(f.start), text=_crop(text[s0:s1], f.start - s0, f.end - s0),
                      subject=subject_label(sid), subject_id=sid,
                      subject_text=re.split(r"\d", subject_text)[0].strip(" ,:(") or subject_text.strip(" ,:"),
                      kind=kind, value=f.value, unit=f.unit, unit_text=f.unit_text, qualifier=f.qualifier,
                      source=source, value_step=f.step)
        _fill_measure(claim)
        if kind == "rate" or (kind == "share"):
            claim.share_pct, claim.share_step, claim.share_qualifier = f.value, f.step, f.qualifier
            claim.share_line = claim.line
        _context(claim, clause_before, text[s0:f.start], text[f.end:s1])
        if at is not None:
            claim.modifier = _modifier(text, at, max([o.end for o in occ if o.end <= at], default=0))
        used.add(fi)
        where[id(claim)] = f.start
        return claim

    def nearest(pos: int, lo: int, measures: tuple[str, ...]) -> _Occurrence | None:
        best = None
        for o in occ:
            if lo <= o.start and o.end <= pos and subjects[o.subject_id].measure in measures:
                best = o
        return best

    _pair_lists(text, figs, occ, sentences, used, make, claims)

    for fi, f in enumerate(figs):
        if fi in used:
            continue
        c0, c1 = _span_of(clauses, f.start, len(text))
        s0, s1 = _span_of(sentences, f.start, len(text))
        if f.measure in ("area", "length"):
            measures = ("total", "area") if f.measure == "area" else ("length",)
            o = nearest(f.start, c0, measures)
            if o is not None:
                claim = make(fi, o.subject_id, text[o.start:f.start], f.measure, o.start)
            elif f.measure == "area":
                claim = make(fi, None, text[max(c0, f.start - 20):f.start], "area")
            elif re.search(r"长度|全长|总长|岸线", text[c0:f.start]):
                claim = make(fi, None, text[max(c0, f.start - 20):f.start], "length")
            else:
                claim = None
            if claim is None:
                continue
            # a share in the same statement: "…面积X公顷，占全县国土面积的P%"
            for gi in range(fi + 1, len(figs)):
                g = figs[gi]
                if g.start >= s1 or g.measure != "percent":
                    break
                between = text[f.end:g.start]
                k = between.find("占")
                if k < 0 or len(between) > 40 or "其中" in between[:k + 1]:
                    break
                if any(f.end <= o.start < f.end + k and subjects[o.subject_id].measure != "total" for o in occ):
                    break
                den_id, areaish = _denominator(text, occ, f.end + k + 1, g.start)
                if den_id is None and not areaish:
                    break
                claim.share_pct, claim.share_step, claim.share_qualifier = g.value, g.step, g.qualifier
                claim.share_line = seg.line_at(g.start)
                claim.denominator_id = den_id
                claim.denominator = subject_label(den_id)
                used.add(gi)
                break
            claims.append(claim)
            continue
        # a percentage: a share "X占…P%" or the value of a rate subject
        clause = text[c0:f.start]
        k = clause.rfind("占")
        if k >= 0 and not _figures(clause[k:]):
            zhan = c0 + k
            o = nearest(zhan, c0, ("area", "total"))
            if o is not None and o.subject_id == TOTAL:
                o = None
            den_id, areaish = _denominator(text, occ, zhan + 1, f.start)
            if o is None:
                words = text[c0:zhan].strip(" ,")
                if not words and c0 > s0:  # "…以山地丘陵为主，占国土面积的80%以上"
                    p0, _ = _span_of(clauses, c0 - 1, len(text))
                    po = nearest(c0 - 1, p0, ("area",))
                    if po is not None:
                        o = po
                    words = text[p0:c0].strip(" ,")
                if o is None and (den_id is not None or "面积" in words):
                    claim = make(fi, None, words[-20:], "share")
                    if claim:
                        claim.denominator_id, claim.denominator = den_id, subject_label(den_id)
                        claims.append(claim)
                    continue
            if o is not None and (den_id is not None or areaish):
                claim = make(fi, o.subject_id, text[o.start:zhan], "share", o.start)
                if claim:
                    claim.denominator_id, claim.denominator = den_id, subject_label(den_id)
                    claims.append(claim)
                continue
        o = nearest(f.start, c0, ("rate", "ratio"))
        if o is not None:
            between = re.sub(rf"(?:{NUMBER})\s*%", "", text[o.end:f.start])
            if not re.search(r"率|比例|比重|指数|度|占", between) and not any(
                    o.end <= p.start < f.start and p.subject_id != o.subject_id for p in occ):
                measure = subjects[o.subject_id].measure
                claim = make(fi, o.subject_id, text[o.start:o.end], measure, o.start)
                if claim:
                    if measure == "rate":
                        claim.share_pct, claim.share_step = f.value, f.step
                        claim.share_qualifier, claim.denominator_id = f.qualifier, TOTAL
                        claim.denominator = subject_label(TOTAL)
                    claims.append(claim)
    claims.sort(key=lambda c: where[id(c)])
    return claims


def _pair_lists(text, figs, occ, sentences, used, make, claims) -> None:
    """"A、B分别为X、Y" and "A、B分别占国土面积的X%、Y%": pair subjects and figures in order."""
    subjects, _ = vocabulary()
    for m in re.finditer("分别", text):
        s0, s1 = _span_of(sentences, m.start(), len(text))
        before = [o for o in occ if s0 <= o.start and o.end <= m.start()
                  and subjects[o.subject_id].measure != "total"]
        # the listed subjects: the last run joined by 、/和/及/与
        run: list[_Occurrence] = []
        for o in reversed(before):
            if run and not re.fullmatch(r"[^,;。]{0,12}?(?:、|和|及|与|以及)[^,;。]{0,4}", text[o.end:run[0].start]):
                break
            run.insert(0, o)
        after = [i for i, f in enumerate(figs) if m.end() <= f.start < s1 and i not in used]
        listed: list[int] = []
        for i in after:
            if listed and not re.fullmatch(r"\s*(?:、|和|及|与|,)\s*", text[figs[listed[-1]].end:figs[i].start]):
                break
            listed.append(i)
        if len(run) < 2 or len(run) != len(listed):
            continue
        share = "占" in text[m.start():figs[listed[0]].start]
        for o, fi in zip(run, listed, strict=True):
            f = figs[fi]
            measure = subjects[o.subject_id].measure
            if f.measure == "percent":
                kind = "share" if share else measure if measure in ("rate", "ratio") else None
            else:
                kind = f.measure if (f.measure == "length") == (measure == "length") else None
            if kind is None:
                continue
            claim = make(fi, o.subject_id, text[o.start:o.end], kind, o.start)
            if claim is None:
                continue
            if kind in ("share", "rate"):
                claim.share_pct, claim.share_step, claim.share_qualifier = f.value, f.step, f.qualifier
                claim.denominator_id = TOTAL
                claim.denominator = subject_label(TOTAL)
            elif kind == "ratio":
                claim.share_pct = None
            claims.append(claim)


# ----------------------------------------------------------------------------------------------- tables
_STATUS_HEAD = ("现状", "基准", "基期", "现值")
_TARGET_HEAD = ("目标", "指标值", "规划值", "标准值", "预期值")


def _is_unit_cell(text: str) -> str | None:
    t = re.sub(r"[\s()]", "", text)
    if t == "%":
        return PERCENT
    try:
        return parse_unit(t) if t else None
    except UsageError:
        return None


_TOTAL_ROWS = ("合计", "总计", "总面积", "全县", "全市", "全区", "全旗", "全域", "县域", "市域", "国土总面积")


def _column_role(text: str) -> tuple[str | None, int | None]:
    year = re.search(r"(?:19|20)\d{2}", text)
    y = int(year.group(0)) if year else None
    if any(w in text for w in _STATUS_HEAD):
        return "status", y
    if any(w in text for w in _TARGET_HEAD) or "规划" in text:
        return "target", y
    return None, y


def _header(row: _Row) -> dict | None:
    """A table header: either with a 单位 column (indicator tables: the unit is a cell of each row) or with
    units in the column heads ("面积（公顷）", "占比（%）": land-use structure tables)."""
    texts = [re.sub(r"\s", "", c.text) for c in row.cells]
    unit_idx = next((i for i, t in enumerate(texts) if t in ("单位", "计量单位", "指标单位")), None)
    if unit_idx is not None:
        columns = {}
        group = None
        for i in range(unit_idx + 1, len(texts)):
            role, y = _column_role(texts[i])
            if role:
                group = (role, y)
            elif texts[i]:
                group = None
            if group:
                columns[i - unit_idx] = group
        return {"type": "unit_cell", "unit_idx": unit_idx, "columns": columns}
    units = {}
    for i, t in enumerate(texts):
        m = re.search(r"\(([^()]{1,8})\)$", t)
        unit = _is_unit_cell(m.group(1)) if m else None
        if unit is None or (unit == PERCENT and not re.search(r"占|比例|比重|构成|结构", t)):
            continue
        role, y = _column_role(t)
        units[i] = (unit, role or "status", y)
    if any(u != PERCENT for u, _, _ in units.values()):
        return {"type": "unit_columns", "width": len(texts), "units": units}
    return None


def _row_claims_unit_columns(row: _Row, header: dict) -> list[Claim]:
    subjects, words = vocabulary()
    cells = row.cells
    shift = len(cells) - header["width"]  # merged leading cells are missing in some rows
    cols = {i + shift: u for i, u in header["units"].items() if 0 <= i + shift < len(cells)}
    ind = next((c for i, c in enumerate(cells) if i not in cols and re.search(r"[\u3400-\u9fff]", c.text)), None)
    if ind is None or _not_land(ind.text):
        return []
    itext = re.sub(r"\s", "", ind.text)
    _, clauses = _spans(itext)
    occ = [o for o in _occurrences(itext, clauses) if subjects[o.subject_id].measure in ("area", "total")]
    sid = TOTAL if itext in _TOTAL_ROWS else (occ[-1].subject_id if occ else None)
    text = " | ".join(c.text for c in cells if c.text)
    shares = {(role, y): i for i, (u, role, y) in cols.items() if u == PERCENT}
    out = []
    for i, (unit, role, y) in sorted(cols.items()):
        if unit == PERCENT:
            continue
        m = _CELL_NUMBER_RE.match(cells[i].text)
        if not m or (m["unit"] and _is_unit_cell(m["unit"]) != unit):
            continue
        value, _ = _cell_figure(m, unit)
        if value is None:
            continue
        claim = Claim(line=cells[i].line_at(0), text=_crop(text, 0, 0), subject=subject_label(sid), subject_id=sid,
                      subject_text=ind.text, kind=UNITS[unit].measure, value=value.value, unit=value.unit,
                      unit_text=unit_label(unit), qualifier=value.qualifier, role=role, year=y, source="table",
                      value_step=value.step)
        _fill_measure(claim)
        j = shares.get((role, y), next(iter(shares.values())) if len(shares) == 1 else None)
        sm = _CELL_NUMBER_RE.match(cells[j].text) if j is not None else None
        if sm and claim.kind == "area" and sid != TOTAL:
            share, _ = _cell_figure(sm, PERCENT)
            if share is not None:
                claim.share_pct, claim.share_step, claim.share_qualifier = share.value, share.step, share.qualifier
                claim.share_line = cells[j].line_at(0)
                claim.denominator_id, claim.denominator = TOTAL, subject_label(TOTAL)
        claim.flow = any(w in itext for w in words["activity_words"])
        if occ:
            claim.modifier = _modifier(itext, occ[-1].start)
        out.append(claim)
    return out


def _cell_figure(m: re.Match, unit: str) -> tuple[_Figure | None, None]:
    """A table cell's number in the column's or row's unit."""
    spelling = "%" if unit == PERCENT else unit_label(unit)
    fm = _FIGURE_RE.match(f"{m['qb'] or ''}{m['num']}{spelling}{m['qa'] or ''}")
    return (_figure_from_match(fm) if fm else None), None


def _row_claims(row: _Row, header: dict | None) -> list[Claim]:
    """Indicator claims of one table row (subject, unit and numbers in different cells)."""
    if header and header["type"] == "unit_columns":
        return _row_claims_unit_columns(row, header)
    subjects, _ = vocabulary()
    cells = row.cells
    unit_idx = None
    if header and header["unit_idx"] < len(cells) and _is_unit_cell(cells[header["unit_idx"]].text):
        unit_idx = header["unit_idx"]
    else:
        seen_text = False
        for i, c in enumerate(cells):
            if seen_text and _is_unit_cell(c.text):
                unit_idx = i
                break
            if re.search(r"[\u3400-\u9fff]", c.text):
                seen_text = True
    if unit_idx is None:
        return []
    unit = _is_unit_cell(cells[unit_idx].text)
    ind = next((cells[i] for i in range(unit_idx - 1, -1, -1) if re.search(r"[\u3400-\u9fff]", cells[i].text)),
               None)
    if ind is None or _not_land(ind.text):
        return []
    itext = ind.text
    _, clauses = _spans(itext)
    occ = _occurrences(itext, clauses)
    sid, kind, den_id = None, None, None
    if unit == PERCENT:
        k = itext.find("占")
        before = [o for o in occ if (k < 0 or o.end <= k)]
        if k >= 0:
            subj = [o for o in before if subjects[o.subject_id].measure == "area"]
            den_id, areaish = _denominator(itext, occ, k + 1, len(itext))
            if subj and (den_id or areaish):
                sid, kind = subj[-1].subject_id, "share"
        if kind is None:
            rates = [o for o in before if subjects[o.subject_id].measure in ("rate", "ratio")]
            if rates:
                sid = rates[-1].subject_id
                kind = subjects[sid].measure
                den_id = TOTAL if kind == "rate" else None
        if kind is None:
            return []
    else:
        measure = UNITS[unit].measure
        fits = [o for o in occ if subjects[o.subject_id].measure in
                (("total", "area") if measure == "area" else ("length",))]
        if fits:
            sid = fits[-1].subject_id
        elif measure == "length" and not re.search(r"长度|全长|总长|岸线", itext):
            return []
        kind = measure
    # which numbers: by header column, else the first number after the unit
    picks: list[tuple[int, str, int | None]] = []
    if header and header.get("columns"):
        groups: dict[tuple, list[int]] = {}
        for off, grp in header["columns"].items():
            groups.setdefault(grp, []).append(unit_idx + off)
        for (role, year), idxs in groups.items():
            nums = [i for i in idxs if i < len(cells) and _CELL_NUMBER_RE.match(cells[i].text)]
            if nums:
                picks.append((nums[-1], role, year))
    else:
        nxt = next((i for i in range(unit_idx + 1, len(cells)) if _CELL_NUMBER_RE.match(cells[i].text)), None)
        if nxt is not None:
            picks.append((nxt, "unknown", None))
    out = []
    text = " | ".join(c.text for c in cells if c.text)
    _, words = vocabulary()
    for idx, role, year in sorted(picks):
        m = _CELL_NUMBER_RE.match(cells[idx].text)
        cell_unit = m["unit"]
        if cell_unit and (_is_unit_cell(cell_unit) != unit):
            continue
        f, _ = _cell_figure(m, unit)
        if f is None:
            continue
        claim = Claim(line=cells[idx].line_at(0), text=_crop(text, 0, 0), subject=subject_label(sid),
                      subject_id=sid, subject_text=itext, kind=kind, value=f.value, unit=f.unit,
                      unit_text=cells[unit_idx].text.strip(), qualifier=f.qualifier, role=role, year=year,
                      source="table", value_step=f.step)
        _fill_measure(claim)
        if kind in ("share", "rate"):
            claim.share_pct, claim.share_step, claim.share_qualifier = f.value, f.step, f.qualifier
            claim.share_line = claim.line
            claim.denominator_id, claim.denominator = den_id, subject_label(den_id)
        claim.flow = any(w in itext for w in words["activity_words"])
        if any(w in itext for w in words["wider_scope"]):
            claim.scope = "wider"
        if sid is not None:
            at = max(o.start for o in occ if o.subject_id == sid)
            claim.modifier = _modifier(itext, at, max([o.end for o in occ if o.end <= at], default=0))
        out.append(claim)
    return out


def extract_claims(text: str) -> list[Claim]:
    """Every area, share and length figure about land and space in a plan text.

    Parameters
    ----------
    text : str
        The whole plan text (lines separated by ``\\n``; line numbers are 1-based).

    Returns
    -------
    list of Claim
        In the order of their lines.

    Example
    -------
    >>> c = extract_claims("国土总面积2058平方公里，辖6镇6乡。")[0]
    >>> c.line, c.subject, c.value, c.unit, c.value_m2
    (1, '国土总面积', 2058.0, 'km2', 2058000000.0)
    """
    if not isinstance(text, str):
        raise UsageError("extract_claims needs the text as str")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    claims: list[Claim] = []
    header = None
    for item in _layout(lines):
        if isinstance(item, _Row):
            h = _header(item)
            if h is not None:
                header = h
                continue
            for cell in item.cells:  # prose in cells; a bare number belongs to the row's indicator
                if not _CELL_NUMBER_RE.match(cell.text):
                    claims += _extract_segment(cell, source="table")
            claims += _row_claims(item, header)
        else:
            if item.text.strip():
                header = None
            claims += _extract_segment(item)
    claims.sort(key=lambda c: c.line)
    return claims


# ---------------------------------------------------------------------------------------------- checks
def _bound(q: str | None) -> bool:
    return bool(q) and any(w in q for w in _BOUND_WORDS)


def _usable(c: Claim) -> bool:
    return c.scope == "region" and not _bound(c.qualifier) and c.role != "target"


def area_interval(c: Claim) -> tuple[float, float]:
    """The m² (or m) interval of a claim's value from its rounding as written."""
    factor = float(UNITS[c.unit].factor)
    half = c.value_step / 2
    return (c.value - half) * factor, (c.value + half) * factor


def share_interval(c: Claim) -> tuple[float, float]:
    half = (c.share_step or 0.0) / 2
    return c.share_pct - half, c.share_pct + half


def _km2(m2: float) -> str:
    return f"{m2 / 1e6:,.2f} 平方千米"


def _in_unit(m2: float, unit: str) -> str:
    v = from_m2(m2, unit)
    return f"{v:,.2f} {unit_label(unit)}"


def format_figure(value: float, step: float | None, unit: str, qualifier: str | None = None,
                  thousands: bool = True) -> str:
    """A figure as a reader expects it: its decimals as written, Chinese unit, qualifier in place
    ("约47.89 平方千米", "80%以上")."""
    v = f"{value:{',' if thousands else ''}.{_decimals(step or 1)}f}"
    u = "%" if unit == PERCENT else " " + unit_label(unit)
    q = qualifier or ""
    m = re.match(rf"(?:{_QB})*", q)
    before, after = q[:m.end()], q[m.end():]
    return f"{before}{v}{u}{after}"


def _fmt_value(c: Claim) -> str:
    return format_figure(c.value, c.value_step, c.unit, c.qualifier)


def _decimals(step: float) -> int:
    if step >= 1:
        return 0
    return max(0, round(-math.log10(step)))


def _fmt_share(c: Claim) -> str:
    return format_figure(c.share_pct, c.share_step, PERCENT)


def _lines(*groups) -> list[int]:
    out: list[int] = []
    for g in groups:
        for c in g:
            for ln in (c.line, c.share_line):
                if ln is not None and ln not in out:
                    out.append(ln)
    return out


def _cjk_lines(lines: list[int]) -> str:
    return "第" + "、".join(str(x) for x in lines) + "行"


def _clusters(items: list[tuple[float, float, Claim]]) -> list[dict]:
    """Claims grouped into values compatible with each other's rounding: ``{"lo","hi","claims"}``."""
    out: list[dict] = []
    for lo, hi, c in sorted(items, key=lambda t: (t[0] + t[1]) / 2):
        if out and lo <= out[-1]["hi"] and hi >= out[-1]["lo"]:
            out[-1]["lo"], out[-1]["hi"] = max(lo, out[-1]["lo"]), min(hi, out[-1]["hi"])
            out[-1]["claims"].append(c)
        else:
            out.append({"lo": lo, "hi": hi, "claims": [c]})
    return out


def _subject_name(c: Claim) -> str:
    return c.subject or c.subject_text or "（未分类）"


def check_claims(claims: list[Claim], *, boundary_m2: float | None = None, computed: dict | None = None,
                 rel_tol: float = DEFAULT_REL_TOL) -> list[dict]:
    """Consistency findings about a plan's claims.

    Parameters
    ----------
    claims : list of Claim
    boundary_m2 : float, optional
        The region's area computed from its boundary (m², ellipsoidal).
    computed : dict, optional
        Computed areas in m² by subject id, subject label or layer kind (``{"red_line": 4.7e7}``).
    rel_tol : float
        Relative tolerance for stated vs computed, beyond the rounding of the stated figure.

    Returns
    -------
    list of dict
        ``{"kind", "lines", "message", ...}``; kinds: ``consistent``, ``inconsistent_total``,
        ``conflicting_values``, ``implied_total``, ``share_over_100``, ``area_over_total``,
        ``computed_mismatch``.
    """
    subjects, _ = vocabulary()
    computed = _computed_by_subject(computed, boundary_m2)
    findings: list[dict] = []
    totals = [c for c in claims if c.subject_id == TOTAL and c.kind == "area" and _usable(c) and not c.flow
              and not c.modifier]
    total_clusters = _clusters([(*area_interval(c), c) for c in totals])
    implied: list[tuple[float, float]] = []

    # 1. implied totals (area ÷ share) against the stated totals, or the boundary
    pairs: dict[tuple, tuple[Claim, Claim, list[Claim]]] = {}
    for c in claims:
        if c.kind == "area" and c.share_pct and c.share_pct > 0 and c.scope == "region" \
                and not _bound(c.qualifier) and not _bound(c.share_qualifier) and c.subject_id != TOTAL:
            key = (c.subject_id or c.subject_text, c.value, c.unit, c.share_pct, c.denominator_id)
            pairs.setdefault(key, (c, c, []))[2].append(c)
    # a stock's area and its share stated apart (two rows of an indicator table, two sentences)
    combined = {(c.subject_id, c.modifier) for c in claims if c.kind == "area" and c.share_pct is not None}
    for sid, mod in {(c.subject_id, c.modifier) for c in claims
                     if c.subject_id and subjects[c.subject_id].measure == "area"}:
        if (sid, mod) in combined:
            continue
        mine = [c for c in claims if c.subject_id == sid and c.modifier == mod and _usable(c) and not c.flow
                and c.role == "status"]
        areas = _clusters([(*area_interval(c), c) for c in mine if c.kind == "area"])
        shares = _clusters([(*share_interval(c), c) for c in mine if c.kind == "share" and c.share_pct
                            and c.denominator_id in (None, TOTAL) and not _bound(c.share_qualifier)])
        for ac in areas:
            for sc in shares:
                if _years_clash([ac, sc]):
                    a, sh = ac["claims"][0], sc["claims"][0]
                    pairs[(sid, mod, a.value, a.unit, sh.share_pct, TOTAL)] = (a, sh, ac["claims"] + sc["claims"])
    for c, sh, group in pairs.values():
        a_lo, a_hi = area_interval(c)
        s_lo, s_hi = share_interval(sh)
        lo, hi = a_lo / (s_hi / 100), a_hi / (max(s_lo, 1e-9) / 100)
        point = c.value_m2 / (sh.share_pct / 100)
        den_id = sh.denominator_id or TOTAL
        den_name = subject_label(den_id)
        if den_id == TOTAL:
            implied.append((lo, hi))
        head = (f"{_subject_name(c)} {_fmt_value(c)} ÷ {_fmt_share(sh)} = {_km2(point)}"
                f"（按所写位数：{_km2(lo)}–{_km2(hi)}）")
        stated = total_clusters if den_id == TOTAL else _clusters(
            [(*area_interval(d), d) for d in claims
             if d.subject_id == den_id and d.kind == "area" and _usable(d) and not d.flow and d.share_pct is None])
        base = {"subject": c.subject, "implied_m2": point, "implied_m2_interval": [lo, hi]}
        if stated:
            for cl in stated:
                ok = lo <= cl["hi"] and hi >= cl["lo"]
                d = cl["claims"][0]
                findings.append({
                    "kind": "consistent" if ok else "inconsistent_total",
                    "lines": _lines(group, cl["claims"]),
                    "message": f"{head}，与所述{den_name} {_fmt_value(d)}（{_cjk_lines(_lines(cl['claims']))}）"
                               + ("一致" if ok else "不符"),
                    **base, "stated_m2": d.value_m2})
        elif den_id == TOTAL and boundary_m2:
            ok = lo * (1 - rel_tol) <= boundary_m2 <= hi * (1 + rel_tol)
            findings.append({
                "kind": "consistent" if ok else "computed_mismatch", "lines": _lines(group),
                "message": f"{head}，与边界计算的总面积 {_km2(boundary_m2)} " + ("一致" if ok else "不符"),
                **base, "computed_m2": boundary_m2})
        else:
            findings.append({
                "kind": "implied_total", "lines": _lines(group),
                "message": f"文中未写{den_name}；由{head}", **base})

    # 2. one stock subject stated with different values
    order = list(subjects)
    for sid, mod in sorted({(c.subject_id, c.modifier) for c in claims if c.subject_id},
                           key=lambda k: (order.index(k[0]), k[1])):
        if not subjects[sid].stock:
            continue
        mine = [c for c in claims if c.subject_id == sid and c.modifier == mod and _usable(c) and not c.flow
                and c.role == "status"]
        for what in ("value", "share"):
            if what == "value":
                items = [(*area_interval(c), c) for c in mine if c.kind in ("area", "length")]
            else:
                items = [(*share_interval(c), c) for c in mine if c.share_pct is not None
                         and not _bound(c.share_qualifier) and (c.denominator_id in (None, TOTAL))]
            cl = _clusters(items)
            if len(cl) < 2 or not _years_clash(cl):
                continue
            cl.sort(key=lambda k: min(c.line for c in k["claims"]))
            parts = []
            for k in cl:
                d = k["claims"][0]
                shown = _fmt_value(d) if what == "value" else _fmt_share(d)
                parts.append(f"{shown}（{_cjk_lines(_lines(k['claims']))}）")
            msg = f"{mod}{subjects[sid].label}{'面积' if what == 'value' and subjects[sid].measure == 'area' else ''}" \
                  f"{'占比' if what == 'share' else ''}前后不一致：" + "；".join(parts)
            if what == "share":
                msg += _share_hints(sid, mod, cl, claims)
            findings.append({"kind": "conflicting_values", "lines": _lines(*[k["claims"] for k in cl]),
                             "message": msg, "subject": subjects[sid].label})

    # 3. shares over 100 %
    for c in claims:
        value = c.share_pct if c.share_pct is not None else (c.value if c.kind in ("rate", "ratio") else None)
        if value is not None and value - (c.share_step or c.value_step) / 2 > 100:
            findings.append({"kind": "share_over_100", "lines": _lines([c]),
                             "message": f"{_subject_name(c)} {value:g}% 超过 100%", "subject": c.subject})

    # 4. areas larger than the total (unit slips)
    ref = None
    if total_clusters:
        ref = (max(k["hi"] for k in total_clusters), "所述总面积")
    elif boundary_m2:
        ref = (boundary_m2 * (1 + rel_tol), "边界计算的总面积")
    elif implied:
        ref = (max(hi for _, hi in implied), "推算的总面积")
    if ref:
        for c in claims:
            if c.kind != "area" or c.value_m2 is None or c.subject_id == TOTAL or c.scope != "region":
                continue
            lo, _ = area_interval(c)
            if lo > ref[0]:
                hint = _smaller_unit(c)
                findings.append({
                    "kind": "area_over_total", "lines": _lines([c]),
                    "message": f"{_subject_name(c)} {_fmt_value(c)}（{_km2(c.value_m2)}）大于{ref[1]} "
                               f"{_km2(ref[0])}：可能是单位笔误{hint}", "subject": c.subject})

    # 5. stated against computed
    findings += _computed_findings(claims, computed, boundary_m2, rel_tol)
    return findings


def _years_clash(clusters: list[dict]) -> bool:
    for i, a in enumerate(clusters):
        for b in clusters[i + 1:]:
            for x in a["claims"]:
                for y in b["claims"]:
                    if x.year is None or y.year is None or x.year == y.year:
                        return True
    return False


def _share_hints(sid: str, mod: str, clusters: list[dict], claims: list[Claim]) -> str:
    hints = []
    areas = [c for c in claims if c.subject_id == sid and c.modifier == mod and c.kind == "area" and _usable(c)
             and not c.flow]
    for k in clusters:
        d = k["claims"][0]
        same = [c for c in claims if c.subject_id != sid and c.share_pct == d.share_pct and c.subject_id]
        for c in same[:1]:
            hints.append(f"{_fmt_share(d)} 也是{_cjk_lines([c.line])}给{c.subject}的占比")
        if areas and not any(d is c for c in areas):
            a = areas[0]
            hints.append(f"按 {_fmt_value(a)} 与 {_fmt_share(d)} 推算总面积为 {_km2(a.value_m2 / (d.share_pct / 100))}"
                         if d.share_pct else "")
    hints = [h for h in hints if h]
    return ("（" + "；".join(hints) + "）") if hints else ""


_SMALLER = {"10k_km2": "km2", "10k_ha": "ha", "10k_mu": "mu", "km2": "ha", "ha": "m2", "mu": "m2"}


def _smaller_unit(c: Claim) -> str:
    u = _SMALLER.get(c.unit)
    if not u:
        return ""
    v = f"{c.value:g}"
    return f"（例如 {v} {unit_label(u)}）"


def _computed_by_subject(computed: dict | None, boundary_m2: float | None) -> dict[str, float]:
    subjects, _ = vocabulary()
    out: dict[str, float] = {}
    for key, value in (computed or {}).items():
        if value is None:
            continue
        sid = key if key in subjects else next(
            (s.id for s in subjects.values() if key in (s.label, s.kind)), None)
        if sid is None:
            raise UsageError(f"computed figure for an unknown subject {key!r}; use a subject id "
                             f"({', '.join(subjects)}) or a layer kind")
        out[sid] = float(value)
    if boundary_m2:
        out[TOTAL] = float(boundary_m2)
    return out


def _computed_findings(claims, computed: dict[str, float], boundary_m2, rel_tol) -> list[dict]:
    findings = []
    for sid, value in computed.items():
        mine = [c for c in claims if c.subject_id == sid and not c.modifier and _usable(c) and not c.flow]
        for c in mine:
            if c.kind == "area" and c.value_m2 is not None:
                lo, hi = area_interval(c)
                ok = lo * (1 - rel_tol) <= value <= hi * (1 + rel_tol)
                diff = (c.value_m2 - value) / value * 100 if value else float("inf")
                findings.append({
                    "kind": "consistent" if ok else "computed_mismatch", "lines": _lines([c]),
                    "message": f"{_subject_name(c)} 所述 {_fmt_value(c)}，计算值 {_in_unit(value, c.unit)}"
                               f"（相差 {diff:+.3f}%）" + ("，在所写位数与容差内一致" if ok else "，不符"),
                    "subject": c.subject, "stated_m2": c.value_m2, "computed_m2": value})
            total = computed.get(TOTAL)
            if sid != TOTAL and c.share_pct is not None and c.denominator_id in (None, TOTAL) and total \
                    and not _bound(c.share_qualifier) and subjects_measure(sid) == "area":
                share = value / total * 100
                lo, hi = share_interval(c)
                ok = lo - c.share_pct * rel_tol <= share <= hi + c.share_pct * rel_tol
                findings.append({
                    "kind": "consistent" if ok else "computed_mismatch", "lines": _lines([c]),
                    "message": f"{_subject_name(c)} 所述占比 {_fmt_share(c)}，计算值 {share:.2f}%"
                               + ("，一致" if ok else "，不符"),
                    "subject": c.subject, "stated_pct": c.share_pct, "computed_pct": share})
    return findings


def subjects_measure(sid: str) -> str:
    return vocabulary()[0][sid].measure


# ------------------------------------------------------------------------------------------- auditing
def audit_text(path: str | Path, *, boundary_m2: float | None = None, computed: dict | None = None,
               rel_tol: float = DEFAULT_REL_TOL) -> dict:
    """Extract the figures of a plan text and check them.

    Parameters
    ----------
    path : path
        The plan as plain text (UTF-8, UTF-16 or GB18030/GBK).
    boundary_m2 : float, optional
        The region's area from its boundary (m²).
    computed : dict, optional
        Computed areas (m²) by subject id, label or layer kind.

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
    text, encoding = read_plan_text(path)
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


def project_figures(project) -> tuple[float | None, dict[str, float]]:
    """``(boundary_m2, computed)`` from a project: the boundary's area and, for every vocabulary subject
    with a layer kind in the project, its dissolved area clipped to the boundary."""
    from redline.layers.readers import read_project_layer

    subjects, _ = vocabulary()
    bid = project.boundary_id()
    boundary = read_project_layer(project, bid) if bid else None
    boundary_m2 = layer_area_m2(boundary) if boundary is not None else None
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
