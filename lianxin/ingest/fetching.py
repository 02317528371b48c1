"""Fetch a source: a single report, or a listing page whose links and 下一页 pages are followed.

Takes a `requests.Session` (or anything with its `get`) so that tests can hand in their own.
Listing pages are recognised by the parser, so the crawl follows what the page says it is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from config.settings import SourceSettings
from lianxin.archive import content_hash
from lianxin.errors import FetchError
from lianxin.parsing.links import page_links
from lianxin.parsing.series import content_pages
from lianxin.records import ParseResult, ReportKind

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 20 * 1024 * 1024
MAX_PARTS = 50  # continuation pages of one report followed at most

ListingParser = Callable[[bytes, str, str | None, datetime], ParseResult]


# How fetch_one ends the error of a fetch that no retry within minutes would mend.
LASTING_CAUSES = (" (connection refused)", " (host name not found)")


@dataclass
class FetchedPage:
    source: str
    url: str
    fetched_at: datetime
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None  # from the HTTP header, when it names one
    content: bytes = b""
    error: str | None = None
    kind: str = "auto"  # the source's kind hint for the parser
    encoding: str | None = None  # the source's forced codec, if any
    referrer: str | None = None  # for an attachment: the report page that links it
    referrer_title: str | None = None  # … and that page's title (village, month)
    parts: list[FetchedPage] = field(default_factory=list)  # continuation pages (下一页)

    @property
    def is_attachment(self) -> bool:
        return self.referrer is not None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def lasting(self) -> bool:
        """Return whether this page failed in a way no retry within minutes mends: nothing
        listens, no such host, or an HTTP 4xx other than 408 and 429 (the next run tries again)."""
        if self.status is not None and self.status >= 400:
            return self.status < 500 and self.status not in (408, 429)
        return self.error is not None and self.error.endswith(LASTING_CAUSES)

    @property
    def content_hash(self) -> str:
        return content_hash(self.content)


@dataclass
class CrawlResult:
    source: str
    pages: list[FetchedPage] = field(default_factory=list)
    listings: int = 0
    errors: list[str] = field(default_factory=list)


def fetch_one(session: Any, url: str, source: SourceSettings, timeout: float) -> FetchedPage:
    """Return the page at `url`; network and HTTP errors are recorded on the page, not raised."""
    now = datetime.now(UTC)
    try:
        response = session.get(url, timeout=timeout, stream=True)
        content = response.raw.read(MAX_PAGE_BYTES + 1, decode_content=True)
        response.close()
    except requests.RequestException as exc:
        said = f"fetch failed: {type(exc).__name__}{_cause(exc)}"
        return FetchedPage(source.name, url, now, error=said)
    page = FetchedPage(
        source=source.name,
        url=url,
        fetched_at=now,
        status=response.status_code,
        content_type=response.headers.get("Content-Type"),
        charset=_header_charset(response.headers.get("Content-Type")),
        content=content,
        kind=source.kind,
        encoding=source.encoding,
    )
    if response.status_code >= 400:
        page.error = f"HTTP {response.status_code}"
    elif len(content) > MAX_PAGE_BYTES:
        page.content = content[:MAX_PAGE_BYTES]
        page.error = f"page larger than {MAX_PAGE_BYTES // (1024 * 1024)} MB, not parsed"
    return page


class TimeLimit:
    """A session whose requests all end by a deadline: each one's timeout is what is left.

    A thread cannot be stopped from outside, so a crawl's time limit is kept here, between and
    within requests, rather than by the task runner.
    """

    def __init__(self, session: Any, seconds: float, source: SourceSettings) -> None:
        self.session, self.seconds, self.source = session, seconds, source
        self.until = time.monotonic() + seconds

    def get(self, url: str, timeout: float, **kwargs: Any) -> Any:
        left = self.until - time.monotonic()
        if left <= 0:
            raise FetchError(
                self.source.url, f"crawl stopped at its time limit of {self.seconds:g} s"
            )
        return self.session.get(url, timeout=min(timeout, left), **kwargs)


def crawl(
    session: Any,
    source: SourceSettings,
    parse_listing: ListingParser,
    timeout: float,
    time_limit: float | None = None,
) -> CrawlResult:
    """Fetch `source`; when it is a listing, follow its report links and up to max_pages pages.

    `timeout` bounds each request; `time_limit`, when given, the whole crawl (FetchError).
    """
    if time_limit is not None:
        session = TimeLimit(session, time_limit, source)
    crawler = _Crawler(session, source, timeout, CrawlResult(source=source.name))
    result = crawler.result
    next_url: str | None = source.url
    report_urls: list[str] = []
    while next_url and result.listings < source.max_pages:
        page = crawler.fetch_new(next_url)
        if page is None:  # a listing that links back to a page already read
            break
        if not page.ok:
            result.pages.append(page)
            break
        if source.kind not in ("auto", "listing"):
            result.pages.append(page)  # a single report, no crawling
            return result
        listing = parse_listing(page.content, page.url, page.charset, page.fetched_at)
        if listing.report.kind != ReportKind.listing:
            result.pages.append(page)  # the source itself is a report
            return result
        result.listings += 1
        report_urls.extend(u for u in listing.links if u not in report_urls)
        next_url = listing.next_page
    for url in report_urls:
        page = crawler.fetch_new(url)
        if page is None:
            continue
        result.pages.append(page)
        if page.ok:
            result.pages.extend(crawler.follow_report(page))
    log.info(
        "Fetched %s: %d listing pages, %d reports, %d errors",
        source.name,
        result.listings,
        len(result.pages),
        len(result.errors),
    )
    return result


@dataclass
class _Crawler:
    """One crawl's state: every URL is fetched at most once, and every failure is noted."""

    session: Any
    source: SourceSettings
    timeout: float
    result: CrawlResult
    seen: set[str] = field(default_factory=set)

    def fetch_new(self, url: str) -> FetchedPage | None:
        """Return the page at `url`, or None when this crawl has already fetched it."""
        if url in self.seen:
            return None
        self.seen.add(url)
        page = fetch_one(self.session, url, self.source, self.timeout)
        if not page.ok:
            self.result.errors.append(f"{url}: {page.error}")
        return page

    def follow_report(self, page: FetchedPage) -> list[FetchedPage]:
        """Fetch a report's continuation pages (into `page.parts`) and return its attachments."""
        for url in content_pages(page.content, page.url, page.charset)[:MAX_PARTS]:
            part = self.fetch_new(url)
            if part is None:
                continue
            if not part.ok:
                break  # a series with a hole is parsed as far as it goes
            page.parts.append(part)
        links = page_links(page.content, page.url, page.charset)
        attachments = []
        for url in links.attachments:
            attachment = self.fetch_new(url)
            if attachment is None:
                continue
            attachment.referrer, attachment.referrer_title = page.url, links.title
            attachments.append(attachment)
        return attachments


def _cause(exc: requests.RequestException) -> str:
    # requests wraps the socket's own error several times over; its words are all that is left.
    said = str(exc)
    if "Connection refused" in said or "[Errno 111]" in said:
        return LASTING_CAUSES[0]
    if "NameResolutionError" in said or "Name or service not known" in said:
        return LASTING_CAUSES[1]
    return ""


def make_session(user_agent: str) -> requests.Session:
    """Return a session with Lianxin's User-Agent; retries are the calling task's business."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    return session


def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ").lower()
    return None
