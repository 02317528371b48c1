"""Read dates as reports write them, resolved against the report's own date (`reference`).

Forms: 2026年11月8日, 2026-11-08, 2026.11.8, 2026/11/08, 20261108, 二〇二六年十一月八日,
full-width digits; 11月8日 (year from the page, or the year that puts it within half a year of
`reference`: a 12月 date on a January page is last December); months 上月, 本月, 今年5月,
去年5月; days 今天, 昨天, 前天, 上周三, 本周五, 下周五; windows 每月上旬/中旬/下旬, 1—10日,
1日至10日; deadlines 12月15日前, 10日内, 10个工作日内 (China's official calendar, 调休
included), 月底前, 年底前, 年内, 春节前, 立行立改.

Every reader returns None for a "nothing here" marker and raises ValueError with the reason for
text it cannot read or for a day that does not exist (2月30日, 13月); callers quarantine on it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from lianxin.parsing.memo import by_cell
from lianxin.parsing.numbers import CHINESE_NUMERAL_CHARS, chinese_number, normalize_number_text
from lianxin.workdays import is_workday

_MISSING = frozenset(
    {"", "-", "--", "—", "——", "/", "\\", "无", "暂无", "空", "空白", "未知", "none", "null", "n/a"}
)
# Chinese numerals right before a date or duration word become Arabic (十一月 → 11月).
_CN_RUN = re.compile(
    rf"[{CHINESE_NUMERAL_CHARS}]+(?=\s*(?:年|月|日|号|天|个|周(?![一二三四五六日天])|旬|星期))"
)
_CN_DIGITS = "〇零○一二三四五六七八九"
_DIGIT_TABLE = str.maketrans(_CN_DIGITS, "00012345678" + "9")
_CN_YEAR = re.compile(rf"(?<![{CHINESE_NUMERAL_CHARS}])[{_CN_DIGITS}]{{2,4}}(?=\s*年)")
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
_XUN = re.compile(
    r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*份?|每月|每个月|本月|当月|下月|上月)?\s*([上中下])旬"
)
_RANGE_SEP = re.compile(r"\s*(?:至|到|~|〜|—+|–|－|-)\s*")

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


@dataclass(frozen=True)
class DateRange:
    """A span of calendar days, both ends included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def prepare(text: str | None) -> str:
    """Return `text` normalised (NFKC, spaces) with date numerals in Arabic (十一月 → 11月)."""
    value = normalize_number_text(text)
    if not value or value.isascii():
        return value
    # A year in digits keeps every digit (零七年 → 07年, 二〇二六年 → 2026年).
    value = _CN_YEAR.sub(lambda m: m.group(0).translate(_DIGIT_TABLE), value)
    return _CN_RUN.sub(_arabic, value)


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
    if value.lower() in _MISSING:
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
    relative = _relative_day(value, reference)
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


def parse_window(text: str | None, reference: date) -> DateRange | None:
    """Return the days a text names: 每月上旬 → 1–10 of the reference month, 1日至10日, 上月.

    A single date is a one-day window. Raises ValueError for text that names no days, for
    impossible days and for a window that ends before it starts.
    """
    value = prepare(text)
    if value.lower() in _MISSING:
        return None
    xun = _XUN.search(value)
    if xun:
        return _xun_range(xun, reference, value)
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
    if value.lower() in _MISSING:
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
        if other.year is not None and other.month is None and other.day is None or (
            parts.year is None and parts.month is None and len(str(parts.bare)) == 4
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


def two_digit_year(short: int, reference_year: int | None, original: str) -> int:
    """Return the year a two-digit year means: 20xx, or 19xx when 20xx is over ten years ahead."""
    if reference_year is None:
        raise ValueError(f"two-digit year and no page year to place it: {original!r}")
    return 2000 + short if 2000 + short <= reference_year + 10 else 1900 + short


def parse_deadline(text: str | None, reference: date) -> date | None:
    """Return the last day a deadline text allows, counted from `reference` (the report's date).

    12月15日前 → Dec 15; 10日内/10天内/限期10日 → reference + 10 days; 10个工作日内 → the 10th
    official working day after reference; 月底前 → end of month; 年底前/年内 → Dec 31; 春节前 →
    the day before the Spring Festival holiday; 立行立改 → reference. None for missing markers and
    for open-ended terms (长期坚持, 持续整改); ValueError for text that sets no readable day.
    """
    value = prepare(text)
    if value.lower() in _MISSING:
        return None
    if _IMMEDIATE.search(value):
        return reference
    match = _FULL_DATE.search(value) or _COMPACT_DATE.search(value)
    if match:
        return parse_date(match.group(0), reference=reference)
    if (
        _MONTH_DAY.search(value)
        or _REL_MONTH_DAY.search(value)
        or _REL_YEAR_MONTH_DAY.search(value)
    ):
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
    xun = _XUN.search(value)
    if xun:
        return _xun_range(xun, reference, value).end
    deadline = _named_deadline(value, reference)
    if deadline is not None:
        return deadline
    if _ONGOING.search(value):
        return None
    relative = _relative_day(value, reference)
    if relative is not None:
        return relative
    raise ValueError(f"not a deadline: {value!r}")


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


def _arabic(match: re.Match[str]) -> str:
    try:
        number = chinese_number(match.group(0))
    except ValueError:
        return match.group(0)
    return str(int(number)) if number == number.to_integral_value() else match.group(0)


def _relative_day(value: str, reference: date | None) -> date | None:
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
