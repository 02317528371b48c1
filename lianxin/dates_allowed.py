"""Which days a person may give for what they record (a call, a problem mark, a waiver), and the
day the rules may run as of: never after today in Asia/Shanghai, never before the thing began.

A day in the future would move the rules' day with it: every later evaluation would then run as
of that day, escalating this month's calls to the county and creating next year's check-ins. A
day decades back is a typing slip that no obligation can belong to. Every function here is pure
and takes `today` (a calendar day in Asia/Shanghai, `lianxin.clock.today_local`).

Importers of tables may bound their dates with `check_day` too.
"""

from __future__ import annotations

from datetime import date

from lianxin.errors import DateOutOfRange

# A call, a mark or a waiver is entered late, but not years late: a month's calls are escalated
# to the county within weeks, so nothing an older day could change is still open.
LOOKBACK_MONTHS = 12


def earliest_day(today: date) -> date:
    """Return the first day of the month LOOKBACK_MONTHS before `today`'s month (the floor a
    recorded day may not go below when nothing more specific bounds it)."""
    months = today.year * 12 + today.month - 1 - LOOKBACK_MONTHS
    return date(months // 12, months % 12 + 1, 1)


def day_refusal(day: date, earliest: date, today: date) -> str | None:
    """Return why `day` is not allowed, "future" (after `today`) or "too_early" (before
    `earliest`), or None when earliest <= day <= today."""
    if day > today:
        return "future"
    if day < earliest:
        return "too_early"
    return None


def check_day(field: str, day: date, today: date, earliest: date | None = None) -> None:
    """Raise DateOutOfRange unless `day` lies between `earliest` (default: `earliest_day(today)`)
    and `today`, both included; `field` names what the day is for (call_date, given_on, …)."""
    floor = earliest if earliest is not None else earliest_day(today)
    reason = day_refusal(day, floor, today)
    if reason is not None:
        raise DateOutOfRange(field, day, floor, today, reason)


def rules_day(day: date, today: date) -> date:
    """Return the day the rules should run as of when `day` is asked for: `day`, or `today` when
    `day` lies after it (the rules never run ahead of the calendar)."""
    return min(day, today)
