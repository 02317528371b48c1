"""The followups flow: evaluate the rules as of a day and keep obligations up to date."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow

from lianxin.clock import today_local, utc_now
from lianxin.dates_allowed import rules_day
from lianxin.rules.evaluate import Mode
from tasks.aggregates import refresh_aggregates
from tasks.artifacts import publish_followups_summary
from tasks.rules import evaluate_rules
from tasks.store import record_run
from tasks.watchdog import record_failure


@flow(name="followups", on_failure=[record_failure], on_crashed=[record_failure])
def followups(
    as_of: date | None = None, dry_run: bool = False, mode: Mode = "incremental"
) -> dict[str, Any]:
    """Create and advance the obligations as of `as_of` (default: today in Asia/Shanghai).

    `incremental` looks only at what changed since the last run and falls back to `full` for a
    first run or a replay of an earlier day; `full` re-evaluates every table. A day after today
    is today: run ahead of the calendar, the rules would escalate calls not yet late.
    """
    started = utc_now()
    day = rules_day(as_of or today_local(started), today_local(started))
    stats = evaluate_rules(day, dry_run=dry_run, mode=mode)
    refresh_aggregates(dry_run=dry_run)
    record_run("followups", day, started, stats, dry_run)
    publish_followups_summary(day, stats)
    return stats
