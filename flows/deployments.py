"""Every deployment of Lianxin in one place: which flow runs when, on the clock of
`rules.timezone` (Asia/Shanghai unless the operator names another zone).

| deployment            | flow     | when (rules.timezone)    | setting                          |
|-----------------------|----------|--------------------------|----------------------------------|
| ingest/hourly         | ingest   | every hour, on the hour  | schedules.ingest_hourly          |
| daily/morning         | daily    | every day at 08:30       | schedules.daily_morning          |
| daily/month-open      | daily    | the 1st at 08:00         | schedules.daily_month_open       |
| watchdog/quarter-hour | watchdog | every 15 minutes         | schedules.watchdog_quarter_hour  |

`lianxin serve` serves these in its own process; `prefect.yaml` declares the same for
`prefect deploy --all` to a process work pool, and tests/test_deployments.py keeps the two in
step. A schedule turned off (`enabled = false`) leaves its deployment to manual runs.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from config.settings import ScheduleSettings, SchedulesSettings, get_settings
from flows.daily import daily
from flows.ingest import ingest
from flows.watchdog import watchdog
from lianxin.clock import local_zone

# as_of None: the run's own day in rules.timezone. Override per run: -p as_of=2026-12-08.
DAY_PARAMETERS: dict[str, Any] = {"as_of": None, "sources": None, "dry_run": False}


def _built(
    deployment: RunnerDeployment | Coroutine[Any, Any, RunnerDeployment],
) -> RunnerDeployment:
    # `to_deployment` returns a coroutine inside an event loop; these are built outside one.
    assert isinstance(deployment, RunnerDeployment), "build the deployments outside a loop"
    return deployment


def _on(schedule: ScheduleSettings) -> list[Any]:
    # On the clock the flows reason about their days in, so 08:30 is the cadres' 08:30.
    return [Cron(schedule.cron, timezone=local_zone().key, active=schedule.enabled)]


def build_deployments(schedules: SchedulesSettings | None = None) -> list[RunnerDeployment]:
    """Return the deployments to serve, scheduled as `schedules` says (default: the settings)."""
    plan = schedules or get_settings().schedules
    # By module path, so that a runner started from any folder imports the installed flows.
    by_module = EntrypointType.MODULE_PATH
    return [
        _built(
            ingest.to_deployment(
                "hourly",
                schedules=_on(plan.ingest_hourly),
                parameters=DAY_PARAMETERS,
                tags=["lianxin", "ingest"],
                description="Fetch every configured source (or `sources`), archive the raw pages, "
                "parse them and store the records. Sends nothing; reminders come from daily.",
                entrypoint_type=by_module,
            )
        ),
        _built(
            daily.to_deployment(
                "morning",
                schedules=_on(plan.daily_morning),
                parameters=DAY_PARAMETERS,
                tags=["lianxin", "daily", "reminders"],
                description="The day's job: a fresh ingest, then follow-ups (who owes a call, what "
                "is overdue, escalations), then one reminder digest per cadre and stage.",
                entrypoint_type=by_module,
            )
        ),
        _built(
            daily.to_deployment(
                "month-open",
                schedules=_on(plan.daily_month_open),
                parameters=DAY_PARAMETERS,
                tags=["lianxin", "daily", "reminders", "window-open"],
                description="The monthly check-in window opens (每月上旬): the daily job early on "
                "the 1st, so that every cadre gets the 'window open' digest of whom to call by the "
                "due date. The 08:30 morning run that day sends nothing twice.",
                entrypoint_type=by_module,
            )
        ),
        _built(
            watchdog.to_deployment(
                "quarter-hour",
                schedules=_on(plan.watchdog_quarter_hour),
                parameters={"now": None},
                tags=["lianxin", "watchdog", "operator"],
                description="Check what Prefect cannot see: sources that stopped yielding records, "
                "channels that keep failing, missed cron-run flows; alert the operator once a day.",
                entrypoint_type=by_module,
            )
        ),
    ]
