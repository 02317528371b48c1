"""Find the county, town and village a page is about from its titles and labels.

Place names chain from the largest unit down (云溪县青石镇石门村), so a chain is read from a
word boundary one unit at a time; leading words such as 关于 are dropped, and generic words that
end like a place (乡村, 各村) are not places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lianxin.parsing.text import clean_text, normalize

_CHAIN = r"(?:[\u4e00-\u9fa5]{1,5}?(?:自治县|县|街道|镇|乡|社区|村))+"
_UNIT = re.compile(r"([\u4e00-\u9fa5]{1,5}?(?:自治县|县|市|区|街道|镇|乡|社区|村))")
# 本村, 该镇, 各村, 现将全县: words that point at a place without naming it.
_GENERIC = re.compile(r"[本该各全每此将其]")
_LEADING = re.compile(r"^(关于|对|在|据|从|由|给|向)")
# Digits with their 年/月/日 end a chain, and so do words that start a title's predicate.
_BOUNDARY = re.compile(
    r"(?:[^\u4e00-\u9fa5]+(?:年|月份|月|日|号|期)?)+|关于|公布|公示|通报|印发|的"
)
NOT_PLACES = frozenset(
    {
        "乡村",
        "农村",
        "城乡",
        "全村",
        "本村",
        "该村",
        "各村",
        "行政村",
        "自然村",
        "各乡",
        "乡镇",
        "各乡镇",
        "全乡",
        "全镇",
        "本镇",
        "全县",
        "本县",
        "各县",
        "全市",
        "各区",
        "社区",
        "城区",
        "园区",
        "小区",
        "景区",
        "辖区",
        "片区",
        "地区",
        "山区",
        "库区",
        "街道",
        "村村",
        "省市",
        "县市",
        "县区",
        "市区",
        "都市",
        "城市",
        "超市",
        "新村",
        "城镇",
        "集镇",
        "村社区",
    }
)


@dataclass
class Places:
    county: str | None = None
    town: str | None = None
    village: str | None = None

    def merge(self, other: Places) -> None:
        """Fill whatever is still unknown from `other`."""
        self.county = self.county or other.county
        self.town = self.town or other.town
        self.village = self.village or other.village


def places_in(text: str) -> Places:
    """Return the first county, town and village named in `text` (None where not named)."""
    found = Places()
    for segment in _BOUNDARY.split(normalize(text)):
        segment = _LEADING.sub("", segment)
        position = 0
        while position < len(segment):
            match = _UNIT.match(segment, position)
            if not match or match.group(1) in NOT_PLACES or _GENERIC.search(match.group(1)):
                break
            _assign(found, match.group(1))
            position = match.end()
    return found


def _assign(found: Places, name: str) -> None:
    if name.endswith(("县", "市", "区")) and not name.endswith("社区"):
        found.county = found.county or name
    elif name.endswith(("镇", "乡", "街道")):
        found.town = found.town or name
    else:
        found.village = found.village or name


def whole_place(text: str) -> str | None:
    """Return `text` when it is nothing but a place chain (白沙街道新安社区), else None."""
    value = clean_text(text).rstrip("：:。 ")
    if re.fullmatch(_CHAIN, value) and value not in NOT_PLACES:
        return value
    return None


def split_place(text: str) -> tuple[str | None, str]:
    """Return (place, rest) when `text` opens with a place and a colon: 青石镇石门村：… ."""
    value = clean_text(text)
    match = re.match(rf"^({_CHAIN})\s*[:：]\s*", value)
    if not match:
        return None, value
    return match.group(1), value[match.end() :]


# In running prose a place is a two-character name and its unit (禾丰县, 柳塘村, 白沙街道):
# longer names cannot be told from the words before them without a gazetteer.
_PROSE_PLACE = re.compile(r"([\u4e00-\u9fa5]{2})(自治县|街道|社区|县|市|区|镇|乡|村)")
# Characters that do not start a place name but often stand before a unit in prose.
_NOT_NAME_START = frozenset(
    "在从的了和与及等全各该本到对为把是有往赴去回返来下上进驻入出向由给将年月日个名户人次余多近约共其每"
)
_NOT_NAME_CHAR = frozenset("县市区镇乡村")
# A unit followed by these is a word, not a place (乡村, 村民, 镇政府 is fine, 市场 is not).
_NOT_AFTER = {"乡": "村镇亲下土", "村": "民委级干组集里庄落务", "市": "场民面值", "区": "域别间"}
_LEVELS = (
    ("社区", "village"),
    ("村", "village"),
    ("街道", "town"),
    ("镇", "town"),
    ("乡", "town"),
    ("自治县", "county"),
    ("县", "county"),
    ("市", "county"),
    ("区", "county"),
)


def places_in_prose(text: str) -> list[tuple[str, str]]:
    """Return the (level, name) of every place named in `text`, in order, each once."""
    value = normalize(text)
    found: list[tuple[str, str]] = []
    for match in _PROSE_PLACE.finditer(value):
        name, unit = match.group(1), match.group(2)
        after = value[match.end() : match.end() + 1]
        if (
            name[0] in _NOT_NAME_START
            or name[1] in "全各该本每此"
            or any(c in _NOT_NAME_CHAR for c in name)
        ):
            continue
        if after and after in _NOT_AFTER.get(unit, ""):
            continue
        place = name + unit
        if place in NOT_PLACES or place.endswith(("开发区", "园区")):
            continue
        level = next(lvl for suffix, lvl in _LEVELS if unit == suffix)
        if (level, place) not in found:
            found.append((level, place))
    return found
