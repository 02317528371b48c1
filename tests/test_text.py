"""Chinese dates, deadlines, numbers and money as clerks write them, read against the page date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lianxin.parsing.text import (
    DateRange,
    Quantity,
    chinese_number,
    find_dates,
    find_period,
    parse_count,
    parse_date,
    parse_deadline,
    parse_fen,
    parse_income,
    parse_quantity,
    parse_window,
    parse_yuan,
)

NOVEMBER_PAGE = date(2026, 11, 8)  # a Sunday
JANUARY_PAGE = date(2027, 1, 10)


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026年11月8日",
        "2026-11-08",
        "2026.11.8",
        "2026/11/08",
        "二〇二六年十一月八日",
        "二零二六年十一月八日",
        "２０２６年１１月８日",
        "2026 年 11 月 8 号",
        "11月8日",
        "十一月八日",
        "今天",
        "回访时间：2026年11月8日上午",
    ],
)
def test_every_written_form_of_the_report_day_reads_as_that_day(text: str) -> None:
    assert parse_date(text, reference=NOVEMBER_PAGE) == NOVEMBER_PAGE


def test_a_december_date_on_a_january_page_is_last_december() -> None:
    assert parse_date("12月28日", reference=JANUARY_PAGE) == date(2026, 12, 28)
    assert parse_date("1月5日", reference=JANUARY_PAGE) == date(2027, 1, 5)


def test_the_page_year_wins_when_the_caller_gives_it() -> None:
    assert parse_date("12月28日", 2027, reference=JANUARY_PAGE) == date(2027, 12, 28)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昨天", date(2026, 11, 7)),
        ("前天", date(2026, 11, 6)),
        ("上周三", date(2026, 10, 28)),
        ("本周五", date(2026, 11, 6)),
        ("下周五", date(2026, 11, 13)),
        ("上月15日", date(2026, 10, 15)),
        ("今年5月3日", date(2026, 5, 3)),
        ("去年5月3日", date(2025, 5, 3)),
        ("二十八日", None),
    ],
)
def test_relative_days_count_from_the_report_date(text: str, expected: date | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_date(text, reference=NOVEMBER_PAGE)
    else:
        assert parse_date(text, reference=NOVEMBER_PAGE) == expected


@pytest.mark.parametrize("text", ["2月30日", "13月5日", "2026年2月29日", "11月32日"])
def test_days_that_do_not_exist_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="not a real day"):
        parse_date(text, reference=NOVEMBER_PAGE)


def test_a_month_is_not_a_day() -> None:
    with pytest.raises(ValueError, match=r"names a month \(2026-10\)"):
        parse_date("上月", reference=NOVEMBER_PAGE)


def test_relative_dates_need_a_report_date() -> None:
    with pytest.raises(ValueError, match="no report date"):
        parse_date("昨天")


@pytest.mark.parametrize("text", ["", "—", "——", "/", "无", "暂无", "空白", "未知"])
def test_missing_markers_are_no_date(text: str) -> None:
    assert parse_date(text, reference=NOVEMBER_PAGE) is None


def test_dates_in_running_text_are_found_in_order() -> None:
    text = "二〇二六年十一月三日督查，要求12月15日前整改到位"
    assert find_dates(text, reference=NOVEMBER_PAGE) == [date(2026, 11, 3), date(2026, 12, 15)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上月", "2026-10"),
        ("本月", "2026-11"),
        ("今年5月", "2026-05"),
        ("去年5月", "2025-05"),
        ("二〇二六年十一月外出务工人员回访", "2026-11"),
    ],
)
def test_months_are_named_absolutely_or_relative_to_the_report(text: str, expected: str) -> None:
    assert find_period(text, reference=NOVEMBER_PAGE) == expected


# --- windows --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("每月上旬", date(2026, 11, 1), date(2026, 11, 10)),
        ("中旬", date(2026, 11, 11), date(2026, 11, 20)),
        ("下旬", date(2026, 11, 21), date(2026, 11, 30)),
        ("2月下旬", date(2027, 2, 21), date(2027, 2, 28)),
        ("1—10日", date(2026, 11, 1), date(2026, 11, 10)),
        ("1-10日", date(2026, 11, 1), date(2026, 11, 10)),
        ("1日至10日", date(2026, 11, 1), date(2026, 11, 10)),
        ("11月1日至10日", date(2026, 11, 1), date(2026, 11, 10)),
        ("2026-11-01至2026-11-10", date(2026, 11, 1), date(2026, 11, 10)),
        ("上月", date(2026, 10, 1), date(2026, 10, 31)),
        ("11月8日", date(2026, 11, 8), date(2026, 11, 8)),
    ],
)
def test_windows_become_day_ranges(text: str, start: date, end: date) -> None:
    assert parse_window(text, NOVEMBER_PAGE) == DateRange(start, end)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_window("10-1日", NOVEMBER_PAGE)


# --- deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12月15日前", date(2026, 12, 15)),
        ("12月15日之前", date(2026, 12, 15)),
        ("限期10日内", date(2026, 11, 18)),
        ("10日内", date(2026, 11, 18)),
        ("10天内", date(2026, 11, 18)),
        ("十日内", date(2026, 11, 18)),
        ("年底前", date(2026, 12, 31)),
        ("年内", date(2026, 12, 31)),
        ("月底前", date(2026, 11, 30)),
        ("下月底前", date(2026, 12, 31)),
        ("立行立改", NOVEMBER_PAGE),
        ("一周内", date(2026, 11, 15)),
        ("长期坚持", None),
        ("—", None),
    ],
)
def test_deadlines_count_from_the_report_date(text: str, expected: date | None) -> None:
    assert parse_deadline(text, NOVEMBER_PAGE) == expected


def test_working_days_skip_national_day_and_count_the_make_up_saturday() -> None:
    # From Mon 28 Sep 2026: 29, 30 Sep, then 1–7 Oct off (国庆), Sat 10 Oct a make-up workday.
    assert parse_deadline("5个工作日内", date(2026, 9, 28)) == date(2026, 10, 10)


def test_before_the_spring_festival_is_the_eve_of_the_official_holiday() -> None:
    assert parse_deadline("春节前", date(2026, 1, 5)) == date(2026, 2, 14)
    # 2027 is past chinesecalendar's schedule: two days before 正月初一 (6 Feb 2027).
    assert parse_deadline("春节前", NOVEMBER_PAGE) == date(2027, 2, 3)


def test_a_deadline_nobody_can_read_is_refused() -> None:
    with pytest.raises(ValueError, match="not a deadline"):
        parse_deadline("尽快", NOVEMBER_PAGE)


# --- numbers and money ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一千二百", 1200),
        ("两万", 20000),
        ("三千五", 3500),
        ("一万二", 12000),
        ("三千零五", 3005),
        ("二十万", 200000),
        ("1.2万", 12000),
        ("二〇二六", 2026),
        ("廿八", 28),
        ("一亿二千万", 120_000_000),
        ("壹仟贰佰", 1200),
    ],
)
def test_chinese_numerals_read_as_numbers(text: str, expected: int) -> None:
    assert chinese_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20万元", 200000),
        ("3,500", 3500),
        ("3，500元", 3500),
        ("３５００", 3500),
        ("三千五百元", 3500),
        ("1.2万", 12000),
        ("3000-4000元", 3000),  # a range reads low: see lianxin.parsing.numbers
        ("约5000元", 5000),
        ("未知", None),
        ("空白", None),
    ],
)
def test_money_becomes_whole_yuan(text: str, expected: int | None) -> None:
    assert parse_yuan(text) == expected


def test_small_money_becomes_fen() -> None:
    assert (parse_fen("3.5元"), parse_fen("5角"), parse_fen("1.15元")) == (350, 50, 115)


def test_ranges_keep_both_ends_and_read_low() -> None:
    for text in ("3000-4000元", "3000～4000", "3000至4000", "3000元-4000元"):
        quantity = parse_quantity(text)
        assert quantity is not None and quantity.is_range
        assert (quantity.low, quantity.high, quantity.value) == (3000, 4000, 3000)
        assert quantity.midpoint == 3500
    assert parse_quantity("3-4万元") == Quantity(
        Decimal(30000), "元", True, Decimal(30000), Decimal(40000)
    )


@pytest.mark.parametrize(
    "text", ["120多个", "约120个", "近120个", "120余个", "120个左右", "120个以上"]
)
def test_approximate_counts_keep_the_number_and_say_so(text: str) -> None:
    assert parse_count(text) == Quantity(Decimal(120), "个", approximate=True)


def test_negative_or_absurd_incomes_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_income("-500")
    with pytest.raises(ValueError, match="yearly figure"):
        parse_income("300万元")
    assert parse_income("4500元") == 4500


def test_text_without_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not an amount of money"):
        parse_yuan("不详")
    with pytest.raises(ValueError):
        parse_quantity("一般")
