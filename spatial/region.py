"""The administrative level of a project's region, and the words that go with it in legends, audits and
reports: a county has 县级行政界线 and 乡镇界线 and shares 占全县; a city has 市级行政界线 and 县级行政界线
(its counties and districts are its zones) and shares 占全市; a province has 省级行政界线 and 市级行政界线.

The level is the project's ``[region] level`` (``province``/``city``/``county``, or 省级/市级/县级, 省/市/县),
else it is inferred from the last character of the region's name: 省 → province, 市 → city, 县/区/旗 →
county. A county-level city (县级市, e.g. 孝义市) ends in 市 but is a county: say ``level = "county"``.
Without a level or a name that tells, the region is taken as a county (the toolkit's usual user).

Example
-------
>>> lv = region_level({"name": "吕梁市"})
>>> lv.level, lv.whole, lv.boundary_line, lv.sub_line, lv.share
('city', '全市', '市级行政界线', '县级行政界线', '占全市')
>>> lv = region_level({"name": "孝义市", "level": "county"})
>>> lv.boundary_short, lv.sub_short, lv.whole
('市界', '乡镇界', '全市')
>>> region_level({"name": "示范县（虚构）"}).boundary_line
'县级行政界线'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from redline.layers.errors import InputError

LEVELS = ("province", "city", "county")
_LEVEL_NAMES = {"province": "province", "省级": "province", "省": "province",
                "city": "city", "市级": "city", "地级": "city", "地级市": "city", "市": "city",
                "county": "county", "县级": "county", "县": "county", "区": "county", "旗": "county",
                "县级市": "county"}
_SUFFIX_LEVEL = {"省": "province", "市": "city", "县": "county", "区": "county", "旗": "county"}
_DEFAULT_UNIT = {"province": "省", "city": "市", "county": "县"}
_LINE = {"province": "省级行政界线", "city": "市级行政界线", "county": "县级行政界线"}
_SUB_LINE = {"province": "市级行政界线", "city": "县级行政界线", "county": "乡镇界线"}
_SUB_SHORT = {"province": "市界", "city": "县界", "county": "乡镇界"}
_SUB_UNIT = {"province": "市", "city": "县（区）", "county": "乡镇"}
_BRACKETS = re.compile(r"[（(][^）)]*[）)]\s*$")


@dataclass(frozen=True)
class RegionLevel:
    """A region's level (``province``, ``city``, ``county``) and the word its name ends with (``unit``:
    省, 市, 县, 区, 旗), with the Chinese terms derived from them."""

    level: str = "county"
    unit: str = "县"
    source: str = "default"      # "project" ([region] level), "name" (inferred), "default"

    @property
    def whole(self) -> str:
        """全县, 全市, 全区, 全旗, 全省."""
        return f"全{self.unit}"

    @property
    def share(self) -> str:
        """The share column's heading: 占全县, 占全市 …"""
        return f"占{self.whole}"

    @property
    def boundary_line(self) -> str:
        """The legend label of the region's boundary: 县级行政界线, 市级行政界线, 省级行政界线."""
        return _LINE[self.level]

    @property
    def boundary_short(self) -> str:
        """县界, 区界, 旗界, 市界, 省界."""
        return f"{self.unit}界"

    @property
    def sub_line(self) -> str:
        """The legend label of the region's subdivisions: 乡镇界线 (county), 县级行政界线 (city) …"""
        return _SUB_LINE[self.level]

    @property
    def sub_short(self) -> str:
        """乡镇界, 县界, 市界."""
        return _SUB_SHORT[self.level]

    @property
    def sub_unit(self) -> str:
        """What the subdivisions are: 乡镇, 县（区）, 市."""
        return _SUB_UNIT[self.level]


def region_level(region: dict | None = None, name: str | None = None) -> RegionLevel:
    """The level of a region from its ``[region]`` table (``level``, ``name``) or a name.

    Parameters
    ----------
    region : dict, optional
        A project's ``[region]`` table (``Project.region``).
    name : str, optional
        The region's name, when there is no table (or to override its ``name``).

    Raises
    ------
    InputError
        ``level`` is not a level.

    Example
    -------
    >>> region_level(name="山西省").share, region_level({"level": "市级"}).sub_line
    ('占全省', '县级行政界线')
    """
    region = region or {}
    name = (name or region.get("name") or "").strip()
    base = _BRACKETS.sub("", name).strip()
    suffix = base[-1:] if base else ""
    given = region.get("level")
    if given is not None and str(given).strip():
        level = _LEVEL_NAMES.get(str(given).strip().lower())
        if level is None:
            raise InputError(f"[region] level = {given!r} is not a level: give province, city or county "
                             "(省级, 市级, 县级)")
        unit = suffix if suffix in _SUFFIX_LEVEL and (_SUFFIX_LEVEL[suffix] == level or suffix == "市") \
            else _DEFAULT_UNIT[level]
        return RegionLevel(level, unit, "project")
    if suffix in _SUFFIX_LEVEL:
        return RegionLevel(_SUFFIX_LEVEL[suffix], suffix, "name")
    return RegionLevel()


def project_level(project) -> RegionLevel:
    """:func:`region_level` of a :class:`~redline.layers.project.Project` (a county without one)."""
    return region_level(getattr(project, "region", None) if project is not None else None)
