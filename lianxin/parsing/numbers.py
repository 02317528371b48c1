"""Read numbers as clerks write them: Arabic or Chinese numerals, 万 and 亿, ranges, 约 and 多.

`parse_quantity` is the general reader; `parse_yuan`, `parse_fen` and `parse_income` read money.
Every reader returns None for a "nothing here" marker (—, /, 无, 暂无, 未知 …) and raises
ValueError, with the reason in the message, for text that means something but cannot be read;
callers quarantine on ValueError.

Ranges (3000-4000元, 3000～4000, 3000至4000) keep both ends in `low`/`high`, and their `value` is
the LOW end. Lianxin reads money to compare it with a floor (the monitoring line, a share of a
worker's median), so reading a range low can raise a false alarm, a phone call, but never hide a
family's fall in income; `Quantity.midpoint` is there for anyone who needs the middle.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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

# A month's income above this is a typo or a yearly figure, not a migrant worker's wage.
MAX_MONTHLY_INCOME_YUAN = 200_000

_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "壹": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
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
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_TENS = {"廿": 20, "卅": 30}  # 廿八 = 28, 卅一 = 31 (dates)
CHINESE_NUMERAL_CHARS = "".join([*_DIGITS, *_SMALL_UNITS, *_BIG_UNITS, *_TENS])

_WS = re.compile(r"\s+")
_NUMERAL = rf"(?:\d+(?:\.\d+)?|[{CHINESE_NUMERAL_CHARS}])[\d.{CHINESE_NUMERAL_CHARS}]*"
_NUMBER = re.compile(_NUMERAL)
_RANGE_SEP = r"\s*(?:-|~|～|〜|—|–|－|至|到)\s*"
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_APPROX_BEFORE = re.compile(r"(约|大约|近|将近|接近|大概|估计|预计|不到|不足|超过|逾)\s*$")
_APPROX_AFTER = re.compile(r"^\s*(多|余|来|左右|以上|上下|以下|许)")
_APPROX_ANYWHERE = re.compile(r"左右|以上|上下|以下")
_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{CHINESE_NUMERAL_CHARS}]")
_UNIT = re.compile(r"^[^\d\s,;:，。；：、()（）\[\]【】]{1,4}")
# What may follow a numeral written in Chinese for it to be a number and not part of a word.
_CN_FOLLOW = frozenset("元块角毛分个人户名次条项家岁年月日号天周多余来左右以上下许成倍件位")
_FEN_PER_UNIT = {"元": 100, "块": 100, "角": 10, "毛": 10, "分": 1}


@dataclass(frozen=True)
class Quantity:
    """A number as read: its value, the unit written after it, and how exact it is."""

    value: Decimal  # for a range, its low end (see the module docstring)
    unit: str | None = None  # 元, 个, 人 …; a 万/亿 multiplier is already in `value`
    approximate: bool = False  # 约, 近, 多, 余, 左右, 以上, or a range
    low: Decimal | None = None  # set for ranges only
    high: Decimal | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None and self.high is not None

    @property
    def midpoint(self) -> Decimal:
        """Return the middle of a range, or the value itself."""
        if self.low is not None and self.high is not None:
            return (self.low + self.high) / 2
        return self.value


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


def chinese_number(text: str) -> Decimal:
    """Return the value of a numeral in Chinese, Arabic or both: 一千二百, 两万五, 1.2万, 二〇二六.

    Colloquial tails count in the next lower unit (三千五 = 3500, 一万二 = 12000) unless a 零
    stands between (三千零五 = 3005). Digits without units read digit by digit (二〇二六 = 2026).
    Raises ValueError when `text` is not a numeral.
    """
    source = text.strip()
    tokens = _TOKEN.findall(source)
    if not tokens or "".join(tokens) != source.replace(" ", ""):
        raise ValueError(f"not a number: {text!r}")
    if not any(t[0].isdigit() or t in _DIGITS or t in _TENS for t in tokens):
        if tokens[0] not in ("十", "拾"):
            raise ValueError(f"not a number: {text!r}")
    total = Decimal(0)  # whole 亿 groups
    big = Decimal(0)  # whole 万 groups below the current 亿
    section = Decimal(0)  # below 万
    pending: Decimal | None = None  # a digit waiting for its unit
    pending_single = False  # the pending digit is one character (三千五 rule applies)
    last_unit: int | None = None
    zero_seen = False
    for token in tokens:
        if token[0].isdigit():
            try:
                number = Decimal(token)
            except InvalidOperation as exc:
                raise ValueError(f"not a number: {text!r}") from exc
            pending = number if pending is None else pending * (10 ** len(token)) + number
            pending_single = len(token) == 1
        elif token in _DIGITS:
            digit = _DIGITS[token]
            if digit == 0 and last_unit is not None:
                zero_seen = True
            pending = Decimal(digit) if pending is None else pending * 10 + digit
            pending_single = True
        elif token in _TENS:
            section += _TENS[token]
            last_unit, zero_seen = 10, True  # 廿八: the tail is units, never tens
        elif token in _SMALL_UNITS:
            unit = _SMALL_UNITS[token]
            section += (pending if pending is not None else 1) * unit
            pending, last_unit, zero_seen = None, unit, False
        else:
            unit = _BIG_UNITS[token]
            section += pending or 0
            if unit == 10_000:
                big += section * unit
            else:
                total += (big + section) * unit
                big = Decimal(0)
            section, pending, last_unit, zero_seen = Decimal(0), None, unit, False
    if pending is not None:
        if last_unit is not None and last_unit >= 100 and pending_single and not zero_seen:
            pending *= last_unit // 10
        section += pending
    return total + big + section


def parse_quantity(text: str | None) -> Quantity | None:
    """Return the first number (or range) in `text` with its unit and exactness.

    None for blank and missing markers; ValueError when there is no number, or a range whose
    ends are out of order (4000-3000元).
    """
    value = normalize_number_text(text)
    if value.lower() in MISSING:
        return None
    match = _NUMBER.search(value)
    while match is not None and not _is_numeral(value, match):
        match = _NUMBER.search(value, match.end())
    if match is None:
        raise ValueError(f"no number in {value!r}")
    number_text = match.group(0).rstrip(".")
    before, after = value[: match.start()], value[match.start() + len(number_text) :]
    negative = bool(re.search(r"(?:^|[^\d])(-|负)\s*$", before)) and not before.strip("-负 ")
    first = chinese_number(number_text)
    approximate = bool(_APPROX_BEFORE.search(before))
    low, high = first, None
    range_match = re.match(_RANGE_SEP + r"(" + _NUMERAL + r")", _strip_unit_before_range(after))
    if range_match and not negative:
        second_text = range_match.group(1).rstrip(".")
        try:
            second = chinese_number(second_text)
        except ValueError:
            second = None
        if second is not None:
            skipped = len(after) - len(_strip_unit_before_range(after))
            after = after[skipped + range_match.end() :]
            low, high = _align_multiplier(first, number_text, second, second_text)
            if low > high:
                raise ValueError(f"range out of order in {value!r}")
    if _APPROX_AFTER.match(after) or _APPROX_ANYWHERE.search(after):
        approximate = True
    unit_text = _APPROX_ANYWHERE.sub("", _APPROX_AFTER.sub("", after)).strip()
    unit_match = _UNIT.match(unit_text)
    unit = unit_match.group(0) if unit_match else None
    unit, low, high = _fold_unit(unit, low, high)
    if negative:
        low = -low
    if high is not None:
        return Quantity(low, unit, True, low, high)
    return Quantity(low, unit, approximate)


def parse_yuan(text: str | None) -> int | None:
    """Return an amount of money as whole yuan (20万元 → 200000); None for missing markers.

    Understands 4500, ４５００, 4,500元, 4，500, 0.45万元, 约5000元, 三千五, 两万, 3000-4000元 (its
    low end). Raises ValueError for text holding no number (不详 is not a missing marker: it is
    an answer nobody can read), and for negative amounts.
    """
    quantity = _money_quantity(text)
    if quantity is None:
        return None
    yuan = _to_yuan(quantity)
    if yuan < 0:
        raise ValueError(f"negative amount of money: {normalize_number_text(text)!r}")
    return int(yuan.to_integral_value(rounding=ROUND_HALF_UP))


def parse_fen(text: str | None) -> int | None:
    """Return an amount of money in fen (3.5元 → 350, 5角 → 50); None for missing markers."""
    quantity = _money_quantity(text)
    if quantity is None:
        return None
    per = _FEN_PER_UNIT.get((quantity.unit or "元")[-1], 100)
    fen = quantity.value * per
    if fen < 0:
        raise ValueError(f"negative amount of money: {normalize_number_text(text)!r}")
    return int(fen.to_integral_value(rounding=ROUND_HALF_UP))


def parse_income(text: str | None, *, maximum: int = MAX_MONTHLY_INCOME_YUAN) -> int | None:
    """Return a month's income in whole yuan; ValueError for negative or absurd amounts.

    A range reads as its low end (see the module docstring). More than `maximum` yuan for one
    month is refused as a probable typo or yearly figure, so the row is quarantined for a person.
    """
    yuan = parse_yuan(text)
    if yuan is not None and yuan > maximum:
        raise ValueError(
            f"implausible monthly income: {yuan} yuan is above {maximum}, "
            f"a typo or a yearly figure? ({normalize_number_text(text)!r})"
        )
    return yuan


def parse_count(text: str | None) -> Quantity | None:
    """Return a count of things (120多个 → 120, approximate); ValueError for fractions."""
    quantity = parse_quantity(text)
    if quantity is not None and quantity.value != quantity.value.to_integral_value():
        raise ValueError(f"a count must be whole: {normalize_number_text(text)!r}")
    return quantity


def _money_quantity(text: str | None) -> Quantity | None:
    try:
        return parse_quantity(text)
    except ValueError as exc:
        raise ValueError(f"not an amount of money: {exc}") from exc


def _is_numeral(value: str, match: re.Match[str]) -> bool:
    candidate = match.group(0).rstrip(".")
    if not any(ch.isdigit() for ch in candidate):
        # A lone Chinese numeral inside a word (一般, 统一发放) is not a number.
        after = value[match.start() + len(candidate) : match.start() + len(candidate) + 1]
        if after and not (after in _CN_FOLLOW or not after.isalnum()):
            return False
    try:
        chinese_number(candidate)
    except ValueError:
        return False
    return True


def _strip_unit_before_range(after: str) -> str:
    # 3000元-4000元: the unit may be written on both ends.
    return re.sub(r"^\s*(元|块|万元|万|千|个|人)(?=" + _RANGE_SEP + r"\d)", "", after)


def _multiplier(numeral: str) -> int:
    last = numeral[-1]
    if last in _BIG_UNITS:
        return _BIG_UNITS[last]
    if last in _SMALL_UNITS and any(ch.isdigit() for ch in numeral):
        return _SMALL_UNITS[last]
    return 1


def _align_multiplier(
    low: Decimal, low_text: str, high: Decimal, high_text: str
) -> tuple[Decimal, Decimal]:
    # 3-4万 means 30000 to 40000: the high end's 万 carries over to a bare low end.
    multiplier = _multiplier(high_text)
    if multiplier > 1 and _multiplier(low_text) == 1 and low * multiplier <= high:
        return low * multiplier, high
    return low, high


def _fold_unit(
    unit: str | None, low: Decimal, high: Decimal | None
) -> tuple[str | None, Decimal, Decimal | None]:
    # "20 万元": a 万 parted from its number by a space is still the number's multiplier.
    if unit and unit[0] in _BIG_UNITS:
        factor = _BIG_UNITS[unit[0]]
        return unit[1:] or None, low * factor, high * factor if high is not None else None
    return unit, low, high


def _to_yuan(quantity: Quantity) -> Decimal:
    unit = quantity.unit or "元"
    if unit.startswith(("角", "毛")):
        return quantity.value / 10
    if unit.startswith("分"):
        return quantity.value / 100
    return quantity.value
