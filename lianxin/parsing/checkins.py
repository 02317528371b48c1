"""Read a monthly check-in table (电话回访情况表): one CheckIn per row, bad rows quarantined."""

from __future__ import annotations

from collections import Counter

from lianxin.parsing.cells import RowWarnings
from lianxin.parsing.document import Document
from lianxin.parsing.places import places_in
from lianxin.parsing.table_records import leftovers, person_and_village, records_from_rows
from lianxin.parsing.tables import Row, Table
from lianxin.parsing.text import (
    clean_optional,
    clean_phone,
    find_period,
    parse_bool,
    parse_date,
    parse_income,
    parse_reached,
    parse_work_status,
)
from lianxin.records import CheckIn, Quarantined


def table_period(table: Table, doc: Document) -> str | None:
    """Return the month a table reports on: its title or caption, the lines above it, the page
    title, else its call dates."""
    for text in (*table.titles, *table.context, doc.title, doc.meta.get("columnname", "")):
        named = find_period(text)
        if named:
            return named
    year = doc.year
    months: Counter[str] = Counter()
    for row in table.rows:
        written = row.values.get("call_date")
        if not written or row.skip_reason:
            continue
        try:
            day = parse_date(written, year)
        except ValueError:
            continue
        if day:
            months[f"{day.year:04d}-{day.month:02d}"] += 1
    if months:
        return months.most_common(1)[0][0]
    if doc.published:
        return f"{doc.published.year:04d}-{doc.published.month:02d}"
    return None


def table_village(table: Table, doc: Document) -> str | None:
    """Return the village a table is about: its own title first, then the page's."""
    for text in (*table.titles, *table.context):
        village = places_in(text).village
        if village:
            return village
    # A check-in page's own title names the village its table is about, known or not.
    return doc.places.village or places_in(doc.title).village


def checkins_from_table(
    table: Table, doc: Document, url: str
) -> tuple[list[CheckIn], list[Quarantined]]:
    """Return the table's check-ins and its quarantined rows (totals, notes, bad values)."""
    period = table_period(table, doc)
    village = table_village(table, doc)
    year = int(period[:4]) if period else doc.year
    warnings = RowWarnings(url)
    checkins, quarantined = records_from_rows(
        table, url, warnings.guarded(lambda row: _checkin(row, period, village, year, warnings))
    )
    return checkins, warnings.merged(quarantined)


# Fields a check-in row can hold; any other mapped column is kept in `extra`.
CHECKIN_FIELDS = frozenset(
    {
        "name",
        "phone",
        "village",
        "cadre",
        "call_date",
        "reached",
        "status",
        "employer",
        "work_place",
        "income",
        "demands",
        "policy_explained",
        "followup_needed",
        "notes",
        "period",
    }
)


def _checkin(
    row: Row, period: str | None, village: str | None, year: int | None, warnings: RowWarnings
) -> CheckIn:
    values = row.values
    name, row_village = person_and_village(
        row, village, "village unknown: not in the title, the page or a column"
    )
    # A month column says it row by row (a late call may fall in the next month).
    period = find_period(values.get("period") or "") or period
    if not period:
        raise ValueError("month unknown: no 2026年11月-like title and no call dates")
    year = int(period[:4])
    call_date = warnings.day(row, "call_date", year)
    income = warnings.value(row, "income", parse_income)
    reached = parse_reached(values.get("reached"))
    followup = parse_bool(values.get("followup_needed"))
    return CheckIn(
        worker_name=name,
        worker_phone=clean_phone(values.get("phone")),
        village=row_village,
        cadre=clean_optional(values.get("cadre")),
        period=period,
        call_date=call_date,
        reached=reached if reached is not None else True,
        status=parse_work_status(values.get("status")),
        employer=clean_optional(values.get("employer")),
        place=clean_optional(values.get("work_place")),
        income_yuan=income,
        demands=clean_optional(values.get("demands")),
        policy_explained=parse_bool(values.get("policy_explained")),
        followup_needed=bool(followup),
        notes=clean_optional(values.get("notes")),
        extra=leftovers(row, CHECKIN_FIELDS - warnings.kept_as_text(row)),
    )
