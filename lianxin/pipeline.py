"""Parse what was fetched: one function for the ingest task and for re-parsing the archive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lianxin.parsing import parse_page
from lianxin.records import ParseResult


def parse_fetched(
    content: bytes,
    url: str,
    source: str,
    fetched_at: datetime,
    charset: str | None = None,
    parts: list[dict[str, Any]] | None = None,
    kind: str = "auto",
    content_type: str | None = None,
) -> ParseResult:
    """Return the records of one fetched report (a page, an attachment or a series of pages)."""
    result = parse_page(
        content,
        url,
        source=source,
        fetched_at=fetched_at,
        kind=kind,
        http_charset=charset,
        content_type=content_type,
    )
    result.report.charset = charset
    return result


def reparser(
    content: bytes,
    url: str,
    source: str,
    fetched_at: datetime,
    charset: str | None,
    parts: list[dict[str, Any]],
) -> ParseResult:
    """Parse an archived report again, as `lianxin.reparse` expects."""
    return parse_fetched(content, url, source, fetched_at, charset, parts)
