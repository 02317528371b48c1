"""End to end: the daily flow against the sample portal served on loopback, on a real Prefect
server (the test harness), then the demo command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from sqlalchemy import select

from config.settings import Settings, reset_settings
from lianxin.portal import PORTAL_TODAY, portal_sources, serve_portal
from lianxin.store import reads
from lianxin.store import schema as t
from lianxin.store.engine import engine_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def portal_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, str]]:
    with serve_portal() as base_url:
        lines = [
            f'database_url = "sqlite:///{tmp_path}/lianxin.db"',
            f'data_dir = "{tmp_path}"',
            f'[notify]\noutbox_dir = "{tmp_path}/outbox"',
        ]
        for source in portal_sources(base_url):
            lines.append(
                f'[[sources]]\nname = "{source["name"]}"\nurl = "{source["url"]}"\n'
                f'kind = "{source.get("kind", "auto")}"'
            )
        config = tmp_path / "lianxin.toml"
        config.write_text("\n".join(lines), encoding="utf-8")
        monkeypatch.setenv("LIANXIN_CONFIG", str(config))
        yield reset_settings(), base_url
    monkeypatch.delenv("LIANXIN_CONFIG")
    reset_settings()


def _table_sizes(settings: Settings) -> dict[str, int]:
    return reads.counts(engine_for(settings.database_url))


def test_daily_fetches_the_portal_and_writes_digests_to_the_outbox(
    prefect_server: None, portal_settings: tuple[Settings, str]
) -> None:
    from flows.daily import daily

    settings, _ = portal_settings
    result = daily(as_of=PORTAL_TODAY)

    assert result["ingest"]["failed_sources"] == []
    assert result["ingest"]["fetch_errors"] == []
    counts = _table_sizes(settings)
    assert counts["workers"] >= 250 and counts["cadres"] == 15
    assert counts["checkins"] > 0 and counts["problems"] > 0
    assert result["followups"]["by_status"].get("done", 0) > 0
    assert result["followups"]["by_status"].get("open", 0) > 0
    outbox = sorted(settings.notify.outbox_dir.iterdir())
    assert result["remind"]["sent"] == len(outbox) > 0
    letter = outbox[0].read_text(encoding="utf-8")
    assert "电话回访" in letter and "Idempotency-Key: checkin/2026-11/" in letter

    # The quarantine is visible in the Prefect run, as a table artifact.
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["quarantine"])),
            sort=ArtifactSort.CREATED_DESC,  # this run's: the server is the session's
            limit=1,
        )
    assert artifacts and "totals row" in str(artifacts[0].data)


def test_daily_twice_adds_no_rows_and_sends_no_reminder_twice(
    prefect_server: None, portal_settings: tuple[Settings, str]
) -> None:
    from flows.daily import daily

    settings, _ = portal_settings
    daily(as_of=PORTAL_TODAY)
    before = _table_sizes(settings)
    outbox_before = sorted(p.name for p in settings.notify.outbox_dir.iterdir())
    again = daily(as_of=PORTAL_TODAY)
    after = _table_sizes(settings)
    assert after == before
    assert again["remind"]["sent"] == 0
    assert again["remind"]["already_sent"] == len(outbox_before)
    assert sorted(p.name for p in settings.notify.outbox_dir.iterdir()) == outbox_before
    with engine_for(settings.database_url).connect() as conn:
        flows = conn.execute(select(t.runs.c.flow).order_by(t.runs.c.id)).scalars().all()
    assert flows == ["ingest", "followups", "remind"] * 2


def test_the_demo_ends_with_a_summary_and_reminders_without_tracebacks(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LIANXIN_"))}
    env["COLUMNS"] = "160"
    done = subprocess.run(
        [sys.executable, "-m", "lianxin", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output and " ERROR " not in output and "| ERROR" not in output
    assert "Monthly check-ins 2026-11" in output and "Reminders:" in output
    outbox = list((tmp_path / "var/demo/outbox").iterdir())
    assert outbox, output
