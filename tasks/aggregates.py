"""Keep the dashboard's aggregates up to date after the rules have run."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from lianxin.clock import utc_now
from lianxin.store.aggregates import refresh_compliance
from tasks.common import engine


@task(name="refresh-aggregates", cache_policy=NO_CACHE)
def refresh_aggregates(dry_run: bool = False) -> int:
    """Recompute the compliance rows of the months the last evaluation touched."""
    if dry_run:  # a dry run rolled the evaluation back: nothing to count
        return 0
    rows = refresh_compliance(engine(), None, utc_now())
    get_run_logger().info("Compliance: %d village-month rows recomputed", rows)
    return rows
