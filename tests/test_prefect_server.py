"""On a real Prefect server: `lianxin serve` registers the deployments and runs one triggered
through the API, as an operator's `prefect deployment run` would; `lianxin backfill` replays
days twice and the second time changes nothing and sends nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
)
from prefect.deployments import run_deployment
from sqlalchemy import func, select
from typer.testing import CliRunner

from config.settings import Settings, reset_settings
from flows.automations import FAILED, LATE, remove_automations
from lianxin.cli.app import app
from lianxin.cli.demo import write_demo_config
from lianxin.cli.prefect_server import local_prefect_server
from lianxin.portal import serve_portal
from lianxin.store import reads
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.synth import generate
from stopping import FAULT_DUMPS, stop_or_dump

pytestmark = pytest.mark.e2e

DEPLOYMENTS = {
    "ingest/hourly": "0 * * * *",
    "daily/morning": "30 8 * * *",
    "daily/month-open": "0 8 1 * *",
    "watchdog/quarter-hour": "*/15 * * * *",
}
UNWELCOME = ("Traceback", "database is locked", " ERROR ")


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("prefect")
    with local_prefect_server(home) as api:
        yield api, home


def _wait(condition: Any, what: str, timeout: float, process: subprocess.Popen[bytes]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert process.poll() is None, f"lianxin serve exited while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout:.0f} s"
        time.sleep(0.3)


def _registered() -> dict[str, Any]:
    with get_client(sync_client=True) as client:
        out = {}
        for name in DEPLOYMENTS:
            try:
                out[name] = client.read_deployment_by_name(name)
            except Exception:  # not registered yet: ObjectNotFound
                return {}
        return out


def test_serve_registers_the_deployments_and_runs_a_triggered_day(
    prefect_api: tuple[str, Path], tmp_path: Path
) -> None:
    api, home = prefect_api
    with serve_portal() as base_url:
        config = write_demo_config(tmp_path, base_url)
        # Schedules that could fire while the test runs are turned off; a manual run still works.
        with config.open("a", encoding="utf-8") as out:
            out.write(
                "\n[schedules.ingest_hourly]\nenabled = false\n"
                "[schedules.watchdog_quarter_hour]\nenabled = false\n"
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
        env.update(LIANXIN_CONFIG=str(config), PREFECT_API_URL=api, COLUMNS="200", **FAULT_DUMPS)
        # Where the automations on late and failed runs send (nothing here is late or fails).
        env["LIANXIN_WATCHDOG__PREFECT_WEBHOOK"] = "http://127.0.0.1:9/lianxin-operator"
        stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            serve = subprocess.Popen(
                [str(Path(sys.executable).with_name("lianxin")), "serve"],
                env=env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            deployments = _wait(_registered, "deployments", 60, serve)
            for name, cron in DEPLOYMENTS.items():
                d = deployments[name]
                assert [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] == [
                    (cron, "Asia/Shanghai")
                ], name
                assert d.paused is False, name
            assert [s.active for s in deployments["daily/morning"].schedules] == [True]
            assert [s.active for s in deployments["ingest/hourly"].schedules] == [False]

            triggered = run_deployment(
                "daily/morning", parameters={"as_of": "2026-11-08"}, timeout=0
            )
            with get_client(sync_client=True) as client:
                run = _wait(
                    lambda: (
                        (r := client.read_flow_run(triggered.id)).state and r.state.is_final() and r
                    ),
                    "finished run",
                    90,
                    serve,
                )
                assert run.state.type.value == "COMPLETED", run.state
                subflows = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])
                    )
                )
                names = {client.read_flow(s.flow_id).name: s.state_type for s in subflows}
                artifacts = client.read_artifacts(
                    artifact_filter=ArtifactFilter(
                        flow_run_id=ArtifactFilterFlowRunId(
                            any_=[run.id, *(s.id for s in subflows)]
                        )
                    )
                )
        finally:
            stop_or_dump(serve, signal.SIGINT, 180, stderr, "lianxin serve")

    assert serve.returncode == 0
    assert {n: s.value for n, s in names.items()} == {
        "ingest": "COMPLETED",
        "followups": "COMPLETED",
        "remind": "COMPLETED",
    }
    keys = {a.key for a in artifacts if a.key}
    print(f"artifacts of the triggered run: {sorted(keys)} ({len(artifacts)} in all)")
    assert "quarantine" in keys

    store = make_engine(f"sqlite:///{tmp_path}/lianxin.db")  # write_demo_config's store
    counts = reads.counts(store)
    assert counts["workers"] >= 250 and counts["checkins"] > 0 and counts["problems"] > 0
    with store.connect() as conn:
        sent = conn.execute(select(t.reminders.c.outcome)).scalars().all()
    assert sent and set(sent) == {"sent"}
    assert list((tmp_path / "outbox").iterdir())

    for log in (stdout, stderr, home / "server.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        for word in UNWELCOME:
            assert word not in text, f"{word!r} in {log.name}:\n{text[-3000:]}"
    assert "Prefect UI" not in stdout.read_text(encoding="utf-8")  # the operator's server
    assert "PREFECT_API_URL=" + api in stdout.read_text(encoding="utf-8")
    # serve applied the automations (tests/test_automations.py shows them fire); later tests of
    # this module fail runs on purpose, so they are removed here.
    assert f"created {LATE!r}" in stdout.read_text(encoding="utf-8")
    assert remove_automations() == [LATE, FAILED]

    with get_client(sync_client=True) as client:  # paused while nobody serves them
        assert client.read_deployment_by_name("daily/morning").paused is True


def _ledger(settings: Settings) -> list[tuple[Any, ...]]:
    table = t.reminders
    with make_engine(settings.database_url).connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.idempotency_key))]


def _obligations(settings: Settings) -> list[tuple[Any, ...]]:
    o = t.obligations
    # Where each obligation stands; `changed_at` moves when a replay rewinds and re-advances.
    columns = [o.c.kind, o.c.subject, o.c.period, o.c.due, o.c.status, o.c.reminders_sent]
    with make_engine(settings.database_url).connect() as conn:
        return [tuple(r) for r in conn.execute(select(*columns).order_by(*columns[:3]))]


def _history(settings: Settings) -> int:
    with make_engine(settings.database_url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.obligation_events)).scalar_one())


def test_a_second_backfill_of_the_same_days_changes_nothing_and_sends_nothing(
    prefect_api: tuple[str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    engine = make_engine(settings.database_url)
    migrate(engine)
    generate(engine, "village", progress=False)
    days = ["--from", "2026-11-01", "--to", "2026-11-03", "--remind"]
    runner = CliRunner()

    first = runner.invoke(app, ["backfill", *days], env={"COLUMNS": "250"})
    assert first.exit_code == 0, first.output
    lines = [line for line in first.output.splitlines() if line.startswith("2026-11-")]
    assert [line[:10] for line in lines] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert all("followups (full)" in line for line in lines)
    assert "replay wrote" in lines[-1] and "replay wrote" not in lines[0]
    ledger, obligations = _ledger(settings), _obligations(settings)
    outbox = sorted(p.name for p in settings.notify.outbox_dir.iterdir())
    assert ledger and outbox
    history = _history(settings)

    again = runner.invoke(app, ["backfill", *days], env={"COLUMNS": "250"})
    assert again.exit_code == 0, again.output
    assert "replay wrote no change" in again.output, again.output
    sent_again = re.findall(r"remind (\d+) sent", again.output)
    assert len(sent_again) == 3 and set(sent_again) == {"0"}, again.output
    assert _ledger(settings) == ledger
    assert _obligations(settings) == obligations
    assert _history(settings) == history  # no done → open → done pair written by the replay
    assert sorted(p.name for p in settings.notify.outbox_dir.iterdir()) == outbox


def test_backfill_stops_at_the_first_failed_day_and_says_which(
    prefect_api: tuple[str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    # A store that cannot be opened: the first day fails, and the second is not tried.
    monkeypatch.setenv("LIANXIN_DATABASE_URL", "sqlite:////proc/lianxin/nowhere.db")
    reset_settings()
    result = CliRunner().invoke(
        app, ["backfill", "--from", "2026-11-01", "--to", "2026-11-03"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 1, result.output
    assert "2026-11-01 FAILED in followups" in result.output
    assert "2026-11-02" not in result.output
    assert "stopped" in result.output
