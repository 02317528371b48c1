"""Refuse an uploaded spreadsheet that would be too costly to parse, before it is parsed.

An .xlsx is a zip: its central directory declares each member's packed and unpacked size, so a
zip bomb (a 1.5 MB file whose sheet unpacks to 1.5 GB) is refused from those numbers alone, by
the member count, the total unpacked size and each member's compression ratio. (Python's
zipfile never unpacks more than a member declares, so the declared sizes are a true bound.)
Then the rows are counted, streaming: the worksheets' `<row>` elements that hold a value, or a
CSV's records, stopping at the first row past the limit. An .xls (a binary OLE2 file) has no
cheap row count; it is held by the upload size and by the parsing process's own limits
(`lianxin.sandbox`).

Every refusal is an `UploadRefused` with a code (`upload.…`) that the dashboard translates.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from lianxin.errors import UploadRefused
from lianxin.parsing.sheets import sniff_format

MIB = 1024 * 1024
TITLE_ROWS = 20  # rows a sheet may hold above its records: titles, headers, notes
RATIO_FROM_BYTES = MIB  # members smaller than this unpacked are not held to the ratio
_CHUNK = 1024 * 1024
_TAG_MAX = 64  # longer than any tag looked for, namespace prefix and all
# A row ends at </row>; it counts when it holds a value (<v>) or an inline string (<is>).
_ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.-]{0,40}:)?row\s*>")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?(?:v|is)>")


@dataclass(frozen=True)
class UploadLimits:
    """How much one uploaded file may hold, as the dashboard's settings give it."""

    max_unpacked_bytes: int = 200 * MIB  # an .xlsx's members, unpacked, all together
    max_ratio: int = 200  # unpacked / packed, per member of at least RATIO_FROM_BYTES
    max_members: int = 1000  # files inside the .xlsx
    max_rows: int = 50_000  # rows with a value, besides up to TITLE_ROWS title and header rows


def check_upload(content: bytes, filename: str, limits: UploadLimits) -> None:
    """Raise UploadRefused when `content` declares more than `limits` allow; else return.

    The format is sniffed as the parser will sniff it: an .xlsx by its zip signature, a .csv
    (or an .xls that is really text) by its name; an OLE2 .xls is not checked here.
    """
    fmt = sniff_format(content, filename)
    allowed = limits.max_rows + TITLE_ROWS
    if fmt == "xlsx":
        sheets = check_zip(content, filename, limits)
        rows = 0
        if not sheets:
            return  # not a zip, or no worksheets: the reader says what is wrong with it
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                for name in sheets:
                    with archive.open(name) as member:
                        rows += count_sheet_rows(member, allowed - rows)
                    if rows > allowed:
                        break
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            return  # a damaged member: the reader says what is wrong with it
    elif fmt == "csv":
        rows = count_csv_rows(content, allowed)
    else:
        return
    if rows > allowed:
        raise UploadRefused(
            filename,
            "upload.too_many_rows",
            f"more than {limits.max_rows:,} rows: split it by village or town",
            limit=limits.max_rows,
        )


def check_zip(content: bytes, filename: str, limits: UploadLimits) -> list[str]:
    """Return the worksheet members of the .xlsx `content` (none when it is no zip); raise
    UploadRefused when its declared member count, unpacked total or a member's compression
    ratio is over `limits`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        return []
    with archive:
        members = archive.infolist()
    if len(members) > limits.max_members:
        raise UploadRefused(
            filename,
            "upload.too_many_members",
            f"holds {len(members):,} files, more than the {limits.max_members:,} allowed",
            n=len(members),
            limit=limits.max_members,
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_bytes:
        raise UploadRefused(
            filename,
            "upload.unpacked_too_big",
            f"unpacks to {_mib(unpacked)} MiB, over the {_mib(limits.max_unpacked_bytes)} "
            "MiB allowed",
            mb=_mib(unpacked),
            limit=_mib(limits.max_unpacked_bytes),
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_FROM_BYTES and ratio > limits.max_ratio:
            raise UploadRefused(
                filename,
                "upload.ratio",
                f"{member.filename} is packed {ratio:,.0f} to 1, over the {limits.max_ratio} "
                "allowed: a zip bomb",
                member=member.filename[:80],
                ratio=f"{ratio:,.0f}",
                limit=limits.max_ratio,
            )
    return [
        member.filename
        for member in members
        if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
    ]


def count_sheet_rows(stream: IO[bytes], stop_after: int) -> int:
    """Return how many `<row>` elements of the worksheet XML `stream` hold a value (a `<v>` or
    an inline string), reading it a chunk at a time and stopping at the first past `stop_after`.

    Rows that are only formatted (WPS formats whole columns down to row 1048576) hold no value
    and do not count, as the sheet reader skips them too.
    """
    rows = 0
    tail = b""  # after the last row end read: part of a row, or of its end tag
    tail_has_value = False  # the tail held a value before it was cut short
    while True:
        chunk = stream.read(_CHUNK)
        pieces = _ROW_END.split(tail + chunk)
        tail = pieces.pop()
        for index, piece in enumerate(pieces):
            if (index == 0 and tail_has_value) or _VALUE.search(piece):
                rows += 1
                if rows > stop_after:
                    return rows
        if pieces:
            tail_has_value = False
        if not chunk:
            return rows
        if len(tail) > _CHUNK:  # one huge row: keep what it needs, not all of it
            tail_has_value = tail_has_value or _VALUE.search(tail) is not None
            tail = tail[-_TAG_MAX:]


def count_csv_rows(content: bytes, stop_after: int) -> int:
    """Return how many records (lines with any cell) the CSV `content` holds, stopping once
    past `stop_after`. Read as Latin-1, which keeps every ASCII byte (quotes, commas, line
    ends) where UTF-8 and GBK put them: the count needs no guess of the encoding."""
    text = io.TextIOWrapper(io.BytesIO(content), encoding="latin-1", newline="")
    rows = 0
    try:
        for record in csv.reader(text, strict=False):
            if any(cell.strip() for cell in record):
                rows += 1
                if rows > stop_after:
                    break
    except csv.Error:
        pass  # the reader will say what is wrong with the file; the rows so far are counted
    return rows


def _mib(size: int) -> int:
    return round(size / MIB)
