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
from decimal import ROUND_HALF_UP, Decimal

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
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_TENS = {"廿": 20, "卅": 30}  # 廿八 = 28, 卅一 = 31 (dates)
CHINESE_NUMERAL_CHARS = "".join([*_DIGITS, *_SMALL_UNITS, *_BIG_UNITS, *_TENS])

_WS = re.compile(r"\s+")
_NUMERAL = rf"(?:\d+(?:\.\d+)?|[{CHINESE_NUMERAL_CHARS}])[\d.{CHINESE_NUMERAL_CHARS}]*"
_NUMBER = re.compile(_NUMERAL)
_RANGE_SEP = r"\s*(?:-+|~|～|〜|—+|–+|－+|至|到)\s*"
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_APPROX_BEFORE = re.compile(r"(约|大约|近|将近|接近|大概|估计|预计|不到|不足|超过|逾)\s*$")
_APPROX_AFTER = re.compile(r"^\s*(多|余|来|左右|以上|上下|以下|许)")
_APPROX_ANYWHERE = re.compile(r"左右|以上|上下|以下")
_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{CHINESE_NUMERAL_CHARS}]")
_UNIT = re.compile(r"^[^\d\s,;:，。；：、()（）\[\]【】]{1,4}")
# What may follow a numeral written in Chinese for it to be a number and not part of a word.
_CN_FOLLOW = frozenset("元圆块角毛分个人户名次条项家岁年月日号天周多余来左右以上下许成倍件位几")
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
    if all(t[0].isdigit() or t in _DIGITS for t in tokens):
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
        elif token in _DIGITS:
            out.append(str(_DIGITS[token]))
        else:
            raise ValueError(f"not a number: {text!r}")
    return "".join(out)


def _decimal_scale(fraction: str, text: str) -> tuple[str, Decimal]:
    # The digits after 点, then at most one run of 万/亿 (10.1万); nothing may follow that.
    digits = fraction.rstrip("".join(_BIG_UNITS))
    units = fraction[len(digits) :]
    tokens = _TOKEN.findall(digits)
    if not digits or "".join(tokens) != digits:
        raise ValueError(f"not a number: {text!r}")
    scale = Decimal(1)
    for unit in units:
        scale *= _BIG_UNITS[unit]
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
        if token[0].isdigit() or token in _DIGITS:
            digit = Decimal(token) if token[0].isdigit() else Decimal(_DIGITS[token])
            if token in _DIGITS and _DIGITS[token] == 0:
                zero_seen = True
            elif pending is not None:
                raise ValueError(f"two digits before a unit: {text!r}")
            else:
                pending, pending_single = digit, len(token) == 1
        elif token in _TENS:
            if pending is not None or last_unit <= 10:
                raise ValueError(f"not a number: {text!r}")
            section += _TENS[token]
            last_unit, zero_seen = 10, True  # 廿八: the tail is units, never tens
        elif token in _SMALL_UNITS:
            unit = _SMALL_UNITS[token]
            # A bare 十 means 一十 (十一, 一百十一); a bare 百/千 only after 零 (一万零百一十一).
            bare = pending is None and unit > 10 and previous not in ("零", "〇")
            if unit >= last_unit or bare:
                raise ValueError(f"units out of order: {text!r}")
            section += (pending if pending is not None else 1) * unit
            pending, last_unit, zero_seen = None, unit, False
        else:
            unit = _BIG_UNITS[token]
            if pending is None and section == 0 and not (previous in _BIG_UNITS and unit > 10_000):
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
        if pair and _DIGITS[pair.group(1)] < _DIGITS[pair.group(2)]:
            # 三五百, 八九亿: "three or five hundred", a range in one word.
            unit = chinese_number("一" + pair.group(3))
            fewest, most = _DIGITS[pair.group(1)] * unit, _DIGITS[pair.group(2)] * unit
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


def _finish(
    after: str, low: Decimal, high: Decimal | None, approximate: bool
) -> Quantity:
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
    if before.endswith(("几", "数")) and number_text[0] in _SMALL_UNITS:
        unit = chinese_number(number_text)
        return unit, unit * 10, after
    if after.startswith("几") and number_text[-1] in _SMALL_UNITS:
        low = chinese_number(number_text)
        return low, low + _SMALL_UNITS[number_text[-1]], after[1:]
    return None


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


def parse_count(text: str | None) -> Quantity | None:
    """Return a count of things (120多个 → 120, approximate); ValueError for fractions."""
    quantity = parse_quantity(text)
    if quantity is not None and quantity.value != quantity.value.to_integral_value():
        raise ValueError(f"a count must be whole: {normalize_number_text(text)!r}")
    return quantity


def _yuan_quantity(text: str | None) -> Quantity | None:
    quantity = parse_money(text)
    if quantity is not None and quantity.unit != "元":
        raise ValueError(
            f"an amount in {quantity.unit}, not in yuan: {normalize_number_text(text)!r}"
        )
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
    factor = Decimal(_SMALL_UNITS[small]) if small and match.group(1)[-1:].isdigit() else 1
    for unit in big:
        factor *= _BIG_UNITS[unit]
    return Decimal(factor)


def _align_multiplier(
    low: Decimal, low_text: str, high: Decimal, high_text: str
) -> tuple[Decimal, Decimal]:
    """Return the range's ends with the high end's units carried over to a bare low end.

    3-4万 and 两到三万 are 30000 to 40000 (a one-digit low end takes the place of the high
    end's first digit: 八到九百亿 is 800亿 to 900亿); 十八至三十万 and 一百二十到一百五十万 carry
    the 万 only. A high end without units (2-25) carries nothing.
    """
    if not any(ch in _SMALL_UNITS or ch in _BIG_UNITS for ch in high_text):
        return low, high
    if any(ch in _BIG_UNITS for ch in low_text):
        return low, high
    bare = all(ch.isdigit() or ch in _DIGITS for ch in low_text)
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
    if unit and unit[0] in _BIG_UNITS:
        factor = _BIG_UNITS[unit[0]]
        return unit[1:] or None, low * factor, high * factor if high is not None else None
    return unit, low, high
