"""Read a supervision notice's problem list (问题清单): numbered text or a table.

Numbered text nests at several depths (一、 → （一） → 1. → （1） → ①); the depth of a marker
style is learnt from the order it appears in, as writers mix them freely. Leaves are problems,
except under sections that are not about problems (基本情况, 整改要求 …). An item without its own
deadline takes the notice-wide one ("未明确整改时限的…须于11月30日前整改到位").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from lianxin.parsing.cells import RowWarnings
from lianxin.parsing.deadlines import read_deadline
from lianxin.parsing.document import Document, is_noise
from lianxin.parsing.places import split_place, whole_place
from lianxin.parsing.table_records import reason_of, records_from_rows
from lianxin.parsing.tables import Row, Table
from lianxin.parsing.text import (
    clean_optional,
    clean_text,
    find_dates,
    parse_date,
    parse_problem_status,
)
from lianxin.parsing.tree import Element, text_of
from lianxin.records import Problem, Quarantined

_CN = "一二三四五六七八九十"
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cn", re.compile(rf"^([{_CN}]{{1,3}})\s*[、.．]\s*")),
    ("cn_paren", re.compile(rf"^[（(]\s*([{_CN}]{{1,3}})\s*[）)]\s*[、.．]?\s*")),
    ("num", re.compile(r"^(\d{1,2})\s*(?:[、．]|\.(?!\d))\s*")),
    ("num_paren", re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
)
NOT_PROBLEMS = re.compile(
    r"基本情况|总体情况|督查情况|工作开展|整改要求|工作要求|有关要求|下步|"
    r"下一步|工作建议|意见建议|几点要求|主要做法|经验做法|工作成效|好的做法|"
    r"典型经验|督查安排|督查方式"
)
_UNIT = re.compile(
    r"(?:整改责任单位|责任单位|责任主体|整改责任人|责任人|牵头单位)\s*[:：]\s*([^。；;\n]+)"
)
_DEADLINE = re.compile(r"(?:整改时限|整改期限|完成时限|时限要求|时限)\s*[:：]\s*([^。；;\n]+)")
_CUT = re.compile(
    r"[。；;，,]?\s*(?:整改责任单位|责任单位|责任主体|整改责任人|责任人|牵头单位|整改时限|"
    r"整改期限|完成时限|时限要求)\s*[:：]"
)
_WIDE_DEADLINE = re.compile(r"((?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?:前|之前|以前)")
_SIGNATURE = re.compile(r"(督查组|办公室|人民政府|委员会|领导小组|指挥部|局|中心)$")
_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "td", "section")
_BLOCK_SET = frozenset(_BLOCKS)


@dataclass
class Item:
    number: str  # as printed, joined: 二(一)1
    text: str  # the first line without its marker
    lines: list[str] = field(default_factory=list)  # continuation lines
    parent: Item | None = None
    children: list[Item] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        return "".join([self.text, *self.lines])

    @property
    def heading(self) -> str:
        return self.text.rstrip("：:。；; ")

    def excluded(self) -> bool:
        node: Item | None = self
        while node is not None:
            if NOT_PROBLEMS.search(node.heading[:20]):
                return True
            node = node.parent
        return False


def text_lines(root: Element, doc: Document | None = None) -> list[str]:
    """Return the text of each leaf block (paragraph, list item, heading) in document order."""
    noise = doc.is_noise if doc is not None else is_noise
    blocks = [element for element in root.iter(*_BLOCKS) if element is not root]
    # A block holding another block is not a leaf: mark every block's block ancestors once.
    inner: set[Element] = set()
    for element in blocks:
        parent = element.getparent()
        while parent is not None and parent is not root and parent not in inner:
            if parent.tag in _BLOCK_SET:
                inner.add(parent)
            parent = parent.getparent()
    lines: list[str] = []
    for element in blocks:
        if element in inner or noise(element):
            continue
        if next(element.iterancestors("table"), None) is not None:
            continue
        text = clean_text(text_of(element))
        if text:
            lines.append(text)
    if not lines:
        lines = [clean_text(line) for line in text_of(root, "\n").splitlines() if line.strip()]
    return lines


def numbered_items(lines: list[str]) -> tuple[list[Item], list[str]]:
    """Return the numbered items as a tree (roots), and the lines outside any item."""
    roots: list[Item] = []
    stack: list[tuple[str, Item]] = []  # (marker style, item) from the top level down
    outside: list[str] = []
    for line in lines:
        style, number, rest = _marker(line)
        if style is None:
            if stack and not _is_signature(line):
                stack[-1][1].lines.append(line)
            else:
                outside.append(line)
            continue
        styles = [s for s, _ in stack]
        if style in styles:
            del stack[styles.index(style) :]
        parent = stack[-1][1] if stack else None
        label = number if style in ("cn", "num", "circled") else f"({number})"
        item = Item(number=(parent.number if parent else "") + label, text=rest, parent=parent)
        (parent.children if parent else roots).append(item)
        stack.append((style, item))
    return roots, outside


def problems_from_text(
    doc: Document, url: str
) -> tuple[list[Problem], list[Quarantined], date | None]:
    """Return the problems numbered in the notice's text, quarantined items, wide deadline."""
    lines = text_lines(doc.main, doc)
    roots, outside = numbered_items(lines)
    leaves = [leaf for root in roots for leaf in _leaves(root)]
    wide_lines = outside + [
        line
        for root in roots
        for node in walk(root)
        if node.excluded()
        for line in (node.text, *node.lines)
    ]
    wide = notice_wide_deadline(wide_lines, doc.year)
    problems: list[Problem] = []
    quarantined: list[Quarantined] = []
    for index, leaf in enumerate(leaves, start=1):
        if leaf.excluded():
            continue
        try:
            problems.append(_problem_from_item(leaf, wide, doc))
        except (ValueError, ValidationError) as exc:
            quarantined.append(
                Quarantined(
                    url=url,
                    row=index,
                    reason=f"problem {leaf.number}: {reason_of(exc)}",
                    raw={"text": leaf.full_text},
                )
            )
    return problems, quarantined, wide


def notice_wide_deadline(lines: list[str], year: int | None) -> date | None:
    """Return the deadline a notice sets for all items without their own (…日前整改到位)."""
    for line in lines:
        if "整改" not in line and "时限" not in line:
            continue
        match = _WIDE_DEADLINE.search(line)
        if match:
            try:
                return parse_date(match.group(1), year)
            except ValueError:
                continue
    return None


def problems_from_table(
    table: Table, doc: Document, url: str, wide: date | None
) -> tuple[list[Problem], list[Quarantined]]:
    """Return the problems of a problem-list table, one per row; bad rows quarantined."""
    # A note row under the table (注：未注明时限的…须于12月31日前整改到位) sets the wide deadline.
    notes = [" ".join(dict.fromkeys(r.raw.values())) for r in table.rows if r.skip_reason]
    wide = wide or notice_wide_deadline(notes, doc.year)
    warnings = RowWarnings(url)

    def build(row: Row) -> Problem:
        values = row.values
        parts = (clean_optional(values.get(k)) for k in ("town", "village"))
        place = clean_optional(values.get("place")) or "".join(p for p in parts if p) or None
        deadline = read_deadline(values.get("deadline"), doc.published, doc.year)
        return Problem(
            number=row.serial or str(row.number),
            found=warnings.day(row, "found", doc.year, keep_unreadable=True),
            place=place,
            description=clean_text(values.get("description")),
            category=clean_optional(values.get("category")),
            responsible_unit=clean_optional(values.get("responsible_unit")),
            deadline=deadline or wide,
            status=parse_problem_status(values.get("problem_status")),
        )

    problems, quarantined = records_from_rows(table, url, warnings.guarded(build))
    return problems, warnings.merged(quarantined)


def _marker(line: str) -> tuple[str | None, str, str]:
    for style, pattern in MARKERS:
        match = pattern.match(line)
        if match:
            return style, match.group(1), line[match.end() :]
    return None, "", line


def _is_signature(line: str) -> bool:
    if len(line) > 30:
        return False
    if _SIGNATURE.search(line):
        return True
    stripped = re.sub(r"[\d\s年月日.\-/]", "", line)
    return not stripped and bool(find_dates(line))


def walk(item: Item) -> list[Item]:
    return [item, *(node for child in item.children for node in walk(child))]


def _leaves(item: Item) -> list[Item]:
    return [item] if not item.children else [n for c in item.children for n in _leaves(c)]


def _problem_from_item(item: Item, wide: date | None, doc: Document) -> Problem:
    text = item.full_text
    place, rest = split_place(text)
    unit = _UNIT.search(rest)
    deadline_match = _DEADLINE.search(rest)
    deadline = None
    if deadline_match:
        deadline = read_deadline(deadline_match.group(1), doc.published, doc.year)
        if deadline is None:
            raise ValueError(f"unreadable deadline {deadline_match.group(1)!r}")
    cut = _CUT.search(rest)
    description = (rest[: cut.start()] if cut else rest).strip().rstrip("。；;，, ")
    return Problem(
        number=item.number,
        place=place or _inherited_place(item),
        description=description,
        category=_category(item),
        responsible_unit=unit.group(1).strip() if unit else None,
        deadline=deadline or wide,
    )


def _inherited_place(item: Item) -> str | None:
    # Items grouped under a place heading (1、枫林村 / ①… ②…) are about that place.
    node = item.parent
    while node is not None:
        place = whole_place(node.heading) or split_place(node.text)[0]
        if place:
            return place
        node = node.parent
    return None


def _category(item: Item) -> str | None:
    # The nearest heading above the item that names a kind of problem, not a place.
    node = item.parent
    while node is not None:
        if not whole_place(node.heading) and not split_place(node.text)[0]:
            return node.heading or None
        node = node.parent
    return None
