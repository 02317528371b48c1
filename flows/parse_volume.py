"""Parsing at volume on Dask: the ingest's parse step, and re-parsing the whole archive.

Opt in with `parse_runner = "dask"` (LIANXIN_PARSE_RUNNER=dask): pages are split into chunks of
`parse_chunk_pages`, and one `parse-chunk` task per chunk runs on a Dask cluster opened for the
parse alone (a local cluster of `dask_workers` processes, or the scheduler at `dask_address`).
The results come back in page order and are stored in one batch, exactly as the batch path
stores them; fetching, storing and the rest of the flow stay where they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from lianxin.archive import Archive
from lianxin.clock import utc_now
from lianxin.ingest.fetching import CrawlResult
from lianxin.ingest.regions import RegionTree, region_tree
from lianxin.ingest.reparse import _reports, reparse
from lianxin.records import ParseResult
from tasks.common import engine, settings
from tasks.parse_volume import chunked, dask_runner, fetched_pages, parse_chunk, reparse_chunk
from tasks.store import record_run
from tasks.watchdog import record_failure


def parse_at_volume(
    crawls: Sequence[CrawlResult | BaseException], tree: RegionTree | None = None
) -> list[ParseResult]:
    """Parse every fetched page of `crawls` on Dask; return the results in page order.

    Called inside a flow run (the ingest): each chunk is a task run of that flow.
    """
    cfg = settings()
    chunks = chunked(fetched_pages(crawls), cfg.parse_chunk_pages)
    started = utc_now()
    with dask_runner(cfg) as runner:
        regions = tree.regions if tree else ()
        futures = [
            runner.submit(parse_chunk, {"pages": chunk, "regions": regions}) for chunk in chunks
        ]
        results = [result for future in futures for result in future.result()]
    get_run_logger().info(
        "Parsed %d pages in %d chunks on Dask in %.1f s: %d records, %d quarantined",
        len(results),
        len(chunks),
        (utc_now() - started).total_seconds(),
        sum(r.record_count for r in results),
        sum(len(r.quarantined) for r in results),
    )
    return results


@flow(name="reparse-archive", on_failure=[record_failure], on_crashed=[record_failure])
def reparse_archive(since: date | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Parse every archived report (fetched on or after `since`) again and store what changed.

    With `parse_runner = "dask"` the archive is parsed in chunks on Dask; otherwise in one task.
    Either way the comparison with the store and the writes happen in one transaction here.
    """
    started = utc_now()
    cfg = settings()
    with engine().connect() as conn:
        rows = [dict(row._mapping) for row in _reports(conn, since)]
        regions = region_tree(conn)
    archive_dir = str(cfg.archive_dir.resolve())
    if cfg.parse_runner == "dask" and rows:
        with dask_runner(cfg) as runner:
            futures = [
                runner.submit(
                    reparse_chunk,
                    {"archive_dir": archive_dir, "rows": chunk, "regions": regions},
                )
                for chunk in chunked(rows, cfg.parse_chunk_pages)
            ]
            parsed = [result for future in futures for result in future.result()]
    else:
        parsed = reparse_chunk(archive_dir, rows, regions)
    by_url = {row["url"]: result for row, result in zip(rows, parsed, strict=True)}

    def parsed_before(_archive: Archive, row: Any) -> ParseResult:
        result = by_url.get(row.url)
        if result is None:
            raise KeyError(row.url)  # not archived (or reported after the rows were read)
        return result

    report = reparse(
        engine(), Archive(cfg.archive_dir), parsed_before, utc_now(), since, apply=not dry_run
    )
    summary: dict[str, Any] = {
        "runner": cfg.parse_runner,
        "pages": report.pages,
        "changed_pages": len(report.changed_pages),
        "changes": report.counts(),
        "missing": len(report.missing),
    }
    get_run_logger().info(
        "Re-parsed %d archived reports on %s: %d changed, %d not archived",
        report.pages,
        cfg.parse_runner,
        len(report.changed_pages),
        len(report.missing),
    )
    record_run("reparse", since, started, summary, dry_run)
    return summary
