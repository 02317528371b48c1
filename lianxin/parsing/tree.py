"""Build a page's lxml tree once and read text out of it the way the parsers need.

Every parser works on the one `lxml.html` tree `load_tree` builds: lxml repairs unclosed and
misnested tags as browsers do, and reading text with `itertext` (which skips comments and
processing instructions) is a pass in C rather than a walk in Python.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.etree import _Element as Element

__all__ = ["Element", "body_of", "drop", "is_element", "load_tree", "text_of"]

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
