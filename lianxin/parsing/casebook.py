"""Score the date and number readers on public case tables (JioNLP, cn2an), suite by suite.

The tables live in tests/fixtures/cases/ (see its README for where each comes from). Each case
is run through the reader a report parser would use and marked right, refused (ValueError) or
wrong; only "wrong" is a silent bad value.

Which JioNLP time cases count ("absolute"): the case expects a time_point or time_span with two
finite ends, passes no option but `time_base`, and its text is made only of digits, Chinese
numerals, 年 月 日 号 份, a time of day (时 点 分 : and digits), date punctuation (- . / · and
spaces), range words (至 到 ~ — －) and 从 自 起 止; and it writes a year (with 年, or inside a
numeric date) or a month with a day. Relative words (今 去 明 上 下 本 前 后 底 初 末 内), weeks,
quarters, seasons, festivals and the lunar calendar are left out: a report reader does not read
them as days. Days are compared, not minutes: a span ending at 00:00:00 ends the day before.

JioNLP money cases are compared on the amount (both ends for a range) in the currency named.
cn2an tables: strict/normal/smart/direct are read with `chinese_number` (strict tables with
strict=True), inputs with 元 圆 角 分 with `parse_money`; every `error_*` case must be refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from lianxin.parsing.date_spans import parse_span
from lianxin.parsing.money import parse_money
from lianxin.parsing.numerals import chinese_number

SHANGHAI = timezone(timedelta(hours=8))
_ABSOLUTE_CHARS = re.compile(
    r"[\d〇零○一二三四五六七八九十廿卅两年月日号份时点分:：\-./·\s至到~～—－–从自止]+"
)
# 二月十五, 五月廿二: a Chinese-numeral day with no 日 or 号 is how lunar dates are written.
_LUNAR_DAY = re.compile(r"月[一二三四五六七八九十廿卅初]+(?![日号\d一二三四五六七八九十])")
_WRITES_YEAR = re.compile(
    r"\d{2,4}\s*年|[〇零○一二三四五六七八九]{2,4}年|\d{4}\s*[-./\s]\s*\d|^\d{8}"
)
_MONTH_AND_DAY = re.compile(
    r"(?:\d{1,2}|[一二三四五六七八九十]+)\s*(?:月|[-/·])\s*(?:\d|[一二三四五六七八九十廿卅])"
)
_CN2AN_VALUE_TABLES = {
    "strict_data_dict",
    "normal_data_dict",
    "smart_data_dict",
    "direct_data_dict",
}
_MONEY_CHARS = re.compile(r"[元圆角分]")


@dataclass
class Tally:
    """How one suite went: cases right, refused and wrong, with the wrong ones kept to show."""

    name: str
    expects_error: bool = False
    right: int = 0
    refused: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.right + self.refused + len(self.wrong)

    @property
    def accuracy(self) -> float:
        """Return the share of cases read right (for error suites: refused)."""
        good = self.refused if self.expects_error else self.right
        return good / self.n if self.n else 1.0


def load(path: Path) -> list[dict]:
    """Return the JSON lines of a case table."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def is_absolute_time_case(case: dict) -> bool:
    """Return True when a JioNLP time case is one a report reader must read (module docstring)."""
    expected = case.get("expected")
    if not isinstance(expected, dict) or expected.get("type") not in ("time_point", "time_span"):
        return False
    times = expected.get("time")
    if not times or any(not isinstance(t, str) or "inf" in t for t in times):
        return False
    if set(case.get("kwargs", {})) - {"time_base"}:
        return False
    text = case["input"].replace("起至", "至")
    if not _ABSOLUTE_CHARS.fullmatch(text) or _LUNAR_DAY.search(text):
        return False
    return bool(_WRITES_YEAR.search(text) or _MONTH_AND_DAY.search(text))


def reference_of(case: dict) -> date | None:
    """Return the case's time_base as a calendar day in Asia/Shanghai (time.time(): today)."""
    base = case.get("kwargs", {}).get("time_base")
    if isinstance(base, (int, float)):
        return datetime.fromtimestamp(base, SHANGHAI).date()
    if isinstance(base, list) and base:
        return date(*(list(base[:3]) + [1, 1])[:3])
    if isinstance(base, dict) and "year" in base:
        return date(base["year"], base.get("month", 1), base.get("day", 1))
    if isinstance(base, dict) and base.get("python_expr") == "time.time()":
        return datetime.now(SHANGHAI).date()
    return None


def expected_days(case: dict) -> tuple[date, date]:
    """Return the first and last day a time case expects."""
    start_text, end_text = case["expected"]["time"]
    start = datetime.fromisoformat(start_text)
    end = datetime.fromisoformat(end_text)
    if end.time() == datetime.min.time() and end > start:
        end -= timedelta(seconds=1)  # 24时 / 00:00 of the next day ends the day before
    return start.date(), end.date()


def score_time(cases: Iterable[dict]) -> Tally:
    """Return how `parse_span` reads the absolute JioNLP time cases."""
    tally = Tally("jionlp.time_absolute")
    for case in cases:
        if not is_absolute_time_case(case):
            continue
        reference = reference_of(case)
        try:
            span = parse_span(
                case["input"],
                reference.year if reference else None,
                reference=reference,
            )
        except ValueError:
            tally.refused += 1
            continue
        got = (span.start, span.end) if span else None
        if got == expected_days(case):
            tally.right += 1
        else:
            tally.wrong.append(f"{case['input']!r}: {got} != {expected_days(case)}")
    return tally


def score_money(cases: Iterable[dict]) -> Tally:
    """Return how `parse_money` reads the JioNLP money cases: amount, both ends, currency."""
    tally = Tally("jionlp.money")
    cent = Decimal("0.01")
    for case in cases:
        expected = case["expected"]
        ends = expected["num"] if isinstance(expected["num"], list) else [expected["num"]]
        try:
            money = parse_money(case["input"])
        except ValueError:
            tally.refused += 1
            continue
        if money is None:
            tally.refused += 1
            continue
        got = [money.low, money.high] if money.is_range else [money.value]
        read = [g.quantize(cent) for g in got if g is not None]
        if read == [Decimal(e) for e in ends] and money.unit == expected["case"]:
            tally.right += 1
        else:
            tally.wrong.append(
                f"{case['input']!r}: {read} {money.unit} != {ends} {expected['case']}"
            )
    return tally


def score_cn2an(cases: Iterable[dict]) -> list[Tally]:
    """Return one tally per cn2an table: values read right, error tables refused."""
    tallies: dict[str, Tally] = {}
    for case in cases:
        table = case["table"]
        if case["file"] != "cn2an_test.py":
            continue
        if table not in _CN2AN_VALUE_TABLES and not table.startswith("error_"):
            continue
        tally = tallies.setdefault(table, Tally(f"cn2an.{table}", table.startswith("error_")))
        text = str(case["input"])
        try:
            if _MONEY_CHARS.search(text):
                money = parse_money(text)
                if money is None or money.is_range:
                    raise ValueError(f"not one amount: {text!r}")
                value = money.value
            else:
                value = chinese_number(text, strict="strict" in table)
        except ValueError:
            tally.refused += 1
            continue
        if not tally.expects_error and value == Decimal(str(case["expected"])):
            tally.right += 1
        else:
            tally.wrong.append(f"{text!r}: {value} != {case['expected']}")
    return list(tallies.values())


def score_readback(cases: Iterable[dict]) -> Tally:
    """Return how the readers read back cn2an's own numerals (an2cn input_data, all 4 forms)."""
    tally = Tally("cn2an.an2cn_readback")
    for case in cases:
        if case["table"] != "input_data":
            continue
        number = Decimal(str(case["input"]))
        for form, text in enumerate(case["expected"]):
            try:
                if form == 2:
                    money = parse_money(text)
                    value = money.value if money else None
                    number_here = number.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
                else:
                    value, number_here = chinese_number(text), number
            except ValueError:
                tally.refused += 1
                continue
            if value == number_here:
                tally.right += 1
            else:
                tally.wrong.append(f"{text!r}: {value} != {number_here}")
    return tally


def all_suites(folder: Path) -> list[Tally]:
    """Return every suite's tally from the case tables in `folder`."""
    cn2an = load(folder / "cn2an_cases.jsonl")
    return [
        score_time(load(folder / "time_parser_cases.jsonl")),
        score_money(load(folder / "money_parser_cases.jsonl")),
        *score_cn2an(cn2an),
        score_readback(cn2an),
    ]
