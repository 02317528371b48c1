"""The watchdog on Lianxin itself: sources that stop yielding and, for flows run from cron, missed
runs, each sent to the operator once a day; the flows' failure hook, which records the run and
leaves the alert to Prefect's automation (tests/test_automations.py); `lianxin watchdog`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from config.settings import FlowCadence, Settings, WatchdogSettings, reset_settings
from lianxin.cli.app import app
from lianxin.ingest.fetching import CrawlResult
from lianxin.notify.deliver import deliver
from lianxin.notify.digests import Digest
from lianxin.rules.checkin import Stage
from lianxin.services.watchdog import AlertKind, check, send_alerts
from lianxin.store import reads
from lianxin.store import schema as t
from lianxin.store.engine import engine_for
from personas import roster
from sinks import webhook_sink
from tasks.store import records_by_source
from tasks.watchdog import record_failure

# 2026-12-08 10:00 in Asia/Shanghai: past the 09:30 the daily run is due by.
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
# Sources as the county configures them: a village disclosure page and supervision notices.
QINGSHAN = "青山村村务公开"
NOTICES = "县督查组通报"
BAISHI = "白石村村务公开"


# The cadences an operator running the flows from cron would write (the default watches none).
CRON_CADENCE = {
    "ingest": FlowCadence(every_minutes=60, grace_minutes=30),
    "remind": FlowCadence(daily_by=time(9, 30)),
}
CRON_TOML = "[watchdog.cadence.ingest]\nevery_minutes = 60\ngrace_minutes = 30\n"


def _settings(tmp_path: Path, **watchdog: Any) -> Settings:
    watchdog.setdefault("cadence", CRON_CADENCE)
    return Settings(
        database_url=f"sqlite:///{tmp_path}/unused.db",
        notify={"outbox_dir": tmp_path / "outbox"},
        watchdog=WatchdogSettings(**watchdog),
    )


def _run(
    engine: Engine,
    flow_name: str,
    started: datetime,
    status: str = "completed",
    stats: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> None:
    reads.record_run(
        engine,
        flow_name,
        started.date(),
        started,
        started + timedelta(minutes=3),
        status,
        stats or {},
        run_id,
    )


def _ingests(engine: Engine, history: list[dict[str, int]], every: timedelta) -> None:
    """Record one completed ingest per entry, oldest first, the last one 10 minutes ago."""
    for age, by_source in enumerate(reversed(history)):
        started = NOW - timedelta(minutes=10) - age * every
        stats = {"records_parsed": sum(by_source.values()), "records_by_source": by_source}
        _run(engine, "ingest", started, stats=stats)


# missed runs


def test_an_hourly_ingest_silent_for_two_hours_is_a_missed_run(
    engine: Engine, tmp_path: Path
) -> None:
    _run(engine, "ingest", NOW - timedelta(hours=2))
    _run(engine, "remind", NOW - timedelta(minutes=45))

    alerts = check(engine, NOW, _settings(tmp_path))

    assert [(a.kind, a.subject) for a in alerts] == [(AlertKind.missed_run, "ingest")]
    assert "every 60 min" in alerts[0].detail and "2026-12-08 08:00" in alerts[0].detail
    assert alerts[0].key == "watchdog/2026-12-08/missed_run/ingest"


def test_runs_on_time_raise_nothing(engine: Engine, tmp_path: Path) -> None:
    _run(engine, "ingest", NOW - timedelta(minutes=70))  # within 60 min + 30 grace
    _run(engine, "remind", NOW - timedelta(minutes=45))  # today, 09:15 in Shanghai

    assert check(engine, NOW, _settings(tmp_path)) == []


def test_the_daily_run_is_missed_only_after_its_time(engine: Engine, tmp_path: Path) -> None:
    yesterday = NOW - timedelta(days=1)
    _run(engine, "remind", yesterday)
    settings = _settings(tmp_path, cadence={"remind": FlowCadence(daily_by=time(9, 30))})

    before = check(engine, NOW - timedelta(hours=1), settings)  # 09:00 in Shanghai
    after = check(engine, NOW, settings)

    assert before == []
    assert [(a.kind, a.subject) for a in after] == [(AlertKind.missed_run, "remind")]


def test_by_default_no_cadence_is_watched_prefect_reports_late_runs(
    engine: Engine, tmp_path: Path
) -> None:
    _run(engine, "ingest", NOW - timedelta(days=3))

    assert check(engine, NOW, _settings(tmp_path, cadence={})) == []
    assert WatchdogSettings().cadence == {}


def test_a_flow_that_never_ran_is_not_expected_yet(engine: Engine, tmp_path: Path) -> None:
    assert check(engine, NOW, _settings(tmp_path)) == []


def test_a_disabled_cadence_is_not_watched(engine: Engine, tmp_path: Path) -> None:
    _run(engine, "ingest", NOW - timedelta(days=3))
    off = FlowCadence(every_minutes=60, enabled=False)

    assert check(engine, NOW, _settings(tmp_path, cadence={"ingest": off})) == []


def test_a_cadence_needs_exactly_one_kind() -> None:
    with pytest.raises(ValueError, match="either every_minutes or daily_by"):
        FlowCadence()


# selector drift


def test_a_source_that_yielded_and_now_yields_nothing_is_drift(
    engine: Engine, tmp_path: Path
) -> None:
    _ingests(
        engine,
        [
            {QINGSHAN: 312, NOTICES: 18, BAISHI: 0},
            {QINGSHAN: 315, NOTICES: 18, BAISHI: 0},
            {QINGSHAN: 0, NOTICES: 18, BAISHI: 0},  # 青山村 changed its page template
        ],
        every=timedelta(hours=1),
    )

    alerts = check(engine, NOW, _settings(tmp_path))

    assert [(a.kind, a.subject) for a in alerts] == [(AlertKind.source_drift, QINGSHAN)]
    assert "0 records in the last 1 ingest run" in alerts[0].detail
    assert "315 in the run of 2026-12-08 08:50" in alerts[0].detail


def test_drift_keeps_being_reported_while_the_source_stays_empty(
    engine: Engine, tmp_path: Path
) -> None:
    _ingests(
        engine,
        [{QINGSHAN: 312}, {QINGSHAN: 315}, {QINGSHAN: 0}, {QINGSHAN: 0}, {QINGSHAN: 0}],
        every=timedelta(hours=1),
    )

    alerts = check(engine, NOW, _settings(tmp_path))

    assert [a.subject for a in alerts] == [QINGSHAN]
    assert "last 3 ingest run" in alerts[0].detail


def test_healthy_and_never_yielding_sources_are_not_drift(engine: Engine, tmp_path: Path) -> None:
    _ingests(
        engine,
        [
            {QINGSHAN: 312, NOTICES: 0, BAISHI: 7},
            {QINGSHAN: 315, NOTICES: 0, BAISHI: 0},  # one good run is not a habit (N=2)
            {QINGSHAN: 315, NOTICES: 0, BAISHI: 0},
        ],
        every=timedelta(hours=1),
    )

    assert check(engine, NOW, _settings(tmp_path)) == []


def test_a_source_left_out_of_the_latest_ingest_is_not_judged(
    engine: Engine, tmp_path: Path
) -> None:
    # The latest run fetched only the notices (lianxin run ingest --source …) or 青山村 failed.
    _ingests(
        engine,
        [{QINGSHAN: 312, NOTICES: 18}, {QINGSHAN: 315, NOTICES: 18}, {NOTICES: 18}],
        every=timedelta(hours=1),
    )

    assert check(engine, NOW, _settings(tmp_path)) == []


def test_each_ingest_keeps_the_records_of_every_source_it_fetched() -> None:
    page = roster()  # a roster page of source "test": two cadres and their workers
    crawls = [CrawlResult(source="test"), CrawlResult(source=QINGSHAN)]

    counts = records_by_source(crawls, [page])

    assert counts == {"test": page.record_count, QINGSHAN: 0}
    assert page.record_count > 0


# failed runs


def test_a_failed_run_is_left_to_the_prefect_automation(engine: Engine, tmp_path: Path) -> None:
    _run(engine, "ingest", NOW - timedelta(minutes=20))
    _run(engine, "remind", NOW - timedelta(minutes=30))
    error = {"error": "Flow run encountered an exception: OperationalError: disk I/O error"}
    _run(engine, "followups", NOW - timedelta(hours=3), "failed", error, "4f1c")

    assert check(engine, NOW, _settings(tmp_path)) == []


def test_the_retired_failed_within_hours_names_its_replacement() -> None:
    with pytest.raises(ValueError, match="automation 'lianxin: failed run'"):
        WatchdogSettings.model_validate({"failed_within_hours": 24})


# channels that keep failing


def _digests_for(cadres: list[str], route: str, day: int = 8) -> list[Digest]:
    """One check-in digest per cadre of 石桥镇, all on `route`."""
    return [
        Digest(
            key=f"checkin/2026-12/days_left/石桥镇|{name}/{day}",
            stage=Stage.days_left,
            period="2026-12",
            due=datetime(2026, 12, 10).date(),
            as_of=datetime(2026, 12, day).date(),
            cadre_key=f"石桥镇|{name}",
            cadre_name=name,
            village="青山村",
            town="石桥镇",
            routes=[route],
        )
        for name in cadres
    ]


CADRES = ["李建国", "王芳", "周敏"]


def test_a_bot_whose_every_send_fails_is_reported_with_its_key_hidden(
    engine: Engine, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    notify = settings.notify.model_copy(update={"retries": 0})
    with webhook_sink() as sink:
        sink.fail_with = 403  # the bot's key was revoked
        route = sink.url + "?key=b0tk3y0f7hev1llag3gr0up"
        stats = deliver(engine, _digests_for(CADRES, route), notify, NOW)

    alerts = check(engine, NOW, settings)

    assert stats.failed == 3
    assert [a.kind for a in alerts] == [AlertKind.channel_failing]
    assert "b0tk3y" not in alerts[0].subject and "key=***" in alerts[0].subject
    assert alerts[0].detail.startswith("3 sends failed since 2026-12-08, none delivered")
    assert "b0tk3y" not in alerts[0].detail


def test_a_channel_that_delivered_once_or_failed_too_few_times_is_not_reported(
    engine: Engine, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    notify = settings.notify.model_copy(update={"retries": 0})
    with webhook_sink() as flaky, webhook_sink() as new:
        flaky.fail_with = 502
        deliver(engine, _digests_for(CADRES, flaky.url), notify, NOW)
        flaky.fail_with = None
        deliver(engine, _digests_for(["赵强"], flaky.url), notify, NOW)  # it works again
        new.fail_with = 502
        deliver(engine, _digests_for(CADRES[:2], new.url), notify, NOW)  # 2 < 3 failures

    assert check(engine, NOW, settings) == []


def test_failures_older_than_the_window_are_not_counted(engine: Engine, tmp_path: Path) -> None:
    settings = _settings(tmp_path)  # channel_window_days = 2: today and yesterday
    notify = settings.notify.model_copy(update={"retries": 0})
    with webhook_sink() as sink:
        sink.fail_with = 502
        deliver(engine, _digests_for(CADRES, sink.url, day=6), notify, NOW - timedelta(days=2))

    assert [a.kind for a in check(engine, NOW - timedelta(days=1), settings)] == [
        AlertKind.channel_failing
    ]
    assert check(engine, NOW, settings) == []


# the ledger


def test_each_alert_goes_to_the_operator_once_a_day(engine: Engine, tmp_path: Path) -> None:
    _run(engine, "ingest", NOW - timedelta(hours=2))
    settings = _settings(tmp_path, operator_routes=["outbox://"])

    first = send_alerts(engine, check(engine, NOW, settings), settings, NOW)
    later = NOW + timedelta(hours=1)
    again = send_alerts(engine, check(engine, later, settings), settings, later)
    tomorrow = NOW + timedelta(days=1)
    next_day = send_alerts(engine, check(engine, tomorrow, settings), settings, tomorrow)

    assert (first.sent, again.sent, again.already_sent, next_day.sent) == (1, 0, 1, 1)
    letters = sorted((tmp_path / "outbox").iterdir())
    assert len(letters) == 2
    text = letters[0].read_text(encoding="utf-8")
    assert "【连心运维】计划运行未发生：ingest" in text and "没有按计划运行" in text


def test_operator_alerts_ignore_quiet_hours_unless_asked(engine: Engine, tmp_path: Path) -> None:
    night = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    with webhook_sink() as sink:
        _run(engine, "ingest", night - timedelta(hours=3))
        loud = _settings(tmp_path, operator_routes=[sink.url])
        quiet = _settings(tmp_path, operator_routes=[sink.url], respect_quiet_hours=True)

        waited = send_alerts(engine, check(engine, night, quiet), quiet, night)
        sent = send_alerts(engine, check(engine, night, loud), loud, night)

    assert (waited.deferred, sent.sent, len(sink.received)) == (1, 1, 1)


# the failure hook, on a real Prefect server


@flow(name="ingest", on_failure=[record_failure], on_crashed=[record_failure])
def _broken_ingest(as_of: str | None = None) -> None:
    raise RuntimeError("portal answered 502 Bad Gateway\nfor every page")


def test_a_failing_flow_records_its_error_and_sends_nothing_itself(
    prefect_server: None, settings: Settings
) -> None:
    with webhook_sink() as sink:
        config = Path(str(settings.data_dir)) / "lianxin.toml"
        with config.open("a", encoding="utf-8") as f:
            f.write(f'[watchdog]\noperator_routes = ["{sink.url}"]\n')
        settings = reset_settings()

        with pytest.raises(RuntimeError, match="502 Bad Gateway"):
            _broken_ingest(as_of="2026-12-08")

        engine = engine_for(settings.database_url)
        with engine.connect() as conn:
            row = conn.execute(select(t.runs)).one()
        assert (row.flow, row.status, str(row.as_of)) == ("ingest", "failed", "2026-12-08")
        assert "502 Bad Gateway for every page" in row.stats["error"]
        assert row.prefect_flow_run_id

        # The operator hears of it from Prefect's automation; the watchdog does not repeat it.
        later = datetime.now(UTC)
        assert check(engine, later, settings) == []
        assert sink.received == []


def test_the_hook_never_raises_even_when_it_cannot_alert(
    prefect_server: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_store() -> Engine:
        raise OSError("database is unreachable")

    monkeypatch.setattr("tasks.watchdog.engine", no_store)

    with pytest.raises(RuntimeError, match="502 Bad Gateway"):
        _broken_ingest()


# the command


def _watchdog_at_ten(settings: Settings, last_ingest: timedelta) -> Any:
    """Run `lianxin watchdog` at 10:00 in Shanghai, the last ingest `last_ingest` before."""
    config = Path(str(settings.data_dir)) / "lianxin.toml"
    with config.open("a", encoding="utf-8") as f:
        f.write(CRON_TOML)
    reset_settings()
    _run(engine_for(settings.database_url), "ingest", NOW - last_ingest)
    return CliRunner().invoke(app, ["watchdog", "--now", "2026-12-08T10:00"])


def test_the_command_prints_each_alert_and_exits_non_zero(settings: Settings) -> None:
    result = _watchdog_at_ten(settings, last_ingest=timedelta(hours=2))

    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0].startswith("missed_run\tingest\texpected every 60 min")
    assert len(list(settings.notify.outbox_dir.iterdir())) == 1


def test_the_command_exits_zero_when_all_is_well(settings: Settings) -> None:
    result = _watchdog_at_ten(settings, last_ingest=timedelta(minutes=20))

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
