"""Read the figures and places a report states in its prose: 120多个, 4户, 20万元, 口前村.

A quantity is an Arabic number, maybe scaled (万, 亿) and hedged (约/近/超过 before, 多/余 after),
followed by a measure word (个, 户, 人, 次, 场次 …) and, for 个, the thing counted when it is a
known noun (个基站, 个行政村). Money ends in 元 and is turned into whole yuan. Years, dates,
percentages and phone numbers are not counts: their measure words are not in the list.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lianxin.parsing.places import places_in_prose
from lianxin.parsing.text import normalize, parse_yuan
from lianxin.records import Fact, FactKind

# Longest first, so 场次 wins over 场 and 人次 over 人.
MEASURE_WORDS = (
    "人次",
    "场次",
    "户次",
    "批次",
    "余人",
    "个",
    "户",
    "人",
    "名",
    "次",
    "场",
    "家",
    "条",
    "件",
    "项",
    "所",
    "座",
    "处",
    "本",
    "台",
    "套",
    "辆",
    "头",
    "亩",
    "期",
    "批",
    "吨",
    "公里",
    "千米",
)
# Nouns counted with 个 that are worth keeping in the unit (4G基站928个 vs 928个基站).
COUNTED_NOUNS = (
    "行政村",
    "贫困村",
    "乡镇",
    "基站",
    "村",
    "社区",
    "岗位",
    "项目",
    "问题",
    "企业",
    "合作社",
    "安置点",
    "基地",
    "车间",
    "班次",
)
_HEDGE_BEFORE = ("约", "近", "超过", "逾", "大约", "将近", "超")
_NUMBER = re.compile(
    r"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)\s*(万|亿)?\s*(多|余)?\s*"
    r"(元|" + "|".join(MEASURE_WORDS) + r")"
)
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


def facts_in(text: str) -> list[Fact]:
    """Return the counts, sums of money and places stated in `text`, in order."""
    value = normalize(text)
    facts: list[Fact] = []
    for match in _NUMBER.finditer(value):
        number, scale, hedge, unit = match.groups()
        before = value[max(0, match.start() - 2) : match.start()]
        approximate = bool(hedge) or before.endswith(_HEDGE_BEFORE)
        phrase = match.group(0)
        if unit == "元":
            facts.append(
                Fact(
                    kind=FactKind.money,
                    value=_yuan(number, scale, phrase),
                    unit="元",
                    approximate=approximate,
                    text=phrase,
                )
            )
            continue
        if unit == "余人":  # 30余人: the hedge sits inside the measure word
            unit, approximate = "人", True
        if unit == "个":
            rest = value[match.end() : match.end() + 3]
            noun = next((n for n in COUNTED_NOUNS if rest.startswith(n)), None)
            if noun:
                unit, phrase = "个" + noun, phrase + noun
        amount = Decimal(number) * _SCALE.get(scale or "", Decimal(1))
        facts.append(
            Fact(
                kind=FactKind.quantity,
                value=int(amount.to_integral_value()),
                unit=unit,
                approximate=approximate,
                text=phrase,
            )
        )
    for level, name in places_in_prose(value):
        facts.append(Fact(kind=FactKind.place, unit=level, text=name))
    return facts


def _yuan(number: str, scale: str | None, phrase: str) -> int:
    # text.parse_yuan reads 元 and 万元; 亿元 is scaled here until it learns that unit.
    if scale == "亿":
        return int((Decimal(number) * _SCALE["亿"]).to_integral_value())
    amount = parse_yuan(f"{number}{scale or ''}元")
    return amount if amount is not None else int(Decimal(number))
