"""Read a rectification deadline (整改时限) as notices write it: a date, or a rule.

Besides dates (12月15日前, 2026年12月31日), notices write rules relative to the notice itself:
立行立改 (at once: the notice's date), 限期10日内 / 10天内 (ten calendar days after it) and
5个工作日内 (five working days, China's official calendar).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from lianxin.parsing.text import is_missing, normalize, parse_date
from lianxin.rules.calendar import is_workday

_AT_ONCE = re.compile(r"立行立改|立即整改|即知即改|立查立改|马上整改|立即")
_WITHIN = re.compile(
    r"(\d+|[一二三四五六七八九十]{1,3})\s*(?:个)?\s*(工作日|日|天)\s*(?:内|之内|以内)"
)
_CN_DIGITS = "一二三四五六七八九"


def read_deadline(text: str | None, notice_date: date | None, year: int | None) -> date | None:
    """Return the deadline `text` sets; None when blank; raise ValueError when unreadable.

    Relative rules count from `notice_date` (the notice's publication date); without it they
    cannot be read and raise.
    """
    value = normalize(text)
    if is_missing(value):
        return None
    relative = _AT_ONCE.search(value) or _WITHIN.search(value)
    if relative is not None and not re.search(r"\d{1,2}\s*月\s*\d{1,2}", value):
        if notice_date is None:
            raise ValueError(f"deadline {value!r} counts from the notice, which has no date")
        if _AT_ONCE.search(value):
            return notice_date
        days = _number(relative.group(1))
        if relative.group(2) == "工作日":
            return _add_working_days(notice_date, days)
        return notice_date + timedelta(days=days)
    return parse_date(value, year)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    # 十 = 10, 十五 = 15, 二十 = 20, 二十五 = 25
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.index(tens) + 1 if tens else 1) * 10 + (
            _CN_DIGITS.index(ones) + 1 if ones else 0
        )
    return _CN_DIGITS.index(text) + 1


def _add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_workday(day):
            days -= 1
    return day
