"""The subjects of plan figures (``spatial/data/subjects.toml``): labels, measures, aliases and word lists.

Example
-------
>>> subject_label("red_line"), subjects_measure("forest_cover")
('生态保护红线', 'rate')
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: The subject id of the region's total area (the denominator of shares).
TOTAL = "total_area"


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


def subjects_measure(sid: str) -> str:
    return vocabulary()[0][sid].measure


def _not_land(text: str) -> bool:
    """Whether the words before a figure make it something other than land (floor areas, per-head figures)."""
    words = vocabulary()[1]
    return any(w in text for w in words["not_land"]) or any(w in text for w in words["building_words"])


_LAND_UNITS = ("mu", "10k_mu", "ha", "10k_ha", "km2", "10k_km2")


def _land_area_words(words: str, unit: str = "m2") -> bool:
    """Whether the words around an area figure that names no known subject make it an area of land (rules in
    ``[text]`` of ``subjects.toml``).

    Example
    -------
    >>> _land_area_words("完成荒山造林"), _land_area_words("游客服务中心"), _land_area_words("污水处理厂用地")
    (True, False, True)
    >>> _land_area_words("每年完成", "10k_mu"), _land_area_words("其中", "m2")
    (True, False)
    >>> _land_area_words("发展设施蔬菜", "10k_mu")  # 亩, 公顷, km² are units of land
    True
    """
    w = vocabulary()[1]
    if unit in _LAND_UNITS or any(x in words for x in w["land_words_strong"]):
        return True
    if any(x in words for x in w["facility_words"]):
        return False
    return any(x in words for x in (*w["land_words"], *w["activity_words"]))


def _linear_words(words: str) -> bool:
    """Whether the words before a length figure that names no known subject name a feature on the land.

    Example
    -------
    >>> _linear_words("建设河岸生态缓冲带"), _linear_words("东至省城")
    (True, False)
    """
    return any(x in words for x in vocabulary()[1]["linear_words"])


def _in_quotes(text: str) -> bool:
    """Whether the end of ``text`` is inside quotation marks (an opening mark not closed yet).

    Example
    -------
    >>> _in_quotes("打通“最后"), _in_quotes("“两山”理念下的")
    (True, False)
    """
    return text.count("“") > text.count("”") or text.count("「") > text.count("」") or text.count('"') % 2 == 1


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"
