"""The ingest flow: fetch sources → archive raw bytes → parse → store."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow
from prefect.futures import as_completed

from flows.parse_volume import parse_at_volume
from lianxin.clock import utc_now
from lianxin.ingest.fetching import CrawlResult
from lianxin.ingest.regions import store_region_tree
from lianxin.records import ParseResult
from tasks.artifacts import Progress, publish_ingest_summary
from tasks.common import engine, settings
from tasks.fetch import fetch_task, limit_hosts, select_sources
from tasks.parse import parse_task
from tasks.store import reconcile_tables, record_run, store_results
from tasks.watchdog import record_failure


@flow(name="ingest", log_prints=True, on_failure=[record_failure], on_crashed=[record_failure])
def ingest(
    as_of: date | None = None, sources: list[str] | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Fetch every configured source (or the named ones), parse the pages and store the records.

    Sources are fetched side by side (at most `fetch_per_host` per web host) with retries; each
    source is parsed as soon as it arrives, from the cache when its pages did not change.
    """
    started = utc_now()
    chosen = select_sources(sources)
    limit_hosts(chosen)
    progress = Progress(
        "ingest-progress", 2 * len(chosen) + 1, f"Fetching and parsing {len(chosen)} sources"
    )
    fetch, parse = fetch_task(), parse_task()
    with engine().connect() as conn:
        tree = store_region_tree(conn)  # the deployment's own places, for the parsers
    on_dask = settings().parse_runner == "dask"  # parsing at volume: flows/parse_volume.py
    fetching = {fetch.submit(source): i for i, source in enumerate(chosen)}
    crawls: list[CrawlResult | BaseException | None] = [None] * len(chosen)
    parsing = []
    for future in as_completed(list(fetching)):
        i = fetching[future]
        crawls[i] = crawl = future.result(raise_on_failure=False)
        progress.advance(note=f"Fetched {chosen[i].name}")
        if not on_dask:
            parsing.append((i, parse.submit(crawl, tree)))
    parsed: list[list[ParseResult]] = [[] for _ in chosen]
    for i, pending in parsing:
        parsed[i] = pending.result()
        progress.advance(note=f"Parsed {chosen[i].name}")
    done = [c for c in crawls if c is not None]
    results = [r for per_source in parsed for r in per_source]
    if on_dask:  # every page at once, in chunks on a Dask cluster, after the last fetch
        results = parse_at_volume(done, tree)
        progress.advance(len(chosen), note=f"Parsed {len(results)} pages on Dask")
    stats = store_results(done, results, dry_run=dry_run)
    findings = reconcile_tables(stats, dry_run=dry_run)
    summary = {**stats, "findings": findings}
    record_run("ingest", as_of, started, summary, dry_run)
    publish_ingest_summary(summary)
    progress.finish(
        f"{summary['pages_fetched']} pages, {summary['records_parsed']} records, "
        f"{summary['rows_quarantined']} rows quarantined"
    )
    return summary
