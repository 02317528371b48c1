"""Beyond one machine, tested here: Prefect's server and Lianxin's store on PostgreSQL (a
throw-away server), a process work pool served by two workers, and parsing on Dask.

The flows are deployed from this working tree, as an operator deploys them from a checkout;
every flow run starts in a process of its own, as it would on another host.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
)
from prefect.client.schemas.objects import FlowRun, StateType, TaskRun
from prefect.client.schemas.sorting import FlowRunSort
from sqlalchemy import select

from config.settings import reset_settings
from lianxin.cli.demo import write_demo_config
from lianxin.cli.prefect_server import local_prefect_server
from lianxin.ingest.fetching import CrawlResult, FetchedPage
from lianxin.ingest.pipeline import parse_fetched
from lianxin.portal import PORTAL_TODAY, build_site, serve_portal
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from pg import pg_bin_dir, throwaway_postgres
from stopping import FAULT_DUMPS, stop_or_dump

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
POOL = "lianxin-processes"
WORKERS = ("worker-east", "worker-west")
QUEUED_RUNS = 8
DEADLINE_S = 180.0
BAD_LINES = ("Traceback", "database is locked", " ERROR ")


@dataclass
class Cluster:
    home: Path
    store_url: str
    config: Path
    deployments: dict[str, UUID]
    logs: list[Path]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """PostgreSQL with two databases, Prefect's server on one, a pool and two workers."""
    if pg_bin_dir() is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed on this machine")
    home = tmp_path_factory.mktemp("scale-out")
    with ExitStack() as stack, pytest.MonkeyPatch.context() as env:
        env.delenv("PREFECT_API_URL", raising=False)  # never an operator's server
        pg = stack.enter_context(throwaway_postgres())
        pg.admin("CREATE DATABASE prefect")
        pg.admin("CREATE DATABASE lianxin")
        store_url = pg.url("lianxin")
        store = make_engine(store_url)
        migrate(store)
        store.dispose()

        portal = stack.enter_context(serve_portal())
        # The demo's configuration (portal sources, archive and outbox under `home`), with the
        # store on PostgreSQL: the environment wins over the file, here and in the workers.
        config = write_demo_config(home, portal)
        env.setenv("LIANXIN_CONFIG", str(config))
        env.setenv("LIANXIN_DATABASE_URL", store_url)
        stack.callback(reset_settings)
        reset_settings()

        prefect_db = f"postgresql+asyncpg://{pg.user}@{pg.host}:{pg.port}/prefect"
        stack.enter_context(local_prefect_server(home / "prefect", database_url=prefect_db))
        _prefect("work-pool", "create", POOL, "--type", "process")
        deployments = {
            "ingest": _deploy(
                "flows/ingest.py:ingest",
                # This deployment opts in to parsing on Dask: two local worker processes,
                # small chunks so that the sample portal's 35 pages make several tasks.
                {
                    "LIANXIN_PARSE_RUNNER": "dask",
                    "LIANXIN_DASK_WORKERS": "2",
                    "LIANXIN_PARSE_CHUNK_PAGES": "10",
                },
            ),
            "followups": _deploy("flows/followups.py:followups", {}),
        }
        logs = [home / "prefect" / "server.log"]
        for name in WORKERS:
            logs.append(stack.enter_context(_worker(name, home, store_url, config)))
        _wait_for_workers(set(WORKERS), logs)
        yield Cluster(home, store_url, config, deployments, logs)
    # Stopped: the workers and the server must have gone down as cleanly as they ran.
    assert not _bad_lines(logs), _bad_lines(logs)


def _prefect(*args: str) -> None:
    """Run one `prefect` command against the test's server, as an operator would."""
    subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _deploy(entrypoint: str, env: dict[str, str]) -> UUID:
    """Deploy a flow from this checkout to the pool: no image, the workers run it in place."""
    source = flow.from_source(source=str(REPO), entrypoint=entrypoint)
    return source.deploy(
        name="scale-out",
        work_pool_name=POOL,
        job_variables={"env": env},
        print_next_steps=False,
        ignore_warnings=True,  # "a process pool: try .serve()": workers are the point here
    )


@contextmanager
def _worker(name: str, home: Path, store_url: str, config: Path) -> Iterator[Path]:
    """Run `prefect worker start` for the pool until the block ends; yield its log file."""
    log_path = home / f"{name}.log"
    env = {
        **os.environ,
        "LIANXIN_CONFIG": str(config),
        "LIANXIN_DATABASE_URL": store_url,
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # poll often: the test waits on it
        "PREFECT_WORKER_HEARTBEAT_SECONDS": "2",
        **FAULT_DUMPS,
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "worker",
                "start",
                "--pool",
                POOL,
                "--name",
                name,
                "--type",
                "process",
                "--limit",
                "2",  # two runs at a time each: eight queued runs cannot all go to one
            ],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield log_path
        finally:
            # SIGTERM asks the worker to stop taking runs and exit; the runs it held are done.
            stop_or_dump(process, signal.SIGTERM, 120, log_path, name)


def _wait_for_workers(names: set[str], logs: list[Path]) -> None:
    deadline = time.monotonic() + 90
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            online = {
                w.name
                for w in client.read_workers_for_work_pool(POOL)
                if str(w.status).upper().endswith("ONLINE")
            }
            if names <= online:
                return
            time.sleep(0.5)
    raise AssertionError(f"workers {sorted(names)} did not come online\n{_tails(logs)}")


def _queue(deployment_id: UUID, count: int, **parameters: Any) -> list[UUID]:
    with get_client(sync_client=True) as client:
        return [
            client.create_flow_run_from_deployment(deployment_id, parameters=parameters).id
            for _ in range(count)
        ]


def _wait_terminal(ids: list[UUID], logs: list[Path]) -> list[FlowRun]:
    deadline = time.monotonic() + DEADLINE_S
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                sort=FlowRunSort.START_TIME_ASC,
            )
            if len(runs) == len(ids) and all(r.state and r.state.is_final() for r in runs):
                return runs
            if time.monotonic() > deadline:
                states = Counter(r.state_name for r in runs)
                raise AssertionError(f"runs still not done: {dict(states)}\n{_tails(logs)}")
            time.sleep(0.5)


def _running_states(run_id: UUID) -> int:
    with get_client(sync_client=True) as client:
        return sum(s.type == StateType.RUNNING for s in client.read_flow_run_states(run_id))


def _chunk_runs(run_id: UUID, expected: int) -> list[TaskRun]:
    # Task runs reach the server as events, a moment after the flow run ends.
    deadline = time.monotonic() + 20
    with get_client(sync_client=True) as client:
        while True:
            chunks = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="parse-chunk")),
            )
            done = [c for c in chunks if c.state_type == StateType.COMPLETED]
            if len(done) >= expected or time.monotonic() > deadline:
                assert len(chunks) == expected, [c.name for c in chunks]
                return chunks
            time.sleep(0.5)


def _tails(logs: list[Path], lines: int = 40) -> str:
    out = []
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        out.append(f"--- {log.name}\n" + "\n".join(text.splitlines()[-lines:]))
    return "\n".join(out)


def _store_runs(store_url: str, flow_name: str) -> Counter[str]:
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.runs.c.prefect_flow_run_id).where(t.runs.c.flow == flow_name)
            ).all()
    finally:
        engine.dispose()
    return Counter(str(row[0]) for row in rows)


def test_an_ingest_on_a_worker_parses_on_dask_and_stores_on_postgresql(cluster: Cluster) -> None:
    [run_id] = _queue(cluster.deployments["ingest"], 1, as_of=PORTAL_TODAY.isoformat())
    [run] = _wait_terminal([run_id], cluster.logs)

    assert run.state_type == StateType.COMPLETED, run.state
    assert run.run_count == 1 and _running_states(run.id) == 1
    assert run.labels.get("prefect.worker.name") in WORKERS
    assert _store_runs(cluster.store_url, "ingest") == Counter({str(run.id): 1})
    engine = make_engine(cluster.store_url)
    try:
        with engine.connect() as conn:
            stats = conn.execute(select(t.runs.c.stats).where(t.runs.c.flow == "ingest")).one()[0]
            workers = conn.execute(select(t.workers.c.key)).all()
    finally:
        engine.dispose()
    assert len(workers) >= 250 and stats["records_parsed"] > 1000
    # The pages were parsed in chunks of 10, one parse-chunk task run each, on Dask.
    chunks = _chunk_runs(run.id, expected=math.ceil(stats["pages_fetched"] / 10))
    assert all(c.state_type == StateType.COMPLETED and c.run_count == 1 for c in chunks)


def test_queued_runs_each_run_exactly_once_across_both_workers(cluster: Cluster) -> None:
    ids = _queue(cluster.deployments["followups"], QUEUED_RUNS, as_of=PORTAL_TODAY.isoformat())
    runs = _wait_terminal(ids, cluster.logs)

    assert sorted(r.id for r in runs) == sorted(ids)
    for run in runs:
        assert run.state_type == StateType.COMPLETED, (run.name, run.state, _tails(cluster.logs))
        assert run.run_count == 1, run.name
        assert _running_states(run.id) == 1, run.name
    by_worker = Counter(r.labels.get("prefect.worker.name") for r in runs)
    assert set(by_worker) == set(WORKERS), by_worker  # both workers took some, nobody else
    # The effect in Lianxin's store: one `runs` row per flow run, none twice, none missing.
    assert _store_runs(cluster.store_url, "followups") == Counter({str(i): 1 for i in ids})


def _portal_pages() -> list[FetchedPage]:
    site = build_site()
    fetched_at = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
    pages = []
    for path in sorted(site):
        content, content_type = site[path]
        charset = content_type.split("charset=")[-1] if "charset=" in content_type else None
        pages.append(
            FetchedPage(
                source="portal",
                url=f"http://portal.test{path}",
                fetched_at=fetched_at,
                charset=charset,
                content=content,
                content_type=content_type,
            )
        )
    return pages


@flow(name="parse-on-dask-probe")
def _parse_on_dask(crawls: list[CrawlResult]) -> list[Any]:
    from flows.parse_volume import parse_at_volume

    return parse_at_volume(crawls)


def test_the_dask_path_reads_the_same_records_as_the_batch_path(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = _portal_pages()
    batch = [parse_fetched(page) for page in pages]
    monkeypatch.setenv("LIANXIN_PARSE_RUNNER", "dask")
    monkeypatch.setenv("LIANXIN_DASK_WORKERS", "2")
    monkeypatch.setenv("LIANXIN_PARSE_CHUNK_PAGES", "8")
    reset_settings()

    on_dask = _parse_on_dask([CrawlResult(source="portal", pages=pages)])

    assert len(on_dask) == len(batch) == len(pages)
    assert [r.model_dump() for r in on_dask] == [r.model_dump() for r in batch]


@pytest.mark.parametrize("runner", ["batch", "dask"])
def test_reparsing_the_archive_finds_what_the_dask_ingest_stored(
    cluster: Cluster, runner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.parse_volume import reparse_archive

    if not _store_runs(cluster.store_url, "ingest"):
        _wait_terminal(_queue(cluster.deployments["ingest"], 1), cluster.logs)
    monkeypatch.setenv("LIANXIN_PARSE_RUNNER", runner)
    monkeypatch.setenv("LIANXIN_DASK_WORKERS", "2")
    monkeypatch.setenv("LIANXIN_PARSE_CHUNK_PAGES", "10")
    reset_settings()

    summary = reparse_archive(dry_run=True)

    assert summary["runner"] == runner
    assert summary["pages"] > 20 and summary["missing"] == 0
    assert summary["changed_pages"] == 0 and summary["changes"] == {}


def _bad_lines(logs: list[Path]) -> list[str]:
    return [
        f"{log.name}: {line}"
        for log in logs
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if any(bad in line for bad in BAD_LINES)
    ][:20]


def test_nothing_went_wrong_in_the_server_or_the_workers(cluster: Cluster) -> None:
    assert not _bad_lines(cluster.logs), "\n".join(_bad_lines(cluster.logs))
