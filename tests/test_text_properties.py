"""Property tests: each written form of a date or number reads back; no text crashes a reader."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin.parsing.text import (
    chinese_number,
    clean_optional,
    clean_phone,
    find_dates,
    find_period,
    parse_bool,
    parse_count,
    parse_date,
    parse_deadline,
    parse_fen,
    parse_income,
    parse_problem_status,
    parse_quantity,
    parse_reached,
    parse_window,
    parse_work_status,
    parse_yuan,
)

FAST = settings(max_examples=200, deadline=None)
REFERENCE = date(2026, 11, 8)
DIGITS = "〇一二三四五六七八九"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def chinese_digits(number: int) -> str:
    """Return 2026 as 二〇二六 (how years are written)."""
    return "".join(DIGITS[int(d)] for d in str(number))


def chinese_numeral(number: int) -> str:
    """Return 0 < number < 10**8 in positional Chinese: 1200 → 一千二百, 10 → 十, 105 → 一百零五."""
    if number == 0:
        return "〇"

    def below_10000(n: int) -> str:
        out, zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = n // value % 10
            if digit == 0:
                zero = bool(out)
                continue
            if zero:
                out += "零"
                zero = False
            out += DIGITS[digit] + unit
        return out

    high, low = divmod(number, 10_000)
    if not high:
        text = below_10000(low)
        return text[1:] if text.startswith("一十") else text
    text = below_10000(high) + "万"
    if low:
        text += ("零" if low < 1000 else "") + below_10000(low)
    return text


def written_forms(day: date) -> list[str]:
    y, m, d = day.year, day.month, day.day
    return [
        f"{y}年{m}月{d}日",
        f"{y}-{m:02d}-{d:02d}",
        f"{y}.{m}.{d}",
        f"{y}/{m:02d}/{d:02d}",
        f"{y}{m:02d}{d:02d}",
        f"{y}年{m}月{d}日".translate(FULL_WIDTH),
        f"{chinese_digits(y)}年{chinese_numeral(m)}月{chinese_numeral(d)}日",
        f"发布时间：{y}-{m:02d}-{d:02d} 10:30",
    ]


@FAST
@given(days)
def test_every_written_form_of_a_date_reads_back(day: date) -> None:
    for text in written_forms(day):
        assert parse_date(text) == day, text


@FAST
@given(st.integers(min_value=-170, max_value=170))
def test_month_and_day_alone_read_back_within_half_a_year(offset: int) -> None:
    day = REFERENCE + timedelta(days=offset)
    assert parse_date(f"{day.month}月{day.day}日", reference=REFERENCE) == day
    assert (
        parse_date(
            f"{chinese_numeral(day.month)}月{chinese_numeral(day.day)}日", reference=REFERENCE
        )
        == day
    )


@FAST
@given(st.integers(min_value=0, max_value=99_999_999))
def test_integers_read_back_in_every_notation(number: int) -> None:
    assert parse_quantity(str(number)).value == number  # type: ignore[union-attr]
    assert parse_quantity(str(number).translate(FULL_WIDTH)).value == number  # type: ignore[union-attr]
    assert parse_quantity(f"{number:,}元").value == number  # type: ignore[union-attr]
    assert parse_quantity(f"{number:,}".replace(",", "，")).value == number  # type: ignore[union-attr]
    assert chinese_number(chinese_numeral(number)) == number
    if number % 10_000 == 0 and number:
        assert parse_yuan(f"{number // 10_000}万元") == number


@FAST
@given(st.integers(min_value=1, max_value=9_999), st.integers(min_value=1, max_value=9_999))
def test_ranges_read_back_with_their_ends(a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    for separator in ("-", "～", "至", "~"):
        quantity = parse_quantity(f"{low}{separator}{high}元")
        assert quantity is not None
        assert (quantity.low, quantity.high) == (low, high)


@FAST
@given(days, st.integers(min_value=0, max_value=400))
def test_calendar_day_deadlines_count_from_the_reference(day: date, count: int) -> None:
    assert parse_deadline(f"{count}天内", day) == day + timedelta(days=count)


TOLERANT: list[Callable[[str], object]] = [
    clean_optional,
    clean_phone,
    parse_bool,
    parse_reached,
    parse_work_status,
    parse_problem_status,
    find_period,
    lambda text: find_period(text, reference=REFERENCE),
    lambda text: find_dates(text, reference=REFERENCE),
]
STRICT: list[Callable[[str], object]] = [
    parse_date,
    lambda text: parse_date(text, 2026),
    lambda text: parse_date(text, reference=REFERENCE),
    lambda text: parse_window(text, REFERENCE),
    lambda text: parse_deadline(text, REFERENCE),
    parse_quantity,
    parse_count,
    parse_yuan,
    parse_fen,
    parse_income,
    chinese_number,
]

# Text shaped like what clerks write, so that the readers' deeper branches are reached.
ALPHABET = st.sampled_from(
    list("0123456789０１２３４５６７８９.,，-—～~/年月日号天周旬内前底上中下本今去昨")
    + list("〇零一二两三四五六七八九十百千万亿廿卅元角分多余约近个工作日春节立行改至到")
    + ["", " ", "\u3000", "左右", "以上", "星期", "每月", "年底", "月底", "限期"]
)
clerk_text = st.lists(ALPHABET, max_size=14).map("".join)
any_text = st.one_of(clerk_text, st.text(max_size=30))


@FAST
@given(any_text)
def test_no_text_makes_a_reader_raise_anything_but_value_error(text: str) -> None:
    for reader in TOLERANT:
        reader(text)
    for reader in STRICT:
        try:
            reader(text)
        except ValueError:
            pass
