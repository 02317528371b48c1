"""Artifacts on every run, so that the Prefect UI is already a first dashboard.

- ingest: a progress bar while sources are fetched and parsed, then a Markdown summary;
- followups: this month's check-in compliance by village (a table) and a Markdown summary;
- remind: a Markdown summary of what was sent, deferred and failed.

Keys are stable (`checkin-compliance`, `ingest-summary`, …), so the UI's Artifacts page shows
each one's history across runs. Only counts, places, sources and reasons: no personal data.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast
from uuid import UUID

from prefect import task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE

from lianxin.rules.checkin import period_of
from lianxin.services.reporting import (
    compliance_rows,
    followups_markdown,
    ingest_markdown,
    remind_markdown,
)
from lianxin.store import reads
from tasks.common import engine


class Progress:
    """A progress artifact for a long ingest: steps done of steps planned, shown in the UI."""

    def __init__(self, key: str, steps: int, description: str) -> None:
        self.steps, self.done = max(steps, 1), 0
        self.description = description
        # Prefect returns the id here (a coroutine only when called from async code).
        self.id = cast(UUID, create_progress_artifact(0.0, key=key, description=description))

    def advance(self, steps: int = 1, note: str | None = None) -> None:
        self.done = min(self.steps, self.done + steps)
        update_progress_artifact(
            self.id, 100.0 * self.done / self.steps, description=note or self.description
        )

    def finish(self, note: str | None = None) -> None:
        self.advance(self.steps - self.done, note)


@task(name="publish-ingest-summary", cache_policy=NO_CACHE)
def publish_ingest_summary(summary: dict[str, Any]) -> None:
    create_markdown_artifact(
        ingest_markdown(summary),
        key="ingest-summary",
        description="What this ingest fetched, parsed, stored and quarantined",
    )


@task(name="publish-followups-summary", cache_policy=NO_CACHE)
def publish_followups_summary(day: date, stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Publish the compliance table of `day`'s month and the run's summary; return the table."""
    period = stats.get("period") or period_of(day)
    table = compliance_rows(reads.checkins_by_village(engine(), period))
    create_table_artifact(
        table,
        key="checkin-compliance",
        description=f"{period} 每月上旬电话回访: calls done of due, by town and village",
    )
    create_markdown_artifact(
        followups_markdown(day, stats, table),
        key="followups-summary",
        description="What the follow-up rules created and changed",
    )
    return table


@task(name="publish-remind-summary", cache_policy=NO_CACHE)
def publish_remind_summary(day: date, stats: dict[str, Any]) -> None:
    create_markdown_artifact(
        remind_markdown(day, stats),
        key="remind-summary",
        description="Reminders intended, sent, deferred and failed",
    )
