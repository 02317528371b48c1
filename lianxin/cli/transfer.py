"""`lianxin import` and `lianxin export`: the terminal side of lianxin.services.transfer.

The import prints its preview (counts, then what is added, changed and rejected) and writes
only when asked, then evaluates the follow-ups so reminders see the new records at once.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from config.settings import Settings
from lianxin.archive import Archive
from lianxin.cli.errors import exit_with_error
from lianxin.clock import utc_now
from lianxin.errors import ExportRefused, ImportRejected
from lianxin.reasons import localize, severity
from lianxin.services.export import ExportFormat
from lianxin.services.export_tables import export_filename, export_query
from lianxin.services.import_preview import RowChange
from lianxin.services.reevaluate import evaluate_after_import
from lianxin.services.transfer import (
    ImportKind,
    ImportPreview,
    apply_import,
    preview_import,
)

SHOWN = 20  # rows of each list printed; the counts cover all
# Cells go in as Text: a name or value from the file is never read as rich markup.


def print_import_preview(console: Console, preview: ImportPreview, language: str = "en") -> None:
    """Print `preview` as rich tables (values are masked as the preview holds them)."""
    kind = "roster (就业服务一览表)" if preview.kind == "roster" else "check-in table (电话回访)"
    console.print(f"[bold]{escape(preview.filename)}[/bold]: {kind}, hash {preview.token[:12]}…")
    if preview.periods:
        console.print("Periods: " + ", ".join(preview.periods))
    summary = Table("added", "changed", "unchanged", "removed", "failed", "skipped", "warnings")
    summary.add_row(
        *(
            str(n)
            for n in (
                preview.added,
                preview.changed,
                preview.unchanged,
                preview.removed,
                preview.failed,
                preview.skipped,
                preview.warnings,
            )
        )
    )
    console.print(summary)
    if preview.kind == "checkin_table":
        console.print(
            f"{preview.matched} check-ins match a roster worker, {preview.unmatched} match nobody."
        )
    if preview.already_imported:
        console.print("[yellow]This file is imported already: applying writes nothing.[/yellow]")
    _rows(console, "Added", preview.added_rows, preview.added)
    _changes(console, preview)
    _rows(
        console,
        "Removed (in an earlier upload of this file)",
        preview.removed_rows,
        preview.removed,
    )
    _rows(console, "Matching no roster worker", preview.unmatched_rows, preview.unmatched)
    if preview.failed_rows:
        failed = Table("row", "severity", "reason", "values", title="Rows not imported as they are")
        for f in preview.failed_rows[:SHOWN]:
            values = ", ".join(f"{k}={v}" for k, v in f.raw.items() if v)
            failed.add_row(
                str(f.row or ""),
                severity(f.severity, language),
                Text(localize(f.reason, language)),
                Text(values),
            )
        console.print(failed)


def _rows(console: Console, title: str, rows: list[RowChange], total: int) -> None:
    if not rows:
        return
    table = Table("record", "matches", title=f"{title}: {total}")
    for row in rows[:SHOWN]:
        table.add_row(Text(row.label), Text(row.matched or ""))
    console.print(table)


def _changes(console: Console, preview: ImportPreview) -> None:
    if not preview.changed_rows:
        return
    table = Table("record", "field", "old", "new", title=f"Changed: {preview.changed}")
    for row in preview.changed_rows[:SHOWN]:
        for i, change in enumerate(row.changes):
            table.add_row(
                Text(row.label if i == 0 else ""), change.field, Text(change.old), Text(change.new)
            )
    console.print(table)


def run_import(
    console: Console,
    settings: Settings,
    path: Path,
    kind: str,
    apply: bool,
    as_of: date | None,
    unmasked: bool = False,
) -> int:
    """Preview (and with `apply`, import and evaluate) one file; return the exit code.

    0: every row imported (or importable); 1: some rows failed. A file that cannot be used
    ends the command with 2 (`exit_with_error`).
    """
    from lianxin.store.engine import engine_for

    try:
        content = path.read_bytes()
    except OSError as exc:
        exit_with_error(exc)
    engine = engine_for(settings.database_url) if apply else preview_engine(settings.database_url)
    now = utc_now()
    try:
        preview = preview_import(
            engine, content, path.name, cast(ImportKind, kind), "upload", now, unmasked=unmasked
        )
        print_import_preview(console, preview, settings.notify.language)
        if not apply:
            if preview.writes:
                console.print("Nothing written. Run again with --apply to import.")
            return 1 if preview.failed else 0
        result = apply_import(
            engine,
            content,
            path.name,
            cast(ImportKind, kind),
            "upload",
            now,
            preview.token,
            archive=Archive(settings.archive_dir),
            unmasked=unmasked,
        )
    except ImportRejected as exc:
        exit_with_error(f"{exc.filename}: {localize(exc.reason, settings.notify.language)}")
    stats = evaluate_after_import(engine, result, settings.rules, now, as_of)
    if stats is None:
        console.print("Nothing written: the store holds every record as the file has it.")
    else:
        moved = ", ".join(f"{n} {label}" for label, n in sorted(stats.transitions.items()))
        records = result.stats.workers + result.stats.checkins
        console.print(
            f"Imported {records} record{'s' if records != 1 else ''}"
            + (f" for {', '.join(result.periods)}" if result.periods else "")
            + f"; follow-ups evaluated as of {stats.as_of}: {moved or 'no change'}."
        )
    return 1 if result.preview.failed else 0


def preview_engine(url: str) -> Engine:
    """Return the store a preview compares against: an SQLite file that does not exist yet is
    an empty store in memory, so that "Nothing written" leaves no ./var/lianxin.db behind."""
    from sqlalchemy.pool import StaticPool

    from lianxin.store.db import make_engine, migrate
    from lianxin.store.engine import engine_for

    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return engine_for(url)
    if Path(database).expanduser().exists():
        return engine_for(url)
    engine = make_engine("sqlite://", poolclass=StaticPool)
    migrate(engine)
    return engine


def run_export(
    console: Console,
    settings: Settings,
    table: str,
    filters: dict[str, str],
    fmt: str,
    out: Path | None,
    unmasked: bool,
) -> int:
    """Write one standard table to `out` (default: a name made from the table); return 0, or
    end the command with 2 on an export it refuses (`exit_with_error`)."""
    from lianxin.store.engine import engine_for

    try:
        content = export_query(
            engine_for(settings.database_url), table, filters, cast(ExportFormat, fmt), not unmasked
        )
    except ExportRefused as exc:
        exit_with_error(exc)
    target = out or Path(export_filename(table, filters, cast(ExportFormat, fmt)))
    target.write_bytes(content)
    masked = "unmasked" if unmasked else "phones and ID numbers masked"
    console.print(f"Wrote {target} ({len(content)} bytes, {masked}).")
    return 0
