"""Read a rectification deadline (整改时限) as notices write it: a date, or a rule.

Besides dates (12月15日前, 2026年12月31日), notices write rules relative to the notice itself:
立行立改 (at once: the notice's date), 限期10日内 / 10天内 (ten calendar days after it), 5个工作日内
(five working days, China's official calendar), 月底前, 年底前, 春节前 — all read by
`parse_deadline`, counting from the notice's publication date.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from lianxin.parsing.date_spans import xun_window
from lianxin.parsing.dates import (
    add_months,
    full_date_text,
    is_no_date,
    month_end,
    names_month_day,
    nearest_date,
    parse_date,
    prepare,
    relative_day,
    shift_month,
)
from lianxin.parsing.numerals import is_missing_marker
from lianxin.workdays import is_workday

# Rules that count from the notice; without the notice's date they cannot be read.
_RELATIVE = re.compile(
    r"立行立改|立即整改|即知即改|立查立改|马上整改|立即|"
    r"\d+\s*(?:个)?\s*(?:工作日|日|天|周|个月|月)\s*(?:内|之内|以内)|限期|"
    r"月底|月末|年底|年末|年内|春节|旬"
)
_IMMEDIATE = re.compile(r"立行立改|立即整改|即知即改|立查立改|立即|马上|当即|立改")
_ONGOING = re.compile(r"长期坚持|长期整改|持续整改|长期|常态化|持续推进")
_WITHIN_WORKDAYS = re.compile(r"(\d+)\s*个?\s*工作日")
_WITHIN_DAYS = re.compile(r"(?<![月\d])(\d+)\s*(?:日|天)\s*(?:之内|以内|内)")
_LIMIT_DAYS = re.compile(r"限期\s*(\d+)\s*(?:日|天)")
_WITHIN_WEEKS = re.compile(r"(\d+)\s*(?:周|个星期|星期)\s*(?:之内|以内|内)")
_WITHIN_MONTHS = re.compile(r"(\d+)\s*个\s*月\s*(?:之内|以内|内)")
_YEAR_END = re.compile(r"(?:(\d{4})\s*年\s*|(今年|本年|明年)\s*)?(?:年底|年末|年终|年内)")
_MONTH_END = re.compile(
    r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月|(本|当|这|下)\s*个?\s*月|月)\s*(?:底|末|内)"
)
_SPRING_FESTIVAL = re.compile(r"春节")
_NEW_YEAR = re.compile(r"元旦")
_NATIONAL_DAY = re.compile(r"国庆")

# 正月初一, for years chinesecalendar does not cover yet (it follows the State Council's yearly
# notice, published each November or December).
LUNAR_NEW_YEAR = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


def read_deadline(text: str | None, notice_date: date | None, year: int | None) -> date | None:
    """Return the deadline `text` sets; None when blank; raise ValueError when unreadable.

    Rules count from `notice_date` (the notice's publication date); without it a rule cannot
    be read and raises, and a month and day without a year take `year`.
    """
    if is_missing_marker(text):
        return None
    if notice_date is not None:
        return parse_deadline(text, notice_date)
    value = prepare(text)
    if _RELATIVE.search(value) and not re.search(r"\d{1,2}\s*月\s*\d{1,2}", value):
        raise ValueError(f"deadline {value!r} counts from the notice, which has no date")
    return parse_date(value, year)


def parse_deadline(text: str | None, reference: date) -> date | None:
    """Return the last day a deadline text allows, counted from `reference` (the report's date).

    12月15日前 → Dec 15; 10日内/10天内/限期10日 → reference + 10 days; 10个工作日内 → the 10th
    official working day after reference; 月底前 → end of month; 年底前/年内 → Dec 31; 春节前 →
    the day before the Spring Festival holiday; 立行立改 → reference. None for missing markers and
    for open-ended terms (长期坚持, 持续整改); ValueError for text that sets no readable day.
    """
    value = prepare(text)
    if is_no_date(value):
        return None
    if _IMMEDIATE.search(value):
        return reference
    written = full_date_text(value)
    if written:
        return parse_date(written, reference=reference)
    if names_month_day(value):
        return parse_date(value, reference=reference)
    match = _WITHIN_WORKDAYS.search(value)
    if match:
        return add_workdays(reference, int(match.group(1)))
    match = _WITHIN_DAYS.search(value) or _LIMIT_DAYS.search(value)
    if match:
        return reference + timedelta(days=int(match.group(1)))
    match = _WITHIN_WEEKS.search(value)
    if match:
        return reference + timedelta(weeks=int(match.group(1)))
    match = _WITHIN_MONTHS.search(value)
    if match:
        return add_months(reference, int(match.group(1)))
    xun = xun_window(value, reference)
    if xun:
        return xun.end
    deadline = _named_deadline(value, reference)
    if deadline is not None:
        return deadline
    if _ONGOING.search(value):
        return None
    relative = relative_day(value, reference)
    if relative is not None:
        return relative
    raise ValueError(f"not a deadline: {value!r}")


def add_workdays(day: date, count: int) -> date:
    """Return the `count`-th official working day after `day` (`day` itself not counted)."""
    if count > 3660:
        raise ValueError(f"{count} working days is not a deadline")
    current = day
    left = count
    while left > 0:
        current += timedelta(days=1)
        if is_workday(current):
            left -= 1
    return current


def spring_festival_deadline(reference: date) -> date:
    """Return the last day before the next Spring Festival holiday (春节前) after `reference`."""
    for year in (reference.year, reference.year + 1):
        start = spring_festival_start(year)
        if start - timedelta(days=1) >= reference:
            return start - timedelta(days=1)
    raise ValueError(f"no Spring Festival after {reference.isoformat()} is known")


@lru_cache(maxsize=64)
def spring_festival_start(year: int) -> date:
    """Return the first day of the official Spring Festival holiday of `year`.

    From chinesecalendar when it knows the year; else two days before 正月初一, since the holiday
    takes in 除夕 (the eve) from 2025 on. Raises ValueError for years known to neither.
    """
    day = date(year, 1, 10)
    try:
        while day.month < 3:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            if on_holiday and name == chinese_calendar.Holiday.spring_festival.value:
                return day
            day += timedelta(days=1)
    except NotImplementedError:
        pass
    if year in LUNAR_NEW_YEAR:
        return LUNAR_NEW_YEAR[year] - timedelta(days=2)
    raise ValueError(f"no Spring Festival date known for {year}")


def _named_deadline(value: str, reference: date) -> date | None:
    if _SPRING_FESTIVAL.search(value):
        return spring_festival_deadline(reference)
    if _NEW_YEAR.search(value):
        return date(reference.year, 12, 31)
    if _NATIONAL_DAY.search(value):
        year = reference.year if reference <= date(reference.year, 9, 30) else reference.year + 1
        return date(year, 9, 30)
    match = _YEAR_END.search(value)
    if match:
        year = int(match.group(1)) if match.group(1) else reference.year
        if match.group(2) == "明年":
            year += 1
        return date(year, 12, 31)
    match = _MONTH_END.search(value)
    if match:
        if match.group(2):
            month = int(match.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"not a real month: {value!r}")
            year = (
                int(match.group(1))
                if match.group(1)
                else nearest_date(month, 1, reference, value).year
            )
        else:
            shift = 1 if match.group(3) == "下" else 0
            year, month = shift_month(reference.year, reference.month, shift)
        return month_end(year, month)
    return None
