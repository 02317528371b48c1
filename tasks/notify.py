"""Build the digests and deliver them, recording each in the ledger."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from lianxin.clock import utc_now
from lianxin.notify.deliver import AnyDigest, deliver
from lianxin.notify.digests import build_checkin_digests
from lianxin.notify.escalation_digests import build_escalation_digests
from lianxin.notify.links import prepare as prepare_links
from lianxin.notify.problem_digests import build_problem_digests
from tasks.common import engine, settings


@task(name="build-digests", cache_policy=NO_CACHE)
def build_digests(as_of: date) -> list[AnyDigest]:
    """Return the digests due as of `as_of`: per cadre and stage, per unit and problem stage."""
    with engine().connect() as conn:
        digests: list[AnyDigest] = [
            *build_checkin_digests(conn, as_of, settings().rules),
            *build_problem_digests(conn, as_of, settings().rules),
            *build_escalation_digests(conn, as_of, settings().notify),
        ]
    get_run_logger().info(
        "%d digests for %d workers", len(digests), sum(len(d.items) for d in digests)
    )
    return digests


@task(name="send-digests", cache_policy=NO_CACHE)
def send_digests(digests: list[AnyDigest], dry_run: bool = False) -> dict[str, Any]:
    """Deliver the digests that the ledger has not seen sent; return the delivery counts."""
    now = utc_now()
    # Links (and repeats of unread digests) are added here, inside the task, so that no
    # token is ever part of a task's result or an artifact.
    planned = prepare_links(engine(), digests, settings(), now, dry_run=dry_run)
    stats = deliver(engine(), planned, settings().notify, now, dry_run=dry_run)
    get_run_logger().info(
        "Reminders: %d intended, %d sent, %d already sent, %d failed%s",
        stats.intended,
        stats.sent,
        stats.already_sent,
        stats.failed,
        f", {stats.dry_run} would be sent (dry run)" if dry_run else "",
    )
    return stats.as_dict()
