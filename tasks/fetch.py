"""Fetch sources and archive the raw bytes (network I/O only: the part worth retrying)."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from config.settings import SourceSettings
from lianxin.archive import Archive
from lianxin.errors import ConfigError, FetchError
from lianxin.fetching import CrawlResult, crawl, make_session
from lianxin.parsing import parse_page
from lianxin.records import ParseResult
from tasks.common import settings


@task(name="select-sources", cache_policy=NO_CACHE)
def select_sources(names: list[str] | None = None) -> list[SourceSettings]:
    """Return the configured sources, or the named subset; unknown names are a config error."""
    configured = settings().sources
    if not names:
        return configured
    known = {s.name: s for s in configured}
    missing = [n for n in names if n not in known]
    if missing:
        raise ConfigError(
            "sources",
            f"no source named {', '.join(missing)}",
            f"choose among {', '.join(known) or '(none configured)'}",
        )
    return [known[n] for n in names]


@task(name="fetch-source", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def fetch_source(source: SourceSettings) -> CrawlResult:
    """Crawl one source and archive every page it returned; retry when the source is down."""
    cfg = settings()
    log = get_run_logger()

    def listing_parser(content: bytes, url: str, charset: str | None, at: datetime) -> ParseResult:
        return parse_page(content, url, source=source.name, fetched_at=at, http_charset=charset)

    result = crawl(make_session(cfg.user_agent), source, listing_parser, cfg.fetch_timeout_s)
    if result.errors and not any(p.ok for p in result.pages):
        raise FetchError(source.url, "; ".join(result.errors[:3]))
    archive = Archive(cfg.archive_dir)
    for page in result.pages:
        for fetched in (page, *page.parts):
            if fetched.content:
                archive.put(fetched.content)
    log.info(
        "%s: %d listing pages, %d report pages, %d fetch errors",
        source.name,
        result.listings,
        len(result.pages),
        len(result.errors),
    )
    return result
