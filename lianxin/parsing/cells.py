"""Read a row's optional date cells so that a month, written where a day fits, keeps the row.

Rosters publish 务工起始时间 as a month (2026年3月, 2026.4, 2026-04, 2026年3月份, 3月) far more
often than as a day, and a problem list its 发现时间 likewise. Such a cell holds true but coarse
information: refusing the row for it loses a worker Lianxin must follow up. Only a key field (the
person, the village, the check-in's month, the problem's text) refuses a row. A month-only cell
leaves the record's day empty — a made-up 1st would be a value the table never gave, and rules
would act on it — keeps the cell's text in the record's `extra` under its own header (so an
export and a re-import carry it), and adds a warning that names the month.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from lianxin.parsing.dates import find_period, parse_date, prepare
from lianxin.parsing.tables import Row
from lianxin.records import Quarantined, Severity

# A month with no year (3月, 3月份): on a table of a known year, that year's month.
_BARE_MONTH = re.compile(r"^(\d{1,2})\s*月\s*份?$")
T = TypeVar("T")
MONTH_ONLY = "{field} names only a month ({period}): the day is left empty, the text kept: {value}"
UNREADABLE_KEPT = "{field} unreadable, left empty, the text kept: {inner}"


def month_named(text: str | None, year: int | None) -> str | None:
    """Return the YYYY-MM a cell names when it names a month and no day, else None.

    A bare 3月 takes `year`; without one it names no month Lianxin can place.
    """
    value = prepare(text)
    named = find_period(value)
    if named:
        return named
    bare = _BARE_MONTH.match(value)
    if bare and year is not None and 1 <= int(bare.group(1)) <= 12:
        return f"{year:04d}-{int(bare.group(1)):02d}"
    return None


@dataclass
class RowWarnings:
    """The warnings one table's rows earn while their records are built, and the cells kept."""

    url: str
    entries: list[Quarantined] = field(default_factory=list)
    kept: dict[int, set[str]] = field(default_factory=dict)  # row number → fields kept as text

    def day(
        self, row: Row, name: str, year: int | None, *, keep_unreadable: bool = False
    ) -> date | None:
        """Return the day in the row's optional cell `name`, None when blank or month-only.

        A month-only cell is noted (a warning, and the cell kept as text). Text that names
        neither a day nor a month raises ValueError, as `parse_date` does, unless
        `keep_unreadable` (a field no rule reads): then it is noted the same way.
        """
        text = row.values.get(name)
        try:
            return parse_date(text, year)
        except ValueError as exc:
            month = month_named(text, year)
            if month is not None:
                reason = MONTH_ONLY.format(field=name, period=month, value=repr(prepare(text)))
            elif keep_unreadable:
                reason = UNREADABLE_KEPT.format(field=name, inner=exc)
            else:
                raise
        self._note(row, name, reason)
        return None

    def value(self, row: Row, name: str, read: Callable[[str | None], T]) -> T | None:
        """Return `read(cell)` for the row's optional cell `name`, or None when it refuses it.

        A refused cell (不详 or 880000 as a month's income) is noted — a warning with the
        reason, the cell kept as text — and the row is kept: the call still happened, and a
        refused row would make its worker look uncalled.
        """
        try:
            return read(row.values.get(name))
        except ValueError as exc:
            self._note(row, name, UNREADABLE_KEPT.format(field=name, inner=exc))
            return None

    def _note(self, row: Row, name: str, reason: str) -> None:
        self.kept.setdefault(row.number, set()).add(name)
        self.entries.append(
            Quarantined(
                url=self.url, row=row.number, reason=reason, severity=Severity.warning, raw=row.raw
            )
        )

    def forget(self, row: Row) -> None:
        """Drop what was noted about `row`: it is refused, and its refusal says why."""
        self.kept.pop(row.number, None)
        self.entries = [q for q in self.entries if q.row != row.number]

    def guarded(self, build: Callable[[Row], T]) -> Callable[[Row], T]:
        """Return `build`, forgetting a row's warnings when it refuses the row."""

        def guarded_build(row: Row) -> T:
            try:
                return build(row)
            except Exception:
                self.forget(row)
                raise

        return guarded_build

    def kept_as_text(self, row: Row) -> frozenset[str]:
        """Return the fields of `row` whose text goes to `extra` instead of a typed field."""
        return frozenset(self.kept.get(row.number, ()))

    def merged(self, quarantined: list[Quarantined]) -> list[Quarantined]:
        """Return `quarantined` with these warnings among them, in row order."""
        return sorted([*quarantined, *self.entries], key=lambda q: q.row or 0)
