"""Turn a table's rows into records, one rows-to-records path for every kind of table.

`records_from_rows` builds one record per data row; totals, notes, repeats, rows that fail to
build and a table with a header but no data rows go to quarantine, each with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from lianxin.parsing.tables import Row, Table
from lianxin.parsing.text import clean_optional
from lianxin.records import Quarantined, Severity, shared_fields_set

T = TypeVar("T")


def leftovers(row: Row, used: frozenset[str]) -> dict[str, str]:
    """Return the row's extra columns plus mapped fields the record has no place for."""
    extra = dict(row.extra)
    for name, text in row.values.items():
        if name not in used and text:
            extra[row.headers.get(name, name)] = text
    return extra


def reason_of(exc: Exception) -> str:
    """Return a one-line reason for a quarantined row."""
    if isinstance(exc, ValidationError):
        return "invalid value: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


def mark_duplicates(rows: list[Row]) -> None:
    """Mark every exact repeat of an earlier row (ignoring its serial number) as skipped."""
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    for row in rows:
        if row.skip_reason:
            continue
        key = tuple(sorted((*row.values.items(), *row.extra.items())))
        if key in seen:
            row.skip_reason = f"duplicate of row {seen[key]}"
        else:
            seen[key] = row.number


def empty_table(table: Table, url: str) -> list[Quarantined]:
    """Return a warning for a table that has a header but no data rows, else nothing."""
    if table.rows:
        return []
    reason = "table has a header but no data rows: " + " | ".join(h for h in table.headers if h)
    return [Quarantined(url=url, reason=reason, severity=Severity.warning)]


def person_and_village(row: Row, village: str | None, unknown_village: str) -> tuple[str, str]:
    """Return the row's worker name and village (its own column, else `village`).

    Raise ValueError with the reason when either is missing; `unknown_village` says where the
    village could have come from on this kind of table.
    """
    name = clean_optional(row.values.get("name"))
    if not name:
        raise ValueError("missing worker name (姓名)")
    row_village = clean_optional(row.values.get("village")) or village
    if not row_village:
        raise ValueError(unknown_village)
    return name, row_village


def skipped_entry(row: Row, url: str) -> Quarantined:
    """Return the quarantine entry of a row that is not data (totals, notes, repeats)."""
    return Quarantined(
        url=url,
        row=row.number,
        reason=row.skip_reason or "",
        severity=Severity.skipped,
        raw=row.raw,
    )


def records_from_rows(
    table: Table, url: str, build: Callable[[Row], T]
) -> tuple[list[T], list[Quarantined]]:
    """Build one record per data row; totals, notes, repeats and failing rows go to quarantine."""
    records: list[T] = []
    quarantined: list[Quarantined] = empty_table(table, url)
    mark_duplicates(table.rows)
    for row in table.rows:
        if row.skip_reason:
            quarantined.append(skipped_entry(row, url))
            continue
        try:
            records.append(shared_fields_set(build(row)))
        except (ValueError, ValidationError) as exc:
            quarantined.append(
                Quarantined(url=url, row=row.number, reason=reason_of(exc), raw=row.raw)
            )
    return records, quarantined
