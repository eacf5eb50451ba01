"""The 压覆分析报告 as a Word document (A4), with the content of the HTML report.

Example
-------
>>> import io
>>> from docx import Document
>>> from redline.maps.report.check_content import report_content
>>> data = report_docx(report_content({"sites": [], "project": {"name": "示范县"}}))
>>> doc = Document(io.BytesIO(data))
>>> doc.paragraphs[0].text, round(doc.sections[0].page_width.mm), round(doc.sections[0].page_height.mm)
('示范县建设项目压覆分析报告（0个项目）', 210, 297)
"""

from __future__ import annotations

from redline.maps.report.check_content import FICTIONAL_NOTE, VERDICT_COLORS, ReportContent
from redline.maps.report.word import WordWriter


def _verdict_run(para, verdict: str) -> None:
    from docx.shared import RGBColor

    run = para.add_run(verdict)
    run.bold = True
    run.font.color.rgb = RGBColor.from_string(VERDICT_COLORS.get(verdict, "#555555").lstrip("#").upper())


def _table(w: WordWriter, t) -> None:
    w.table(t.header, t.rows, numeric=t.numeric)


def report_docx(content: ReportContent, provenance: dict | None = None) -> bytes:
    """The report as the bytes of a .docx file.

    Parameters
    ----------
    content : ReportContent
        From :func:`redline.maps.report.check_content.report_content`.
    provenance : dict, optional
        The check's provenance block, kept in the document's comments property for ``redline verify``.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    c, m = content, content.meta
    w = WordWriter()
    doc = w.doc
    w.heading(c.title, 0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = w.paragraph(f"{m['project'] or ''}　编制日期 {m['date']}　redline {m['version']}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if c.fictional:
        r = w.paragraph().add_run(FICTIONAL_NOTE)
        r.font.bold = True
        r.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)

    w.heading("一、项目基本情况", 1)
    if c.summary:
        w.paragraph(c.summary.intro)
        w.heading("结论统计", 3)
        _table(w, c.summary.verdicts)
        w.heading("各图层压覆统计", 3)
        _table(w, c.summary.layers)
        w.heading("详列的项目", 3)
    _table(w, c.basics)

    w.heading("二、数据来源与分析方法", 1)
    _table(w, c.sources)
    for line in c.methods:
        w.paragraph(line, style="List Bullet")
    if c.warnings:
        w.paragraph("处理记录：" + "；".join(c.warnings) + "。")
    if c.program_notes:
        w.paragraph("其他程序提示（程序原文，供技术人员参考）：" + "; ".join(c.program_notes) + ".")

    w.heading("三、压覆分析", 1)
    if c.summary:
        w.paragraph(c.summary.left_out)
    for s in c.sites:
        w.heading(f"（{s.number}）{s.heading}", 2)
        para = w.paragraph(f"项目类型：{s.type_label}；{s.size}；结论：")
        _verdict_run(para, s.verdict)
        if s.verdict_note:
            para.add_run(s.verdict_note)
        if s.overview:
            w.picture(s.overview.png, s.overview.caption)
        w.heading("压覆情况汇总", 3)
        _table(w, s.summary)
        for L in s.layers:
            w.heading(L.title, 3)
            _table(w, L.table)
            for note in L.notes:
                w.paragraph(note)
            if L.figure:
                w.picture(L.figure.png, L.figure.caption)
        w.heading("适用情形", 3)
        for label, msg in s.cases:
            para = w.paragraph(style="List Bullet")
            para.add_run(f"{label}：").bold = True
            para.add_run(msg)

    w.heading("四、结论", 1)
    for s in c.sites:
        para = w.paragraph()
        para.add_run(f"{s.name}：").bold = True
        _verdict_run(para, s.verdict)
        if s.verdict_note:
            para.add_run(s.verdict_note)
        w.paragraph(s.reason)
        for level, text in s.findings:
            w.paragraph(f"{level}{text}", style="List Number")
    if c.summary:
        w.paragraph(c.summary.counts)
    if c.unchecked:
        w.paragraph(c.unchecked)
    w.heading("引用条款", 2)
    for k, clause in enumerate(c.clauses):
        w.paragraph(f"{k + 1}. {clause}")
    foot = w.paragraph(c.footer)
    for r in foot.runs:
        r.font.size = Pt(9)
    doc.core_properties.title = c.title
    doc.core_properties.author = "redline"
    data = w.to_bytes()
    if provenance is not None:
        from redline.layers.provenance_formats import docx_with_block

        data = docx_with_block(data, provenance)
    return data
