"""Reports and tables: everything a command writes for people to read, built in memory as text or bytes.

Modules
-------
check           every output file of a site check (:func:`check_outputs`) and its 压覆分析报告
                (:func:`check_report`: HTML and DOCX)
check_content   what the 压覆分析报告 says: tables, fixed sentences, conclusions, which sites get a section
check_html      the report as a self-contained HTML page (jinja2 template ``templates/check_report.html``)
check_docx      the report as a Word document (A4)
word            python-docx helpers: A4 document with Chinese fonts, tables written in one pass, pictures
figures         the report's maps (matplotlib PNG): an overview per site, one map per occupied layer
tables          the rows of a check's tables and XLSX writing (text cells never run as formulas)
audit           the layer audit as a text report and workbook sheets
area            the rounded table of an area statistic (平差) and its sheet
text            plain-text tables with CJK widths

The rows of ``sites.csv`` and ``hits.csv`` and the CSV writer live with the check engine
(:mod:`redline.spatial.check_tables`), which streams them; they are re-exported by :mod:`.tables`.

Example
-------
>>> from redline.maps.report import check_report
>>> files = check_report({"sites": [], "provenance": {"created": "2026-11-20T10:00:00+08:00"}})
>>> sorted(files)
['压覆分析报告.docx', '压覆分析报告.html']
"""

from redline.maps.report.check import check_outputs, check_report

__all__ = ["check_outputs", "check_report"]
