"""Evaluate the follow-up rules over whole tables."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from lianxin.clock import utc_now
from lianxin.rules.evaluate import Mode, evaluate
from lianxin.rules.replay import ReplayResult, replay
from tasks.common import engine, settings


@task(name="evaluate-rules", cache_policy=NO_CACHE)
def evaluate_rules(
    as_of: date, dry_run: bool = False, mode: Mode = "incremental"
) -> dict[str, Any]:
    """Create and advance obligations as of `as_of`; on a dry run, roll everything back."""
    stats = evaluate(engine(), as_of, settings().rules, utc_now(), dry_run=dry_run, mode=mode)
    get_run_logger().info(
        "Check-ins %s (due %s): %d new obligations, transitions %s, now %s",
        stats.period,
        stats.due,
        stats.created,
        stats.transitions or "none",
        stats.by_status,
    )
    return stats.as_dict()


@task(name="replay-rules", cache_policy=NO_CACHE)
def replay_rules(first: date, last: date, dry_run: bool = False) -> dict[str, Any]:
    """Evaluate every day from `first` to `last` in one transaction; write only the net change.

    Return each day's statistics (`days`) and the history rows really written (`written`).
    """
    logger = get_run_logger()
    days = replay(engine(), first, last, settings().rules, utc_now, dry_run=dry_run)
    while True:
        try:
            stats = next(days)
        except StopIteration as stop:
            result: ReplayResult = stop.value
            break
        logger.info("Replayed %s: transitions on the way %s", stats.as_of, stats.transitions)
    logger.info("Replay %s to %s wrote %s", first, last, result.written or "no change")
    return {"days": [s.as_dict() for s in result.days], "written": result.written}
