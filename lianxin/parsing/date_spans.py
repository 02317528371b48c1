"""Read spans of days as reports write them: 2017年8月至11月, 1—10日, 每月上旬, 从12月九号到十五号.

`parse_span` reads a written date or period with both ends kept; `parse_window` the days a
check-in window names, counted from the report's date. None for a "nothing here" marker;
ValueError, with the reason, for text that names no days or a span that ends before it starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lianxin.parsing.dates import (
    find_period,
    is_no_date,
    make_date,
    month_end,
    nearest_date,
    parse_date,
    prepare,
    shift_month,
    two_digit_year,
)

_XUN = re.compile(
    r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*份?|每月|每个月|本月|当月|下月|上月)?\s*([上中下])旬"
)
_RANGE_SEP = re.compile(r"\s*(?:至|到|~|〜|—+|–|－|-)\s*")


@dataclass(frozen=True)
class DateRange:
    """A span of calendar days, both ends included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def parse_window(text: str | None, reference: date) -> DateRange | None:
    """Return the days a text names: 每月上旬 → 1–10 of the reference month, 1日至10日, 上月.

    A single date is a one-day window. Raises ValueError for text that names no days, for
    impossible days and for a window that ends before it starts.
    """
    value = prepare(text)
    if is_no_date(value):
        return None
    xun = xun_window(value, reference)
    if xun:
        return xun
    if _RANGE_SEP.search(value):
        try:
            span = parse_span(value, reference=reference)
        except ValueError as exc:
            if "ends before it starts" in str(exc):
                raise ValueError(f"window ends before it starts: {value!r}") from exc
            span = None
        if span is not None:
            return span
    try:
        day = parse_date(value, reference=reference)
    except ValueError:
        period = find_period(value, reference=reference)
        if period is None:
            raise
        year, month = int(period[:4]), int(period[5:])
        return DateRange(date(year, month, 1), month_end(year, month))
    return DateRange(day, day) if day else None


# A date as written, in parts: 2017年8月11日, 2017年8月, 2017年, 8月11日, 8月, 11日, 2019.05.29,
# 1999.08, 09-01, 6·30, and a bare number (2009, 12) whose unit comes from the other end.
_CLOCK = (
    r"(?:\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?\s*时?"
    r"|(?:\d{1,2}|零)\s*[时点](?:\s*\d{1,2}\s*分)?)"
)
_TIME_TAIL = re.compile(rf"[\s-]*{_CLOCK}(?:\s*(?:~|〜|至|到|-)\s*{_CLOCK})?\s*$")
_PART = re.compile(
    r"(?:(?P<year>\d{4}|\d{2})\s*年)?\s*(?:(?P<month>\d{1,2})\s*月份?)?"
    r"\s*(?:(?P<day>\d{1,2})\s*[日号]?)?"
)
_NUMERIC_PART = re.compile(
    r"(?P<year>\d{4})(?:\s*[-./\s]\s*(?P<month>\d{1,2})(?:\s*[-./\s]\s*(?P<day>\d{1,2}))?)?"
    r"|(?P<md_month>\d{1,2})\s*[-/·]\s*(?P<md_day>\d{1,2})"
)
_SPAN_SEP = re.compile(r"\s*(?:至|到|~|〜|—+|–+|－+|-+)\s*")
_SPAN_WRAP = re.compile(r"^(?:从|自)\s*|\s*(?:止|为止)$")


@dataclass(frozen=True)
class _Parts:
    year: int | None
    month: int | None
    day: int | None
    bare: int | None = None  # a number without 年/月/日: its unit comes from the other end
    short_year: bool = False  # written with two digits (15年): the century is still to find


def parse_span(
    text: str | None, default_year: int | None = None, *, reference: date | None = None
) -> DateRange | None:
    """Return the calendar days a written date or period covers, both ends kept.

    2017年8月11日 → that day; 2017年8月 → the month; 2023年 → the year; 2017年8月至11月 →
    Aug 1 to Nov 30; 2018年1－9月份 → Jan 1 to Sep 30; 从2018年12月九号到十五号 → Dec 9 to 15 of
    2018 (an end takes what the other end wrote, never the reference's year over a written one);
    1985到89年9月; 2008.03-2009. Two-digit years (15年, 九零年) are 20xx unless that is more than
    ten years after the reference (or `default_year`), then 19xx. A missing year is
    `default_year`, else the one nearest `reference`. Time of day is ignored. None for missing
    markers; ValueError for text that is not such a date, an impossible day, or a span that
    ends before it starts.
    """
    value = _SPAN_WRAP.sub("", prepare(text)).replace("起至", "至")
    if is_no_date(value):
        return None
    single = _read_parts(value)
    if single is not None and single.bare is None:
        start, end = _parts_span(single, default_year, reference, value)
        return DateRange(start, end)
    for separator in _SPAN_SEP.finditer(value):
        left = _read_parts(value[: separator.start()])
        right = _read_parts(value[separator.end() :])
        if left is None or right is None or right.bare is not None and left.bare is not None:
            continue
        left, right = _inherit(left, right), _inherit(right, left)
        start = _parts_span(left, default_year, reference, value)[0]
        end = _parts_span(right, default_year, reference, value)[1]
        if end < start:
            raise ValueError(f"span ends before it starts: {value!r}")
        return DateRange(start, end)
    raise ValueError(f"not a date or a period: {value!r}")


def _read_parts(text: str) -> _Parts | None:
    text = _TIME_TAIL.sub("", text.strip()).strip()
    if not text:
        return None
    if text.isdigit() and len(text) == 8:
        return _Parts(int(text[:4]), int(text[4:6]), int(text[6:]))
    if text.isdigit() and len(text) in (1, 2, 4):
        return _Parts(None, None, None, bare=int(text))
    numeric = _NUMERIC_PART.fullmatch(text)
    if numeric:
        if numeric.group("year"):
            year, month, day = (numeric.group(g) for g in ("year", "month", "day"))
            return _Parts(int(year), _int(month), _int(day))
        return _Parts(None, int(numeric.group("md_month")), int(numeric.group("md_day")))
    match = _PART.fullmatch(text)
    if match is None or not any(match.groups()):
        # 2018年1 (of 2018年1－9月): a trailing bare number after a year or month.
        head = re.fullmatch(r"(.*?月)\s*(\d{1,2})", text)
        if head is None:
            return None
        parts = _read_parts(head.group(1))
        if parts is None:
            return None
        return _Parts(parts.year, parts.month, parts.day, int(head.group(2)), parts.short_year)
    year, month, day = (match.group(g) for g in ("year", "month", "day"))
    if day and not month and not re.search(r"[日号]$", text):
        # 2018年1 (of 2018年1－9月) or 1 (of 1-10日): the unit comes from the other end.
        return _Parts(_int(year), None, None, int(day), bool(year and len(year) == 2))
    return _Parts(_int(year), _int(month), _int(day), short_year=bool(year and len(year) == 2))


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def _inherit(parts: _Parts, other: _Parts) -> _Parts:
    # A bare number takes the unit of the other end's first written part (1－9月: months).
    year, month, day = parts.year, parts.month, parts.day
    if parts.bare is not None:
        if (
            other.year is not None
            and other.month is None
            and other.day is None
            or (parts.year is None and parts.month is None and len(str(parts.bare)) == 4)
        ):
            year = parts.bare if year is None else year
        elif other.month is not None and (other.year is None or parts.year is not None):
            if month is None:
                month = parts.bare
            else:
                day = parts.bare
        elif other.day is not None:
            day = parts.bare
        else:
            year = parts.bare
    # What the end leaves out above its first part comes from the other end (11月 of 2017年8月).
    if year is None and other.year is not None and (month is not None or day is not None):
        year = other.year
    if month is None and day is not None and other.month is not None:
        month = other.month
    short = parts.short_year if parts.year is not None or year is None else other.short_year
    return _Parts(year, month, day, short_year=short and year is not None and year < 100)


def _parts_span(
    parts: _Parts,
    default_year: int | None,
    reference: date | None,
    value: str,
) -> tuple[date, date]:
    year, month, day = parts.year, parts.month, parts.day
    if year is not None and parts.short_year:
        page_year = default_year or (reference.year if reference else None)
        year = two_digit_year(year, page_year, value)
    if year is None and month is None and day is not None and reference is not None:
        year, month = reference.year, reference.month  # 1—10日: the reference's month
    if year is None:
        if month is None:
            raise ValueError(f"a day without its month: {value!r}")
        if default_year is not None:
            year = default_year
        elif reference is not None:
            year = nearest_date(month, day or 1, reference, value).year
        else:
            raise ValueError(f"date without a year and no page year: {value!r}")
    if month is None:
        if day is not None:
            raise ValueError(f"a day without its month: {value!r}")
        return make_date(year, 1, 1, value), make_date(year, 12, 31, value)
    if not 1 <= month <= 12:
        raise ValueError(f"not a real month: {value!r}")
    if day is None:
        return date(year, month, 1), month_end(year, month)
    day_value = make_date(year, month, day, value)
    return day_value, day_value


def xun_window(value: str, reference: date) -> DateRange | None:
    """Return the 旬 prepared text names (上旬 1–10, 中旬 11–20, 下旬 21 to the end), else None."""
    match = _XUN.search(value)
    return _xun_range(match, reference, value) if match else None


def _xun_range(match: re.Match[str], reference: date, value: str) -> DateRange:
    # 上旬 1–10, 中旬 11–20, 下旬 21 to the month's end (每月上旬: the reference month).
    year_text, month_text, part = match.groups()
    if month_text:
        month = int(month_text)
        if not 1 <= month <= 12:
            raise ValueError(f"not a real month: {value!r}")
        year = int(year_text) if year_text else nearest_date(month, 1, reference, value).year
    else:
        year, month = reference.year, reference.month
    if "下月" in value:
        year, month = shift_month(year, month, 1)
    elif "上月" in value:
        year, month = shift_month(year, month, -1)
    first = {"上": 1, "中": 11, "下": 21}[part]
    last = month_end(year, month) if part == "下" else date(year, month, first + 9)
    return DateRange(date(year, month, first), last)
