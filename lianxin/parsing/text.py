"""Read the words clerks type into tables: dates, money, yes/no, work status.

Every helper takes text as published (full-width digits, stray spaces, 元 and 万元, dashes for
"nothing") and returns a typed value, None for a missing marker, or raises ValueError for text
that means something but cannot be read (so the row can be quarantined with the reason).
Dates live in `dates`, `date_spans` and `deadlines`, numbers in `numerals`, `numbers` and
`money`; their readers are re-exported here.
"""

from __future__ import annotations

import re
import unicodedata

from lianxin.parsing.date_spans import DateRange, parse_span, parse_window
from lianxin.parsing.dates import find_dates, find_period, parse_date
from lianxin.parsing.deadlines import add_workdays, parse_deadline, spring_festival_deadline
from lianxin.parsing.memo import by_cell
from lianxin.parsing.money import parse_fen, parse_income, parse_money, parse_yuan
from lianxin.parsing.numbers import Quantity, parse_count, parse_quantity
from lianxin.parsing.numerals import MISSING, chinese_number
from lianxin.records import ProblemStatus, WorkStatus

__all__ = [
    "MISSING",
    "DateRange",
    "Quantity",
    "add_workdays",
    "chinese_number",
    "clean_optional",
    "clean_phone",
    "clean_text",
    "find_dates",
    "find_period",
    "is_missing",
    "normalize",
    "parse_bool",
    "parse_count",
    "parse_date",
    "parse_deadline",
    "parse_fen",
    "parse_income",
    "parse_money",
    "parse_problem_status",
    "parse_quantity",
    "parse_reached",
    "parse_span",
    "parse_window",
    "parse_work_status",
    "parse_yuan",
    "spring_festival_deadline",
]


@by_cell
def normalize(text: str | None) -> str:
    """Return `text` NFKC-normalised (full-width → ASCII) with whitespace collapsed and trimmed."""
    if not text:
        return ""
    # str.split() splits on exactly what \s matches (U+3000 and U+00A0 included).
    return " ".join(unicodedata.normalize("NFKC", text).split())


def clean_text(text: str | None) -> str:
    """Return prose with whitespace collapsed (full-width spaces too) but punctuation kept."""
    if not text:
        return ""
    # str.split() splits on exactly what \s matches (U+3000 and U+00A0 included).
    return " ".join(text.replace("\u200b", "").split())


def is_missing(text: str | None) -> bool:
    """Return True when the cell holds a "nothing" marker (blank, —, /, 无 …)."""
    return normalize(text).lower() in MISSING


_UNREACHED_WORDS = (
    "未接通",
    "无人接听",
    "没接",
    "关机",
    "停机",
    "空号",
    "拒接",
    "无法接通",
    "不在服务区",
)
_YES = frozenset(
    {
        "是",
        "有",
        "已",
        "√",
        "✓",
        "✔",
        "y",
        "yes",
        "true",
        "1",
        "接通",
        "已接通",
        "已宣讲",
        "已宣传",
        "需要",
        "需",
        "已联系",
        "正常",
    }
)
_NO = frozenset(
    {"否", "无", "没有", "未", "×", "✗", "✘", "n", "no", "false", "0", "不需要", "未宣讲", "无需"}
)


@by_cell
def parse_reached(text: str | None) -> bool | None:
    """Return whether the call got through: 是/接通 → True, 否/未接通/关机 → False, blank → None."""
    value = normalize(text)
    if not value or value in ("-", "—", "/"):
        return None
    if any(word in value for word in _UNREACHED_WORDS):
        return False
    return parse_bool(value)


@by_cell
def parse_bool(text: str | None) -> bool | None:
    """Return a yes/no cell as a bool; None when blank or not a yes/no word."""
    value = normalize(text).lower()
    if not value or value in ("-", "—", "/"):
        return None
    if value in _YES or value.startswith(("是", "已")):
        return True
    if value in _NO or value.startswith(("否", "未", "不")):
        return False
    return None


# Checked in order: "待业" must win over "业", "返乡" over "务工" in "返乡（原务工…）".
_STATUS_WORDS: tuple[tuple[WorkStatus, tuple[str, ...]], ...] = (
    (WorkStatus.returned, ("返乡", "回乡", "在家", "返家", "居家")),
    (WorkStatus.looking, ("待业", "求职", "失业", "待岗", "找工作", "未就业", "无业", "待就业")),
    (
        WorkStatus.employed,
        ("在岗", "务工", "已就业", "就业", "上班", "在职", "打工", "创业", "灵活就业"),
    ),
)


@by_cell
def parse_work_status(text: str | None) -> WorkStatus | None:
    """Return the WorkStatus a cell names (在岗 → employed, 待业 → looking, 返乡 → returned).

    None for blank or missing markers; WorkStatus.other for words that name none of them.
    """
    value = normalize(text)
    if value.lower() in MISSING:
        return None
    for status, words in _STATUS_WORDS:
        if any(word in value for word in words):
            return status
    return WorkStatus.other


@by_cell
def clean_optional(text: str | None) -> str | None:
    """Return the cell's text, or None when it is blank or a missing marker (无, —, /)."""
    return None if is_missing(text) else clean_text(text)


@by_cell
def clean_phone(text: str | None) -> str | None:
    """Return a phone cell with separators dropped (masking kept), None when blank."""
    value = normalize(text)
    if value.lower() in MISSING:
        return None
    return re.sub(r"[\s\-()]", "", value)


_PROBLEM_STATUS = (
    (ProblemStatus.verified, ("销号", "已验收", "验收通过")),
    (ProblemStatus.open, ("未整改", "未完成", "未启动", "未落实")),
    (ProblemStatus.rectified, ("已整改", "已完成", "完成整改", "整改完成", "已落实", "已解决")),
    (ProblemStatus.rectifying, ("整改中", "正在整改", "推进中", "持续整改", "部分整改")),
)


def parse_problem_status(text: str | None) -> ProblemStatus:
    """Return the rectification status a cell names (已整改 → rectified …), open by default."""
    value = normalize(text)
    for status, words in _PROBLEM_STATUS:
        if any(word in value for word in words):
            return status
    return ProblemStatus.open
