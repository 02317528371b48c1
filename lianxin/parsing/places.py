"""Find the county, town and village a page is about, and the places its prose names.

Two readers, for two kinds of text:

- A table's own title and cells (a roster's 村 column, 石门村2026年9月…回访表) are the county's
  own data: `places_in`, `whole_place` and `split_place` read them by their shape. Place names
  chain from the largest unit down (云溪县青石镇石门村), so a chain is read from a word boundary
  one unit at a time; leading words such as 关于 are dropped, and generic words that end like a
  place (乡村, 各村) are not places.
- Everything else (titles, labels, prose) names a place only when it is a real division:
  `known_places`, `report_places` and `places_in_prose` ask `gazetteer` (China's counties and
  towns, a town's villages, and the configured region tree), whole names, longest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lianxin.parsing import gazetteer
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
        # Divisions' names that prose uses as words: 发展小城镇, 产城融合创新城区.
        "小城镇",
        "新城区",
        "老城区",
        "主城区",
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
    """Return the first county, town and village `text` names by shape (a table's own title)."""
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


# A unit followed by these is a word, not a place (乡村, 村民; 镇政府 is fine, 市场 is not).
_NOT_AFTER = {"乡": "村镇亲下土", "村": "民委级干组集里庄落务", "市": "场民面值", "区": "域别间"}
_VILLAGE_ENDS = ("村", "社区", "居委会")
_LONGEST_VILLAGE = 12
# An organ's own name (云溪县人民政府, 青石镇石门村村民委员会) names its place whole, known or not:
# it is how the county, town or village calls itself.
_OWN_NAME = re.compile(rf"({_CHAIN})(?:人民政府|政府|村民委员会|居民委员会|村委会|党委|委员会)")


def known_places(text: str) -> list[tuple[str, str]]:
    """Return the (level, name) of every real division named in `text`, in order, each once.

    A name is a county or town of China's divisions (or of the configured region tree), read
    whole and longest first; a village is read only right after its own town (青石镇石门村) or
    when the configured tree names it. Provinces and prefectures are read past, not returned.
    """
    value = normalize(text)
    found: list[tuple[str, str]] = []
    position = 0
    for start, name, level in gazetteer.matches(value):
        if start < position or _is_word(value, start, name, level):
            continue
        if level != gazetteer.AREA:
            _add(found, level, name)
        position = start + len(name)
        if level == gazetteer.TOWN:
            village = _village_after(value, position, name)
            if village:
                _add(found, gazetteer.VILLAGE, village)
                position += len(village)
    return found


def _village_after(value: str, start: int, town: str) -> str | None:
    for end in range(min(len(value), start + _LONGEST_VILLAGE), start + 1, -1):
        name = value[start:end]
        if name.endswith(_VILLAGE_ENDS) and gazetteer.is_village_of(town, name):
            return name
    return None


def _is_word(value: str, start: int, name: str, level: str) -> bool:
    # 城区, 郊区: two-character names other than a 县 or 旗 are words far more often than places.
    if name in NOT_PLACES or (len(name) == 2 and not name.endswith(("县", "旗"))):
        return True
    after = value[start + len(name) : start + len(name) + 1]
    return bool(after) and after in _NOT_AFTER.get(name[-1], "")


def _add(found: list[tuple[str, str]], level: str, name: str) -> None:
    if (level, name) not in found:
        found.append((level, name))


def report_places(text: str) -> Places:
    """Return the first real county, town and village `text` names (see `known_places`).

    An organ's own name (云溪县人民政府) is read unit by unit whatever its units are: the
    package's level where it knows the name (巴彦淖尔市 is a prefecture, no county), else the
    unit's ending.
    """
    value = clean_text(normalize(text))
    found = Places()
    own = _OWN_NAME.fullmatch(value)
    if own:
        for name in _UNIT.findall(own.group(1)):
            level = gazetteer.level_of(name)
            if level is None:
                _assign(found, name)
            elif level != gazetteer.AREA:
                _set(found, level, name)
        return found
    for level, name in known_places(value):
        _set(found, level, name)
    return found


def _set(found: Places, level: str, name: str) -> None:
    if getattr(found, level) is None:
        setattr(found, level, name)


def places_in_prose(text: str) -> list[tuple[str, str]]:
    """Return the (level, name) of every real division named in running prose, in order."""
    return known_places(text)
