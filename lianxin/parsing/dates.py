"""Read dates as reports write them, resolved against the report's own date (`reference`).

Forms: 2026年11月8日, 2026-11-08, 2026.11.8, 2026/11/08, 20261108, 二〇二六年十一月八日,
full-width digits; 11月8日 (year from the page, or the year that puts it within half a year of
`reference`: a 12月 date on a January page is last December); months 上月, 本月, 今年5月,
去年5月; days 今天, 昨天, 前天, 上周三, 本周五, 下周五. Spans and windows (每月上旬, 1—10日,
2017年8月至11月) are read in `date_spans`, deadlines (12月15日前, 10个工作日内, 春节前) in
`deadlines`.

Every reader returns None for a "nothing here" marker and raises ValueError with the reason for
text it cannot read or for a day that does not exist (2月30日, 13月); callers quarantine on it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from lianxin.parsing.memo import by_cell
from lianxin.parsing.numerals import (
    CHINESE_NUMERAL_CHARS,
    YEAR_DIGITS,
    arabic_integer,
    digits_to_arabic,
    normalize_number_text,
)

_MISSING = frozenset(
    {"", "-", "--", "—", "——", "/", "\\", "无", "暂无", "空", "空白", "未知", "none", "null", "n/a"}
)
# Chinese numerals right before a date or duration word become Arabic (十一月 → 11月).
_CN_RUN = re.compile(
    rf"[{CHINESE_NUMERAL_CHARS}]+(?=\s*(?:年|月|日|号|天|个|周(?![一二三四五六日天])|旬|星期))"
)
_CN_YEAR = re.compile(rf"(?<![{CHINESE_NUMERAL_CHARS}])[{YEAR_DIGITS}]{{2,4}}(?=\s*年)")
_DAY = r"(\d{1,2})\s*[日号]"
# 年 goes with 月, punctuation with punctuation: 2018年1－9月份 is a span of months, not Jan 9.
# A time glued on (2018-12-1209:03) still ends the day.
_FULL_DATE = re.compile(
    r"(?<!\d)(\d{4})\s*(?:年\s*(\d{1,2})\s*月|[-./]\s*(\d{1,2})\s*[-./])\s*(\d{1,2})"
    r"(?:(?!\d)|(?=\d{1,2}[:：]\d{2}))\s*[日号]?"
)
# 15年3月2日: a two-digit year, placed by `two_digit_year`.
_SHORT_YEAR_DATE = re.compile(
    r"(?<![\d.])(\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?!\d)"
)
_SPAN_AFTER = re.compile(r"\s*(?:至|到|~|〜|—+|–+|－+|-+)\s*\d")
_SPAN_BEFORE = re.compile(r"[\d月]\s*(?:至|到|~|〜|—+|–+|－+|-+)\s*$")
_COMPACT_DATE = re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])([0-2]\d|3[01])(?!\d)")
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})\s*月\s*(?:份\s*)?(\d{1,2})\s*[日号]?(?!\d)")
_REL_YEAR_MONTH_DAY = re.compile(r"(今年|本年|去年|上年|前年|明年)\s*(\d{1,2})\s*月\s*" + _DAY)
_REL_MONTH_DAY = re.compile(r"(上|本|这|当|下)\s*个?\s*月\s*" + _DAY)
_RELATIVE_DAYS = (
    ("大前天", -3),
    ("前天", -2),
    ("昨天", -1),
    ("昨日", -1),
    ("今天", 0),
    ("今日", 0),
    ("当天", 0),
    ("当日", 0),
    ("明天", 1),
    ("明日", 1),
    ("大后天", 3),
    ("后天", 2),
)
_WEEKDAY = re.compile(
    r"(上上|上|本|这|下下|下)\s*(?:个)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天1-7])"
)
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEK_SHIFT = {"上上": -2, "上": -1, "本": 0, "这": 0, "下": 1, "下下": 2}
_PERIOD = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*[日号])")
_PERIOD_DASH = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})(?![-./\d])")
_REL_YEAR_MONTH = re.compile(
    r"(今年|本年|去年|上年|前年|明年)\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*[日号])"
)
_REL_MONTH = re.compile(r"(上上|上|本|这|当|下)\s*个?\s*月(?!\s*\d{1,2}\s*[日号]|[底末初])")
_MONTH_SHIFT = {"上上": -2, "上": -1, "本": 0, "这": 0, "当": 0, "下": 1}
_YEAR_SHIFT = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}


def prepare(text: str | None) -> str:
    """Return `text` normalised (NFKC, spaces) with date numerals in Arabic (十一月 → 11月)."""
    value = normalize_number_text(text)
    if not value or value.isascii():
        return value
    # A year in digits keeps every digit (零七年 → 07年, 二〇二六年 → 2026年).
    value = _CN_YEAR.sub(lambda m: digits_to_arabic(m.group(0)), value)
    return _CN_RUN.sub(lambda m: arabic_integer(m.group(0)), value)


def is_no_date(value: str) -> bool:
    """Return True when prepared text is a "nothing here" marker (blank, —, /, 无 …)."""
    return value.lower() in _MISSING


@by_cell  # a call sheet's date column repeats a few dozen days
def parse_date(
    text: str | None, default_year: int | None = None, *, reference: date | None = None
) -> date | None:
    """Return the first date in `text`; None when blank or a missing marker.

    A date without a year takes `default_year` when given, else the year that puts it within
    half a year of `reference`. 今天/昨天/上周三/上月8日 need `reference`. Raises ValueError for
    text that is not a day (11月32日, 2026年11月, 上月), a span of days (2017年8月11日至22日: see
    `parse_span`), or a relative one without a reference.
    """
    value = prepare(text)
    if is_no_date(value):
        return None
    for pattern in (_FULL_DATE, _COMPACT_DATE, _SHORT_YEAR_DATE):
        match = pattern.search(value)
        if match:
            _refuse_span(value, match)
            year, month, day = _ymd(match)
            if pattern is _SHORT_YEAR_DATE:
                page_year = default_year or (reference.year if reference else None)
                year = two_digit_year(year, page_year, value)
            return make_date(year, month, day, value)
    relative = relative_day(value, reference)
    if relative is not None:
        return relative
    match = _MONTH_DAY.search(value)
    if match:
        _refuse_span(value, match)
        month, day = int(match.group(1)), int(match.group(2))
        if default_year is not None:
            return make_date(default_year, month, day, value)
        if reference is None:
            raise ValueError(f"date without a year and no page year: {value!r}")
        return nearest_date(month, day, reference, value)
    period = find_period(value, reference=reference)
    if period:
        raise ValueError(f"names a month ({period}), not a day: {value!r}")
    raise ValueError(f"not a date: {value!r}")


def find_dates(
    text: str, default_year: int | None = None, *, reference: date | None = None
) -> list[date]:
    """Return every readable date in a running text, in order; unreadable ones are skipped."""
    value = prepare(text)
    found: list[tuple[int, date]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_FULL_DATE, _SHORT_YEAR_DATE, _MONTH_DAY):
        for match in pattern.finditer(value):
            if any(s <= match.start() < e for s, e in taken):
                continue
            try:
                day = parse_date(match.group(0), default_year, reference=reference)
            except ValueError:
                # An unplaceable 15年3月2日 is still no 3月2日 of the page's year.
                taken.append((match.start(), match.end()))
                continue
            if day is not None:
                found.append((match.start(), day))
                taken.append((match.start(), match.end()))
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]


@by_cell
def find_period(text: str, *, reference: date | None = None) -> str | None:
    """Return the first YYYY-MM month named in `text` (2026年11月, 2026-11), else None.

    With `reference`, relative months count too: 上月, 本月, 今年5月, 去年5月. A span of months
    (2026年8月至11月) names no one month and is skipped.
    """
    value = prepare(text)
    for pattern in (_PERIOD, _PERIOD_DASH):
        for match in pattern.finditer(value):
            if _SPAN_AFTER.match(value, match.end()) or _SPAN_BEFORE.search(
                value, 0, match.start()
            ):
                continue
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12 and 1900 < year < 2200:
                return f"{year:04d}-{month:02d}"
    if reference is None:
        return None
    named = _REL_YEAR_MONTH.search(value)
    if named and 1 <= int(named.group(2)) <= 12:
        return f"{reference.year + _YEAR_SHIFT[named.group(1)]:04d}-{int(named.group(2)):02d}"
    relative = _REL_MONTH.search(value)
    if relative:
        year, month = shift_month(reference.year, reference.month, _MONTH_SHIFT[relative.group(1)])
        return f"{year:04d}-{month:02d}"
    return None


def full_date_text(value: str) -> str | None:
    """Return the first full date prepared text writes (2026年12月15日, 20261215), else None."""
    match = _FULL_DATE.search(value) or _COMPACT_DATE.search(value)
    return match.group(0) if match else None


def names_month_day(value: str) -> bool:
    """Return True when prepared text writes a month's day (12月15日, 上月8日, 今年5月3日)."""
    return bool(
        _MONTH_DAY.search(value)
        or _REL_MONTH_DAY.search(value)
        or _REL_YEAR_MONTH_DAY.search(value)
    )


def two_digit_year(short: int, reference_year: int | None, original: str) -> int:
    """Return the year a two-digit year means: 20xx, or 19xx when 20xx is over ten years ahead."""
    if reference_year is None:
        raise ValueError(f"two-digit year and no page year to place it: {original!r}")
    return 2000 + short if 2000 + short <= reference_year + 10 else 1900 + short


def make_date(year: int, month: int, day: int, original: str) -> date:
    """Return the date, or raise ValueError naming the text when the day does not exist."""
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"not a real day: {original!r}") from exc


def nearest_date(month: int, day: int, reference: date, original: str) -> date:
    """Return month/day in the year that puts it nearest `reference` (within half a year)."""
    candidates = []
    for year in (reference.year, reference.year - 1, reference.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise ValueError(f"not a real day: {original!r}")
    return min(candidates, key=lambda d: abs((d - reference).days))


def month_end(year: int, month: int) -> date:
    """Return the last day of the month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    """Return (year, month) moved by `months` (negative goes back)."""
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, on the month's last day when it is shorter."""
    year, month = shift_month(day.year, day.month, months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def relative_day(value: str, reference: date | None) -> date | None:
    """Return the day a relative word names (昨天, 上周三, 上月8日), None when there is none.

    Raises ValueError when there is one and no `reference` to count from.
    """
    match = _REL_YEAR_MONTH_DAY.search(value)
    if match:
        year = _need(reference, value).year + _YEAR_SHIFT[match.group(1)]
        return make_date(year, int(match.group(2)), int(match.group(3)), value)
    match = _REL_MONTH_DAY.search(value)
    if match:
        ref = _need(reference, value)
        year, month = shift_month(ref.year, ref.month, _MONTH_SHIFT[match.group(1)])
        return make_date(year, month, int(match.group(2)), value)
    match = _WEEKDAY.search(value)
    if match:
        ref = _need(reference, value)
        wanted = match.group(2)
        weekday = int(wanted) - 1 if wanted.isdigit() else _WEEKDAYS[wanted]
        monday = ref - timedelta(days=ref.weekday())
        return monday + timedelta(weeks=_WEEK_SHIFT[match.group(1)], days=weekday)
    for word, shift in _RELATIVE_DAYS:
        if word in value:
            return _need(reference, value) + timedelta(days=shift)
    return None


def _ymd(match: re.Match[str]) -> tuple[int, int, int]:
    # _FULL_DATE writes its month in group 2 (年…月) or 3 (punctuation).
    year, month, day = (int(g) for g in match.groups() if g is not None)
    return year, month, day


def _refuse_span(value: str, match: re.Match[str]) -> None:
    if _SPAN_AFTER.match(value, match.end()):
        raise ValueError(f"names a span of days, not a day: {value!r}")


def _need(reference: date | None, value: str) -> date:
    if reference is None:
        raise ValueError(f"relative date and no report date to count from: {value!r}")
    return reference
