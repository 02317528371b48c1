"""The replay flow: evaluate the rules over a range of past days, recording only the net change."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow

from lianxin.clock import today_local, utc_now
from lianxin.dates_allowed import rules_day
from tasks.aggregates import refresh_aggregates
from tasks.artifacts import publish_followups_summary
from tasks.rules import replay_rules
from tasks.store import record_run
from tasks.watchdog import record_failure


@flow(name="followups-replay", on_failure=[record_failure], on_crashed=[record_failure])
def followups_replay(first: date, last: date, dry_run: bool = False) -> dict[str, Any]:
    """Replay the follow-up rules from `first` to `last` (a day after today is today).

    Every day is evaluated in full in one transaction; only obligations that end the replay
    elsewhere than they started get a history row, dated with the day the change took effect.
    """
    started = utc_now()
    today = today_local(started)
    result = replay_rules(rules_day(first, today), rules_day(last, today), dry_run=dry_run)
    refresh_aggregates(dry_run=dry_run)
    for stats in result["days"]:
        record_run("followups", date.fromisoformat(stats["as_of"]), started, stats, dry_run)
    if result["days"]:
        last_day = result["days"][-1]
        publish_followups_summary(date.fromisoformat(last_day["as_of"]), last_day)
    return result
