"""Build a page's lxml tree once and read text out of it the way the parsers need.

Every parser works on the one `lxml.html` tree `load_tree` builds: lxml repairs unclosed and
misnested tags as browsers do, and reading text with `itertext` (which skips comments and
processing instructions) is a pass in C rather than a walk in Python.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.etree import _Element as Element

__all__ = [
    "Element",
    "RowsAside",
    "body_of",
    "drop",
    "is_element",
    "load_tree",
    "put_rows_back",
    "set_rows_aside",
    "text_of",
]

# A table longer than this is data: what the page says about itself (title, date, where its
# story is) is read from its first KEPT_ROWS rows, not from every one of 220,000.
LONG_TABLE_ROWS = 200
KEPT_ROWS = 50

RowsAside = list[tuple[Element, list[Element]]]  # (parent, the children taken out of it)

# libxml2's HTML parser, as lxml.html uses it, but handing out plain elements: lxml.html's
# element classes are looked up in Python for every element a walk touches, which costs more
# than the walk itself on a 5,000-row table.
_PARSER = etree.HTMLParser(remove_comments=False, remove_pis=False, no_network=True)

# lxml refuses a str that opens with an encoding declaration; the text is already decoded.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Characters XML cannot hold make lxml's tree API raise; a page's text never needs them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def load_tree(text: str) -> Element:
    """Return the page's <html> element; an empty or unparsable page gives an empty document."""
    if text.lstrip().startswith("<?xml"):
        text = _XML_DECLARATION.sub("", text, count=1)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:  # libxml2 found no element at all
        root = etree.fromstring("<html><body></body></html>", _PARSER)
    return root


def drop(element: Element) -> None:
    """Remove `element` and everything in it, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def text_of(element: Element, separator: str = "") -> str:
    """Return every text node under `element` joined by `separator` (comments left out)."""
    return separator.join(element.itertext())


def is_element(node: object) -> bool:
    """Return True for elements, False for comments and processing instructions."""
    return isinstance(getattr(node, "tag", None), str)


def body_of(root: Element) -> Element:
    """Return the page's <body>, or the root when the page has none."""
    body = root.find("body")
    return body if body is not None else root


def set_rows_aside(root: Element) -> RowsAside:
    """Take the rows past the first KEPT_ROWS out of every table longer than LONG_TABLE_ROWS.

    Return what was taken, for `put_rows_back`. Only tables holding no other table: a layout
    table's rows are the page. Within a <tbody> (or the table) everything from the first row
    taken onwards is taken, so putting it back restores the order exactly.
    """
    aside: RowsAside = []
    for table in root.iter("table"):
        if next(table.iterdescendants("table"), None) is not None:
            continue
        rows = list(table.iter("tr"))
        if len(rows) <= LONG_TABLE_ROWS:
            continue
        seen: set[Element] = set()
        for tr in rows[KEPT_ROWS:]:
            parent = tr.getparent()
            if parent is None or parent in seen:
                continue
            seen.add(parent)
            children = list(parent)
            start = next(i for i, child in enumerate(children) if child is tr)
            aside.append((parent, children[start:]))
            del parent[start:]
    return aside


def put_rows_back(aside: RowsAside) -> None:
    """Put the rows `set_rows_aside` took back where they were."""
    for parent, children in aside:
        parent.extend(children)
