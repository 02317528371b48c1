"""Know which names are China's real divisions: counties, towns (乡镇街道) and their villages.

The names come from JioNLP's table of the National Bureau of Statistics' divisions (see
`gazetteer_data`), loaded once, on first use (about 0.1 s); a town's villages are looked up
only when a chain names that town. A deployment's own region tree (`configured_tree`) is
known too, at every level: without it a village is read only after its own town.

A name is matched whole, at the position it starts, longest first: 万佛山镇, never 佛山镇.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache

from lianxin.parsing.gazetteer_data import DIVISIONS, VILLAGES
from lianxin.records import Region

# Levels a name can have: areas (provinces, prefectures) are read so a chain goes on past them
# (湖南省岳阳市平江县), but they are not counties and are never reported.
AREA, COUNTY, TOWN, VILLAGE = "area", "county", "town", "village"


@dataclass
class _Index:
    """Names with their level, found from their last character (a unit: 县, 镇, 村 …)."""

    levels: dict[str, str] = field(default_factory=dict)
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # by last character
    ends: re.Pattern[str] = re.compile("(?!)")

    @classmethod
    def of(cls, names: Iterable[tuple[str, str]]) -> _Index:
        index = cls()
        by_last: dict[str, set[int]] = {}
        for level, name in names:
            if len(name) < 2:
                continue
            index.levels.setdefault(name, level)
            by_last.setdefault(name[-1], set()).add(len(name))
        index.lengths = {c: tuple(sorted(n, reverse=True)) for c, n in by_last.items()}
        if by_last:
            index.ends = re.compile("[" + re.escape("".join(sorted(by_last))) + "]")
        return index

    def matches(self, text: str) -> Iterator[tuple[int, str, str]]:
        """Yield (start, name, level) of every known name in `text`, overlapping ones too."""
        for end in self.ends.finditer(text):
            stop = end.end()
            for length in self.lengths[end.group()]:
                if length <= stop:
                    name = text[stop - length : stop]
                    level = self.levels.get(name)
                    if level is not None:
                        yield stop - length, name, level


@dataclass
class _Tree:
    """A deployment's configured divisions: every name, and each town's villages."""

    index: _Index
    villages: dict[str, frozenset[str]]


_CONFIGURED: ContextVar[_Tree | None] = ContextVar("lianxin_region_tree", default=None)


@contextmanager
def configured_tree(regions: Iterable[Region]) -> Iterator[None]:
    """Know the `regions` (a county's own towns and villages) while the block runs."""
    regions = list(regions)
    villages: dict[str, set[str]] = {}
    for region in regions:
        if region.level.value == VILLAGE and region.parent:
            villages.setdefault(region.parent, set()).add(region.name)
    tree = _Tree(
        _Index.of((r.level.value, r.name) for r in regions),
        {town: frozenset(names) for town, names in villages.items()},
    )
    token = _CONFIGURED.set(tree)
    try:
        yield
    finally:
        _CONFIGURED.reset(token)


@cache
def _package() -> _Index:
    lines = gzip.decompress(DIVISIONS.read_bytes()).decode("utf-8").splitlines()
    return _Index.of(
        (level, name)
        for level, names in (line.split("\t") for line in lines)
        for name in names.split()
    )


@cache
def _village_text() -> str:
    return "\n" + gzip.decompress(VILLAGES.read_bytes()).decode("utf-8") + "\n"


@cache
def _villages_of(town: str) -> frozenset[str]:
    # One search of the file's text per town named: cheaper than a dict of 40,000 lines.
    text = _village_text()
    start = text.find(f"\n{town}\t")
    if start < 0:
        return frozenset()
    start += len(town) + 2
    return frozenset(text[start : text.index("\n", start)].split())


def matches(text: str) -> list[tuple[int, str, str]]:
    """Return (start, name, level) of the known names in `text`: leftmost, then longest first.

    Each start is kept once, with its longest name (the configured tree's on a tie: its names
    are the county's own); overlapping names at later starts are kept for the caller to skip.
    """
    tree = _CONFIGURED.get()
    found: dict[int, tuple[str, str]] = {}
    for index in (tree.index, _package()) if tree else (_package(),):
        for start, name, level in index.matches(text):
            if start not in found or len(name) > len(found[start][0]):
                found[start] = (name, level)
    return [(start, *found[start]) for start in sorted(found)]


def level_of(name: str) -> str | None:
    """Return the level of `name` when it is a known division, else None."""
    return next((level for _, found, level in matches(name) if found == name), None)


def is_village_of(town: str, village: str) -> bool:
    """Return whether `village` is a village of a town named `town`, by the package or the tree."""
    tree = _CONFIGURED.get()
    if tree and village in tree.villages.get(town, ()):
        return True
    return village in _villages_of(town)
