"""Read numerals in Chinese, Arabic or both (一千二百, 两万五, 1.2万, 二〇二六): numbers, dates.

`chinese_number` is the one reader of a numeral's value; `normalize_number_text` the one
normalisation of numeric text (NFKC, spaces, thousands separators) that the readers of numbers,
money and dates start from.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

# Cells that mean "nothing here" rather than a value.
MISSING = frozenset(
    {
        "",
        "-",
        "--",
        "—",
        "——",
        "–",
        "/",
        "\\",
        "无",
        "暂无",
        "空",
        "空白",
        "未知",
        "none",
        "null",
        "n/a",
        "na",
    }
)

DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "壹": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "贰": 2,
    "貳": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
TENS = {"廿": 20, "卅": 30}  # 廿八 = 28, 卅一 = 31 (dates)
CHINESE_NUMERAL_CHARS = "".join([*DIGITS, *SMALL_UNITS, *BIG_UNITS, *TENS])
# The digits a year is written with one by one (二〇二六年): no units, no 两 or 壹.
YEAR_DIGITS = "〇零○一二三四五六七八九"
_YEAR_DIGIT_TABLE = str.maketrans({ch: str(DIGITS[ch]) for ch in YEAR_DIGITS})

_WS = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{CHINESE_NUMERAL_CHARS}]")


def normalize_number_text(text: str | None) -> str:
    """Return `text` NFKC-normalised, whitespace collapsed, thousands separators dropped."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", text).replace("\u3000", " ").replace("\xa0", " ")
    value = _WS.sub(" ", value).strip()
    return _THOUSANDS.sub("", value)


def is_missing_marker(text: str | None) -> bool:
    """Return True when the text is a "nothing here" marker (blank, —, /, 无, 暂无, 未知 …)."""
    return normalize_number_text(text).lower() in MISSING


def chinese_number(text: str, *, strict: bool = False) -> Decimal:
    """Return the value of a numeral in Chinese, Arabic or both: 一千二百, 两万五, 1.2万, 二〇二六.

    Colloquial tails count in the next lower unit (三千五 = 3500, 一万二 = 12000) unless a 零
    stands between (三千零五 = 3005, 一千零十 = 1010). Digits without units read digit by digit
    (二〇二六 = 2026; refused when `strict`). 负 or - in front is negative; 点 or . starts a
    decimal (零点一, 1.2万). Raises ValueError when `text` is not one well-formed numeral: units
    out of order (十七十八, 百十一), two digits before a unit (八九亿: a range, not a number),
    a 点 without digits on both sides, anything after a decimal's 万/亿.
    """
    source = text.strip().replace(" ", "")
    sign, body = (-1, source[1:]) if source[:1] in ("负", "-") else (1, source)
    whole, point, fraction = _split_point(body)
    if not whole or (point and not fraction):
        raise ValueError(f"not a number: {text!r}")
    tokens = _TOKEN.findall(whole)
    if "".join(tokens) != whole:
        raise ValueError(f"not a number: {text!r}")
    if all(t[0].isdigit() or t in DIGITS for t in tokens):
        if strict and len(tokens) > 1 and not all(t.isdigit() for t in tokens):
            raise ValueError(f"digits without units (strict reading): {text!r}")
        value = Decimal(_digit_string(tokens, text))
    else:
        value = _with_units(tokens, text)
    if point:
        digits, scale = _decimal_scale(fraction, text)
        value = (value + Decimal("0." + digits)) * scale
    return sign * value


def _split_point(body: str) -> tuple[str, bool, str]:
    for mark in ("点", "."):
        if mark in body:
            whole, _, fraction = body.partition(mark)
            return whole, True, fraction
    return body, False, ""


def _digit_string(tokens: list[str], text: str) -> str:
    # 二〇二六 → "2026", 1 → "1"; a unit here means the numeral is not digits only.
    out = []
    for token in tokens:
        if token[0].isdigit():
            out.append(token)
        elif token in DIGITS:
            out.append(str(DIGITS[token]))
        else:
            raise ValueError(f"not a number: {text!r}")
    return "".join(out)


def _decimal_scale(fraction: str, text: str) -> tuple[str, Decimal]:
    # The digits after 点, then at most one run of 万/亿 (10.1万); nothing may follow that.
    digits = fraction.rstrip("".join(BIG_UNITS))
    units = fraction[len(digits) :]
    tokens = _TOKEN.findall(digits)
    if not digits or "".join(tokens) != digits:
        raise ValueError(f"not a number: {text!r}")
    scale = Decimal(1)
    for unit in units:
        scale *= BIG_UNITS[unit]
    return _digit_string(tokens, text), scale


def _with_units(tokens: list[str], text: str) -> Decimal:
    total = Decimal(0)  # whole 亿 groups
    big = Decimal(0)  # whole 万 groups below the current 亿
    section = Decimal(0)  # below 万
    pending: Decimal | None = None  # a digit waiting for its unit
    pending_single = False  # one character: the 三千五 rule applies
    last_unit = 10_000  # the smallest unit used so far in this section
    last_big: int | None = None
    zero_seen = False
    previous = ""
    for token in tokens:
        if token[0].isdigit() or token in DIGITS:
            digit = Decimal(token) if token[0].isdigit() else Decimal(DIGITS[token])
            if token in DIGITS and DIGITS[token] == 0:
                zero_seen = True
            elif pending is not None:
                raise ValueError(f"two digits before a unit: {text!r}")
            else:
                pending, pending_single = digit, len(token) == 1
        elif token in TENS:
            if pending is not None or last_unit <= 10:
                raise ValueError(f"not a number: {text!r}")
            section += TENS[token]
            last_unit, zero_seen = 10, True  # 廿八: the tail is units, never tens
        elif token in SMALL_UNITS:
            unit = SMALL_UNITS[token]
            # A bare 十 means 一十 (十一, 一百十一); a bare 百/千 only after 零 (一万零百一十一).
            bare = pending is None and unit > 10 and previous not in ("零", "〇")
            if unit >= last_unit or bare:
                raise ValueError(f"units out of order: {text!r}")
            section += (pending if pending is not None else 1) * unit
            pending, last_unit, zero_seen = None, unit, False
        else:
            unit = BIG_UNITS[token]
            if pending is None and section == 0 and not (previous in BIG_UNITS and unit > 10_000):
                raise ValueError(f"a unit without a number: {text!r}")
            section += pending or 0
            if unit == 10_000:
                if last_big == 10_000:
                    raise ValueError(f"units out of order: {text!r}")
                big += section * unit
            else:
                if last_big == 100_000_000 and previous != "万":
                    raise ValueError(f"units out of order: {text!r}")
                total = (total + big + section) * unit
                big = Decimal(0)
            section, pending, last_unit, last_big, zero_seen = Decimal(0), None, 10_000, unit, False
        previous = token
    if pending is not None:
        if pending_single and not zero_seen:
            # 三千五, 一百二 (the section's unit); 三万五, 一亿五 (the group's unit)
            lower = last_unit if last_unit < 10_000 else (last_big or 10)
            if lower >= 100 or (last_unit == 10_000 and last_big):
                pending *= lower // 10
        section += pending
    return total + big + section


def digits_to_arabic(text: str) -> str:
    """Return `text` with each of the digits of `YEAR_DIGITS` in Arabic (二〇二六 → 2026)."""
    return text.translate(_YEAR_DIGIT_TABLE)


def arabic_integer(numeral: str) -> str:
    """Return a whole numeral in Arabic digits (十一 → 11); `numeral` itself when it is none."""
    try:
        number = chinese_number(numeral)
    except ValueError:
        return numeral
    return str(int(number)) if number == number.to_integral_value() else numeral
