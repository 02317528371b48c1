"""Read a column listing (栏目列表页): the report links it carries and its 下一页, nothing followed.

The report links are the largest group of title-like links in one list (navigation links are
short words, footers are noise); the next page is a 下一页 link or, on TRS content systems, the
createPageHTML(count, current, "index", "html") call that draws the pager in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lianxin.parsing.content import prose_chars
from lianxin.parsing.document import Document
from lianxin.parsing.text import clean_text
from lianxin.parsing.tree import Element, text_of

MIN_TITLE_CHARS = 6  # shorter link texts are navigation (首页, 政务公开 …)
MIN_STORY_CHARS = 100  # a story this long, in sentences, makes a page an article
MAX_SUMMARY_CHARS = 300  # the most text a listing item (title and summary) holds
_NEXT_WORDS = ("下一页", "下页", "后一页", "下一頁", "next", "›", "»", ">")
_PAGER_TEXT = re.compile(r"共\s*\d+\s*页|尾页|末页|上一页|下一页|第\s*\d+\s*页")
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*([\w$]+)\s*,\s*([\w$]+)\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"](\w+)['\"]"
)


@dataclass
class ListingView:
    links: list[str] = field(default_factory=list)
    next_page: str | None = None
    pager_seen: bool = False
    prose_chars: int = 0  # paragraph text outside the link list: large on article pages
    title_chars: int = 0  # text of the report links: what a listing is made of
    container: Element | None = None  # the list the report links are in

    @property
    def looks_like_listing(self) -> bool:
        """Return True when the page is mostly a list of report links.

        A story with a list of related links beside it is no listing: its prose outweighs a
        third of the link titles (or is long whatever the links).
        """
        if self.prose_chars >= max(MIN_STORY_CHARS, self.title_chars / 3):
            return False
        return len(self.links) >= 5 or (self.pager_seen and len(self.links) >= 1)


def read_listing(doc: Document) -> ListingView:
    """Return the report links, the next page and how much the page looks like a listing."""
    groups: dict[Element, list[Element]] = {}
    for anchor in doc.root.iter("a"):
        if anchor.get("href") is None or not _is_report_link(anchor, doc):
            continue
        container = next(anchor.iterancestors(*_LIST_TAGS), None)
        if container is None:
            container = anchor.getparent()
        if container is None:
            continue
        groups.setdefault(container, []).append(anchor)
    view = ListingView()
    best = max(groups, key=lambda k: len(groups[k]), default=None)
    view.container = best
    if best is not None:
        for anchor in groups[best]:
            url = urljoin(doc.url, str(anchor.get("href")).strip())
            if url not in view.links:
                view.links.append(url)
                view.title_chars += len(clean_text(text_of(anchor)))
    view.next_page, view.pager_seen = _next_page(doc)
    inside = set(best.iterdescendants("p")) if best is not None else set()
    paragraphs = sum(
        len(clean_text(text_of(p)))
        for p in doc.root.iter("p")
        if p not in inside and not doc.is_noise(p)
    )
    anchors = groups[best] if best is not None else []
    view.prose_chars = max(_story_chars(doc, anchors, best), paragraphs if paragraphs >= 400 else 0)
    return view


def _story_chars(doc: Document, anchors: list[Element], container: Element | None) -> int:
    """Return the prose of the page's story blocks that is not the report links' own items.

    An item is the largest element around one report link (a <li> with its title and summary);
    summaries under the titles of a news listing do not count, a related-news list inside a
    story is taken out of it. An "item" holding a long text is a story with a link in it.
    """
    inside: dict[Element, int] = {}
    for anchor in anchors:
        for node in anchor.iterancestors():
            inside[node] = inside.get(node, 0) + 1
            if node is container:
                break
    items: dict[Element, int] = {}
    for anchor in anchors:
        item = anchor
        for node in anchor.iterancestors():
            if node is container or inside[node] > 1:
                break
            item = node
        if item not in items and (chars := prose_chars(item)) <= MAX_SUMMARY_CHARS:
            items[item] = chars
    total = 0
    for block in doc.body:
        if block in items or any(node in items for node in block.iterancestors()):
            continue  # the story block is one listing item
        chars = prose_chars(block)
        for item, item_chars in items.items():
            if block in item.iterancestors():
                chars -= item_chars
        total += max(0, chars)
    return total


_LIST_TAGS = ("ul", "ol", "dl", "table", "tbody")


def _is_report_link(anchor: Element, doc: Document) -> bool:
    href = (anchor.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return False
    title = anchor.get("title")
    text = clean_text(text_of(anchor)) or (clean_text(title) if title else "")
    if len(text) < MIN_TITLE_CHARS or _PAGER_TEXT.search(text):
        return False
    return not doc.is_noise(anchor)


def _next_page(doc: Document) -> tuple[str | None, bool]:
    pager_seen = bool(_PAGER_TEXT.search(text_of(doc.root, " ")))
    for anchor in doc.root.iter("a"):
        if anchor.get("href") is None:
            continue
        text = clean_text(text_of(anchor)).lower()
        href = str(anchor.get("href")).strip()
        if text in _NEXT_WORDS or text.startswith("下一页"):
            if href and not href.startswith(("#", "javascript:")):
                url = urljoin(doc.url, href)
                return (None if url == doc.url else url), True
    for source in doc.scripts:
        match = _CREATE_PAGE.search(source)
        if not match:
            continue
        count = _script_int(match.group(1), source)
        current = _script_int(match.group(2), source)
        if count is None or current is None:
            return None, True
        if current + 1 >= count:
            return None, True
        return urljoin(doc.url, f"{match.group(3)}_{current + 1}.{match.group(4)}"), True
    return None, pager_seen


def _script_int(token: str, source: str) -> int | None:
    if token.isdigit():
        return int(token)
    match = re.search(rf"\b{re.escape(token)}\s*=\s*(\d+)", source)
    return int(match.group(1)) if match else None
