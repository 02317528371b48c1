"""The [watchdog] on Lianxin itself and the [schedules] `lianxin serve` keeps."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from pydantic import Field, field_validator, model_validator

from config.checks import Section, is_http_url
from config.notify import Route

BLOCK_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9_-]*")


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
    """The watchdog on Lianxin itself (sources that stopped yielding), and where the Prefect
    automations on late and failed runs send their alerts."""

    operator_routes: list[Route] = Field(
        default_factory=lambda: ["outbox://"],
        description="The operator's own routes (Apprise URLs or outbox://), never a cadre's.",
    )
    cadence: dict[str, FlowCadence] = Field(
        default_factory=dict,
        description="Only for flows run from cron without Prefect deployments (whose late runs "
        "the Prefect automation reports): when each must have run, by its name in the runs "
        "table (ingest, followups, remind); the daily flow is watched through remind.",
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
    channel_failures: int = Field(
        default=3,
        ge=1,
        description="A route with this many failed sends in the last channel_window_days and "
        "none delivered keeps failing: the watchdog alerts the operator.",
    )
    channel_window_days: int = Field(
        default=2, ge=1, description="Days (rules.timezone) of the ledger the check looks at."
    )
    prefect_automations: bool = Field(
        default=True,
        description="`lianxin serve` and `lianxin automations apply` create or update the "
        "Prefect automations that alert on late and failed runs (a destination below needed).",
    )
    prefect_block: str | None = Field(
        default=None,
        description="Where the Prefect automations send alerts: a notification block on the "
        'Prefect server, as "block-type-slug/name" (e.g. "slack-webhook/lianxin-operator").',
    )
    prefect_webhook: str | None = Field(
        default=None,
        description="Or an http(s) URL the alerts are posted to as JSON {subject, body}; "
        "${NAME} parts are read from the environment and kept as the block's secrets.",
    )
    respect_quiet_hours: bool = Field(
        default=False,
        description="Operator alerts wake people: by default they ignore notify's quiet hours.",
    )

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        if isinstance(data, dict) and "failed_within_hours" in data:
            raise ValueError(
                "watchdog.failed_within_hours is retired: failed runs are alerted by the Prefect "
                "automation 'lianxin: failed run' (watchdog.prefect_block or prefect_webhook); "
                "delete the line"
            )
        return data

    @field_validator("prefect_block")
    @classmethod
    def _slug_and_name(cls, value: str | None) -> str | None:
        if value is not None and not BLOCK_SLUG.fullmatch(value):
            raise ValueError(
                f"watchdog.prefect_block = {value!r}: write the block's type slug and name, "
                'e.g. "custom-webhook/lianxin-operator" (see: prefect block ls)'
            )
        return value

    @field_validator("prefect_webhook")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not is_http_url(value):
            raise ValueError(
                f"watchdog.prefect_webhook = {value!r} is not an http(s) URL: write e.g. "
                '"https://hooks.example.org/lianxin?key=${OPERATOR_HOOK_KEY}"'
            )
        return value

    @model_validator(mode="after")
    def _one_destination(self) -> WatchdogSettings:
        if self.prefect_block and self.prefect_webhook:
            raise ValueError(
                "set watchdog.prefect_block or watchdog.prefect_webhook, not both: the Prefect "
                "automations send to one notification block"
            )
        return self

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
