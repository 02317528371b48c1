"""Read what every page has: meta tags, title, publication date, source, place, main content.

Government portals name these in meta tags (SiteName, ColumnName, ArticleTitle, PubDate,
ContentSource, per the 2017 website guideline); news sites in a byline. Both are used when
present and neither is required: the <title>, the first <h1> and the dates in the text stand in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from bs4 import BeautifulSoup, Tag

from lianxin.parsing.places import Places, places_in
from lianxin.parsing.text import clean_text, find_dates, normalize

# Containers content systems put the article in, most specific first.
MAIN_SELECTORS = (
    ".TRS_Editor",
    "#js_content",
    ".rich_media_content",
    "#UCAP-CONTENT",
    "#zoom",
    ".article-content",
    "#article-content",
    "#content",
    ".content",
    ".article_content",
    ".main-content",
    "article",
    ".article",
    "#article",
    ".detail",
    ".main",
)
# Parts of a page that are never the report: navigation, sharing, related links, footers.
NOISE = re.compile(
    r"nav|menu|footer|foot|header|share|related|crumb|position|breadcrumb|"
    r"sidebar|toolbar|tools|copyright|comment|top-bar|topnav|recommend|"
    r"hot|banner|login",
    re.I,
)
_TITLE_SPLIT = re.compile(r"\s*(?:_|\s-\s|\||——\s*\S*网$)\s*")
_PUBLISHED_LABEL = re.compile(
    r"(?:发布时间|发布日期|发文日期|成文日期|日期|时间)\s*[:：]\s*"
    r"(\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2})"
)
_SOURCE_LABEL = re.compile(r"来源\s*[:：]\s*([^\s|｜【】\[\]]+)")
_TIMESTAMP = re.compile(r"(?<!\d)(20\d{2}-\d{1,2}-\d{1,2})\s+\d{1,2}:\d{2}")
_CLOCK = re.compile(r"^\s*(?:日\s*)?(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?")
# Where news and WeChat pages name their publisher when no 来源 label does.
_SOURCE_SELECTORS = ("#js_name", ".rich_media_meta_nickname", ".account_nickname")
BLOCKS = (
    "p", "div", "li", "td", "th", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6",
    "dd", "dt", "blockquote", "header", "footer", "tr", "table", "ul", "ol", "form", "center",
)


@dataclass
class Document:
    soup: BeautifulSoup
    url: str
    meta: dict[str, str]  # lower-cased meta name/property → content
    title: str
    published: date | None
    content_source: str | None
    places: Places
    main: Tag
    published_time: time | None = None

    @property
    def year(self) -> int | None:
        """Return the page's year, for dates written without one (11月8日)."""
        return self.published.year if self.published else None


def load_document(text: str, url: str) -> Document:
    """Return the page's common facts; never raises on odd HTML (lxml repairs it)."""
    soup = BeautifulSoup(text, "lxml")
    for junk in soup.find_all(["script", "style", "noscript", "iframe"]):
        if junk.name == "script" and "createPageHTML" in junk.get_text():
            continue  # the pager of TRS listings lives in a script; listing.py reads it
        junk.decompose()
    meta = _meta_tags(soup)
    title = _title(soup, meta)
    published, published_time = _published(soup, meta)
    source = meta.get("contentsource") or _labelled_source(soup) or _named_source(soup)
    main = main_container(soup)
    places = Places()
    for text_part in (
        title,
        meta.get("columnname", ""),
        source or "",
        _breadcrumb(soup),
        meta.get("sitename", ""),
    ):
        places.merge(places_in(text_part))
    return Document(soup, url, meta, title, published, source, places, main, published_time)


def own_text(element: Tag) -> str:
    """Return the text of `element` outside its block children: one visual line of the page.

    Unclosed tags make lxml nest a whole article inside a byline <div>; reading a block's own
    text keeps its line short and meaningful.
    """
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, Tag) or node.parent is None:
            continue
        parent: Tag | None = node.parent
        inside = True
        while parent is not None and parent is not element:
            if parent.name in BLOCKS:
                inside = False
                break
            parent = parent.parent
        if inside:
            parts.append(str(node))
    return clean_text(" ".join(parts))


def page_lines(root: BeautifulSoup | Tag) -> list[tuple[Tag, str]]:
    """Return every block of `root` with its own text, in document order, skipping blank ones."""
    lines: list[tuple[Tag, str]] = []
    for element in root.find_all(BLOCKS):
        text = own_text(element)
        if text:
            lines.append((element, text))
    return lines


def main_container(soup: BeautifulSoup) -> Tag:
    """Return the element holding the report: a known container, else the densest block."""
    for selector in MAIN_SELECTORS:
        for element in soup.select(selector):
            if len(normalize(element.get_text())) >= 20 or element.find("table"):
                return element
    best: Tag | None = None
    best_length = 0
    for element in soup.find_all(["div", "td", "section", "article"]):
        if _is_noise(element):
            continue
        length = sum(
            len(normalize(p.get_text()))
            for p in element.find_all(["p", "section"], recursive=False)
            if p.find("a") is None or len(normalize(p.get_text())) > 40
        )
        if length > best_length:
            best, best_length = element, length
    body = soup.body or soup
    return best if best is not None and best_length >= 50 else body  # type: ignore[return-value]


def _is_noise(element: Tag) -> bool:
    names = " ".join([element.get("id") or "", *(element.get("class") or [])])  # type: ignore[list-item]
    return bool(names and NOISE.search(names)) or element.name in ("nav", "footer", "header")


def is_noise(element: Tag) -> bool:
    """Return True when `element` or an ancestor is navigation, footer, sharing or related links."""
    node: Tag | None = element
    while node is not None and node.name not in ("body", "[document]"):
        if _is_noise(node):
            return True
        node = node.parent
    return False


def _meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            out.setdefault(key.strip().lower(), clean_text(content))
    return out


def _title(soup: BeautifulSoup, meta: dict[str, str]) -> str:
    for key in ("articletitle", "og:title", "title"):
        if meta.get(key):
            return meta[key]
    page_title = clean_text(soup.title.get_text()) if soup.title else ""
    short_title = _TITLE_SPLIT.split(page_title)[0] if page_title else ""
    headings = [
        text
        for h in soup.find_all(["h1", "h2", "h3"])
        if not is_noise(h) and 4 <= len(text := own_text(h)) <= 100
    ]
    # A heading the <title> repeats is the article's; a lone h1 may be the site's logo.
    for text in headings:
        if text in page_title or (short_title and short_title in text):
            return text
    if len(short_title) >= 4:
        return short_title
    return headings[0] if headings else short_title


def _published(soup: BeautifulSoup, meta: dict[str, str]) -> tuple[date | None, time | None]:
    for key in (
        "pubdate",
        "publishdate",
        "article:published_time",
        "firstpublishedtime",
        "publish_time",
        "datepublished",
        "date",
    ):
        if meta.get(key):
            match = re.search(r"\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?", meta[key])
            dates = find_dates(meta[key])
            if dates:
                return dates[0], _clock(meta[key][match.end() :] if match else "")
    text = normalize((soup.body or soup).get_text(" "))
    for pattern in (_PUBLISHED_LABEL, _TIMESTAMP):
        match = pattern.search(text)
        if match:
            dates = find_dates(match.group(1))
            if dates:
                return dates[0], _clock(text[match.end(1) : match.end(1) + 12])
    return None, None


def _clock(text: str) -> time | None:
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _labelled_source(soup: BeautifulSoup) -> str | None:
    for node in soup.find_all(string=re.compile("来源")):
        block = node.parent
        while block is not None and block.name not in BLOCKS:
            block = block.parent
        if block is None:
            continue
        text = normalize(own_text(block))
        match = _SOURCE_LABEL.search(text)
        if match and len(text) < 200:
            return match.group(1)
    return None


def _named_source(soup: BeautifulSoup) -> str | None:
    for selector in _SOURCE_SELECTORS:
        element = soup.select_one(selector)
        if element is not None and (text := clean_text(element.get_text())):
            return text
    return None


def _breadcrumb(soup: BeautifulSoup) -> str:
    for element in soup.find_all(class_=re.compile("position|crumb|location|path", re.I)):
        return normalize(element.get_text(" "))
    return ""
