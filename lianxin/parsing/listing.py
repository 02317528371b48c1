"""Read a column listing (栏目列表页): the report links it carries and its 下一页, nothing followed.

The report links are the largest group of title-like links in one list (navigation links are
short words, footers are noise); the next page is a 下一页 link or, on TRS content systems, the
createPageHTML(count, current, "index", "html") call that draws the pager in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lianxin.parsing.document import Document
from lianxin.parsing.text import clean_text
from lianxin.parsing.tree import Element, text_of

MIN_TITLE_CHARS = 6  # shorter link texts are navigation (首页, 政务公开 …)
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

    @property
    def looks_like_listing(self) -> bool:
        """Return True when the page is mostly a list of report links."""
        if self.prose_chars >= 400:
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
    if best is not None:
        for anchor in groups[best]:
            url = urljoin(doc.url, str(anchor.get("href")).strip())
            if url not in view.links:
                view.links.append(url)
    view.next_page, view.pager_seen = _next_page(doc)
    inside = set(best.iterdescendants("p")) if best is not None else set()
    view.prose_chars = sum(
        len(clean_text(text_of(p)))
        for p in doc.root.iter("p")
        if p not in inside and not doc.is_noise(p)
    )
    return view


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
