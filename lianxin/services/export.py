"""Export a table to XLSX or CSV for people who work in Excel or WPS.

Phones and ID numbers are masked unless the caller asks otherwise (and may), every other text
has numbers in it scrubbed, and a cell that starts like a formula (= + - @) gets a leading `'`
so that a string from a fetched page cannot run in a spreadsheet (CSV/formula injection).
CSV is UTF-8 with a byte-order mark, which Excel needs to read Chinese correctly.

The standard tables (`EXPORTS`, `export_query`) are in `lianxin.services.export_tables`.
The importer undoes the formula guard (`unguard`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from lianxin.clock import local_zone
from lianxin.errors import ExportRefused
from lianxin.privacy import mask_text

ExportFormat = Literal["xlsx", "csv"]
Columns = Sequence[tuple[str, str]]  # (key in the row, header shown)

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60


def export_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Columns,
    fmt: ExportFormat,
    mask: bool = True,
    title: str = "连心",
) -> bytes:
    """Return `rows` as an XLSX workbook or a UTF-8 (BOM) CSV file, one column per `columns`.

    Values missing from a row are blank; dates stay dates in XLSX; instants are shown in
    `rules.timezone` (lianxin.clock.local_zone). With `mask`, phones and ID numbers are
    masked (see `lianxin.privacy`).
    """
    grid = [[_cell(key, row.get(key), mask) for key, _ in columns] for row in rows]
    headers = [header for _, header in columns]
    if fmt == "csv":
        return _csv(headers, grid)
    if fmt == "xlsx":
        return _xlsx(headers, grid, title)
    raise ExportRefused(f"unknown export format {fmt!r}: xlsx or csv")


def _cell(key: str, value: Any, mask: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(local_zone())
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date | int | float):
        return value
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    text = str(value)
    if mask:
        text = mask_text(key, text)
    return guard(text)


def guard(text: str) -> str:
    """Return `text` with a leading `'` when a spreadsheet would read it as a formula (or it
    starts with `'` itself, so that `unguard` gives back exactly `text`)."""
    return GUARD + text if text.startswith((*_FORMULA_START, GUARD)) else text


def unguard(text: str) -> str:
    """Return `text` without the `'` that `guard` put before it (other text unchanged)."""
    if text.startswith(GUARD) and text[1:].startswith((*_FORMULA_START, GUARD)):
        return text[1:]
    return text


def _csv(headers: list[str], grid: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for line in grid:
        writer.writerow([_csv_text(value) for value in line])
    return out.getvalue().encode("utf-8-sig")


def _csv_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx(headers: list[str], grid: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = (_BAD_TITLE.sub(" ", title).strip() or "Sheet1")[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in grid:
        sheet.append(line)
        for cell, value in zip(sheet[sheet.max_row], line, strict=False):
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        widest = max([_width(header)] + [_width(line[index - 1]) for line in grid[:1000]])
        sheet.column_dimensions[get_column_letter(index)].width = min(widest + 2, MAX_WIDTH)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    # A Chinese character takes two columns' width.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))
