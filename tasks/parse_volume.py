"""Parse at volume: pages in chunks, one task per chunk, mapped over a Dask cluster.

A parse task on a Dask worker costs about half a second beyond its parsing (a page takes about
5 ms), so a task per page would cost a hundred times the parsing; chunks of a few hundred pages
keep that small while they spread over every core of the cluster (a local one, or a Dask
scheduler whose workers run on other hosts).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect_dask import DaskTaskRunner

from config.settings import Settings
from lianxin.archive import Archive
from lianxin.ingest.fetching import CrawlResult, FetchedPage
from lianxin.ingest.pipeline import parse_fetched, reparser
from lianxin.records import ParseResult, Region

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> list[list[T]]:
    """Split `items` into lists of at most `size`, in order."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def fetched_pages(crawls: Iterable[CrawlResult | BaseException]) -> list[FetchedPage]:
    """Return the pages to parse, in the order the batch task parses them (failed fetches out)."""
    return [
        page
        for crawl in crawls
        if isinstance(crawl, CrawlResult)
        for page in crawl.pages
        if page.ok
    ]


def dask_runner(cfg: Settings) -> DaskTaskRunner:
    """Return a Dask task runner: the scheduler at `dask_address`, else a local cluster.

    The local cluster has `dask_workers` processes of one thread each (parsing holds the GIL)
    and no dashboard (its HTTP endpoint on a free loopback port), so that nothing listens
    beyond what the run needs. Dask's own chatter (workers starting and stopping, connections
    closing) is kept to warnings unless the operator sets DASK_LOGGING__DISTRIBUTED.
    """
    if "DASK_LOGGING__DISTRIBUTED" not in os.environ:
        logging.getLogger("distributed").setLevel(logging.WARNING)
        os.environ["DASK_LOGGING__DISTRIBUTED"] = "warning"  # read by the spawned workers
    if cfg.dask_address:
        return DaskTaskRunner(address=cfg.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": cfg.dask_workers,
            "processes": True,
            "threads_per_worker": 1,
            "dashboard_address": None,
            "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
        }
    )


@task(name="parse-chunk", cache_policy=NO_CACHE)
def parse_chunk(pages: list[FetchedPage], regions: Sequence[Region] = ()) -> list[ParseResult]:
    """Return one ParseResult per page; bad pages come back quarantined, never raised.

    `regions`: the deployment's region tree, known as places besides the national divisions.
    """
    return [parse_fetched(page, regions) for page in pages]


@task(name="reparse-chunk", cache_policy=NO_CACHE)
def reparse_chunk(
    archive_dir: str, rows: list[dict[str, Any]], regions: Sequence[Region] = ()
) -> list[ParseResult | None]:
    """Parse archived reports (rows of the reports table) again from their stored bytes.

    A report whose bytes are not in the archive comes back as None. The archive folder must be
    reachable from every Dask worker: on several hosts, a shared mount.
    """
    archive = Archive(Path(archive_dir))
    out: list[ParseResult | None] = []
    for row in rows:
        try:
            out.append(reparser(archive, SimpleNamespace(**row), regions))
        except KeyError:
            out.append(None)
    return out
