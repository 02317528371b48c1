"""Prefect used for real: retries and time limits on fetches, a concurrency limit per web host,
parse results cached by content hash, and artifacts on every run (on a real Prefect server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
)

from config.settings import Settings, reset_settings
from lianxin.portal import PORTAL_TODAY, portal_sources, serve_portal
from lianxin.store import reads
from lianxin.store.engine import engine_for

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.e2e


@dataclass
class Site:
    """A web host on 127.0.0.1 whose pages can fail first, hang, or be slow."""

    base: str = ""
    fail_first: dict[str, int] = field(default_factory=dict)  # path → 503s before a 200
    delay: float = 0.0
    hang: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def site() -> Iterator[Site]:
    state = Site()
    page = (FIXTURES / "checkin_gbk.html").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            with state.lock:
                state.requests.append(self.path)
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
                failing = state.fail_first.get(self.path, 0)
                if failing:
                    state.fail_first[self.path] = failing - 1
            try:
                time.sleep(30 if self.path in state.hang else state.delay)
                self.send_response(503 if failing else 200)
                self.send_header("Content-Type", "text/html; charset=gbk")
                self.end_headers()
                if not failing:
                    self.wfile.write(page)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sources: list[tuple[str, str]], **top: Any
) -> Settings:
    lines = [
        f'database_url = "sqlite:///{tmp_path}/lianxin.db"',
        f'data_dir = "{tmp_path}"',
        *(f"{k} = {v!r}" for k, v in top.items()),
        f'[notify]\noutbox_dir = "{tmp_path}/outbox"',
    ]
    for name, url in sources:
        lines.append(f'[[sources]]\nname = "{name}"\nurl = "{url}"')
    config = tmp_path / "lianxin.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setenv("LIANXIN_CONFIG", str(config))
    return reset_settings()


def _task_runs(flow_run_id: UUID, name: str) -> list[Any]:
    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=name)),
        )


def _artifacts(flow_run_id: UUID) -> dict[str, Any]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in found if a.key}


def _last_flow_run(name: str) -> UUID:
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[name])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )
    return run.id


def test_a_source_that_fails_at_first_is_retried_and_stored(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    with site() as web:
        web.fail_first["/flaky.html"] = 2
        _configure(
            tmp_path,
            monkeypatch,
            [("flaky", f"{web.base}/flaky.html")],
            fetch_retries=3,
            fetch_retry_backoff_s=0.0,
        )
        summary = ingest()
    assert summary["failed_sources"] == [] and summary["records_parsed"] > 0
    (fetch,) = _task_runs(_last_flow_run("ingest"), "fetch-source")
    assert fetch.state.is_completed() and fetch.run_count == 3  # two refusals, then the page
    assert web.requests.count("/flaky.html") == 3


def test_a_hanging_source_is_cut_off_and_the_others_still_land(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    with site() as web:
        web.hang.add("/hangs.html")
        settings = _configure(
            tmp_path,
            monkeypatch,
            [("hangs", f"{web.base}/hangs.html"), ("fine", f"{web.base}/fine.html")],
            fetch_retries=0,
            fetch_task_timeout_s=2.0,
        )
        started = time.monotonic()
        summary = ingest()
        elapsed = time.monotonic() - started
    # Cut off by the 2 s task timeout: sooner than the 20 s socket limit or the 30 s the host
    # would make it wait (the margin is for a loaded machine; the speed is benchmarks' to say).
    assert elapsed < 20
    (failed,) = summary["failed_sources"]
    assert "hangs.html" in failed and "Timeout" in failed
    assert summary["records_by_source"] == {"fine": summary["records_parsed"]}
    assert reads.counts(engine_for(settings.database_url))["checkins"] > 0


def test_one_web_host_is_never_crawled_by_more_than_its_limit_at_once(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest
    from tasks.fetch import host_limit_name

    with site() as web:
        web.delay = 0.3
        sources = [(f"s{i}", f"{web.base}/page{i}.html") for i in range(4)]
        _configure(tmp_path, monkeypatch, sources, fetch_per_host=1)
        ingest()
    assert len(web.requests) == 4 and web.most_in_flight == 1
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(host_limit_name(web.base))
    assert limit.limit == 1 and limit.active_slots == 0


def test_unchanged_pages_are_not_parsed_again_and_every_run_leaves_artifacts(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.daily import daily

    with serve_portal() as base_url:
        sources = [(s["name"], s["url"]) for s in portal_sources(base_url)]
        _configure(tmp_path, monkeypatch, sources)
        first = daily(as_of=PORTAL_TODAY)
        first_ingest = _last_flow_run("ingest")
        second = daily(as_of=PORTAL_TODAY)
        second_ingest = _last_flow_run("ingest")

    parsed = _task_runs(first_ingest, "parse-source")
    cached = _task_runs(second_ingest, "parse-source")
    assert len(parsed) == len(cached) == len(sources)
    assert {r.state.name for r in parsed} == {"Completed"}
    assert {r.state.name for r in cached} == {"Cached"}
    assert second["ingest"]["records_parsed"] == first["ingest"]["records_parsed"] > 0

    ingest_artifacts = _artifacts(second_ingest)
    assert {"ingest-progress", "ingest-summary", "quarantine"} <= set(ingest_artifacts)
    assert ingest_artifacts["ingest-progress"].data == 100.0
    assert "Records parsed" in str(ingest_artifacts["ingest-summary"].data)
    followups = _artifacts(_last_flow_run("followups"))
    table = followups["checkin-compliance"].data
    total = (table if isinstance(table, list) else __import__("json").loads(table))[-1]
    assert total["due"] == 285 and total["done"] == 163  # the sample county on 2026-11-08
    assert "163 of 285" in str(followups["followups-summary"].data)
    remind = _artifacts(_last_flow_run("remind"))
    assert "already sent: " in str(remind["remind-summary"].data)
    for artifact in (*ingest_artifacts.values(), *followups.values(), *remind.values()):
        assert "****" not in str(artifact.data) or "phone" not in str(artifact.data)


def test_a_route_can_take_its_key_from_a_prefect_secret_block(prefect_server: None) -> None:
    from prefect.blocks.system import Secret

    from lianxin.errors import PermanentChannelError
    from lianxin.notify.channels import expand_secrets, make_channel

    Secret(value="bot key/with+odd=chars").save("lianxin-test-bot", overwrite=True)
    route = "json://hooks.example.org/${secret:lianxin-test-bot}"
    assert expand_secrets(route) == "json://hooks.example.org/bot%20key%2Fwith%2Bodd%3Dchars"
    channel = make_channel(route, Path("unused"))
    assert "bot%20key" not in channel.label and "${secret:" in channel.label  # never the value
    with pytest.raises(PermanentChannelError, match="lianxin-no-such-block"):
        make_channel("json://hooks.example.org/${secret:lianxin-no-such-block}", Path("x"))
