"""China's working-day calendar (official holidays and make-up workdays, 调休).

Backed by the maintained `chinesecalendar` package, which carries the State Council's
schedule year by year. A year it does not know yet falls back to Monday–Friday.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    """Return True if `day` is an official working day in mainland China (调休 Saturdays too)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


@lru_cache(maxsize=64)
def _warn_unknown_year(year: int) -> None:
    log.warning(
        "No official holiday schedule for %s yet (chinesecalendar); assuming Monday-Friday. "
        "Upgrade chinesecalendar once the State Council publishes it.",
        year,
    )


def next_workday_on_or_after(day: date) -> date:
    """Return `day` if it is a working day, else the first working day after it."""
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def is_official_holiday(day: date) -> bool:
    """Return True if `day` falls inside a named official holiday (not a plain weekend)."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return False
    return bool(on_holiday and name)
