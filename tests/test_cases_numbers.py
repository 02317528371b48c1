"""The number and money readers against cn2an's and JioNLP's tables, and issue 13's bad values."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from lianxin.parsing.casebook import load, score_cn2an, score_money, score_readback
from lianxin.parsing.money import parse_money, parse_yuan
from lianxin.parsing.numbers import parse_quantity
from lianxin.parsing.numerals import chinese_number

CASES = Path(__file__).parent / "fixtures" / "cases"


def test_cn2an_tables_read_every_value_and_refuse_every_error() -> None:
    tallies = score_cn2an(load(CASES / "cn2an_cases.jsonl"))
    assert {t.name for t in tallies} >= {"cn2an.strict_data_dict", "cn2an.error_strict_datas"}
    for tally in tallies:
        target = 1.0 if tally.expects_error else 0.95
        assert tally.accuracy >= target, (tally.name, tally.wrong)


def test_cn2an_numerals_read_back_in_all_four_forms() -> None:
    tally = score_readback(load(CASES / "cn2an_cases.jsonl"))
    assert tally.accuracy >= 0.95, tally.wrong


def test_jionlp_money_cases_read_right() -> None:
    tally = score_money(load(CASES / "money_parser_cases.jsonl"))
    assert tally.accuracy >= 0.95, tally.wrong
    assert len(tally.wrong) <= 1  # 八到九百亿: the disputed case (tests/fixtures/cases/README.md)


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("壹佰捌拾壹圆柒角", Decimal("181.7")),
        ("十块三毛", Decimal("10.3")),
        ("肆佰叁拾萬圆整", 4_300_000),
    ],
)
def test_capital_and_spoken_amounts_keep_jiao_and_fen(text: str, yuan: Decimal) -> None:
    money = parse_money(text)
    assert money is not None and money.value == yuan and money.unit == "元"


@pytest.mark.parametrize(
    ("text", "value"), [("一千零十", 1010), ("兩千六", 2600), ("零点一", Decimal("0.1"))]
)
def test_zero_inside_traditional_and_decimal_numerals(text: str, value: Decimal) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["十七十八", "百十一", "十一十二", "零点", "点一", "10.1万零100"])
def test_malformed_numerals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        chinese_number(text)


def test_a_range_keeps_both_ends() -> None:
    quantity = parse_quantity("一百二十到一百五十万元")
    assert quantity is not None
    assert (quantity.low, quantity.high, quantity.value) == (1_200_000, 1_500_000, 1_200_000)


def test_three_or_five_hundred_is_a_range_not_three_hundred_and_fifty() -> None:
    quantity = parse_quantity("三五百块")
    assert quantity is not None and (quantity.low, quantity.high) == (300, 500)


def test_yuan_readers_refuse_a_foreign_currency() -> None:
    with pytest.raises(ValueError, match="港元"):
        parse_yuan("25481港元")
