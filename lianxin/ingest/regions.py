"""Whether a place typed by hand (an account's county, town or village) is one Lianxin knows.

A place is known when the region tree (`regions`, from the rosters fetched) or the roster itself
(`workers`, which imported tables fill without regions) names it: a village lead whose village
is misspelt would see nothing, with nothing to say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches

from sqlalchemy import Connection, select, union

from lianxin.records import Region, RegionLevel
from lianxin.store import schema as t

CLOSE_MATCHES = 3


def _names(conn: Connection, level: str, parent: str | None = None) -> list[str]:
    """Return the names of the places at `level` (county, town, village), in `parent` if given."""
    r, w = t.regions, t.workers
    query = select(r.c.name).where(r.c.level == level)
    if parent is not None:
        query = query.where(r.c.parent == parent)
    if level != "county":  # the roster names towns and villages, not counties
        column = w.c[level]
        kept = select(column).where(column.is_not(None))
        if parent is not None:
            kept = kept.where(w.c.town == parent)
        query = union(query, kept)  # type: ignore[assignment]
    return sorted({str(name) for name in conn.execute(query).scalars() if name})


def _towns_of(conn: Connection, village: str) -> list[str]:
    """Return the towns a village lies in, by the region tree and the roster."""
    r, w = t.regions, t.workers
    query = union(
        select(r.c.parent).where(r.c.level == "village", r.c.name == village),
        select(w.c.town).where(w.c.village == village),
    )
    return sorted({str(name) for name in conn.execute(query).scalars() if name})


def _unknown(level: str, name: str, known: list[str]) -> str:
    close = get_close_matches(name, known, n=CLOSE_MATCHES, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"no {level} {name!r} in the region tree or the roster{hint}"


def unknown_place(
    conn: Connection,
    *,
    county: str | None = None,
    town: str | None = None,
    village: str | None = None,
) -> str | None:
    """Return, in one line, why the places given are not known (with close matches), or None
    when each is known and the village lies in the town (when both are given)."""
    for level, name in (("county", county), ("town", town), ("village", village)):
        if name:
            known = _names(conn, level)
            if name not in known:
                return _unknown(level, name, known)
    if town and village and village not in _names(conn, "village", parent=town):
        towns = _towns_of(conn, village)
        where = f" (it is in {', '.join(towns)})" if towns else ""
        return f"village {village!r} is not in town {town!r}{where}"
    return None


@dataclass(frozen=True)
class RegionTree:
    """The regions the parsers know besides the national divisions (one task parameter)."""

    regions: tuple[Region, ...] = ()


def store_region_tree(conn: Connection) -> RegionTree:
    """Return `region_tree(conn)` as one value to hand to the parse tasks."""
    return RegionTree(tuple(region_tree(conn)))


def region_tree(conn: Connection) -> list[Region]:
    """Return the deployment's own region tree: the regions the rosters gave, and the towns and
    villages the roster names (imported tables fill workers without regions).

    The parsers know these names as places besides the national divisions (see
    `lianxin.parsing.gazetteer.configured_tree`), so a fictional or newly formed village counts.
    """
    r, w = t.regions, t.workers
    tree = {
        (str(level), str(name), str(parent or ""))
        for level, name, parent in conn.execute(select(r.c.level, r.c.name, r.c.parent))
    }
    pairs = select(w.c.town, w.c.village).distinct().where(w.c.town.is_not(None))
    for town, village in conn.execute(pairs):
        tree.add(("town", town, ""))
        tree.add(("village", village, town))
    return [
        Region(level=RegionLevel(level), name=name, parent=parent or None)
        for level, name, parent in sorted(tree)
        if level in RegionLevel.__members__
    ]
