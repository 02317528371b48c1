"""Read what every page has: meta tags, title, publication date, source, place, main content.

Government portals name these in meta tags (SiteName, ColumnName, ArticleTitle, PubDate,
ContentSource, per the 2017 website guideline); news sites in a byline. Both are used when
present and neither is required: the <title>, the first <h1> and the dates in the text stand in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bs4 import BeautifulSoup, Tag

from lianxin.parsing.places import Places, places_in
from lianxin.parsing.text import clean_text, find_dates, normalize

# Containers content systems put the article in, most specific first.
MAIN_SELECTORS = (
    ".TRS_Editor",
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
_SOURCE_LABEL = re.compile(r"来源\s*[:：]\s*([^\s|]+)")
_TIMESTAMP = re.compile(r"(?<!\d)(20\d{2}-\d{1,2}-\d{1,2})\s+\d{1,2}:\d{2}")


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
    published = _published(soup, meta)
    source = meta.get("contentsource") or _labelled_source(soup)
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
    return Document(soup, url, meta, title, published, source, places, main)


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
        length = sum(len(normalize(p.get_text())) for p in element.find_all("p", recursive=False))
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
    for h1 in soup.find_all(["h1", "h2"]):
        text = clean_text(h1.get_text())
        if len(text) >= 4 and not is_noise(h1):
            return text
    if soup.title and soup.title.string:
        return _TITLE_SPLIT.split(clean_text(soup.title.string))[0]
    return ""


def _published(soup: BeautifulSoup, meta: dict[str, str]) -> date | None:
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
            dates = find_dates(meta[key])
            if dates:
                return dates[0]
    text = normalize((soup.body or soup).get_text(" "))
    for pattern in (_PUBLISHED_LABEL, _TIMESTAMP):
        match = pattern.search(text)
        if match:
            dates = find_dates(match.group(1))
            if dates:
                return dates[0]
    return None


def _labelled_source(soup: BeautifulSoup) -> str | None:
    for node in soup.find_all(string=re.compile("来源")):
        parent = node.parent
        if parent is None:
            continue
        text = normalize(parent.get_text(" "))
        match = _SOURCE_LABEL.search(text)
        if match and len(text) < 200:
            return match.group(1)
    return None


def _breadcrumb(soup: BeautifulSoup) -> str:
    for element in soup.find_all(class_=re.compile("position|crumb|location|path", re.I)):
        return normalize(element.get_text(" "))
    return ""
