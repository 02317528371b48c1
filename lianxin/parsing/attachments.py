"""Parse a table published as an attachment (.xlsx, .xls, .csv) into a ParseResult.

Each sheet is rendered as the HTML table it stands for (merged ranges as rowspan/colspan, a
named sheet as the caption) and read by the very code that reads pages, so the column
vocabulary, header finding, 合计 and note rows, kind detection, record builders and quarantine
are the same for a page and for its attachment. `parse_attachment` never raises.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lianxin.archive import content_hash
from lianxin.parsing.page import parse_page
from lianxin.parsing.sheets import Sheet, SheetError, read_sheets, sniff_format
from lianxin.records import ParseResult, ParseStatus, Quarantined, Report, ReportKind

log = logging.getLogger(__name__)

EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv")
CONTENT_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/excel",
    "application/x-excel",
    "application/x-xls",
    "text/csv",
    "application/csv",
    "text/comma-separated-values",
)
_TABLE_KINDS = (ReportKind.checkin_table, ReportKind.roster, ReportKind.problem_list)


def is_attachment(url: str, content_type: str | None) -> bool:
    """Return True when `url` or its content type names a spreadsheet Lianxin can read."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in CONTENT_TYPES:
        return True
    return _file_name(url).lower().endswith(EXTENSIONS)


def parse_attachment(
    content: bytes,
    url: str,
    *,
    source: str,
    fetched_at: datetime,
    kind: str = "auto",
    filename: str | None = None,
    page_title: str | None = None,
) -> ParseResult:
    """Return the records an attached spreadsheet holds; a file that cannot be read is failed.

    `filename` (from Content-Disposition or the link text) and `page_title` (the page that
    linked it) name the table when its sheets do not: the village and month are looked for in
    the sheet's title rows, then in these.
    """
    name = filename or _file_name(url)
    digest = content_hash(content)
    try:
        sheets = read_sheets(content, sniff_format(content, name))
    except SheetError as exc:
        return _failed(url, source, fetched_at, digest, kind, str(exc), page_title)
    except Exception as exc:  # noqa: BLE001  (a reader bug must not stop the batch)
        log.exception("Attachment reader error on %s", url)
        return _failed(
            url, source, fetched_at, digest, kind, f"reader error: {type(exc).__name__}", page_title
        )
    sheets = [sheet for sheet in sheets if sheet.rows]
    if not sheets:
        return _failed(url, source, fetched_at, digest, kind, "no rows: every sheet is blank")
    title = page_title or _stem(name)
    document = render_html(sheets, title)
    result = parse_page(
        document,
        url,
        source=source,
        fetched_at=fetched_at,
        kind=kind,
        http_charset="utf-8",
        content_type="text/html",
    )
    result.report.content_hash = digest  # the archived bytes are the file, not the rendering
    if result.report.parse_status is not ParseStatus.failed and (
        result.report.kind not in _TABLE_KINDS
    ):
        return _failed(
            url,
            source,
            fetched_at,
            digest,
            kind,
            "no check-in, roster or problem table: no sheet has a header naming known columns",
            page_title,
        )
    result.report.body = ""
    return result


def render_html(sheets: list[Sheet], title: str) -> bytes:
    """Return an HTML page holding one table per sheet, merged ranges as rowspan/colspan."""
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f'<meta name="ArticleTitle" content="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title></head><body>",
    ]
    for sheet in sheets:
        parts.append(_table(sheet))
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")


def _table(sheet: Sheet) -> str:
    width = max(len(row) for row in sheet.rows)
    starts = {(m.top, m.left): m for m in sheet.merges}
    covered = {
        (r, c)
        for m in sheet.merges
        for r in range(m.top, min(m.bottom, len(sheet.rows)))
        for c in range(m.left, min(m.right, width))
        if (r, c) != (m.top, m.left)
    }
    out = ["<table>"]
    if sheet.named:
        out.append(f"<caption>{html.escape(sheet.name)}</caption>")
    for r, row in enumerate(sheet.rows):
        out.append("<tr>")
        for c in range(width):
            if (r, c) in covered:
                continue
            text = html.escape(row[c]) if c < len(row) else ""
            merge = starts.get((r, c))
            if merge is None:
                out.append(f"<td>{text}</td>")
                continue
            rows = min(merge.bottom, len(sheet.rows)) - merge.top
            cols = min(merge.right, width) - merge.left
            out.append(f'<td rowspan="{max(rows, 1)}" colspan="{max(cols, 1)}">{text}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _file_name(url: str) -> str:
    try:
        return unquote(PurePosixPath(urlsplit(url).path).name)
    except ValueError:
        return ""


def _stem(name: str) -> str:
    return PurePosixPath(name).stem if name else ""


def _failed(
    url: str,
    source: str,
    fetched_at: datetime,
    digest: str,
    kind: str,
    reason: str,
    title: str | None = None,
) -> ParseResult:
    report_kind = ReportKind(kind) if kind in ReportKind.__members__ else ReportKind.article
    report = Report(
        source=source,
        url=url,
        kind=report_kind,
        title=title or "",
        content_hash=digest,
        fetched_at=fetched_at,
        parse_status=ParseStatus.failed,
        errors=[reason],
    )
    return ParseResult(report=report, quarantined=[Quarantined(url=url, reason=reason)])
