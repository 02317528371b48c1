"""The deployment's own region tree reaches the parsers: a village the store knows is a place.

The national divisions do not hold the sample portal's fictional county (云溪县); the store's
regions (from rosters) and the roster's own towns and villages do.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from lianxin.ingest.fetching import FetchedPage
from lianxin.ingest.pipeline import parse_fetched
from lianxin.ingest.regions import RegionTree, region_tree, store_region_tree
from lianxin.records import FactKind, RegionLevel
from lianxin.store import schema as t

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
ARTICLE = (
    "<html><head><title>返乡创业带动就业</title></head><body><h1>返乡创业带动就业</h1>"
    "<p>今年以来，龙潭村的赵德明返乡办起了竹编作坊，带动本村二十多名群众在家门口就业，"
    "每人每月增收一千余元。驻村工作队还帮他对接了县里的电商平台。</p></body></html>"
).encode()


def _store_tree(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(t.regions),
            [
                {"level": "county", "name": "云溪县", "parent": ""},
                {"level": "town", "name": "青石镇", "parent": "云溪县"},
                {"level": "village", "name": "石门村", "parent": "青石镇"},
            ],
        )
        # An imported roster names a village the regions table does not.
        conn.execute(
            insert(t.workers),
            [
                {
                    "key": "青石镇/龙潭村/赵德明",
                    "name": "赵德明",
                    "village": "龙潭村",
                    "town": "青石镇",
                    "status": "employed",
                    "extra": {},
                }
            ],
        )


def _places(page: FetchedPage, tree: RegionTree) -> list[str]:
    result = parse_fetched(page, tree.regions)
    return [f.text for f in result.facts if f.kind is FactKind.place]


def test_the_store_tree_holds_the_regions_and_the_rosters_villages(engine: Engine) -> None:
    _store_tree(engine)
    with engine.connect() as conn:
        tree = region_tree(conn)
    assert {(r.level, r.name, r.parent) for r in tree} >= {
        (RegionLevel.county, "云溪县", None),
        (RegionLevel.village, "石门村", "青石镇"),
        (RegionLevel.village, "龙潭村", "青石镇"),
    }


def test_a_village_the_store_knows_is_a_place_in_a_fetched_article(engine: Engine) -> None:
    page = FetchedPage(source="云溪县", url="http://portal.example/a/1.html", fetched_at=AT)
    page.content, page.status, page.content_type = ARTICLE, 200, "text/html; charset=utf-8"
    assert _places(page, RegionTree()) == []  # not a national division: no place
    _store_tree(engine)
    with engine.connect() as conn:
        assert _places(page, store_region_tree(conn)) == ["龙潭村"]
