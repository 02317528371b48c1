"""Hostile spreadsheets, built streaming so that building them stays fast and light: the
tester's zip bomb (1.5 MB declaring 1.5 GB) and a county's roster sheet of 100,000 rows, for
tests/test_hostile_uploads.py and benchmarks/upload_bench.py. The people are fake.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Iterable, Iterator

MIB = 1024 * 1024
VILLAGE = "青山村"

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
    b'2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
    b"</workbook>"
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _cell(text: str) -> bytes:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _row(cells: Iterable[str]) -> bytes:
    return b"<row>" + b"".join(_cell(text) for text in cells) + b"</row>"


def xlsx(sheet: Iterable[bytes]) -> bytes:
    """Return a one-sheet .xlsx whose sheet XML is the chunks `sheet` yields, each deflated as
    it comes (a repeated chunk deflates once: its bytes are repeated, after a full flush)."""
    out = io.BytesIO()
    central = b""
    parts: list[tuple[str, Iterable[bytes]]] = [
        ("[Content_Types].xml", [CONTENT_TYPES]),
        ("_rels/.rels", [RELS]),
        ("xl/workbook.xml", [WORKBOOK]),
        ("xl/_rels/workbook.xml.rels", [WORKBOOK_RELS]),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    for name, chunks in parts:
        packed, crc, size = _deflate(chunks)
        offset = out.tell()
        fields = (20, 0, 8, 0, 0x21, crc, len(packed), size, len(name.encode()), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name.encode() + packed)
        central += struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIHH", *fields)
        central += struct.pack("<HHHII", 0, 0, 0, 0, offset) + name.encode()
    start = out.tell()
    out.write(central)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 5, 5, len(central), start, 0))
    return out.getvalue()


def _deflate(chunks: Iterable[bytes]) -> tuple[bytes, int, int]:
    packed: list[bytes] = []
    crc = size = 0
    last: tuple[bytes, bytes] | None = None
    for chunk in chunks:
        if last is None or last[0] is not chunk:
            # A full flush makes each chunk's bytes stand alone: the same chunk, the same bytes.
            squeezer = zlib.compressobj(6 if len(chunk) == MIB else 1, zlib.DEFLATED, -15)
            last = (chunk, squeezer.compress(chunk) + squeezer.flush(zlib.Z_FULL_FLUSH))
        packed.append(last[1])
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    packed.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH))
    return b"".join(packed), crc, size


@functools.cache
def zip_bomb(unpacked_mb: int = 1536) -> bytes:
    """A 1.5 MB .xlsx whose one cell holds 1.5 GB of "A": the tester's bomb."""
    block = b"A" * MIB
    head = SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
    return xlsx([head, *([block] * unpacked_mb), b"</t></is></c></row>" + SHEET_TAIL])


ROSTER_TITLE = "石桥镇青山村就业服务一览表"
ROSTER_HEADER = [
    "序号",
    "姓名",
    "联系电话",
    "身份证号",
    "包户干部",
    "务工单位",
    "务工状态",
    "就业意愿",
]


def roster_rows(n: int) -> Iterator[list[str]]:
    """`n` fake people of 青山村, numbered (phones in the unassigned 199 0000 range)."""
    for i in range(1, n + 1):
        yield [str(i), f"务工{i}号", f"199{i:08d}", "", "李建国", "某厂", "在岗", "是"]


@functools.cache
def long_sheet(n: int = 100_000) -> bytes:
    """A roster .xlsx of `n` rows: a county's, uploaded whole."""
    rows = (_row(cells) for cells in roster_rows(n))

    def chunks() -> Iterator[bytes]:
        yield SHEET_HEAD + _row([ROSTER_TITLE]) + _row(ROSTER_HEADER)
        batch: list[bytes] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 5000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch) + SHEET_TAIL

    return xlsx(chunks())


def long_csv(n: int) -> bytes:
    lines = [ROSTER_TITLE, ",".join(ROSTER_HEADER)] + [",".join(row) for row in roster_rows(n)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
