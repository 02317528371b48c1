"""Parse a file published as an attachment (.xlsx, .xls, .csv, .docx, .pdf) into a ParseResult.

Each sheet is rendered as the HTML table it stands for (merged ranges as rowspan/colspan, a
named sheet as the caption) and read by the very code that reads pages, so the column
vocabulary, header finding, 合计 and note rows, kind detection, record builders and quarantine
are the same for a page and for its attachment. A .docx or .pdf is rendered likewise, its
paragraphs and tables in their order (`documents`): it may be a table, or a notice whose
numbered text is a problem list, or an article. `parse_attachment` never raises.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lianxin.archive import content_hash
from lianxin.errors import SheetError
from lianxin.parsing.documents import Block, document_format, read_document
from lianxin.parsing.page import parse_page
from lianxin.parsing.sheets import Sheet, read_sheets, sniff_format
from lianxin.records import ParseResult, ParseStatus, Quarantined, Report, ReportKind

log = logging.getLogger(__name__)

EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv", ".docx", ".pdf")
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
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/pdf",
)
_TABLE_KINDS = (ReportKind.checkin_table, ReportKind.roster, ReportKind.problem_list)


def is_attachment(url: str, content_type: str | None) -> bool:
    """Return True when `url` or its content type names a file Lianxin reads as an attachment."""
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
    """Return the records an attached file holds; a file that cannot be read is failed.

    `filename` (from Content-Disposition or the link text) and `page_title` (the page that
    linked it) name the table when its sheets do not: the village and month are looked for in
    the sheet's title rows, then in these.
    """
    name = filename or _file_name(url)
    digest = content_hash(content)
    document = document_format(content, name)
    if document is None and _is_html(content):
        # Old portals save a table page as .xls (Excel opens it): it is the page it holds.
        result = parse_page(content, url, source=source, fetched_at=fetched_at, kind=kind)
        return _tables_only(result, url, source, fetched_at, digest, kind, page_title)
    try:
        if document is not None:
            blocks = read_document(content, document)
        else:
            sheets = read_sheets(content, sniff_format(content, name))
            blocks = [Block(table=sheet) for sheet in sheets]
    except SheetError as exc:
        return _failed(url, source, fetched_at, digest, kind, str(exc), page_title)
    except Exception as exc:  # noqa: BLE001  (a reader bug must not stop the batch)
        log.exception("Attachment reader error on %s", url)
        return _failed(
            url, source, fetched_at, digest, kind, f"reader error: {type(exc).__name__}", page_title
        )
    blocks = [block for block in blocks if block.text or (block.table and block.table.rows)]
    if not blocks:
        empty = "no text and no table rows" if document else "no rows: every sheet is blank"
        return _failed(url, source, fetched_at, digest, kind, empty)
    # A document's first line is its heading (a sheet's first row is read as the table's title).
    heading = blocks[0].text if document and len(blocks[0].text) <= 80 else ""
    title = page_title or heading or _stem(name)
    result = parse_page(
        render_blocks(blocks, title),
        url,
        source=source,
        fetched_at=fetched_at,
        kind=kind,
        http_charset="utf-8",
        content_type="text/html",
    )
    result.report.content_hash = digest  # the archived bytes are the file, not the rendering
    if document is not None:  # a notice or an article in Word or PDF is read as one
        return result
    return _tables_only(result, url, source, fetched_at, digest, kind, page_title)


def _tables_only(
    result: ParseResult,
    url: str,
    source: str,
    fetched_at: datetime,
    digest: str,
    kind: str,
    page_title: str | None,
) -> ParseResult:
    # A spreadsheet is read for its tables: one without a known header is no report.
    result.report.content_hash = digest
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
    return render_blocks([Block(table=sheet) for sheet in sheets], title)


def render_blocks(blocks: list[Block], title: str) -> bytes:
    """Return an HTML page of a file's paragraphs and tables, in their order."""
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f'<meta name="ArticleTitle" content="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title></head><body>",
    ]
    for block in blocks:
        parts.append(_table(block.table) if block.table else f"<p>{html.escape(block.text)}</p>")
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


def _is_html(content: bytes) -> bool:
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<table")) and (
        b"<table" in content[:200_000].lower()
    )


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
