"""The overview page: the month's calls from the aggregates, charts, only the viewer's place."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from test_dashboard_auth import PASSWORD, log_in

from browser import fill_store
from config.settings import RulesSettings, Settings
from lianxin.dashboard import auth
from lianxin.dashboard.app import create_app
from lianxin.dashboard.scope import Role
from lianxin.portal import PORTAL_TODAY
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.db import make_engine, migrate
from lianxin.store.writes import save_results
from personas import FETCHED, VILLAGE, checkins, roster


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, Engine]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/lianxin.db", data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    migrate(engine)
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], FETCHED)
    evaluate(engine, date(2026, 11, 8), RulesSettings(), FETCHED)
    refresh_compliance(engine, None, FETCHED)
    with engine.begin() as conn:
        auth.create_user(conn, "admin", PASSWORD, Role.admin)
        auth.create_user(conn, "hewan", PASSWORD, Role.village_lead, village="河湾村")
    yield TestClient(create_app(settings, engine=engine)), engine
    engine.dispose()


def _numbers(engine: Engine, village: str | None = None) -> tuple[int, int]:
    c = t.compliance
    where = [c.c.period == "2026-11"] + ([c.c.village == village] if village else [])
    with engine.connect() as conn:
        due, done = conn.execute(select(func.sum(c.c.due), func.sum(c.c.done)).where(*where)).one()
    return int(due or 0), int(done or 0)


def test_the_overview_shows_the_months_calls_with_charts(
    client: tuple[TestClient, Engine],
) -> None:
    web, engine = client
    assert log_in(web, "admin").status_code == 303
    page = web.get("/").text
    due, done = _numbers(engine)
    assert due > done > 0
    assert re.search(rf"<span class=\"n\">{done} / {due}</span>", page)
    # Calls still owed this month: the same month's rows, not every kind of follow-up.
    assert f'<span class="n">{due - done}</span><span class="k">本月待回访</span>' in page
    assert page.count("<svg") == 2  # compliance by place, and the six-month trend
    assert "本月回访率" in page and "2026-11" in page
    english = web.get("/?lang=en").text
    assert "Called this month, by place" in english


def test_a_village_lead_sees_only_their_village(client: tuple[TestClient, Engine]) -> None:
    web, engine = client
    log_in(web, "hewan")
    page = web.get("/").text
    due, done = _numbers(engine, "河湾村")
    assert _numbers(engine, VILLAGE) != (due, done)  # the two villages differ
    assert VILLAGE not in page  # the other village's rows never reach this lead's page
    assert f'<span class="n">{done} / {due}</span>' in page


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    """The sample portal's county (3 towns, 6 villages), filled as the demo fills it."""
    folder = tmp_path_factory.mktemp("county")
    settings = Settings(database_url=f"sqlite:///{folder}/lianxin.db", data_dir=folder)
    engine = make_engine(settings.database_url)
    migrate(engine)
    fill_store(settings, PORTAL_TODAY, hostile=False)
    with engine.begin() as conn:
        auth.create_user(conn, "admin", PASSWORD, Role.admin)
        auth.create_user(conn, "songping", PASSWORD, Role.village_lead, village="松坪村")
    yield TestClient(create_app(settings, engine=engine)), engine
    engine.dispose()


def _place_links(page: str) -> dict[str, str]:
    table = re.search(r'<table id="places">.*?</table>', page, re.S)
    assert table, "no places table"
    return {name: href for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', table[0])}


def test_the_overview_drills_down_from_the_county_to_a_towns_villages(
    county: tuple[TestClient, Engine],
) -> None:
    web, engine = county
    log_in(web, "admin")
    cp = t.compliance
    with engine.connect() as conn:
        towns = dict(
            conn.execute(
                select(cp.c.town, func.sum(cp.c.due))
                .where(cp.c.period == "2026-11")
                .group_by(cp.c.town)
            ).all()
        )
        villages = dict(
            conn.execute(
                select(cp.c.village, cp.c.due).where(
                    cp.c.period == "2026-11", cp.c.town == "白云乡"
                )
            ).all()
        )
    assert len(towns) == 3 and len(villages) >= 2
    links = _place_links(web.get("/").text)  # one county: its towns are listed
    assert set(links) == set(towns)
    town_page = web.get(links["白云乡"].replace("&amp;", "&")).text
    village_links = _place_links(town_page)
    assert set(village_links) == set(villages)  # that town's villages, no other town's
    assert all(h.startswith("/calls?") for h in village_links.values())
    assert '<nav class="trail"' in town_page and "白云乡" in town_page
    due = re.search(r'<span class="n">(\d+) / (\d+)</span>', town_page)
    assert due and int(due[2]) == sum(villages.values())


def test_a_village_lead_cannot_drill_into_another_town(county: tuple[TestClient, Engine]) -> None:
    web, engine = county
    log_in(web, "songping")
    own = web.get("/").text
    other = web.get("/?town=青石镇").text  # not the lead's town: their place AND that town
    assert re.search(r'<span class="n">0 / 0</span>', other)
    assert not re.search(r'<span class="n">0 / 0</span>', own)
    assert "石门村" not in other and "龙潭村" not in other
