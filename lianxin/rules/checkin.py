"""The monthly check-in rule (每月上旬电话回访): its window, due date and reminder stage.

Pure functions of a date: no database, no clock. Calendar days are Asia/Shanghai days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from lianxin.workdays import is_official_holiday, next_workday_on_or_after


class Stage(StrEnum):
    """The rungs of the reminder ladder for one cadre and one month."""

    window_open = "window_open"  # 上旬开始
    days_left = "days_left"  # 还剩3天
    last_day = "last_day"  # 最后一天
    overdue = "overdue"  # 已逾期


@dataclass(frozen=True)
class CheckinWindow:
    period: str  # YYYY-MM
    start: date
    due: date  # the last day a call counts as on time


def period_of(day: date) -> str:
    """Return the YYYY-MM period `day` belongs to."""
    return f"{day.year:04d}-{day.month:02d}"


def checkin_window(
    period: str, first_day: int = 1, last_day: int = 10, move_past_holidays: bool = True
) -> CheckinWindow:
    """Return the check-in window of `period`.

    The due date is day `last_day`; when that day lies inside an official holiday (e.g. the
    National Day week) it moves to the next working day. A plain weekend does not move it:
    cadres phone from home, and the rule says "first ten days", not "ten working days".
    """
    year, month = (int(part) for part in period.split("-"))
    start = date(year, month, first_day)
    due = date(year, month, last_day)
    if move_past_holidays and is_official_holiday(due):
        due = next_workday_on_or_after(due)
    return CheckinWindow(period=period, start=start, due=due)


def stage_on(today: date, window: CheckinWindow, days_left_stage: int = 3) -> Stage | None:
    """Return the reminder stage that `today` falls in for `window`, or None before it opens.

    window_open from the start until more than `days_left_stage` days remain; days_left while
    1..`days_left_stage` days remain; last_day on the due date; overdue on any day after it.
    """
    if today < window.start:
        return None
    if today > window.due:
        return Stage.overdue
    remaining = (window.due - today).days
    if remaining == 0:
        return Stage.last_day
    if remaining <= days_left_stage:
        return Stage.days_left
    return Stage.window_open
