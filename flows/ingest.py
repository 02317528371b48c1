"""The ingest flow: fetch sources → archive raw bytes → parse → store."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow

from lianxin.clock import utc_now
from tasks.fetch import fetch_source, select_sources
from tasks.parse import parse_pages
from tasks.store import reconcile_tables, record_run, store_results
from tasks.watchdog import notify_failure


@flow(name="ingest", log_prints=True, on_failure=[notify_failure], on_crashed=[notify_failure])
def ingest(
    as_of: date | None = None, sources: list[str] | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Fetch every configured source (or the named ones), parse the pages and store the records."""
    started = utc_now()
    chosen = select_sources(sources)
    crawls = fetch_source.map(chosen).result(raise_on_failure=False)
    results = parse_pages(crawls)
    stats = store_results(crawls, results, dry_run=dry_run)
    findings = reconcile_tables(stats, dry_run=dry_run)
    summary = {**stats, "findings": findings}
    record_run("ingest", as_of, started, summary, dry_run)
    return summary
