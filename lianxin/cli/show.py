"""What `lianxin parse` and `lianxin status` print."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import requests
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from lianxin.cli.parse_json import write_parse_json
from lianxin.errors import FetchError
from lianxin.ingest.fetching import _header_charset
from lianxin.ingest.reparse import ReparseReport
from lianxin.privacy import mask_fields
from lianxin.reasons import localize, severity
from lianxin.records import ParseResult
from lianxin.services.summary import followups_table
from lianxin.store import reads


class Target(NamedTuple):
    """What `lianxin parse` reads: the bytes, where they came from, and how they were served."""

    content: bytes
    url: str
    charset: str | None  # the HTTP header's, when it names one
    fetched_at: datetime
    content_type: str | None = None  # the HTTP header's; a file has none, its name tells


def load_target(target: str, user_agent: str) -> Target:
    """Return the bytes of a file path or an http(s) URL, with its URL and how it was served."""
    now = datetime.now(UTC)
    if target.startswith(("http://", "https://")):
        try:
            response = requests.get(target, headers={"User-Agent": user_agent}, timeout=30)
        except requests.RequestException as exc:
            raise FetchError(target, f"fetch failed: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise FetchError(target, f"HTTP {response.status_code}")
        content_type = response.headers.get("Content-Type")
        return Target(response.content, target, _header_charset(content_type), now, content_type)
    path = Path(target)
    if not path.is_file():
        raise FetchError(target, "no such file")
    return Target(path.read_bytes(), path.resolve().as_uri(), None, now)


def parse_target(loaded: Target, kind: str) -> ParseResult:
    """Return the records of what `load_target` read: a spreadsheet, .docx or .pdf as an
    attachment is read (by its name or content type), anything else as a page."""
    from lianxin.parsing import parse_page
    from lianxin.parsing.attachments import is_attachment, parse_attachment

    if is_attachment(loaded.url, loaded.content_type):
        return parse_attachment(
            loaded.content, loaded.url, source="cli", fetched_at=loaded.fetched_at, kind=kind
        )
    return parse_page(
        loaded.content,
        loaded.url,
        source="cli",
        fetched_at=loaded.fetched_at,
        kind=kind,
        http_charset=loaded.charset,
    )


def masked(record: dict[str, Any], unmasked: bool) -> dict[str, Any]:
    """Return `record` with its phones and ID numbers masked unless `unmasked`."""
    return record if unmasked else mask_fields(record)


def print_parse_result(
    console: Console, result: ParseResult, as_json: bool, unmasked: bool, language: str = "en"
) -> None:
    """Print a parse result as JSON or as tables, personal data masked unless `unmasked`.

    The tables say the quarantine's reasons in `language`; JSON keeps the stored English.
    """
    if as_json:  # straight to the file, record by record: rich would render it line by line
        write_parse_json(console.file, result, unmasked)
        return
    data = result.model_dump(mode="json")
    for name in ("workers", "checkins", "cadres"):
        data[name] = [masked(r, unmasked) for r in data[name]]
    rep = result.report
    console.print(f"[bold]{rep.title or rep.url}[/bold]")
    console.print(
        f"kind: {rep.kind}  status: {rep.parse_status}  published: {rep.published or '?'}  "
        f"place: {' / '.join(p for p in (rep.county, rep.town, rep.village) if p) or '?'}"
    )
    byline = [
        f"{label}: {value}"
        for label, value in (
            ("time", rep.published_time),
            ("source", rep.content_source),
            ("authors", ", ".join(rep.authors)),
            ("editor", rep.editor),
        )
        if value
    ]
    if byline:
        console.print("  ".join(byline))
    for name in ("workers", "checkins", "cadres", "problems", "facts"):
        rows = data[name]
        if not rows:
            continue
        columns = [k for k in rows[0] if any(r.get(k) not in (None, "", [], {}) for r in rows)]
        table = Table(title=f"{name} ({len(rows)})", title_justify="left")
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        console.print(table)
    if result.links:
        console.print(f"links: {len(result.links)}; next page: {result.next_page or '-'}")
    if result.quarantined:
        table = Table(title=f"quarantined ({len(result.quarantined)})", title_justify="left")
        table.add_column("row", justify="right")
        table.add_column("reason")
        for q in result.quarantined:
            table.add_row(str(q.row or "page"), localize(q.reason, language))
        console.print(table)
    if rep.body and rep.kind == "article":
        console.print(rep.body[:600] + ("…" if len(rep.body) > 600 else ""))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def print_status(console: Console, engine: Engine, language: str = "en") -> None:
    """Print counts, the last runs, overdue check-ins by cadre and quarantine reasons (those
    in `language`)."""
    counts = Table(title="Store", title_justify="left")
    for name in (c := reads.counts(engine)):
        counts.add_column(name, justify="right")
    counts.add_row(*(str(v) for v in c.values()))
    console.print(counts)

    runs = Table(title="Last runs", title_justify="left")
    for col in ("flow", "as of", "started (UTC)", "seconds", "status"):
        runs.add_column(col)
    for r in reads.last_runs(engine):
        seconds = (r["finished_at"] - r["started_at"]).total_seconds() if r["finished_at"] else 0
        runs.add_row(
            r["flow"],
            str(r["as_of"] or ""),
            r["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
            f"{seconds:.1f}",
            r["status"],
        )
    console.print(runs)

    console.print(followups_table(engine))

    cadres = Table(title="Open check-ins by cadre (most overdue first)", title_justify="left")
    for col in ("cadre", "village", "overdue", "open"):
        cadres.add_column(col)
    for r in reads.open_by_cadre(engine):
        cadres.add_row(
            r["name"] or r["owner"] or "(unassigned)",
            r["village"] or "",
            str(r["overdue"]),
            str(r["open"]),
        )
    console.print(cadres)

    found = reads.findings(engine)
    if found:
        table = Table(
            title="Reconciliation findings (check-in tables vs roster)", title_justify="left"
        )
        for col in ("period", "finding", "count", "example"):
            table.add_column(col)
        for r in found:
            table.add_row(r["period"], r["kind"], str(r["findings"]), r["example"])
        console.print(table)

    reasons = reads.quarantine_reasons(engine)
    if reasons:
        table = Table(title="Quarantined rows and pages", title_justify="left")
        for col in ("severity", "reason", "rows", "example"):
            table.add_column(col, justify="right" if col == "rows" else "left")
        for r in reasons:
            table.add_row(
                severity(r["severity"], language),
                localize(r["reason"], language),
                str(r["rows"]),
                r["example"],
            )
        console.print(table)


def print_reparse(console: Console, report: ReparseReport, applied: bool) -> None:
    """Print what re-parsing changed: counts per record kind, then each change."""
    verb = "changed" if applied else "would change"
    console.print(
        f"Re-parsed {report.pages} archived reports: {len(report.changed_pages)} {verb}"
        + (f", {len(report.missing)} missing from the archive" if report.missing else "")
    )
    counts = report.counts()
    if counts:
        table = Table(title="Records", title_justify="left")
        for col in ("kind", "added", "removed", "altered"):
            table.add_column(col, justify="left" if col == "kind" else "right")
        for kind, n in sorted(counts.items()):
            table.add_row(kind, *(str(n.get(c, 0)) for c in ("added", "removed", "altered")))
        console.print(table)
    for change in report.changes[:200]:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        console.print(f"  {change.change:<8} {change.kind:<8} {change.key}{fields}")
    if len(report.changes) > 200:
        console.print(f"  … and {len(report.changes) - 200} more")


def print_stories(console: Console, engine: Engine, text: str, language: str = "en") -> None:
    """Print every obligation of the subjects `text` names, with their history, each why and
    each move's reason in `language`."""
    from lianxin.services.explain import find_subjects, move_line, moves_of, stories

    with engine.connect() as conn:
        subjects = find_subjects(conn, text)
        if not subjects:
            console.print(f"No worker or problem matches {text!r}.")
            return
        for subject in subjects[:10]:
            console.rule(subject)
            for move in moves_of(conn, subject):
                console.print(move_line(move), markup=False)
            told = stories(conn, subject)
            if not told:
                console.print("no obligations")
            for story in told:
                ob = story.obligation
                console.print(
                    f"[bold]{ob['kind']}[/bold] {ob['period'] or ''}  status: {ob['status']}"
                    f"  level: {ob['level']}  window: {ob['window_start']} → due {ob['due']}"
                    f"  owner: {ob['owner'] or '-'}"
                )
                if ob["detail"]:
                    console.print(f"  why: {localize(ob['detail'], language)}")
                for ev in story.events:
                    console.print(
                        f"  {ev['as_of']}  {ev['old_status'] or '∅'} → {ev['new_status']}"
                        f"  [{ev['actor']}] {localize(ev['reason'], language)}"
                    )
        if len(subjects) > 10:
            console.print(f"… and {len(subjects) - 10} more subjects match")


def print_reminder_plan(console: Console, plan: list[Any]) -> None:
    """Print, day by day, the reminders and escalations an evaluation would produce."""
    for day in plan:
        console.rule(str(day.day))
        if not day.reminders and not day.escalations:
            console.print("nothing would be sent")
        for cadre, stage, n in day.reminders:
            console.print(f"  remind {cadre}: {stage} digest, {n} items")
        for target, n in day.escalations.items():
            console.print(f"  escalate {n} late obligations {target}")
        if day.created:
            made = ", ".join(f"{n} {kind}" for kind, n in sorted(day.created.items()))
            console.print(f"  new obligations: {made}")
