"""The daily flow: ingest, then follow-ups, then reminders, for one day."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow

from flows.followups import followups
from flows.ingest import ingest
from flows.remind import remind
from lianxin.clock import today_local
from tasks.watchdog import record_failure


@flow(name="daily", on_failure=[record_failure], on_crashed=[record_failure])
def daily(
    as_of: date | None = None, sources: list[str] | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Run ingest, followups and remind in order as of `as_of` (default: today in Shanghai)."""
    day = as_of or today_local()
    return {
        "ingest": ingest(as_of=day, sources=sources, dry_run=dry_run),
        "followups": followups(as_of=day, dry_run=dry_run),
        "remind": remind(as_of=day, dry_run=dry_run),
    }
