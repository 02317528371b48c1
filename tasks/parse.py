"""Parse fetched pages into records, a whole batch in one task run."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from lianxin.fetching import CrawlResult
from lianxin.pipeline import parse_fetched
from lianxin.records import ParseResult


@task(name="parse-pages", cache_policy=NO_CACHE)
def parse_pages(crawls: Sequence[CrawlResult | BaseException]) -> list[ParseResult]:
    """Return one ParseResult per fetched page; bad pages come back quarantined, never raised.

    A source whose fetch task failed arrives as its exception and is skipped here; the store
    task reports it.
    """
    log = get_run_logger()
    results = [
        parse_fetched(page)
        for crawl in crawls
        if isinstance(crawl, CrawlResult)
        for page in crawl.pages
        if page.ok
    ]
    quarantined = sum(len(r.quarantined) for r in results)
    records = sum(r.record_count for r in results)
    log.info("Parsed %d pages: %d records, %d quarantined", len(results), records, quarantined)
    return results
