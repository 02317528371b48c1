"""Find the county, town and village a page is about from its titles and labels.

Place names chain from the largest unit down (云溪县青石镇石门村), so a chain is read from a
word boundary one unit at a time; leading words such as 关于 are dropped, and generic words that
end like a place (乡村, 各村) are not places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lianxin.parsing.text import clean_text, normalize

_UNIT = re.compile(r"([\u4e00-\u9fa5]{1,5}?(?:自治县|县|市|区|街道|镇|乡|社区|村))")
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
            if not match or match.group(1) in NOT_PLACES:
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


def split_place(text: str) -> tuple[str | None, str]:
    """Return (place, rest) when `text` opens with a place and a colon: 青石镇石门村：… ."""
    value = clean_text(text)
    match = re.match(
        r"^((?:[\u4e00-\u9fa5]{1,5}?(?:自治县|县|街道|镇|乡|社区|村))+)\s*[:：]\s*", value
    )
    if not match:
        return None, value
    return match.group(1), value[match.end() :]
