"""Read amounts of money as clerks write them: 壹佰捌拾壹圆柒角, 十块三毛, 1.2万元, 15k, 3000多.

`parse_money` reads an amount in its currency; `parse_yuan`, `parse_fen` and `parse_income` read
yuan. A range reads as its LOW end (see `lianxin.parsing.numbers`). None for a "nothing here"
marker; ValueError, with the reason, for text that holds no amount.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from lianxin.parsing.numbers import Quantity, parse_quantity
from lianxin.parsing.numerals import (
    CHINESE_NUMERAL_CHARS,
    MISSING,
    chinese_number,
    normalize_number_text,
)

# A month's income above this is a typo or a yearly figure, not a migrant worker's wage.
MAX_MONTHLY_INCOME_YUAN = 200_000

_FEN_PER_UNIT = {"元": 100, "块": 100, "角": 10, "毛": 10, "分": 1}
# Currencies as written, longest first: the first found names the amount's currency.
_CURRENCIES = (
    ("新台币", "新台币"),
    ("人民币", "元"),
    ("港元", "港元"),
    ("港币", "港元"),
    ("美元", "美元"),
    ("美金", "美元"),
    ("日元", "日元"),
    ("日币", "日元"),
    ("欧元", "欧元"),
    ("台币", "新台币"),
    ("泰铢", "泰铢"),
    ("卢布", "卢布"),
    ("韩元", "韩元"),
    ("澳元", "澳元"),
    ("英镑", "英镑"),
)
_CURRENCY_WORDS = re.compile("|".join(w for w, _ in _CURRENCIES if w != "人民币") + "|人民币")
_INCLUSIVE = re.compile(r"[(（]\s*含\s*[)）]")  # 1万(含)-5万元
_GE_YI = re.compile(rf"(?<=[\d{CHINESE_NUMERAL_CHARS}])个(?=[万亿萬億])")  # 两个亿
_K_W = re.compile(r"(\d)\s*([kKwW])(?![a-zA-Z])")  # 15k, 30w
_MANY = re.compile(rf"[\d{CHINESE_NUMERAL_CHARS}]\s*[多余]")
_MONEY_NUMERAL = rf"[\d.{CHINESE_NUMERAL_CHARS}]+"
_YUAN_JIAO_FEN = re.compile(
    rf"(?P<sign>负|-)?(?P<yuan>{_MONEY_NUMERAL})?(?:[元圆块](?P<whole>整|正)?)?"
    rf"(?:零?(?P<jiao>{_MONEY_NUMERAL})[角毛])?(?:零?(?P<fen>{_MONEY_NUMERAL})分)?钱?"
)


def parse_money(text: str | None) -> Quantity | None:
    """Return an amount of money in its currency's main unit, the currency as `unit`.

    Reads 壹佰捌拾壹圆柒角 (181.7), 十块三毛 (10.3), 六十四万零一百四十三元一角七分, 肆佰叁拾萬圆整,
    1.2万元, 15k, 30w, 两个亿, ranges with both ends (1万(含)-5万元, 一百二十到一百五十万元), and
    N多 as the span up to the next step (3000多 → 3000 to 4000, its value the low end).
    `unit` is 元 for yuan (人民币, 块, 圆) or the foreign currency named (港元, 美元, 日元 …).
    None for missing markers; ValueError for text holding no amount.
    """
    value = normalize_number_text(text)
    if value.lower() in MISSING:
        return None
    currency = "元"
    for word, name in _CURRENCIES:
        if word in value:
            currency = name
            break
    core = _CURRENCY_WORDS.sub("", value)
    core = _INCLUSIVE.sub("", _GE_YI.sub("", core))
    core = _K_W.sub(lambda m: m.group(1) + ("千" if m.group(2) in "kK" else "万"), core)
    compound = _YUAN_JIAO_FEN.fullmatch(core.replace(" ", ""))
    if compound and (compound.group("jiao") or compound.group("fen") or compound.group("whole")):
        if not (compound.group("yuan") or compound.group("jiao") or compound.group("fen")):
            raise ValueError(f"not an amount of money: no number in {value!r}")
        amount = _compound_yuan(compound, value)
        return Quantity(amount, currency)
    try:
        quantity = parse_quantity(core)
    except ValueError as exc:
        raise ValueError(f"not an amount of money: {exc}") from exc
    if quantity is None:
        raise ValueError(f"not an amount of money: {value!r}")
    per = Decimal(100) / _FEN_PER_UNIT.get((quantity.unit or "元")[:1], 100)
    low = quantity.value / per
    high = quantity.high / per if quantity.high is not None else None
    many = _MANY.search(core)
    if high is None and many and low == low.to_integral_value() and low > 0:
        high = low + _step(low)
    if high is not None:
        return Quantity(low, currency, True, low, high)
    return Quantity(low, currency, quantity.approximate)


def _compound_yuan(match: re.Match[str], original: str) -> Decimal:
    amount = chinese_number(match.group("yuan")) if match.group("yuan") else Decimal(0)
    for name, share in (("jiao", Decimal("0.1")), ("fen", Decimal("0.01"))):
        if match.group(name):
            amount += chinese_number(match.group(name)) * share
    if match.group("sign"):
        amount = -amount
    return amount


def _step(number: Decimal) -> Decimal:
    # 3000 → 1000, 120 → 10, 十 → 10: the place of the number's last non-zero digit.
    digits = str(int(number))
    return Decimal(10) ** (len(digits) - len(digits.rstrip("0")))


def parse_yuan(text: str | None) -> int | None:
    """Return an amount of money as whole yuan (20万元 → 200000); None for missing markers.

    Understands 4500, ４５００, 4,500元, 4，500, 0.45万元, 约5000元, 三千五, 两万, 3000-4000元 (its
    low end). Raises ValueError for text holding no number (不详 is not a missing marker: it is
    an answer nobody can read), and for negative amounts.
    """
    quantity = _yuan_quantity(text)
    if quantity is None:
        return None
    yuan = quantity.value
    if yuan < 0:
        raise ValueError(f"negative amount of money: {normalize_number_text(text)!r}")
    return int(yuan.to_integral_value(rounding=ROUND_HALF_UP))


def parse_fen(text: str | None) -> int | None:
    """Return an amount of money in fen (3.5元 → 350, 5角 → 50); None for missing markers."""
    quantity = _yuan_quantity(text)
    if quantity is None:
        return None
    fen = quantity.value * 100
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


def _yuan_quantity(text: str | None) -> Quantity | None:
    quantity = parse_money(text)
    if quantity is not None and quantity.unit != "元":
        raise ValueError(
            f"an amount in {quantity.unit}, not in yuan: {normalize_number_text(text)!r}"
        )
    return quantity
