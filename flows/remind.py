"""The remind flow: digests per cadre and stage → channels → ledger."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow

from lianxin.clock import today_local, utc_now
from tasks.artifacts import publish_remind_summary
from tasks.notify import build_digests, send_digests
from tasks.store import record_run
from tasks.watchdog import record_failure


@flow(name="remind", on_failure=[record_failure], on_crashed=[record_failure])
def remind(as_of: date | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Send each cadre the digest of their open check-ins for the stage `as_of` falls in."""
    started = utc_now()
    day = as_of or today_local()
    digests = build_digests(day)
    stats = send_digests(digests, dry_run=dry_run)
    record_run("remind", day, started, stats, dry_run)
    publish_remind_summary(day, stats)
    return stats
