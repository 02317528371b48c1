"""Read a report published over several pages (xxx.html, xxx_1.html, xxx_2.html …) as one.

Content systems split a long table over pages and draw a pager (1 2 3 下一页) in the body, or
in TRS's case a `createPageHTML(count, current, "name", "html")` script. The crawler fetches
what `content_pages` names and hands all the parts to `parse_series`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from lianxin.archive import content_hash
from lianxin.errors import UndecodableError
from lianxin.parsing.decode import decode_page
from lianxin.parsing.document import load_document
from lianxin.parsing.page import parse_parts
from lianxin.parsing.text import clean_text
from lianxin.parsing.tree import text_of
from lianxin.records import ParseResult, ReportPart

_PART = re.compile(r"^(?P<stem>.+?)(?:_(?P<n>\d{1,3}))?\.(?P<ext>s?html?|jsp|php|aspx?)$", re.I)
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_NEXT_WORDS = ("下一页", "下页", "后一页")


def content_pages(content: bytes, url: str, http_charset: str | None = None) -> list[str]:
    """Return the absolute URLs of the report's later parts named in the page, in order.

    Parts are pages numbered after this one (t123_1.html, t123_2.html from t123.html) linked
    from the page or listed by a TRS pager script, and a 下一页 link inside the article body.
    The page itself and earlier parts are left out; a page that cannot be read names none.
    """
    try:
        doc = load_document(decode_page(content, http_charset).text, url)
    except UndecodableError:
        return []
    here = urlsplit(url)
    match = _PART.match(here.path)
    numbered: dict[int, str] = {}
    if match:
        current = int(match.group("n") or 0)
        stem, ext = match.group("stem"), match.group("ext")
        for anchor in doc.root.iter("a"):
            href = anchor.get("href")
            if href is None:
                continue
            link = urlsplit(urljoin(url, href.strip()))
            part = _PART.match(link.path)
            if (link.scheme, link.netloc) != (here.scheme, here.netloc) or part is None:
                continue
            if part.group("stem") == stem and part.group("ext") == ext and part.group("n"):
                number = int(part.group("n"))
                if number > current:
                    numbered[number] = urlunsplit(link._replace(fragment=""))
        base = stem.rsplit("/", 1)[-1]
        for script in doc.scripts:
            pager = _CREATE_PAGE.search(script)
            if pager and pager.group(3) == base:
                for number in range(max(current + 1, 1), int(pager.group(1))):
                    numbered[number] = urljoin(url, f"{base}_{number}.{pager.group(4)}")
    found = [numbered[n] for n in sorted(numbered)]
    for anchor in doc.main.iterdescendants("a"):
        href = anchor.get("href")
        if href is not None and clean_text(text_of(anchor)).startswith(_NEXT_WORDS):
            target = urljoin(url, href.strip()).split("#")[0]
            if target != url and target not in found and not target.startswith("javascript"):
                found.append(target)
    return found


def parse_series(
    pages: list[tuple[bytes, str, str | None]],
    *,
    source: str,
    fetched_at: datetime,
    kind: str = "auto",
) -> ParseResult:
    """Return the report the pages (content, url, http charset) make together, first page first.

    The first page's header applies to later parts without one; the report's URL is the first
    page's and its content hash the SHA-256 of all the raw bytes in order. Never raises.
    """
    if not pages:
        raise ValueError("parse_series needs at least one page")
    digest = hashlib.sha256(b"".join(content for content, _, _ in pages)).hexdigest()
    result = parse_parts(pages, source=source, fetched_at=fetched_at, kind=kind, digest=digest)
    if len(pages) > 1:
        result.report.parts = [
            ReportPart(url=url, content_hash=content_hash(content), charset=charset)
            for content, url, charset in pages
        ]
    return result
