"""Read spreadsheet files (.xlsx, .xls, .csv) into grids of text with their merged ranges.

Values become the text a clerk sees: dates as 2026-11-08, 4500.0 as 4500, phone numbers
stored as numbers as their digits. A date cell formatted to show only its month
(yyyy"年"m"月", yyyy-mm) reads as that month, 2026-03: the 1st it stores is no day the clerk
wrote. Merged ranges are kept (0-based, end exclusive) so the table reader can expand them
like HTML's rowspan and colspan.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from charset_normalizer import from_bytes

from lianxin.errors import SheetError

MAX_COLUMNS = 200  # a sheet formatted out to column XFD must not build a huge grid
MAX_BLANK_RUN = 500  # stop after this many blank rows in a row (formatting down to row 1048576)
MAX_ROWS = 100_000

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: .xls (and .doc)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+\d+):([A-Z]+\d+)\"")
_DEFAULT_SHEET = re.compile(r"^(sheet|工作表|表)\s*\d*$", re.I)


@dataclass(frozen=True)
class Merge:
    """A merged block of cells: rows [top, bottom) and columns [left, right), 0-based."""

    top: int
    left: int
    bottom: int
    right: int


@dataclass
class Sheet:
    name: str
    rows: list[list[str]]
    merges: list[Merge] = field(default_factory=list)

    @property
    def named(self) -> bool:
        """Return True when the sheet has a name of its own (石门村), not Sheet1."""
        return bool(self.name.strip()) and not _DEFAULT_SHEET.match(self.name.strip())


def sniff_format(content: bytes, name: str) -> str:
    """Return "xlsx", "xls" or "csv" from the file's first bytes, else from its name."""
    if content.startswith(XLSX_MAGIC):
        return "xlsx"
    if content.startswith(XLS_MAGIC):
        return "xls"
    lowered = name.lower()
    for extension in ("xlsx", "xlsm", "xls", "csv"):
        if lowered.endswith("." + extension):
            # A .xls that is really HTML or CSV (common on old portals) reads as text.
            return "csv" if extension == "xls" else extension.replace("xlsm", "xlsx")
    return "csv"


def read_sheets(content: bytes, fmt: str) -> list[Sheet]:
    """Return the sheets of a spreadsheet file; raise SheetError with the reason when unreadable."""
    if not content.strip():
        raise SheetError("empty file: no bytes to read")
    if fmt == "xlsx":
        return read_xlsx(content)
    if fmt == "xls":
        return read_xls(content)
    return [read_csv(content)]


def read_xlsx(content: bytes) -> list[Sheet]:
    """Return every visible sheet of an .xlsx workbook (read-only mode: large files stream)."""
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  (openpyxl raises zip, XML and key errors alike)
        raise SheetError(f"unreadable .xlsx file: {type(exc).__name__}: {exc}") from exc
    sheets: list[Sheet] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        for worksheet in book.worksheets:
            if getattr(worksheet, "sheet_state", "visible") != "visible":
                continue
            rows = _trim(
                [_text(c.value, getattr(c, "number_format", None)) for c in row[:MAX_COLUMNS]]
                for row in worksheet.iter_rows()
            )
            # Read-only worksheets do not expose merged ranges; the sheet's XML lists them.
            path = getattr(worksheet, "_worksheet_path", None)
            merges: list[Merge] = []
            if path and path in archive.namelist():
                for first, last in _MERGE.findall(archive.read(path)):
                    left, top, right, bottom = range_boundaries(f"{first.decode()}:{last.decode()}")
                    merges.append(Merge(top - 1, left - 1, bottom, right))
            sheets.append(Sheet(worksheet.title, rows, merges))
    except SheetError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise SheetError(f"unreadable .xlsx file: {type(exc).__name__}: {exc}") from exc
    finally:
        book.close()
    return sheets


def read_xls(content: bytes) -> list[Sheet]:
    """Return every sheet of an old binary .xls workbook (xlrd), merged ranges included."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=content, formatting_info=True)
    except Exception:  # noqa: BLE001  (some writers' formatting records trip xlrd)
        try:
            book = xlrd.open_workbook(file_contents=content)
        except Exception as exc:  # noqa: BLE001
            raise SheetError(f"unreadable .xls file: {type(exc).__name__}: {exc}") from exc
    sheets: list[Sheet] = []
    for sheet in book.sheets():
        width = min(sheet.ncols, MAX_COLUMNS)
        rows: list[list[str]] = []
        for r in range(min(sheet.nrows, MAX_ROWS)):
            line: list[str] = []
            for c in range(width):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        when = xlrd.xldate_as_datetime(cell.value, book.datemode)
                        line.append(_text(when, _xls_format(book, cell.xf_index)))
                    except (ValueError, OverflowError):
                        line.append(_text(cell.value))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    line.append("是" if cell.value else "否")
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    line.append("")
                else:
                    line.append(_text(cell.value))
            rows.append(line)
        merges = [
            Merge(rlo, clo, rhi, min(chi, width))
            for rlo, rhi, clo, chi in getattr(sheet, "merged_cells", [])
        ]
        sheets.append(Sheet(sheet.name, _trim(rows), merges))
    return sheets


def decode_csv(content: bytes) -> str:
    """Return a CSV file's text: UTF-8 (with or without BOM), else GB18030, else detected."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", "replace")
    for codec in ("utf-8", "gb18030"):
        try:
            return content.decode(codec)
        except UnicodeDecodeError:
            continue
    best = from_bytes(content[:200_000]).best()
    if best is not None and best.encoding:
        text = content.decode(best.encoding, "replace")
        if text.count("\ufffd") <= max(2, 0.005 * len(text)):
            return text
    raise SheetError("undecodable .csv file: neither UTF-8 nor GBK/GB18030 nor detectable")


def read_csv(content: bytes) -> Sheet:
    """Return a CSV file as one sheet; comma, tab, semicolon or bar separated."""
    text = decode_csv(content)
    if "\x00" in text:
        raise SheetError("not a .csv file: binary content")
    sample = text[:20_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            [cell.strip() for cell in row[:MAX_COLUMNS]]
            for row in csv.reader(io.StringIO(text), dialect)
        ]
    except csv.Error as exc:
        raise SheetError(f"unreadable .csv file: {exc}") from exc
    rows = _trim(rows[:MAX_ROWS])
    return Sheet("", rows, _csv_merges(rows))


def _csv_merges(rows: list[list[str]]) -> list[Merge]:
    # A CSV cannot say "merged"; a line whose only text is a long first cell was a title or
    # note merged across the sheet in the workbook it was saved from.
    width = max((len(row) for row in rows), default=0)
    merges = []
    for index, row in enumerate(rows):
        if width > 2 and row and len(row[0]) > 8 and not any(row[1:]):
            merges.append(Merge(index, 0, index + 1, width))
    return merges


def _trim(rows: Iterable[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    blank_run = 0
    for row in rows:
        if any(row):
            blank_run = 0
        else:
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
        out.append(row)
        if len(out) >= MAX_ROWS:
            break
    while out and not any(out[-1]):
        out.pop()
    return out


def month_only_format(number_format: str | None) -> bool:
    """Return True when a cell's number format shows a year and month but no day."""
    if not number_format:
        return False
    # Quoted literals ("年"), escaped characters (\-) and [..] sections (colours, locales) are
    # not date tokens; what is left is.
    tokens = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format).lower()
    return "y" in tokens and "m" in tokens and "d" not in tokens and "h" not in tokens


def _xls_format(book: Any, xf_index: int | None) -> str | None:
    # Only with formatting_info does xlrd keep the formats; without it every date is a day.
    try:
        return str(book.format_map[book.xf_list[xf_index].format_key].format_str)
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def _text(value: object, number_format: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date) and month_only_format(number_format):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # 4500.0 → 4500, 13800000000.0 → 13800000000
        return repr(value)
    return str(value).strip()
