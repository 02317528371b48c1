"""Read numbers as clerks write them: Arabic or Chinese numerals, 万 and 亿, ranges, 约 and 多.

`parse_quantity` is the general reader, `parse_count` reads a count of things; money is read in
`money`, the numerals themselves in `numerals`.
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
from dataclasses import dataclass
from decimal import Decimal

from lianxin.parsing.numerals import (
    BIG_UNITS,
    CHINESE_NUMERAL_CHARS,
    DIGITS,
    MISSING,
    SMALL_UNITS,
    chinese_number,
    normalize_number_text,
)

_NUMERAL = rf"(?:\d+(?:\.\d+)?|[{CHINESE_NUMERAL_CHARS}])[\d.{CHINESE_NUMERAL_CHARS}]*"
_NUMBER = re.compile(_NUMERAL)
_RANGE_SEP = r"\s*(?:-+|~|～|〜|—+|–+|－+|至|到)\s*"
_APPROX_BEFORE = re.compile(r"(约|大约|近|将近|接近|大概|估计|预计|不到|不足|超过|逾)\s*$")
_APPROX_AFTER = re.compile(r"^\s*(多|余|来|左右|以上|上下|以下|许)")
_APPROX_ANYWHERE = re.compile(r"左右|以上|上下|以下")
_UNIT = re.compile(r"^[^\d\s,;:，。；：、()（）\[\]【】]{1,4}")
# What may follow a numeral written in Chinese for it to be a number and not part of a word.
_CN_FOLLOW = frozenset("元圆块角毛分个人户名次条项家岁年月日号天周多余来左右以上下许成倍件位几")
_PAIR = re.compile(r"([一二两兩三四五六七八])([二三四五六七八九])([十百千万亿萬億]+)")
_TRAILING_UNITS = re.compile(r"(.*?)([十百千拾佰仟]?)([万亿萬億]*)")


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
        pair = _PAIR.fullmatch(match.group(0))
        if pair and DIGITS[pair.group(1)] < DIGITS[pair.group(2)]:
            # 三五百, 八九亿: "three or five hundred", a range in one word.
            unit = chinese_number("一" + pair.group(3))
            fewest, most = DIGITS[pair.group(1)] * unit, DIGITS[pair.group(2)] * unit
            return _finish(value[match.end() :], fewest, most, approximate=True)
        match = _NUMBER.search(value, match.end())
    if match is None:
        raise ValueError(f"no number in {value!r}")
    number_text = match.group(0).rstrip(".")
    before, after = value[: match.start()], value[match.start() + len(number_text) :]
    several = _several(before, number_text, after)
    if several is not None:
        return _finish(several[2], several[0], several[1], approximate=True)
    negative = bool(re.search(r"(?:^|[^\d])(-|负)\s*$", before)) and not before.strip("-负 ")
    first = chinese_number(number_text)
    approximate = bool(_APPROX_BEFORE.search(before))
    low: Decimal = first
    high: Decimal | None = None
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
    if negative:
        low = -low
    return _finish(after, low, high, approximate)


def _finish(after: str, low: Decimal, high: Decimal | None, approximate: bool) -> Quantity:
    # The unit written after the number (20 万元: 万 folds into the number) and 约/多/左右.
    if _APPROX_AFTER.match(after) or _APPROX_ANYWHERE.search(after):
        approximate = True
    unit_text = _APPROX_ANYWHERE.sub("", _APPROX_AFTER.sub("", after)).strip()
    unit_match = _UNIT.match(unit_text)
    unit = unit_match.group(0) if unit_match else None
    unit, low, high = _fold_unit(unit, low, high)
    if high is not None:
        return Quantity(low, unit, True, low, high)
    return Quantity(low, unit, approximate)


def _several(before: str, number_text: str, after: str) -> tuple[Decimal, Decimal, str] | None:
    # 几十万/数十亿: from one to ten of the unit; 十几/二十几: the tens and the next ten.
    if before.endswith(("几", "数")) and number_text[0] in SMALL_UNITS:
        unit = chinese_number(number_text)
        return unit, unit * 10, after
    if after.startswith("几") and number_text[-1] in SMALL_UNITS:
        low = chinese_number(number_text)
        return low, low + SMALL_UNITS[number_text[-1]], after[1:]
    return None


def parse_count(text: str | None) -> Quantity | None:
    """Return a count of things (120多个 → 120, approximate); ValueError for fractions."""
    quantity = parse_quantity(text)
    if quantity is not None and quantity.value != quantity.value.to_integral_value():
        raise ValueError(f"a count must be whole: {normalize_number_text(text)!r}")
    return quantity


def _is_numeral(value: str, match: re.Match[str]) -> bool:
    candidate = match.group(0).rstrip(".")
    if not any(ch.isdigit() for ch in candidate):
        # A lone Chinese numeral inside a word (一般, 统一发放) is not a number.
        end = match.start() + len(candidate)
        after, next_char = value[end : end + 1], value[end + 1 : end + 2]
        ranged = after in ("到", "至") and bool(next_char) and next_char in CHINESE_NUMERAL_CHARS
        if after and not (after in _CN_FOLLOW or not after.isalnum() or ranged):
            return False
    try:
        chinese_number(candidate)
    except ValueError:
        return False
    return True


def _strip_unit_before_range(after: str) -> str:
    # 3000元-4000元: the unit may be written on both ends.
    return re.sub(r"^\s*(元|块|万元|万|千|个|人)(?=" + _RANGE_SEP + r"\d)", "", after)


def _trailing_multiplier(numeral: str) -> Decimal:
    # 一百五十万 → 万, 九百亿 → 亿, 15千 → 千 (a unit right after Arabic digits), 4000 → 1.
    match = _TRAILING_UNITS.fullmatch(numeral)
    if match is None:
        return Decimal(1)
    small, big = match.group(2) or "", match.group(3) or ""
    factor = Decimal(SMALL_UNITS[small]) if small and match.group(1)[-1:].isdigit() else 1
    for unit in big:
        factor *= BIG_UNITS[unit]
    return Decimal(factor)


def _align_multiplier(
    low: Decimal, low_text: str, high: Decimal, high_text: str
) -> tuple[Decimal, Decimal]:
    """Return the range's ends with the high end's units carried over to a bare low end.

    3-4万 and 两到三万 are 30000 to 40000 (a one-digit low end takes the place of the high
    end's first digit: 八到九百亿 is 800亿 to 900亿); 十八至三十万 and 一百二十到一百五十万 carry
    the 万 only. A high end without units (2-25) carries nothing.
    """
    if not any(ch in SMALL_UNITS or ch in BIG_UNITS for ch in high_text):
        return low, high
    if any(ch in BIG_UNITS for ch in low_text):
        return low, high
    bare = all(ch.isdigit() or ch in DIGITS for ch in low_text)
    if bare and len(low_text) == 1 and high >= 1:
        place = Decimal(10) ** (len(str(int(high))) - 1)
        if 1 < place and low * place <= high:
            return low * place, high
    factor = _trailing_multiplier(high_text)
    if factor > 1 and low * factor <= high:
        return low * factor, high
    return low, high


def _fold_unit(
    unit: str | None, low: Decimal, high: Decimal | None
) -> tuple[str | None, Decimal, Decimal | None]:
    # "20 万元": a 万 parted from its number by a space is still the number's multiplier.
    if unit and unit[0] in BIG_UNITS:
        factor = BIG_UNITS[unit[0]]
        return unit[1:] or None, low * factor, high * factor if high is not None else None
    return unit, low, high
