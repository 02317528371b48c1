"""What a run tells the people who look at Prefect: compliance tables and short summaries.

Pure functions from counts to rows and Markdown, for Prefect artifacts (no personal data: only
counts, sources, places and reasons).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any


def compliance_rows(by_village: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return check-in compliance per town and village with a rate, and a county total last."""
    rows: list[dict[str, Any]] = []
    total = {"due": 0, "done": 0, "open": 0, "overdue": 0}
    for row in by_village:
        due, done = int(row["due"] or 0), int(row["done"] or 0)
        counts = {k: int(row[k] or 0) for k in total}
        for k in total:
            total[k] += counts[k]
        rows.append(
            {
                "town": row["town"] or "",
                "village": row["village"] or "",
                **counts,
                "called_pct": _pct(done, due),
            }
        )
    rows.append({"town": "", "village": "合计 total", **total, "called_pct": _pct(**_dd(total))})
    return rows


def ingest_markdown(summary: Mapping[str, Any]) -> str:
    """Return the Markdown of an ingest: pages, records, quarantine, failures, per source."""
    stored = summary.get("stored") or {}
    lines = [
        "# Ingest 采集",
        "",
        f"- Sources: **{summary.get('sources', 0)}**, failed: "
        f"**{len(summary.get('failed_sources') or [])}**",
        f"- Pages fetched: **{summary.get('pages_fetched', 0)}** "
        f"(+{summary.get('listing_pages', 0)} listing pages), fetch errors: "
        f"**{len(summary.get('fetch_errors') or [])}**",
        f"- Records parsed: **{summary.get('records_parsed', 0)}**, rows quarantined: "
        f"**{summary.get('rows_quarantined', 0)}**",
    ]
    if stored:
        lines.append(
            f"- Stored: {stored.get('pages', 0)} new or changed pages "
            f"({stored.get('unchanged_pages', 0)} unchanged)"
        )
    findings = summary.get("findings") or {}
    if findings:
        found = ", ".join(f"{n} {kind}" for kind, n in sorted(findings.items()))
        lines.append(f"- Reconciliation with the roster: {found}")
    by_source = summary.get("records_by_source") or {}
    if by_source:
        lines += ["", "| source | records |", "|---|---:|"]
        lines += [f"| {_cell(name)} | {n} |" for name, n in sorted(by_source.items())]
    problems = [*(summary.get("failed_sources") or []), *(summary.get("fetch_errors") or [])]
    if problems:
        lines += ["", "## Failures", ""]
        lines += [f"- {_cell(p)}" for p in problems[:20]]
        if len(problems) > 20:
            lines.append(f"- … and {len(problems) - 20} more")
    return "\n".join(lines) + "\n"


def followups_markdown(
    day: date, stats: Mapping[str, Any], compliance: list[dict[str, Any]]
) -> str:
    """Return the Markdown of a follow-up run: this month's calls and what changed."""
    total = compliance[-1] if compliance else {}
    lines = [
        f"# Follow-ups 跟进 as of {day.isoformat()}",
        "",
        f"- Monthly calls 每月上旬电话回访 {stats.get('period', '')} (due {stats.get('due', '')}): "
        f"**{total.get('done', 0)} of {total.get('due', 0)}** called "
        f"({total.get('called_pct', 0)} %), {total.get('open', 0)} open, "
        f"{total.get('overdue', 0)} overdue",
        f"- New obligations: **{stats.get('created', 0)}**, mode {stats.get('mode', 'full')}",
    ]
    transitions = stats.get("transitions") or {}
    if transitions:
        lines.append("- Changes: " + ", ".join(f"{k} {v}" for k, v in sorted(transitions.items())))
    by_status = stats.get("by_status") or {}
    if by_status:
        lines.append("- Open follow-ups now: " + _pairs(by_status))
    lowest = sorted(
        (r for r in compliance[:-1] if r["due"]), key=lambda r: (r["called_pct"], r["village"])
    )[:5]
    if lowest:
        lines += ["", "Least called 回访最少的村:", ""]
        lines += [
            f"- {r['town']} {r['village']}: {r['done']}/{r['due']} ({r['called_pct']} %)"
            for r in lowest
        ]
    return "\n".join(lines) + "\n"


def remind_markdown(day: date, stats: Mapping[str, Any]) -> str:
    """Return the Markdown of a reminder run: intended, sent, deferred, failed, by stage."""
    lines = [
        f"# Reminders 提醒 as of {day.isoformat()}",
        "",
        f"- Intended: **{stats.get('intended', 0)}**, sent: **{stats.get('sent', 0)}**, "
        f"already sent: {stats.get('already_sent', 0)}, deferred (quiet hours or daily cap): "
        f"{stats.get('deferred', 0)}, failed: **{stats.get('failed', 0)}**",
    ]
    if stats.get("dry_run"):
        lines.append(f"- Dry run: {stats['dry_run']} would be sent")
    if stats.get("resumed"):
        lines.append(
            f"- Sent again after an interrupted run: {stats['resumed']} (same keys; receivers "
            "can drop copies)"
        )
    if stats.get("by_stage"):
        lines.append("- By stage: " + _pairs(stats["by_stage"]))
    errors = stats.get("errors") or []
    if errors:
        lines += ["", "## Not delivered (retried on the next run)", ""]
        lines += [f"- {_cell(e)}" for e in errors[:20]]
    return "\n".join(lines) + "\n"


def _pct(done: int, due: int) -> float:
    return round(100 * done / due, 1) if due else 0.0


def _dd(total: Mapping[str, int]) -> dict[str, int]:
    return {"done": total["done"], "due": total["due"]}


def _pairs(counts: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _cell(text: Any) -> str:
    # A table cell or list item on one line, with Markdown's pipe escaped.
    return " ".join(str(text).split()).replace("|", "\\|")
