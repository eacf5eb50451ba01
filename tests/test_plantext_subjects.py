"""Which figures with no named subject are land: the subject classes of ``[text]`` in ``subjects.toml``
(land and facility words for areas, linear words for lengths, quotation marks, rates of land not named in the
vocabulary), measured on a corpus of sentences written for this test (none is copied from a plan).

Each sentence lists the figures a careful reader marks as land (value as written); the counts asserted below
are counted by hand from these lists. Each rule is then switched off alone to show what it is for: the
figures it keeps out (its precision effect) or the figures it finds (its recall effect).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from redline.spatial.plantext import context, extract_claims, extraction

CORPUS: list[tuple[str, list[float]]] = [
    # land: areas in units of land, areas in m² named by land words, lengths of linear features, zones, rates
    ("规划新增造林面积1.5万亩。", [1.5]),
    ("每年完成退化草地修复2300公顷。", [2300.0]),
    ("河道两岸建设生态缓冲带12.5公里。", [12.5]),
    ("新建城市绿道38公里，道路两侧绿化带宽20米。", [38.0, 20.0]),
    ("清淤疏浚排洪渠6.2千米。", [6.2]),
    ("复垦工矿废弃地860亩。", [860.0]),
    ("污水处理站占地4500平方米。", [4500.0]),
    ("修建生态护岸4800平方米。", [4800.0]),
    ("口袋公园绿化面积2600平方米。", [2600.0]),
    ("境内沁水河段长约41公里。", [41.0]),
    ("在水源地2公里范围内禁止建设。", [2.0]),
    ("城区绿地率达到38%，村庄绿化覆盖率32%。", [38.0, 32.0]),
    ("农田林网覆盖率提高到90%。", [90.0]),
    ("水土保持工程。实施3.5万亩。", [3.5]),
    ("到2030年园地保有量不低于1.2万亩。", [1.2]),  # a stock of land the vocabulary does not name
    # not land: floor areas, facilities, equipment, grid cells, distances between places, sizes, idioms
    ("游客服务中心1200平方米。", []),
    ("新建体育馆8600平方米，文化活动室350平方米。", []),
    ("监测机房60平方米。", []),
    ("新建停车场3400平方米。", []),
    ("会展综合体总面积12000平方米。", []),
    ("商场营业面积5200平方米。", []),
    ("按2×2公里网格布设监测点。", []),
    ("县城东距省城145公里，西至机场62公里。", []),
    ("锅炉烟囱高45米。", []),
    ("样地大小为20米见方。", []),
    ("打通农村道路“最后一公里”。", []),
    ("打造“十公里”健身圈。", []),
]
LAND = sum(len(v) for _, v in CORPUS)  # 17 figures of land, counted from the lists above


def score() -> tuple[int, int]:
    """(figures of land found, figures extracted that are not land) over the corpus."""
    found = extra = 0
    for text, want in CORPUS:
        got = Counter(c.value for c in extract_claims(text))
        hit = got & Counter(want)
        found += sum(hit.values())
        extra += sum((got - hit).values())
    return found, extra


def test_corpus_with_every_rule():
    assert LAND == 17
    assert score() == (17, 0)  # recall 100 %, precision 100 %


@pytest.mark.parametrize("rule, patch, found, extra", [
    # areas in m² without a land word, or with a facility word: 1200, 8600, 350, 60, 3400, 12000 get in
    ("area subject class", ("_land_area_words", lambda words, unit="m2": True), 17, 6),
    # lengths without a linear word: 2 (grid), 62 (机场), 45 (烟囱), 20 (样地) get in ("145" is after 距)
    ("length subject class", ("_linear_words", lambda words: True), 17, 4),
    # figures in quotation marks: "最后一公里" follows 道路, a linear word; "十公里" has none
    ("quotation marks", ("_in_quotes", lambda text: False), 17, 1),
])
def test_each_subject_rule_keeps_out_what_it_is_for(monkeypatch, rule, patch, found, extra):
    monkeypatch.setattr(extraction, *patch)
    assert score() == (found, extra), rule


def test_rates_of_land_not_named_in_the_vocabulary(monkeypatch):
    claims = extract_claims("城区绿地率达到38%，村庄绿化覆盖率32%。农田林网覆盖率提高到90%。")
    assert [(c.subject, c.modifier, c.kind) for c in claims] == [
        ("绿地率", "城区", "ratio"), ("绿化覆盖率", "村庄", "ratio"), ("林网覆盖率", "农田", "ratio")]
    monkeypatch.setattr(context, "_with_generic_rates", lambda text, out: out)
    assert score() == (14, 0)  # without the rule the three rates are lost, nothing else changes


def test_a_rate_word_alone_is_not_a_subject():
    # "覆盖率" after words that are not land (a network, a service) names no rate of land
    assert extract_claims("4G信号覆盖率达到99%，医保覆盖率98%。") == []
    assert not re.search("其他地类比率", str([c.subject for c in extract_claims("林草覆盖率45%。")]))
