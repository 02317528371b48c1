"""Parse what was fetched: one function for the ingest task and for re-parsing the archive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lianxin.archive import Archive, content_hash
from lianxin.ingest.fetching import FetchedPage
from lianxin.parsing import parse_page
from lianxin.parsing.attachments import parse_attachment
from lianxin.parsing.gazetteer import configured_tree
from lianxin.parsing.series import parse_series
from lianxin.records import ParseResult, Region, ReportPart


def parse_fetched(page: FetchedPage, regions: Sequence[Region] = ()) -> ParseResult:
    """Return the records of one fetched report: a page, an attachment or a series of pages.

    `regions` (the deployment's own region tree) are known as places besides the national
    divisions.
    """
    with configured_tree(regions):
        return _parse_fetched(page)


def _parse_fetched(page: FetchedPage) -> ParseResult:
    charset = page.encoding or page.charset
    if page.is_attachment:
        result = parse_attachment(
            page.content,
            page.url,
            source=page.source,
            fetched_at=page.fetched_at,
            kind=page.kind,
            page_title=page.referrer_title,
        )
    elif page.parts:
        pieces = [(page.content, page.url, charset)]
        pieces += [(p.content, p.url, p.encoding or p.charset) for p in page.parts]
        result = parse_series(
            pieces, source=page.source, fetched_at=page.fetched_at, kind=page.kind
        )
        result.report.parts = [
            ReportPart(url=url, content_hash=content_hash(content), charset=part_charset)
            for content, url, part_charset in pieces
        ]
    else:
        result = parse_page(
            page.content,
            page.url,
            source=page.source,
            fetched_at=page.fetched_at,
            kind=page.kind,
            http_charset=charset,
            content_type=page.content_type,
        )
    result.report.charset = charset
    result.report.referrer = page.referrer
    result.report.referrer_title = page.referrer_title
    return result


def reparser(archive: Archive, row: Any, regions: Sequence[Region] = ()) -> ParseResult:
    """Parse an archived report again from its stored bytes (raises KeyError if not archived)."""
    parts = list(row.parts or [])
    first = parts[0] if parts else {"url": row.url, "content_hash": row.content_hash}
    page = FetchedPage(
        source=row.source,
        url=row.url,
        fetched_at=row.fetched_at,
        charset=first.get("charset", row.charset),
        content=archive.get(first["content_hash"]),
        referrer=row.referrer,
        referrer_title=row.referrer_title,
    )
    page.parts = [
        FetchedPage(
            source=row.source,
            url=p["url"],
            fetched_at=row.fetched_at,
            charset=p.get("charset"),
            content=archive.get(p["content_hash"]),
        )
        for p in parts[1:]
    ]
    return parse_fetched(page, regions)
