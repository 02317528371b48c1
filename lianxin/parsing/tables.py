"""Read HTML tables as clerks make them: merged cells, two-row headers, totals and note rows.

A table becomes a grid (rowspan/colspan expanded, so a merged cell's text is in every slot it
covers), its header row(s) are found by how many cells name a known field, and each later row
becomes a `Row`: mapped fields, unmapped columns kept as `extra`, or a reason why it is not data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from lianxin.errors import TableTooLarge
from lianxin.parsing.columns import Vocabulary, header_key
from lianxin.parsing.text import clean_text
from lianxin.parsing.tree import Element, text_of

MAX_SPAN = 200  # a colspan="9999" from a broken editor must not build a huge grid
_TOTALS = re.compile(r"^(合计|小计|总计|累计|共计|汇总)")
_NOTE_START = re.compile(
    r"^(填表人|填报人|制表人|审核人|注|备注|说明|负责人|联系人|监督电话|"
    r"填报日期|制表日期|统计时间)"
)
_GROUP_SUFFIX = re.compile(r"(情况|信息|明细)$")


class Cell(NamedTuple):  # a tuple: built once per grid slot of a 5,000-row table
    text: str
    origin: int  # identity of the HTML cell this slot comes from (shared by merged slots)
    header: bool  # a <th>


@dataclass(slots=True)  # one per data row: 220,000 of them on a big call sheet
class Row:
    number: int  # 1-based data row number within the table (after the header)
    values: dict[str, str] = field(default_factory=dict)  # field → text
    # field → the header it came from; one dict shared by the rows of a table, never changed
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # header → text
    skip_reason: str | None = None  # set for totals and note rows
    serial: str | None = None  # the row's own number (序号), when the table has one
    texts: tuple[str, ...] = ()  # every cell's text, in column order
    names: tuple[str, ...] = ()  # the table's unique column names, shared by its rows

    @property
    def raw(self) -> dict[str, str]:
        """Return header → text of every cell, for quarantine (built when asked: rarely)."""
        return dict(zip(self.names, self.texts, strict=True))


@dataclass
class Table:
    headers: list[str]  # combined header text per column
    fields: list[str | None]  # field per column (None: unmapped or ignored)
    rows: list[Row]
    titles: list[str]  # caption and merged title rows above the header
    element: Element
    context: list[str] = field(default_factory=list)  # short lines just above the table

    @property
    def mapped(self) -> set[str]:
        return {f for f in self.fields if f}


def leaf_tables(root: Element) -> list[Element]:
    """Return the tables under `root` holding no other table (layout tables wrap data ones)."""
    return [
        t
        for t in root.iter("table")
        if t is not root and next(t.iterdescendants("table"), None) is None
    ]


def cell_text(cell: Element) -> str:
    """Return a cell's text, normalised, with <br> and paragraphs read as spaces."""
    # Every text node is joined with a space, so a <br> or a block between two runs of text
    # separates them as a space would.
    if len(cell) == 0:
        return clean_text(cell.text)
    return clean_text(" ".join(cell.itertext()))


def build_grid(table: Element, max_rows: int | None = None) -> list[list[Cell]]:
    """Return the table as a rectangular grid with every rowspan and colspan expanded.

    Raise TableTooLarge, before reading a cell, when it has more than `max_rows` rows.
    """
    grid: list[list[Cell | None]] = []
    origin = 0
    rows = table_rows(table)
    if max_rows is not None and len(rows) > max_rows:
        raise TableTooLarge(len(rows), max_rows)
    for r, tr in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
        row = grid[r]
        c = 0
        for td in tr:
            tag = td.tag
            if tag != "td" and tag != "th":
                continue
            while c < len(row) and row[c] is not None:
                c += 1
            # A cell with no child element is most cells of a big table: read it inline
            # (clean_text's own steps, without a call per cell).
            if len(td):
                text = cell_text(td)
            else:
                text = td.text or ""
                if text:
                    text = " ".join(text.replace("\u200b", "").split())
            cell = Cell(text, origin, tag == "th")
            origin += 1
            rowspan_text, colspan_text = td.get("rowspan"), td.get("colspan")
            if rowspan_text is None and colspan_text is None:  # the common, unmerged cell
                if c == len(row):
                    row.append(cell)
                else:
                    row[c] = cell
                c += 1
                continue
            rowspan = _span(rowspan_text)
            colspan = _span(colspan_text)
            for dr in range(rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                line = grid[r + dr]
                while len(line) < c + colspan:
                    line.append(None)
                for dc in range(colspan):
                    line[c + dc] = cell
            c += colspan
    width = max((len(line) for line in grid), default=0)
    blank = Cell("", -1, False)
    return [
        [slot if slot is not None else blank for slot in line] + [blank] * (width - len(line))
        for line in grid[: len(rows)]
    ]


def table_rows(table: Element) -> list[Element]:
    """Return the <tr> rows of `table` itself, not those of tables nested in it."""
    if next(table.iterdescendants("table"), None) is None:  # a leaf table: every row is its own
        return list(table.iter("tr"))
    return [tr for tr in table.iter("tr") if _table_of(tr) is table]


def _table_of(element: Element) -> Element | None:
    return next(element.iterancestors("table"), None)


def read_table(table: Element, vocabulary: Vocabulary, max_rows: int | None = None) -> Table | None:
    """Return the table with its header found and rows read; None when no header maps."""
    grid = build_grid(table, max_rows)
    if not grid or not grid[0]:
        return None
    header_at = _find_header(grid, vocabulary)
    if header_at is None:
        return None
    caption = next(table.iter("caption"), None)
    # A header cell merged down into the next row makes both rows one header: widen the
    # block up and down from the row that named the most fields.
    end = header_at
    while header_at > 0 and _merged(grid[header_at - 1], grid[header_at]):
        header_at -= 1
    while end + 1 < len(grid) and _merged(grid[end], grid[end + 1]):
        end += 1
    titles = [row[0].text for row in grid[:header_at] if row[0].text and _single_origin(row)]
    if caption is not None and _table_of(caption) is table:
        titles.insert(0, cell_text(caption))
    depth = end - header_at + 1
    headers, fields = _combine_headers(grid[header_at : end + 1], vocabulary)
    rows = read_rows(grid[header_at + depth :], headers, fields, vocabulary)
    return Table(headers, fields, rows, titles, table, context_above(table))


def read_rows(
    lines: list[list[Cell]],
    headers: list[str],
    fields: list[str | None],
    vocabulary: Vocabulary,
    first: int = 1,
) -> list[Row]:
    """Return the data rows of `lines` under the given header, numbered from `first`."""
    rows: list[Row] = []
    plan = _Columns.plan(headers, fields, vocabulary)
    width = len(headers)
    blank = Cell("", -1, False)
    for offset, line in enumerate(lines, start=first):
        if len(line) != width:
            line = (line + [blank] * width)[:width]
        row = _read_row(offset, line, plan)
        if row is not None:
            rows.append(row)
    return rows


def context_above(table: Element, limit: int = 3) -> list[str]:
    """Return up to `limit` short text lines just above the table, nearest first.

    Pages with one table per village often name the village in a line above the table
    (二、桥头村) rather than in a caption.
    """
    lines: list[str] = []
    node: Element | None = table
    while node is not None and node.tag != "body" and len(lines) < limit:
        for sibling in node.itersiblings(preceding=True):
            tag = sibling.tag
            if not isinstance(tag, str) or tag in ("script", "style"):
                continue
            if tag == "table" or next(sibling.iter("table"), None) is not None:
                return lines
            text = clean_text(text_of(sibling, " "))
            if text and len(text) <= 30:
                lines.append(text)
            elif text:
                return lines
            if len(lines) >= limit:
                return lines
        node = node.getparent()
    return lines


def find_tables(
    root: Element, vocabulary: Vocabulary, max_rows: int | None = None
) -> Iterator[Table]:
    """Yield every leaf table of `root` that has a header naming known fields.

    Raise TableTooLarge for a table of more than `max_rows` rows.
    """
    for element in leaf_tables(root):
        table = read_table(element, vocabulary, max_rows)
        if table is not None:
            yield table


def _span(value: str | None) -> int:
    if value is None:
        return 1
    try:
        return max(1, min(MAX_SPAN, int(str(value).strip())))
    except (TypeError, ValueError):
        return 1


def _merged(upper: list[Cell], lower: list[Cell]) -> bool:
    return any(a.origin == b.origin and a.origin >= 0 for a, b in zip(upper, lower, strict=True))


def _single_origin(line: list[Cell]) -> bool:
    return len({c.origin for c in line if c.text}) <= 1


def _find_header(grid: list[list[Cell]], vocabulary: Vocabulary) -> int | None:
    best, best_score = None, 1
    for index, line in enumerate(grid[:8]):
        seen: set[int] = set()
        fields: set[str] = set()
        for cell in line:
            if cell.origin in seen:
                continue
            seen.add(cell.origin)
            name = vocabulary.field_for(cell.text)
            if name:
                fields.add(name)
        if len(fields) > best_score:
            best, best_score = index, len(fields)
    return best


def _combine_headers(
    lines: list[list[Cell]], vocabulary: Vocabulary
) -> tuple[list[str], list[str | None]]:
    headers: list[str] = []
    fields: list[str | None] = []
    for c in range(len(lines[0])):
        levels: list[Cell] = []
        for line in lines:
            if line[c].text and (not levels or levels[-1].origin != line[c].origin):
                levels.append(line[c])
        if not levels:
            headers.append("")
            fields.append(None)
            continue
        sub = levels[-1].text
        name = vocabulary.field_for(sub)
        # Group headers over sub headers (务工情况 / 单位, 回访情况 / 时间): the sub header names
        # the column, the nearest group may complete it.
        for group in reversed(levels[:-1]):
            stem = _GROUP_SUFFIX.sub("", header_key(group.text))
            combined = vocabulary.field_for(stem + header_key(sub))
            if combined:
                name = combined  # 帮扶干部 / 电话 is the cadre's phone, not the worker's
                break
        headers.append(sub)
        fields.append(name)
    _drop_duplicate_fields(fields)
    return headers, fields


def _drop_duplicate_fields(fields: list[str | None]) -> None:
    # Two columns meaning the same field: the first keeps it, the other goes to `extra`.
    seen: set[str] = set()
    for index, name in enumerate(fields):
        if name is None:
            continue
        if name in seen:
            fields[index] = None
        seen.add(name)


@dataclass(frozen=True)
class _Columns:
    """What each column of a table's rows goes to, worked out once per table, not per row."""

    raw_names: tuple[str, ...]  # quarantine keys, unique per column
    mapped: tuple[tuple[int, str], ...]  # (column, field)
    serial: tuple[int, ...]  # ignored columns (序号): the row's own number
    extra: tuple[tuple[int, str], ...]  # (column, header) of unmapped, named columns
    headers: dict[str, str]  # field → header, shared by every row of the table

    @classmethod
    def plan(cls, headers: list[str], fields: list[str | None], vocabulary: Vocabulary) -> _Columns:
        mapped, serial, extra = [], [], []
        for c, (header, name) in enumerate(zip(headers, fields, strict=True)):
            if name:
                mapped.append((c, name))
            elif vocabulary.is_ignored(header):
                serial.append(c)
            elif header:
                extra.append((c, header))
        return cls(
            tuple(_unique(h or f"列{c + 1}", c, headers) for c, h in enumerate(headers)),
            tuple(mapped),
            tuple(serial),
            tuple(extra),
            {name: headers[c] for c, name in mapped},
        )


def _read_row(number: int, line: list[Cell], plan: _Columns) -> Row | None:
    texts = [cell.text for cell in line]
    if not any(texts):
        return None  # blank rows pasted from Excel carry nothing
    row = Row(number=number, texts=tuple(texts), names=plan.raw_names)
    first = next(t for t in texts if t)
    distinct = {cell.origin for cell in line if cell.text}
    if _TOTALS.match(first.replace(" ", "")):
        row.skip_reason = f"totals row ({first.replace(' ', '')[:2]}), not a person"
        return row
    if len(distinct) == 1 and len(line) > 2:
        origin = distinct.pop()
        merged = sum(1 for cell in line if cell.origin == origin) > 1
        if merged or len(first) > 12 or _NOTE_START.match(first):
            row.skip_reason = "note row (signatures, remarks), not data"
            return row
    elif _NOTE_START.match(first) and len(distinct) <= 2:
        row.skip_reason = "note row (signatures, remarks), not data"
        return row
    row.values = {name: texts[c] for c, name in plan.mapped}
    row.headers = plan.headers
    for c in plan.serial:
        row.serial = row.serial or texts[c] or None
    for c, header in plan.extra:
        if texts[c]:
            row.extra[header] = texts[c]
    return row


def _unique(header: str, column: int, headers: list[str]) -> str:
    return header if headers.count(header) == 1 else f"{header}#{column + 1}"


def continue_tables(
    tables: list[Table], root: Element, vocabulary: Vocabulary, max_rows: int | None = None
) -> None:
    """Add the tables of a later part of a report to `tables`, continuing where they stop.

    A part that repeats the header continues the table with the same columns; a part without
    a header continues the last table when it has as many columns, read under its header.
    Rows are numbered on from the table's last row, so quarantine rows stay unique.
    """
    for element in leaf_tables(root):
        last = tables[-1] if tables else None
        following = (last.rows[-1].number if last and last.rows else 0) + 1
        table = read_table(element, vocabulary, max_rows)
        if table is not None:
            if last is not None and table.fields == last.fields:
                for row in table.rows:
                    row.number += following - 1
                last.rows.extend(table.rows)
            else:
                tables.append(table)
            continue
        grid = build_grid(element, max_rows)
        if last is None or not grid or len(grid[0]) != len(last.headers):
            continue
        last.rows.extend(read_rows(grid, last.headers, last.fields, vocabulary, following))
