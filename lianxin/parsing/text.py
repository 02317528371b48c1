"""Read the words clerks type into tables: dates, money, yes/no, work status.

Every helper takes text as published (full-width digits, stray spaces, 元 and 万元, dashes for
"nothing") and returns a typed value, None for a missing marker, or raises ValueError for text
that means something but cannot be read (so the row can be quarantined with the reason).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from lianxin.records import ProblemStatus, WorkStatus

# Cells that mean "nothing here" rather than a value.
MISSING = frozenset(
    {"", "-", "--", "—", "——", "/", "\\", "无", "暂无", "空", "none", "null", "n/a"}
)

_WS = re.compile(r"\s+")
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})(?!\d)\s*日?")
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])([0-2]\d|3[01])(?!\d)")
_PERIOD = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*日)")
_PERIOD_DASH = re.compile(r"(?<!\d)(\d{4})[-.](\d{1,2})(?![-.\d])")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def normalize(text: str | None) -> str:
    """Return `text` NFKC-normalised (full-width → ASCII) with whitespace collapsed and trimmed."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", text).replace("\u3000", " ").replace("\xa0", " ")
    return _WS.sub(" ", value).strip()


def clean_text(text: str | None) -> str:
    """Return prose with whitespace collapsed (full-width spaces too) but punctuation kept."""
    if not text:
        return ""
    value = text.replace("\u3000", " ").replace("\xa0", " ").replace("\u200b", "")
    return _WS.sub(" ", value).strip()


def is_missing(text: str | None) -> bool:
    """Return True when the cell holds a "nothing" marker (blank, —, /, 无 …)."""
    return normalize(text).lower() in MISSING


def parse_date(text: str | None, default_year: int | None = None) -> date | None:
    """Return the first date in `text`; None when blank or a missing marker.

    Understands 2026-11-08, 2026/11/08, 2026.11.8, 2026年11月8日, 20261108 and 11月8日 (the year
    comes from `default_year`, the page's year). Raises ValueError for a date-like text that is
    not a real day (11月32日) or a month-day without a known year.
    """
    value = normalize(text)
    if value.lower() in MISSING:
        return None
    for pattern in (_FULL_DATE, _COMPACT_DATE):
        match = pattern.search(value)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return _make_date(year, month, day, value)
    match = _MONTH_DAY.search(value)
    if match:
        if default_year is None:
            raise ValueError(f"date without a year and no page year: {value!r}")
        return _make_date(default_year, int(match.group(1)), int(match.group(2)), value)
    raise ValueError(f"not a date: {value!r}")


def find_dates(text: str, default_year: int | None = None) -> list[date]:
    """Return every readable date in a running text, in order; unreadable ones are skipped."""
    value = normalize(text)
    found: list[tuple[int, date]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_FULL_DATE, _MONTH_DAY):
        for match in pattern.finditer(value):
            if any(s <= match.start() < e for s, e in taken):
                continue
            try:
                day = parse_date(match.group(0), default_year)
            except ValueError:
                continue
            if day is not None:
                found.append((match.start(), day))
                taken.append((match.start(), match.end()))
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]


def find_period(text: str) -> str | None:
    """Return the first YYYY-MM month named in `text` (2026年11月, 2026-11), else None."""
    value = normalize(text)
    for pattern in (_PERIOD, _PERIOD_DASH):
        for match in pattern.finditer(value):
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12 and 1900 < year < 2200:
                return f"{year:04d}-{month:02d}"
    return None


def parse_yuan(text: str | None) -> int | None:
    """Return an amount of money as whole yuan; None for blank or missing markers.

    Understands 4500, ４５００, 4,500元, 4500.00, 0.45万元 and 约5000元. Raises ValueError for text
    that holds no number (不详 is not a missing marker: it is an answer nobody can read).
    """
    value = normalize(text).replace(",", "").replace("，", "")
    if value.lower() in MISSING:
        return None
    match = _NUMBER.search(value)
    if not match:
        raise ValueError(f"not an amount of money: {value!r}")
    amount = float(match.group(0))
    if "万" in value[match.end() :]:
        amount *= 10_000
    if amount < 0:
        raise ValueError(f"negative amount of money: {value!r}")
    return int(round(amount))


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


def parse_reached(text: str | None) -> bool | None:
    """Return whether the call got through: 是/接通 → True, 否/未接通/关机 → False, blank → None."""
    value = normalize(text)
    if not value or value in ("-", "—", "/"):
        return None
    if any(word in value for word in _UNREACHED_WORDS):
        return False
    return parse_bool(value)


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


def clean_optional(text: str | None) -> str | None:
    """Return the cell's text, or None when it is blank or a missing marker (无, —, /)."""
    return None if is_missing(text) else clean_text(text)


def clean_phone(text: str | None) -> str | None:
    """Return a phone cell with separators dropped (masking kept), None when blank."""
    value = normalize(text)
    if value.lower() in MISSING:
        return None
    return re.sub(r"[\s\-()]", "", value)


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"not a real day: {original!r}") from exc


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
