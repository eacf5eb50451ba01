"""Processing notes in Chinese: the warnings a check gathers (how layers were read, reprojected and repaired,
what the check could not do) as an officer reads them in a report.

The program's warnings are English (they go to ``redline: warning:`` on a terminal and into the JSON). A
report is Chinese throughout, so :func:`note_zh` translates each warning it knows, sentence by sentence; one
it does not know is kept apart, labelled as the program's own text (:func:`notes_zh`), so that a new warning
never slips English into the body of a report unannounced (``tests/test_report_text.py`` checks that every
warning of the demo and of the usual faults has its translation).

Example
-------
>>> note_zh("layer rivers: reprojected from China Geodetic Coordinate System 2000 to the analysis CRS "
...         "CGCS2000 / 3-degree Gauss-Kruger zone 37", {"rivers": "示范县河流"})
'图层“示范县河流”：已由 2000国家大地坐标系 转换到分析坐标系 2000国家大地坐标系 3度带高斯-克吕格投影第37带'
>>> note_zh("something new") is None
True
"""

from __future__ import annotations

import re

from redline.layers.repair import reason_zh

_DATUMS = {"China Geodetic Coordinate System 2000": "2000国家大地坐标系", "CGCS2000": "2000国家大地坐标系",
           "Xian 1980": "西安1980坐标系", "Beijing 1954": "北京1954坐标系", "WGS 84": "WGS 84"}
_PROJECTED = re.compile(r"(China Geodetic Coordinate System 2000|CGCS2000|Xian 1980|Beijing 1954) / "
                        r"(3-degree )?Gauss-Kruger (zone (\d+)|CM (\d+)E)")


def crs_zh(text: str) -> str:
    """CRS names (PROJ's) inside a text, in the words of Chinese surveying.

    >>> crs_zh("CGCS2000 / 3-degree Gauss-Kruger zone 37")
    '2000国家大地坐标系 3度带高斯-克吕格投影第37带'
    >>> crs_zh("由 Xian 1980 / 3-degree Gauss-Kruger CM 111E 转换"), crs_zh("China Geodetic Coordinate System 2000")
    ('由 西安1980坐标系 3度带高斯-克吕格投影（中央经线111°E） 转换', '2000国家大地坐标系')
    """
    def projected(m: re.Match) -> str:
        width = "3度带" if m.group(2) else "6度带"
        where = f"第{m.group(4)}带" if m.group(4) else f"（中央经线{m.group(5)}°E）"
        return f"{_DATUMS[m.group(1)]} {width}高斯-克吕格投影{where}"

    text = _PROJECTED.sub(projected, text)
    return text.replace("China Geodetic Coordinate System 2000", "2000国家大地坐标系")


_GEOM = {"polygon": "面", "line": "线", "point": "点", "polygons": "面", "lines": "线", "points": "点"}


def _reasons(text: str) -> str:
    parts = []
    for part in text.split(", "):
        m = re.match(r"^(.*) ×(\d+)$", part.strip())
        parts.append(f"{reason_zh(m.group(1))}{m.group(2)}处" if m else reason_zh(part))
    return "、".join(parts)


def _features(text: str) -> str:
    return re.sub(r"feature (\d+)", r"要素\1", text).replace(" and ", "、另").replace(" more", "个")


def _encoding_why(why: str) -> str:
    out = why
    for en, zh in (
        ("no usable .cpg", "无可用的 .cpg 文件"), ("no .cpg", "无 .cpg 文件"),
        ("attribute text is plain ASCII", "属性文字均为 ASCII"),
        ("attribute text decodes as UTF-8", "属性文字按 UTF-8 解码"),
        ("attribute text is not UTF-8 but decodes as GBK/GB18030", "属性文字不是 UTF-8，按 GBK/GB18030 解码"),
        ("attribute text is neither UTF-8 nor GBK: read as Latin-1, check it",
         "属性文字既非 UTF-8 也非 GBK，按 Latin-1 读取，请核对"),
        (".cpg file says", ".cpg 文件声明为"),
    ):
        out = out.replace(en, zh)
    return out


# (pattern, Chinese template or function of the match): tried in order on each sentence
_RULES: list[tuple[re.Pattern, object]] = [(re.compile(p), t) for p, t in [
    (r"^reprojected from (?P<a>.+) to the analysis CRS (?P<b>.+)$", "已由 {a} 转换到分析坐标系 {b}"),
    (r"^converted from (?P<a>.+) to (?P<b>.+) with the parameters given with --towgs84 \((?P<p>[^)]*)\)$",
     "已按给定的转换参数（{p}）由 {a} 转换到 {b}"),
    (r"^WGS 84 and CGCS2000 differ by centimetres to a metre; treated as the same datum$",
     "WGS 84 与 CGCS2000 相差厘米至米级，按同一基准处理"),
    (r"^WGS84 coordinates are taken as CGCS2000 \(they differ by centimetres to a metre\)$",
     "WGS 84 坐标按 CGCS2000 处理（两者相差厘米至米级）"),
    (r"^analysis CRS (?P<a>.+) is geographic; computing in (?P<b>.+) \(EPSG:(?P<e>\d+)\)$",
     "分析坐标系 {a} 为地理坐标系，改在 {b}（EPSG:{e}）中计算"),
    (r"^analysis CRS (?P<a>.+) is geographic and no Gauss-Krüger zone fits; distances use the plane of "
     r"longitude/latitude$", "分析坐标系 {a} 为地理坐标系且无适用的高斯-克吕格投影带，距离在经纬度平面内计算"),
    (r"^(?P<n>\d+) invalid geometr(?:y|ies) \((?P<r>[^;]+); (?P<f>.*)\)(?P<rest>; not repaired.*)?$",
     lambda m: f"{m['n']}个要素几何图形无效（{_reasons(m['r'])}；{_features(m['f'])}）"
               + ("，未修复" if m["rest"] else "")),
    (r"^repaired (?P<n>\d+) feature\(s\) with make_valid\(method='structure'\) \((?P<f>.*)\): area "
     r"(?P<a>[\d.]+) → (?P<b>[\d.]+) \(planar units of the layer\)(?P<rest>.*)$",
     lambda m: f"已修复{m['n']}个几何图形无效的要素（{_features(m['f'])}；修复方法：各环视为面，外环合并、内环扣除），"
               f"平面面积由 {m['a']} 变为 {m['b']}"
               + ("，仅用于本次核查，数据文件未改动" if "unchanged" in m["rest"] else "")),
    (r"^(?P<n>\d+) feature\(s\) with empty or missing geometry$", "{n}个要素几何为空或缺失"),
    (r"^core control layers not checked: (?P<l>[^(]+) \(.*$",
     lambda m: f"未核查的核心管控图层：{'、'.join(x.strip() for x in m['l'].split(','))}（本次检查未提供这些图层），"
               "各项目结论均注明“未核查”"),
    (r"^distance rule '(?P<id>[^']+)' \((?P<t>[^)]*)\): where (?P<w>.+) matches no feature of layer "
     r"'(?P<l>[^']+)'.*$", "距离规则“{t}”的筛选条件 {w} 在图层 {l} 中没有匹配的要素，该规则未能适用于任何项目，请核对规则中的名称"),
    (r"^encoding: the (?P<w>.+); give --encoding to override$", lambda m: f"属性编码：{_encoding_why(m['w'])}"),
    (r"^the file says (?P<a>.+); using (?P<b>.+) as given with --crs$", "文件声明的坐标系为 {a}，按指定的 {b} 处理"),
    (r"^(?P<d>.+) data is kept in its datum: it is never converted to CGCS2000 without transformation parameters "
     r"you supply$", "{d}数据保持原基准，未提供转换参数，不转换为 CGCS2000"),
    (r"^no CRS in (?P<w>.+): the easting prefix (?P<p>\d+) places it in (?P<c>.+)$",
     "{w} 未注明坐标系，按东坐标的带号前缀 {p} 定为 {c}"),
    (r"^project type '(?P<t>[^']+)' \((?P<w>[^)]+)\) is not a known project type.*$",
     "项目类型“{t}”（{w}）无法识别，须明确项目类型"),
    (r"^no field for (?P<a>\w+)(?: \(the mapping .*\))?; rules by zone cannot be applied.*$",
     lambda m: f"图层中没有{'功能分区' if m['a'] == 'zone' else '管控单元类别'}字段，无法按分区适用规则，压覆处均列为需论证"),
    (r"^field mapping (?P<a>\w+) = '(?P<f>[^']+)' names no field of the layer \(fields: (?P<l>.*)\)$",
     "字段对应 {a} = {f} 在图层中不存在（现有字段：{l}）"),
    (r"^a (?P<k>\w+) layer should hold (?P<n>\w+), but this one holds (?P<h>\w+)$",
     lambda m: f"该类图层应为{_GEOM.get(m['n'], m['n'])}要素，但此图层为{_GEOM.get(m['h'], m['h'])}要素"),
]]
_LAYER = re.compile(r"^layer (?P<lid>[^\s:(]+)(?: \((?P<file>[^)]*)\))?: (?P<rest>.+)$")


def note_zh(note: str, labels: dict[str, str] | None = None) -> str | None:
    """One warning in Chinese, or None when it is not one this module knows.

    ``labels`` names layers by id (``{"rivers": "示范县河流"}``): ``layer rivers: …`` becomes
    ``图层“示范县河流”：…``.
    """
    labels = labels or {}
    m = _LAYER.match(note)
    if m:
        rest = note_zh(m["rest"], labels)
        if rest is None:
            return None
        name = labels.get(m["lid"], m["lid"])
        return f"图层“{name}”" + (f"（{m['file']}）" if m["file"] else "") + f"：{rest}"
    for pattern, template in _RULES:
        m = pattern.match(note.strip())
        if m:
            return crs_zh(template(m) if callable(template) else template.format(**m.groupdict()))
    return None


def notes_zh(notes: list[str], labels: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """The warnings in Chinese, and those without a translation (kept as the program wrote them)."""
    done, left = [], []
    for n in notes:
        zh = note_zh(n, labels)
        if zh is None:
            left.append(n)
        elif zh not in done:
            done.append(zh)
    return done, left
