"""The [watchdog] on Lianxin itself and the [schedules] `lianxin serve` keeps."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import Field, field_validator, model_validator

from config.checks import Section
from config.notify import Route


class FlowCadence(Section):
    """When a flow is expected to have run: every so many minutes, or once a day by a time."""

    enabled: bool = Field(default=True, description="false: stop watching this flow.")
    every_minutes: int | None = Field(
        default=None, ge=1, description="Expect a run at least this often, in minutes …"
    )
    grace_minutes: int = Field(default=15, ge=0, description="… give or take this many minutes.")
    daily_by: time | None = Field(
        default=None,
        description="Or expect a run each day, started by this time (HH:MM:SS, rules.timezone).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> FlowCadence:
        if (self.every_minutes is None) == (self.daily_by is None):
            raise ValueError(
                "watchdog.cadence.<flow> takes either every_minutes or daily_by, not both "
                'and not neither (e.g. every_minutes = 60, or daily_by = "09:30:00")'
            )
        return self


class WatchdogSettings(Section):
    """The watchdog on Lianxin itself: missed schedules, drifting sources, failed runs."""

    operator_routes: list[Route] = Field(
        default_factory=lambda: ["outbox://"],
        description="The operator's own routes (Apprise URLs or outbox://), never a cadre's.",
    )
    cadence: dict[str, FlowCadence] = Field(
        default_factory=lambda: {
            "ingest": FlowCadence(every_minutes=60, grace_minutes=30),
            "remind": FlowCadence(daily_by=time(9, 30)),
        },
        description="When each flow must have run, by its name in the runs table (ingest, "
        "followups, remind); the daily flow is watched through its last step, remind.",
    )
    drift_after_runs: int = Field(
        default=2,
        ge=1,
        description="A source that yielded records on its last N runs and yields none now has "
        "drifted (改版).",
    )
    drift_window_runs: int = Field(
        default=48, ge=2, description="Recent ingest runs the drift check looks at."
    )
    failed_within_hours: int = Field(
        default=24, ge=1, description="Failed runs are reported this far back, each once."
    )
    respect_quiet_hours: bool = Field(
        default=False,
        description="Operator alerts wake people: by default they ignore notify's quiet hours.",
    )

    @model_validator(mode="after")
    def _window_holds_the_streak(self) -> WatchdogSettings:
        if self.drift_window_runs <= self.drift_after_runs:
            raise ValueError(
                "watchdog.drift_window_runs must be larger than watchdog.drift_after_runs "
                f"(got {self.drift_window_runs} and {self.drift_after_runs})"
            )
        return self


class ScheduleSettings(Section):
    """When one deployment runs: a cron line read on the rules.timezone clock."""

    cron: str = Field(
        description='Five cron fields on the rules.timezone clock, e.g. "30 8 * * *" for 08:30.'
    )
    enabled: bool = Field(
        default=True,
        description="false: the deployment is still served and can be run by hand "
        "(prefect deployment run), but not on its schedule.",
    )

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        # Prefect checks each field when the deployment is built; this catches the usual slip.
        if len(value.split()) != 5:
            raise ValueError(
                f'{value!r} is not a cron line: write five fields, e.g. "30 8 * * *" for 08:30'
            )
        return value


def _runs_on(cron: str, description: str) -> Any:
    """Return the field of a deployment's schedule, by default on `cron`."""
    return Field(default=ScheduleSettings(cron=cron), description=description)


class SchedulesSettings(Section):
    """When `lianxin serve` runs each deployment (flows/deployments.py; prefect.yaml keeps the
    same times for `prefect deploy --all`)."""

    ingest_hourly: ScheduleSettings = _runs_on(
        "0 * * * *", "ingest/hourly: fetch, parse and store every source."
    )
    daily_morning: ScheduleSettings = _runs_on(
        "30 8 * * *", "daily/morning: a fresh ingest, the follow-ups, then the reminders."
    )
    daily_month_open: ScheduleSettings = _runs_on(
        "0 8 1 * *", "daily/month-open: the daily job when the check-in window (每月上旬) opens."
    )
    watchdog_quarter_hour: ScheduleSettings = _runs_on(
        "*/15 * * * *", "watchdog/quarter-hour: missed runs, drifting sources, failed runs."
    )
    concurrent_runs: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Flow runs `lianxin serve` executes at once. 1 keeps SQLite's writers apart "
        "(the 08:00 ingest meets the month's opening run); raise it on PostgreSQL.",
    )
