"""The date reader against JioNLP's absolute time cases, and the silent wrong values of issue 13."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lianxin.parsing.casebook import load, score_time
from lianxin.parsing.date_spans import DateRange, parse_span, parse_window
from lianxin.parsing.dates import find_dates, find_period, parse_date

CASES = Path(__file__).parent / "fixtures" / "cases"
# 柳溪村's November report: the page the relative words count from.
NOVEMBER_REPORT = date(2026, 11, 8)


def test_jionlp_absolute_time_cases_read_right_and_never_wrong() -> None:
    tally = score_time(load(CASES / "time_parser_cases.jsonl"))
    assert tally.n >= 50
    assert tally.accuracy >= 0.95, tally.wrong
    assert tally.wrong == []


def test_a_span_of_months_is_a_span_not_its_first_day() -> None:
    assert parse_span("2018年1－9月份") == DateRange(date(2018, 1, 1), date(2018, 9, 30))
    with pytest.raises(ValueError):
        parse_date("2018年1－9月份")
    assert find_dates("柳溪村2018年1－9月份务工收入") == []


def test_the_written_year_is_kept_over_the_reference() -> None:
    span = parse_window("从2018年12月九号到十五号", NOVEMBER_REPORT)
    assert span == DateRange(date(2018, 12, 9), date(2018, 12, 15))


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("15年3月2日", 2015),
        ("03年2月28日", 2003),
        ("98年4月8日", 1998),
        ("零七年八月二十九号", 2007),
    ],
)
def test_two_digit_years_are_kept(text: str, year: int) -> None:
    day = parse_date(text, reference=NOVEMBER_REPORT)
    assert day is not None and day.year == year
    assert find_dates(f"王建国{text}返乡", reference=NOVEMBER_REPORT)[0].year == year


def test_a_two_digit_year_without_a_page_year_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="two-digit year"):
        parse_date("15年3月2日")


def test_month_to_month_keeps_both_ends() -> None:
    span = parse_window("2017年8月至11月", NOVEMBER_REPORT)
    assert span == DateRange(date(2017, 8, 1), date(2017, 11, 30))
    assert find_period("2017年8月至11月回访情况") is None


def test_a_day_reader_refuses_a_span_of_days() -> None:
    with pytest.raises(ValueError, match="span of days"):
        parse_date("2026年11月1日至11月10日")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("二〇一八年", date(2018, 1, 1), date(2018, 12, 31)),
        ("1985到89年9月", date(1985, 1, 1), date(1989, 9, 30)),
        ("2008.03-2009", date(2008, 3, 1), date(2009, 12, 31)),
        ("自2026-11-01起至2026-11-10止", date(2026, 11, 1), date(2026, 11, 10)),
    ],
)
def test_periods_are_read_as_spans(text: str, start: date, end: date) -> None:
    assert parse_span(text, reference=NOVEMBER_REPORT) == DateRange(start, end)


def test_a_span_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_span("2026年11月至2026年3月")
