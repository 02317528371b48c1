"""The shape of a synthetic region: how many of each, and who belongs where, by index arithmetic.

Workers, cadres and villages are numbered; each range is split evenly over the next level up
(workers over villages, villages over towns, towns over counties), so membership is a division,
not a lookup table, and any chunk of villages can be generated on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from lianxin.synth.names import PLACE_CHARS, place_name, place_width

PROVINCE = "示范省"  # synthetic: no real province's data


@dataclass(frozen=True)
class Scale:
    """One row of DESIGN.md's scale table."""

    name: str
    workers: int
    villages: int
    cadres: int

    @property
    def towns(self) -> int:
        return max(1, round(self.villages / 12))

    @property
    def counties(self) -> int:
        return max(1, round(self.towns / 15))


SCALES: dict[str, Scale] = {
    "village": Scale("village", workers=300, villages=1, cadres=15),
    "county": Scale("county", workers=100_000, villages=700, cadres=5_000),
    "province": Scale("province", workers=3_000_000, villages=24_000, cadres=150_000),
}


def _first(index: int, items: int, groups: int) -> int:
    """Return the first of `items` that falls into group `index` when split evenly in `groups`."""
    return -(-index * items // groups)


def _spread_name(index: int, count: int, suffix: str) -> str:
    # Spread `count` names evenly over the name space, in order, so neighbours differ.
    width = place_width(count)
    step = len(PLACE_CHARS) ** width // count
    return place_name(index * step + step // 2, width, suffix)


@dataclass(frozen=True)
class Geography:
    """Names and membership of every place, worker and cadre of a scale."""

    scale: Scale

    def village_name(self, v: int) -> str:
        return _spread_name(v, self.scale.villages, "村")

    def town_name(self, town: int) -> str:
        return _spread_name(town, self.scale.towns, "镇")

    def county_name(self, county: int) -> str:
        return _spread_name(county, self.scale.counties, "县")

    def town_of(self, v: int) -> int:
        return v * self.scale.towns // self.scale.villages

    def county_of(self, town: int) -> int:
        return town * self.scale.counties // self.scale.towns

    def first_village(self, town: int) -> int:
        return _first(town, self.scale.villages, self.scale.towns)

    def first_town(self, county: int) -> int:
        return _first(county, self.scale.towns, self.scale.counties)

    def first_worker(self, v: int) -> int:
        return _first(v, self.scale.workers, self.scale.villages)

    def first_cadre(self, v: int) -> int:
        return _first(v, self.scale.cadres, self.scale.villages)

    def region_code(self, county: int, town: int | None = None, v: int | None = None) -> str:
        """Return a 12-digit 统计用区划代码-shaped code (fake, but well-formed)."""
        town_part = 0 if town is None else town - self.first_town(county) + 1
        village_part = 0 if v is None or town is None else v - self.first_village(town) + 1
        return f"43{county + 101:04d}{town_part:03d}{village_part:03d}"
