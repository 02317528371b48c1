"""Read .docx and .pdf attachments into their paragraphs and tables, in reading order.

Notices, rosters and problem lists are often published as Word or PDF files. Each is read into
`Block`s: a paragraph's text, or a table as a `Sheet` (grid of text plus merged ranges), so the
attachment reader renders them as the page they stand for and the page reader does the rest.

.docx: python-docx opens the package; its main part's XML is then read plainly, paragraphs and
tables in order (a table's cells by w:gridSpan across and w:vMerge down), as python-docx's own
cell objects cost a millisecond a table row.
.pdf: pdfplumber, which finds ruled tables and keeps each cell's box (pypdf reads text only);
text outside the tables is read line by line. A scanned PDF has no text layer: it is refused
with that reason, as OCR is not attempted.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lianxin.errors import SheetError
from lianxin.parsing.sheets import MAX_COLUMNS, MAX_ROWS, Merge, Sheet

DOCX_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
MAX_PDF_PAGES = 200  # a 2,000-page gazette must not hold a worker for minutes


@dataclass
class Block:
    """A paragraph (`text`) or a table (`table`) of a document."""

    text: str = ""
    table: Sheet | None = None


def document_format(content: bytes, name: str) -> str | None:
    """Return "docx" or "pdf" for a document Lianxin reads, else None (a spreadsheet, a page).

    The first bytes decide; a file that has neither goes by its name, so that a broken
    download named .pdf is refused as a PDF, not read as a table.
    """
    if content.startswith(PDF_MAGIC):
        return "pdf"
    if content.startswith(DOCX_MAGIC) and _is_word_package(content):
        return "docx"
    lowered = name.lower()
    if content.startswith(DOCX_MAGIC) or not lowered.endswith((".pdf", ".docx")):
        return None  # another zip (an .xlsx misnamed .docx) is the spreadsheet reader's
    return "pdf" if lowered.endswith(".pdf") else "docx"


def read_document(content: bytes, fmt: str) -> list[Block]:
    """Return a document's blocks; raise SheetError with the reason when it cannot be read."""
    if not content.strip():
        raise SheetError("empty file: no bytes to read")
    if fmt == "docx":
        return read_docx(content)
    return read_pdf(content)


def read_docx(content: bytes) -> list[Block]:
    """Return the paragraphs and tables of a .docx file, tables with their merged cells."""
    import docx
    from lxml import etree

    try:
        part = docx.Document(io.BytesIO(content)).part
        # A plain parse of the main part: python-docx's element classes cost a millisecond a
        # table row (2,000 rows: 11 s); the same XML read plainly takes a fraction of that.
        body = etree.fromstring(part.blob, etree.XMLParser(resolve_entities=False)).find(
            _W + "body"
        )
        blocks = list(_docx_blocks(body)) if body is not None else []
    except Exception as exc:  # noqa: BLE001  (python-docx raises zip, XML and key errors alike)
        raise SheetError(f"unreadable .docx file: {type(exc).__name__}: {exc}") from exc
    return blocks


def _docx_blocks(parent: object) -> Iterator[Block]:
    for child in parent:  # type: ignore[attr-defined]
        if child.tag == _W + "p":
            text = _paragraph_text(child)
            if text:
                yield Block(text=text)
        elif child.tag == _W + "tbl":
            yield Block(table=_docx_table(child))
        elif child.tag == _W + "sdt":  # a content control: its content is ordinary blocks
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _docx_blocks(content)


def _docx_table(tbl: object) -> Sheet:
    # A <w:tc> spans w:gridSpan columns; one marked <w:vMerge/> (not "restart") continues the
    # cell above it.
    rows: list[list[str]] = []
    origins: list[list[tuple[int, int]]] = []  # per grid slot: the slot its cell starts at
    for r, tr in enumerate(tbl.findall(_W + "tr")[:MAX_ROWS]):  # type: ignore[attr-defined]
        line: list[str] = []
        starts: list[tuple[int, int]] = []
        skipped = tr.find(f"{_W}trPr/{_W}gridBefore")
        for _ in range(_int(skipped, 0)):
            line.append("")
            starts.append((r, len(starts)))
        for tc in tr.findall(_W + "tc"):
            span = max(1, _int(tc.find(f"{_W}tcPr/{_W}gridSpan"), 1))
            merge = tc.find(f"{_W}tcPr/{_W}vMerge")
            c = len(line)
            above = origins[r - 1] if r and merge is not None else []
            continues = merge is not None and merge.get(_W + "val") != "restart" and c < len(above)
            origin = above[c] if continues else (r, c)
            text = "" if continues else _tc_text(tc)
            for k in range(span):
                line.append(text if k == 0 else "")
                starts.append(origin)
        rows.append(line[:MAX_COLUMNS])
        origins.append(starts[:MAX_COLUMNS])
    boxes: dict[tuple[int, int], list[int]] = {}  # origin → [top, left, bottom, right]
    for r, line_origins in enumerate(origins):
        for c, origin in enumerate(line_origins):
            box = boxes.setdefault(origin, [r, c, r + 1, c + 1])
            box[2], box[3] = max(box[2], r + 1), max(box[3], c + 1)
    merges = [Merge(*box) for box in boxes.values() if box[2] - box[0] > 1 or box[3] - box[1] > 1]
    return Sheet("", rows, merges)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _int(element: object, default: int) -> int:
    try:
        return int(element.get(_W + "val"))  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return default


def _tc_text(tc: object) -> str:
    paragraphs = (_paragraph_text(p) for p in tc.iter(_W + "p"))  # type: ignore[attr-defined]
    return " ".join(" ".join(paragraphs).split())


def _paragraph_text(p: object) -> str:
    return "".join(t.text or "" for t in p.iter(_W + "t")).strip()  # type: ignore[attr-defined]


def read_pdf(content: bytes) -> list[Block]:
    """Return the text lines and ruled tables of a PDF, page by page, top to bottom."""
    import pdfplumber

    blocks: list[Block] = []
    try:
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            for page in pdf.pages[:MAX_PDF_PAGES]:
                blocks += _pdf_page(page)
    except SheetError:
        raise
    except Exception as exc:  # noqa: BLE001  (pdfminer raises its own errors, and many)
        raise SheetError(f"unreadable .pdf file: {type(exc).__name__}: {exc}") from exc
    if not any(block.text or block.table for block in blocks):
        raise SheetError("no text in the .pdf file: a scan? (pictures of text are not read)")
    return blocks


def _pdf_page(page: object) -> list[Block]:
    tables = page.find_tables()  # type: ignore[attr-defined]
    boxes = [table.bbox for table in tables]

    def outside_tables(obj: dict[str, Any]) -> bool:
        # By the character's centre: a title line whose glyphs touch the table's top rule is
        # still outside it (outside_bbox drops whatever touches the box).
        if obj.get("object_type") != "char":
            return True
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    outside = page.filter(outside_tables)  # type: ignore[attr-defined]
    placed: list[tuple[float, Block]] = [
        (line["top"], Block(text=line["text"].strip()))
        for line in outside.extract_text_lines(return_chars=False)  # type: ignore[attr-defined]
        if line["text"].strip()
    ]
    placed += [(table.bbox[1], Block(table=_pdf_table(table))) for table in tables]
    return [block for _, block in sorted(placed, key=lambda pair: pair[0])]


def _pdf_table(table: object) -> Sheet:
    # extract() leaves None in a slot a merged cell covers; the cells' boxes say how far each
    # origin reaches: to the next column start at or beyond its right edge, likewise down.
    texts = table.extract()  # type: ignore[attr-defined]
    lefts = sorted({round(cell[0], 1) for cell in table.cells})  # type: ignore[attr-defined]
    tops = sorted({round(cell[1], 1) for cell in table.cells})  # type: ignore[attr-defined]
    rows: list[list[str]] = []
    merges: list[Merge] = []
    for r, row in enumerate(table.rows[:MAX_ROWS]):  # type: ignore[attr-defined]
        line = [" ".join((text or "").split()) for text in texts[r][:MAX_COLUMNS]]
        rows.append(line)
        for c, box in enumerate(row.cells[:MAX_COLUMNS]):
            if box is None:
                continue
            right = sum(1 for x in lefts if x < round(box[2], 1) - 0.5)
            bottom = sum(1 for y in tops if y < round(box[3], 1) - 0.5)
            if right - c > 1 or bottom - r > 1:
                merges.append(Merge(r, c, max(bottom, r + 1), max(right, c + 1)))
    return Sheet("", rows, merges)


def _is_word_package(content: bytes) -> bool:
    import zipfile

    try:
        return "word/document.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    except (zipfile.BadZipFile, ValueError):
        return False
