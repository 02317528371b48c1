"""Rich tables a person reads at the end of a run: what was fetched, parsed, due and sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from lianxin.store import reads


def run_summary(
    console: Console, engine: Engine, result: dict[str, Any], period: str, outbox: Path
) -> None:
    """Print the daily run's summary: sources, records, check-ins by village, reminders."""
    ingest, followups, remind = result["ingest"], result["followups"], result["remind"]

    sources = Table(title="Sources fetched", title_justify="left")
    for col in ("source", "kind", "reports", "records", "with problems"):
        sources.add_column(col, justify="right" if col != "source" and col != "kind" else "left")
    for row in reads.reports_by_source(engine):
        sources.add_row(
            row["source"],
            row["kind"],
            str(row["reports"]),
            str(row["records"] or 0),
            str(row["with_problems"]),
        )
    console.print(sources)
    console.print(
        f"Pages fetched: {ingest['pages_fetched']} (+{ingest['listing_pages']} listing pages), "
        f"fetch errors: {len(ingest['fetch_errors'])}, failed sources: "
        f"{len(ingest['failed_sources'])}; records parsed: {ingest['records_parsed']}, "
        f"rows quarantined: {ingest['rows_quarantined']}"
    )
    reasons = reads.quarantine_reasons(engine, limit=6)
    if reasons:
        quarantine = Table(
            title="Quarantined (kept with a reason, see `lianxin status`)", title_justify="left"
        )
        for col in ("severity", "reason", "rows"):
            quarantine.add_column(col, justify="right" if col == "rows" else "left")
        for row in reasons:
            quarantine.add_row(row["severity"], row["reason"], str(row["rows"]))
        console.print(quarantine)

    found = [row for row in reads.findings(engine) if row["period"] == period]
    if found:
        table = Table(
            title=f"Check-in tables {period} reconciled against the roster", title_justify="left"
        )
        for col in ("finding", "count", "example"):
            table.add_column(col, justify="right" if col == "count" else "left")
        for row in found:
            table.add_row(row["kind"], str(row["findings"]), row["example"])
        console.print(table)

    villages = Table(
        title=f"Monthly check-ins {period} (due {followups['due']}, as of {followups['as_of']})",
        title_justify="left",
    )
    for col in ("town", "village", "due", "done", "open", "overdue"):
        villages.add_column(col, justify="left" if col in ("town", "village") else "right")
    totals = {"due": 0, "done": 0, "open": 0, "overdue": 0}
    for row in reads.checkins_by_village(engine, period):
        villages.add_row(row["town"] or "", row["village"], *(str(row[k] or 0) for k in totals))
        for k in totals:
            totals[k] += int(row[k] or 0)
    villages.add_row("", "[bold]total[/bold]", *(f"[bold]{totals[k]}[/bold]" for k in totals))
    console.print(villages)

    console.print(followups_table(engine))

    console.print(
        f"Reminders: {remind['sent']} written, {remind['already_sent']} already sent earlier, "
        f"{remind['failed']} failed ({_stages(remind['by_stage'])})."
    )
    if remind["files"]:
        console.print(f"Outbox: {outbox}/  e.g. {Path(remind['files'][0]).name}")


def _stages(by_stage: dict[str, int]) -> str:
    return ", ".join(f"{stage}: {n}" for stage, n in sorted(by_stage.items())) or "no new stage"


def followups_table(engine: Engine) -> Table:
    """Return every kind of obligation counted by status, with the income-risk flags."""
    kinds = Table(title="Follow-ups by kind (all periods)", title_justify="left")
    statuses = ("open", "overdue", "escalated", "done", "waived")
    kinds.add_column("kind")
    for col in statuses:
        kinds.add_column(col, justify="right")
    for row in reads.obligations_by_kind(engine):
        kinds.add_row(row["kind"], *(str(row.get(s) or 0) for s in statuses))
    return kinds
