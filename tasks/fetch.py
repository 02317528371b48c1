"""Fetch sources and archive the raw bytes (network I/O only: the part worth retrying).

Each source's crawl is a task run with retries (waits doubling, with jitter) and a time limit,
and holds a slot of its web host's Prefect concurrency limit, `fetch-host-<host>`, so that a
county portal carrying twenty sources is never hit by twenty crawls at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from prefect import Task, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from prefect.tasks import exponential_backoff

from config.settings import SourceSettings
from lianxin.archive import Archive
from lianxin.errors import ConfigError, FetchError
from lianxin.ingest.fetching import CrawlResult, crawl, make_session
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


def host_limit_name(url: str) -> str:
    """Return the name of the Prefect concurrency limit of `url`'s web host."""
    host = urlsplit(url).netloc.lower() or "local"
    return "fetch-host-" + re.sub(r"[^a-z0-9.-]+", "-", host)


@task(name="limit-hosts", cache_policy=NO_CACHE)
def limit_hosts(sources: Sequence[SourceSettings]) -> list[str]:
    """Create or update one concurrency limit per web host of `sources`; return their names."""
    names = sorted({host_limit_name(s.url) for s in sources})
    with get_client(sync_client=True) as client:
        for name in names:
            client.upsert_global_concurrency_limit_by_name(name, settings().fetch_per_host)
    return names


def fetch_task() -> Task[[SourceSettings], CrawlResult | FetchError]:
    """Return `fetch_source` with this installation's retries and backoff.

    The time limit is the crawl's own (`fetch_task_timeout_s`, see
    `lianxin.ingest.fetching.TimeLimit`): Prefect's task timeout cannot stop a thread blocked on a
    socket.
    """
    cfg = settings()
    options: dict[str, Any] = {
        "retries": cfg.fetch_retries,
        "retry_delay_seconds": exponential_backoff(cfg.fetch_retry_backoff_s)
        if cfg.fetch_retry_backoff_s
        else 0,
        "retry_jitter_factor": 0.5 if cfg.fetch_retry_backoff_s else None,
    }
    return fetch_source.with_options(**options)


@task(name="fetch-source", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def fetch_source(source: SourceSettings) -> CrawlResult | FetchError:
    """Crawl one source and archive every page it returned; retry when the source is down.

    A source that is down is a FetchError: raised while a retry may mend it (Prefect waits and
    tries again), returned as the task's result once none will, so that an expected failure is
    one warning line in the log and in the run's `failed_sources`, not a traceback. Nothing
    listening and no such host are not retried (see `FetchedPage.lasting`).
    """
    cfg = settings()
    log = get_run_logger()

    def listing_parser(content: bytes, url: str, charset: str | None, at: datetime) -> ParseResult:
        return parse_page(content, url, source=source.name, fetched_at=at, http_charset=charset)

    lasting, failure = False, None
    try:
        with concurrency(host_limit_name(source.url), occupy=1, strict=False):
            result = crawl(
                make_session(cfg.user_agent),
                source,
                listing_parser,
                cfg.fetch_timeout_s,
                time_limit=cfg.fetch_task_timeout_s,
            )
    except FetchError as exc:  # the crawl's time limit
        failure = exc
    else:
        if result.errors and not any(p.ok for p in result.pages):
            failure = FetchError(source.url, "; ".join(result.errors[:3]))
            lasting = all(p.lasting for p in result.pages if not p.ok)
    if failure is not None:
        run = TaskRunContext.get()
        if not lasting and run is not None and run.task_run.run_count <= run.task.retries:
            raise failure
        log.warning("%s failed: %s", source.name, failure)
        return failure
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
