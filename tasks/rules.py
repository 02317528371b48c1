"""Evaluate the follow-up rules over whole tables."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from lianxin.clock import utc_now
from lianxin.rules.evaluate import Mode, evaluate
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
