"""``redline audit-text PLAN``: the area, share and length figures of a plan text, and whether they agree."""

from __future__ import annotations

import sys
import unicodedata

import click

from redline.commands._common import (
    echo_json,
    echo_text,
    guard,
    handle_errors,
    json_option,
    quiet_option,
    warn,
    write_text_output,
)
from redline.layers.errors import EXIT_FINDINGS

ROLE_LABELS = {"status": "现状", "target": "目标", "previous": "原值", "unknown": "表格"}


@click.command(help="""Audit the area, share and length figures stated in a plan text.

Extracts every figure about land and space (red line, total area, protected areas, forest cover,
farmland, wetland, soil erosion, shorelines, ...) with its line, subject, value and unit, and checks
them: the total implied by an area and its share against the stated total, one subject stated with
different values, shares over 100 %, areas larger than the total (unit slips) and, with --boundary or
--project, stated against computed areas.

--rules also lists the distance rules the plan states ("黄河干流2公里范围内禁止…"): features, distance,
where it is measured from, activities and project types, level; --rules-out FILE writes them as a draft
[[rules.distance]] block to review and paste into redline.toml (with --project, feature names are matched
against the project's layers and those matching nothing are listed).

Exit codes: 0 no inconsistency, 1 inconsistencies found, 2 usage error, 3 input error.""")
@click.argument("plan")
@click.option("--boundary", "boundary_path", type=click.Path(readable=False),
              help="Boundary layer of the plan's region: its ellipsoidal area is compared with the totals.")
@click.option("--project", "project_path", type=click.Path(readable=False),
              help="Project file: compare with its boundary and the areas of its control layers.")
@click.option("--encoding", help="Encoding of the plan text (default: detected; UTF-8, UTF-16, GBK/GB18030).")
@click.option("--rules", "list_rules", is_flag=True, help="List the distance rules the plan states.")
@click.option("--rules-out", "rules_out", type=click.Path(dir_okay=False, readable=False),
              help="Write the plan's distance rules as a draft [[rules.distance]] TOML block to this file.")
@json_option
@quiet_option
@handle_errors
def command(plan: str, boundary_path: str | None, project_path: str | None, encoding: str | None, list_rules: bool,
            rules_out: str | None, as_json: bool, quiet: bool) -> None:
    import redline
    from redline.spatial.plantext import INCONSISTENT_KINDS

    guard([rules_out], [plan, boundary_path], project_path=project_path)
    project = None
    if project_path:
        project = redline.Project.load(project_path)
        if project.boundary_id() is None:
            warn("the project has no boundary layer: totals are not compared with a computed area", quiet)
    if boundary_path:
        for w in redline.layer_info(redline.read_layer(boundary_path)).warnings:
            warn(f"{boundary_path}: {w}", quiet)
    audit = redline.audit_text(plan, boundary=boundary_path, project=project, encoding=encoding,
                               rules=list_rules or bool(rules_out))
    if rules_out:
        write_text_output(rules_out, audit.rules_toml(), what="the draft rules")
    result = audit.to_dict()
    if not result["claims"]:
        warn(f"{plan}: no area, share or length figures found", quiet)
    if as_json:
        echo_json(result)
    else:
        echo_text(render_table(result))
        if list_rules:
            echo_text(render_rules(result["rules"]))
    if rules_out and not quiet:
        echo_text(f"redline: wrote {len(result['rules'])} draft distance rule(s) to {rules_out}", err=True)
    if any(f["kind"] in INCONSISTENT_KINDS for f in result["findings"]):
        sys.exit(EXIT_FINDINGS)


def render_rules(rules: list[dict]) -> str:
    """The plan's distance rules as a readable Chinese list."""
    from redline.spatial.plantext.rules import MEASURED_FROM_LABELS

    level = {"prohibited": "禁止", "needs_review": "需论证"}
    out = ["", f"规划文本中的距离规则：{len(rules)} 条" + ("" if rules else "（未找到）")]
    for i, r in enumerate(rules, 1):
        out.append(f"  {i}. 第{r['line']}行  {'、'.join(r['features'])} {r['distance_text']}（{r['distance_m']:g} 米），"
                   f"起算：{MEASURED_FROM_LABELS[r['measured_from']]}；{level[r['level']]}（“{r['level_word']}”）；"
                   f"项目类型：{'、'.join(r['types']) or '未识别（全部类型）'}")
        out.append(f"     条文：{r['clause']}")
        if r["unmatched"]:
            out.append(f"     注意：{'、'.join(r['unmatched'])} 在项目图层中没有同名要素")
    return "\n".join(out)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def _clip(text: str, width: int) -> str:
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1:
            return out + "…"
        out += ch
    return out


def render_table(result: dict) -> str:
    """The audit as a readable Chinese report."""
    from redline.spatial.plantext import FINDING_LABELS, INCONSISTENT_KINDS, format_figure

    lines = [f"规划文本：{result['path']}（编码 {result['encoding']}，{result['lines']} 行）"]
    if result.get("summary", {}).get("boundary_m2"):
        lines.append(f"边界计算面积：{result['summary']['boundary_m2'] / 1e6:,.2f} 平方千米（椭球面积）")
    claims = result["claims"]
    lines.append(f"找到 {len(claims)} 个面积、占比或长度数字：")
    if claims:
        cols = [("行号", 6, True), ("主题", 24, False), ("数值", 22, False), ("折合", 18, False),
                ("占比", 9, False), ("说明", 20, False)]
        lines.append("  ".join(_pad(n, w, r) for n, w, r in cols))
        for c in claims:
            value = format_figure(c["value"], c["value_step"], c["unit"], c["qualifier"], thousands=False)
            conv = (f"{c['value_m2'] / 1e4:,.2f} 公顷" if c["value_m2"] is not None
                    else f"{c['value_m']:,.1f} 米" if c["value_m"] is not None else "")
            share = format_figure(c["share_pct"], c["share_step"], "%", c["share_qualifier"]) \
                if c["share_pct"] is not None and c["unit"] != "%" else ""
            notes = [ROLE_LABELS.get(c["role"], c["role"])]
            if c["year"]:
                notes.append(f"{c['year']}年")
            if c["flow"]:
                notes.append("工作量")
            if c["scope"] != "region":
                notes.append("更大范围")
            if c["kind"] == "ratio":
                notes.append("非面积占比")
            if c["source"] == "table":
                notes.append("表")
            subject = c["subject"] or (c["subject_text"] and f"〔{c['subject_text']}〕") or "—"
            cells = [str(c["line"]), _clip(subject, 24), _clip(value, 22), conv, share, "，".join(notes)]
            lines.append("  ".join(_pad(t, w, r) for t, (_, w, r) in zip(cells, cols, strict=True)))
    lines.append("")
    lines.append("检查结果：")
    if not result["findings"]:
        lines.append("  （无可核对的面积与占比）")
    for f in result["findings"]:
        where = ("第" + "、".join(str(x) for x in f["lines"]) + "行：") if f["lines"] else ""
        lines.append(f"  [{FINDING_LABELS.get(f['kind'], f['kind'])}] {where}{f['message']}")
    bad = sum(1 for f in result["findings"] if f["kind"] in INCONSISTENT_KINDS)
    lines.append("")
    lines.append(f"结论：发现 {bad} 处不一致。" if bad else "结论：未发现不一致。")
    return "\n".join(lines)
