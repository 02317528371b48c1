"""Read what every page has: meta tags, title, publication date, source, place, main content.

Government portals name these in meta tags (SiteName, ColumnName, ArticleTitle, PubDate,
ContentSource, per the 2017 website guideline); news sites in a byline. Both are used when
present and neither is required: the <title>, the first <h1> and the dates in the text stand in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time

from lxml import etree

from lianxin.parsing.content import Noise, Prose, score_prose
from lianxin.parsing.meta import choose_stamp, meta_stamp, text_stamps
from lianxin.parsing.places import Places, report_places
from lianxin.parsing.text import clean_text, normalize
from lianxin.parsing.tree import (
    Element,
    body_of,
    drop,
    load_tree,
    put_rows_back,
    set_rows_aside,
    text_of,
)

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
_TITLE_SPLIT = re.compile(
    r"\s*(?:_|\s-\s|\||——\s*\S*网$|-(?=[^-\s]{2,12}(?:网|报|频道|门户|政府)$))\s*"
)
_SOURCE_LABEL = re.compile(r"来源\s*[:：]\s*([^\s|｜【】\[\]]+)")
# Where news and WeChat pages name their publisher when no 来源 label does.
_SOURCE_SELECTORS = ("#js_name", ".rich_media_meta_nickname", ".account_nickname")
BLOCKS = (
    "p",
    "div",
    "li",
    "td",
    "th",
    "section",
    "article",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dd",
    "dt",
    "blockquote",
    "header",
    "footer",
    "tr",
    "table",
    "ul",
    "ol",
    "form",
    "center",
)


BLOCK_SET = frozenset(BLOCKS)
_MAIN_TAGS = {s: i for i, s in enumerate(MAIN_SELECTORS) if s[0] not in ".#"}
_MAIN_IDS = {s[1:]: i for i, s in enumerate(MAIN_SELECTORS) if s[0] == "#"}
_MAIN_CLASSES = {s[1:]: i for i, s in enumerate(MAIN_SELECTORS) if s[0] == "."}
_SOURCE_IDS = {s[1:]: i for i, s in enumerate(_SOURCE_SELECTORS) if s[0] == "#"}
_SOURCE_CLASSES = {s[1:]: i for i, s in enumerate(_SOURCE_SELECTORS) if s[0] == "."}
_NAMED_ELEMENTS = etree.XPath("//*[@id or @class or self::article]")
_CRUMB = re.compile("position|crumb|location|path", re.I)
# Text nodes naming a source (来源): few per page, found by libxml2 rather than a Python walk.
_SOURCE_TEXTS = etree.XPath('//text()[contains(., "来源")]')


@dataclass
class Document:
    root: Element  # the page's <html>: one lxml tree shared by every reader of the page
    url: str
    meta: dict[str, str]  # lower-cased meta name/property → content
    title: str
    published: date | None
    content_source: str | None
    places: Places
    main: Element
    published_time: time | None = None
    scripts: list[str] = field(default_factory=list)  # TRS pager scripts (createPageHTML)
    noise: Noise = field(default_factory=lambda: Noise(_is_noise), repr=False)
    # The blocks the story is read from: the main container and its prose-bearing siblings.
    body: list[Element] = field(default_factory=list, repr=False)

    @property
    def year(self) -> int | None:
        """Return the page's year, for dates written without one (11月8日)."""
        return self.published.year if self.published else None

    def is_noise(self, element: Element) -> bool:
        """Return True when `element` or an ancestor is navigation, footer, sharing or related.

        Answers are remembered per element: every line and link of a page asks about the same
        few ancestors.
        """
        return self.noise(element)


def load_document(text: str, url: str) -> Document:
    """Return the page's common facts; never raises on odd HTML (lxml repairs it)."""
    root = load_tree(text)
    scripts: list[str] = []
    for junk in list(root.iter("script", "style", "noscript", "iframe")):
        if junk.tag == "script" and "createPageHTML" in (code := text_of(junk)):
            scripts.append(code)  # the pager of TRS listings; listing.py and series.py read it
        drop(junk)  # the text after it (its tail) stays in the page
    aside = set_rows_aside(root)  # a long table's rows say nothing of the page: bounded work
    meta = _meta_tags(root)
    scan = _scan(root)
    noise = Noise(_is_noise)
    prose = score_prose(body_of(root), BLOCK_SET, noise)
    title = _title(root, meta)
    published, published_time = _published(root, meta, title, text)
    source = meta.get("contentsource") or _labelled_source(root) or scan.named_source
    main = scan.main_container(root, prose)
    body = prose.blocks(main)
    put_rows_back(aside)
    places = Places()
    for text_part in (
        title,
        meta.get("columnname", ""),
        source or "",
        scan.breadcrumb,
        meta.get("sitename", ""),
    ):
        places.merge(report_places(text_part))
    return Document(
        root,
        url,
        meta,
        title,
        published,
        source,
        places,
        main,
        published_time,
        scripts,
        noise,
        body,
    )


def own_text(element: Element) -> str:
    """Return the text of `element` outside its block children: one visual line of the page.

    Unclosed tags make lxml nest a whole article inside a byline <div>; reading a block's own
    text keeps its line short and meaningful.
    """
    parts: list[str] = []
    _inline_text(element, parts)
    return clean_text(" ".join(parts))


def _inline_text(element: Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in BLOCK_SET:
            _inline_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def page_lines(root: Element) -> list[tuple[Element, str]]:
    """Return every block under `root` with its own text, in document order, skipping blank ones."""
    lines: list[tuple[Element, str]] = []
    for element in root.iter(*BLOCKS):
        if element is root:
            continue
        text = own_text(element)
        if text:
            lines.append((element, text))
    return lines


@dataclass
class _Scan:
    """What one pass over the page finds: container candidates, publisher name, breadcrumb."""

    candidates: list[list[Element]]  # per MAIN_SELECTORS entry, in document order
    named_source: str | None
    breadcrumb: str

    def main_container(self, root: Element, prose: Prose) -> Element:
        """Return the element holding the report: a known container, else the prose block.

        A known container must hold half of the best block's prose and not wrap much more (or,
        on a page without prose, some text or a table): `.main` on a breadcrumb cell is not the
        article, nor `.main` around the story, its comments and the sidebar.
        """
        for elements in self.candidates:
            for element in elements:
                if prose.best is None:
                    if len(normalize(text_of(element))) >= 20 or _has(element, "table"):
                        return element
                elif prose.trusts(element):
                    return element
        if prose.best is None or prose.best.tag in ("html", "body"):
            return body_of(root)
        return prose.best


def _scan(root: Element) -> _Scan:
    # Only elements with an id or a class (or an <article>) can match a selector: libxml2
    # picks them out, Python looks at those few.
    candidates: list[list[Element]] = [[] for _ in MAIN_SELECTORS]
    named: list[Element | None] = [None] * len(_SOURCE_SELECTORS)
    crumb: Element | None = None
    for element in _NAMED_ELEMENTS(root):
        tag = element.tag
        if tag in _MAIN_TAGS:
            candidates[_MAIN_TAGS[tag]].append(element)
        ident = element.get("id")
        if ident is not None:
            if ident in _MAIN_IDS:
                candidates[_MAIN_IDS[ident]].append(element)
            if ident in _SOURCE_IDS and named[_SOURCE_IDS[ident]] is None:
                named[_SOURCE_IDS[ident]] = element
        classes = element.get("class")
        if classes is not None:
            tokens = classes.split()
            for index in sorted({_MAIN_CLASSES[t] for t in tokens if t in _MAIN_CLASSES}):
                candidates[index].append(element)
            for token in tokens:
                if token in _SOURCE_CLASSES and named[_SOURCE_CLASSES[token]] is None:
                    named[_SOURCE_CLASSES[token]] = element
            if crumb is None and _CRUMB.search(classes):
                crumb = element
    named_source = None
    for element in named:
        if element is not None and (text := clean_text(text_of(element))):
            named_source = text
            break
    breadcrumb = normalize(text_of(crumb, " ")) if crumb is not None else ""
    return _Scan(candidates, named_source, breadcrumb)


def _has(element: Element, tag: str) -> bool:
    return next(element.iterdescendants(tag), None) is not None


def _is_noise(element: Element) -> bool:
    if element.tag in ("nav", "footer", "header"):
        return True
    ident = element.get("id") or ""
    classes = element.get("class") or ""
    return bool((ident or classes.strip()) and NOISE.search(f"{ident} {classes}"))


def is_noise(element: Element) -> bool:
    """Return True when `element` or an ancestor is navigation, footer, sharing or related links."""
    node: Element | None = element
    while node is not None and node.tag != "body":
        if _is_noise(node):
            return True
        node = node.getparent()
    return False


def _meta_tags(root: Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in root.iter("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop")
        content = tag.get("content")
        if key and content is not None and content.strip():
            out.setdefault(key.strip().lower(), clean_text(content))
    return out


def _title(root: Element, meta: dict[str, str]) -> str:
    """Return the article's title: ArticleTitle, else the heading the <title> repeats.

    og:title and <title> carry site names (…_网易财经, …-新华网) and broken quoting cuts
    og:title short, so a heading that the <title> holds wins over them; a heading that only
    adds a tag to the <title>'s text (原创 …) gives way to it.
    """
    if meta.get("articletitle"):
        return meta["articletitle"]
    title_element = next(root.iter("title"), None)
    page_title = clean_text(text_of(title_element)) if title_element is not None else ""
    short_title = _TITLE_SPLIT.split(page_title)[0] if page_title else ""
    headings = [
        text
        for h in root.iter("h1", "h2", "h3")
        if not is_noise(h) and 4 <= len(text := own_text(h)) <= 100
    ]
    # A heading the <title> repeats is the article's; a lone h1 may be the site's logo.
    repeated = [
        text
        for text in headings
        if text in page_title and 2 * len(text) >= len(short_title) and text in short_title
    ]
    if repeated:
        return max(repeated, key=len)
    for text in headings:
        if short_title and short_title in text:
            return short_title if len(text) - len(short_title) <= 4 else text
    for key in ("og:title", "title"):
        if meta.get(key):
            return meta[key]
    for text in headings:
        if text in page_title:
            return text
    if len(short_title) >= 4:
        return short_title
    return headings[0] if headings else short_title


def _published(
    root: Element, meta: dict[str, str], title: str = "", html: str = ""
) -> tuple[date | None, time | None]:
    """Return the publication day and clock: the meta tags' or the date under the title."""
    machine = meta_stamp(root, meta, html)
    written = text_stamps(page_lines(body_of(root)), title)
    return choose_stamp(machine, written)


def _labelled_source(root: Element) -> str | None:
    for node in _SOURCE_TEXTS(root):
        parent = node.getparent()
        block = parent.getparent() if node.is_tail else parent
        while block is not None and block.tag not in BLOCK_SET:
            block = block.getparent()
        if block is None:
            continue
        text = normalize(own_text(block))
        match = _SOURCE_LABEL.search(text)
        if match and len(text) < 200:
            return match.group(1)
    return None
