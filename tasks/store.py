"""Store parse results, the fetch log and run records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from prefect import get_run_logger, runtime, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from lianxin.clock import utc_now
from lianxin.ingest.fetching import CrawlResult
from lianxin.ingest.fetchlog import log_fetches
from lianxin.records import ParseResult
from lianxin.rules.reconcile import reconcile_periods
from lianxin.store import reads
from lianxin.store.writes import quarantine_table, save_results
from tasks.common import engine, settings


@task(name="store-results", cache_policy=NO_CACHE)
def store_results(
    crawls: Sequence[CrawlResult | BaseException], results: list[ParseResult], dry_run: bool = False
) -> dict[str, Any]:
    """Write the fetch log and every record in one batch; return counts for the run summary."""
    log = get_run_logger()
    failed_sources = [str(c) for c in crawls if isinstance(c, BaseException)]
    done = [c for c in crawls if isinstance(c, CrawlResult)]
    summary: dict[str, Any] = {
        "sources": len(crawls),
        "failed_sources": failed_sources,
        "pages_fetched": sum(len(c.pages) for c in done),
        "listing_pages": sum(c.listings for c in done),
        "fetch_errors": [e for c in done for e in c.errors],
        "records_parsed": sum(r.record_count for r in results),
        "records_by_source": records_by_source(done, results),
        "rows_quarantined": sum(len(r.quarantined) for r in results),
    }
    if dry_run:
        log.info("Dry run: nothing stored")
        return summary
    now = utc_now()
    log_fetches(engine(), [f for c in done for p in c.pages for f in (p, *p.parts)])
    stats = save_results(engine(), results, now)
    summary.update(stored=stats.as_dict())
    log.info(
        "Stored %d new or changed pages (%d unchanged): %d workers, %d check-ins, %d problems",
        stats.pages,
        stats.unchanged_pages,
        stats.workers,
        stats.checkins,
        stats.problems,
    )
    quarantined = quarantine_table(results)
    if quarantined:
        create_table_artifact(
            key="quarantine",
            table=quarantined,
            description="Rows and pages this ingest kept aside, with the reason (连心 quarantine)",
        )
        for row in quarantined[:5]:
            log.info("Quarantined %s × %s: %s", row["rows"], row["severity"], row["reason"])
    return summary


def records_by_source(crawls: Sequence[CrawlResult], results: list[ParseResult]) -> dict[str, int]:
    """Return the records parsed per source, 0 for a source fetched but yielding nothing.

    Kept in the run's stats, so the watchdog can tell a source that stopped yielding
    (selector drift) from one that never did. A source whose fetch failed is left out.
    """
    counts = dict.fromkeys((c.source for c in crawls), 0)
    for r in results:
        counts[r.report.source] = counts.get(r.report.source, 0) + r.record_count
    return counts


@task(name="reconcile-tables", cache_policy=NO_CACHE)
def reconcile_tables(stored: dict[str, Any], dry_run: bool = False) -> dict[str, int]:
    """Reconcile the check-in periods this ingest touched against the roster; count findings."""
    periods = stored.get("stored", {}).get("periods", [])
    if dry_run or not periods:
        return {}
    findings = reconcile_periods(engine(), periods, settings().rules, utc_now())
    get_run_logger().info(
        "Reconciled %s against the roster: %s",
        ", ".join(periods),
        ", ".join(f"{n} {kind}" for kind, n in sorted(findings.items())) or "nothing to report",
    )
    return findings


@task(name="record-run", cache_policy=NO_CACHE)
def record_run(
    flow: str, as_of: date | None, started_at: datetime, stats: dict[str, Any], dry_run: bool
) -> None:
    """Keep a row for this run (skipped on a dry run, which writes nothing)."""
    if dry_run:
        return
    flow_run_id = runtime.flow_run.id
    reads.record_run(
        engine(),
        flow,
        as_of,
        started_at,
        utc_now(),
        "completed",
        stats,
        str(flow_run_id) if flow_run_id else None,
    )
