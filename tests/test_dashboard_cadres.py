"""The cadres page (包户干部): each cadre's calls this month, most late first, a page at a time.

李建国 looks after three workers of 青山村 (two owe calls: 陈静 has come home) and has called
one of them by 12 November; 周敏 looks after 王磊 of 河湾村 and has called him.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_dashboard_auth import PASSWORD, log_in

from config.settings import RulesSettings, Settings
from lianxin.dashboard import auth
from lianxin.dashboard.app import create_app
from lianxin.dashboard.pages import cadres
from lianxin.dashboard.scope import Role
from lianxin.records import cadre_key
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.writes import save_results
from personas import FETCHED, TOWN, VILLAGE, checkins, roster

LI = cadre_key(TOWN, "李建国")
ZHOU = cadre_key(TOWN, "周敏")
NOW = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
HASH = auth.hash_password(PASSWORD)


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The dashboard over `engine` (SQLite, then PostgreSQL) as of 12 November, with a county
    officer, the 河湾村 lead and the cadre 李建国."""
    calls = checkins("2026-11", {"张伟": date(2026, 11, 3), "王磊": date(2026, 11, 4)})
    save_results(engine, [roster(), calls], FETCHED)
    evaluate(engine, date(2026, 11, 12), RulesSettings(), NOW)
    refresh_compliance(engine, None, NOW)
    accounts = [
        ("zhaoju", Role.county, None, None),
        ("hewan", Role.village_lead, "河湾村", None),
        ("lijianguo", Role.cadre, VILLAGE, LI),
    ]
    add_accounts(engine, accounts)
    yield TestClient(
        create_app(Settings(database_url="sqlite://", data_dir=tmp_path), engine=engine)
    )


def add_accounts(engine: Engine, accounts: list[tuple[str, Role, str | None, str | None]]) -> None:
    """Add (user name, role, village, cadre key) accounts, all with PASSWORD, in one statement:
    the one hash is made once, as argon2 is slow on purpose."""
    with engine.begin() as conn:
        conn.execute(
            t.users.insert(),
            [
                {
                    "username": name,
                    "password_hash": HASH,
                    "role": str(role),
                    "village": village,
                    "cadre_key": cadre,
                    "created_at": NOW,
                }
                for name, role, village, cadre in accounts
            ],
        )


def rows(page: str) -> list[list[str]]:
    """Return the cadres table's cells, row by row, as text (none when it says none match)."""
    if 'id="cadres-none"' in page:
        return []
    body = re.search(r'<table id="cadres-list"[^>]*>.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, page
    listed = re.sub(r'<a class="cadre-print".*?</a>', "", body.group(1), flags=re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S) for tr in listed.split("</tr>")]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in row] for row in cells if row]


def test_the_county_sees_every_cadres_calls_most_late_first(web: TestClient) -> None:
    log_in(web, "zhaoju")
    page = web.get("/cadres").text
    assert "包户干部 · 2026-11" in page
    # name, digest read (none carried a link yet: "—"), village, town, workers, due, done,
    # open, late, waived, rate, reminders
    assert rows(page) == [
        ["李建国", "—", VILLAGE, TOWN, "3", "2", "1", "0", "1", "0", "50.0", "0"],
        ["周敏", "—", "河湾村", TOWN, "1", "1", "1", "0", "0", "0", "100.0", "0"],
    ]
    assert 'href="/calls?cadre=%E7%9F%B3%E6%A1%A5%E9%95%87%7C%E6%9D%8E%E5%BB%BA%E5%9B%BD' in page
    assert page.count("<svg") == 1  # the worst cadres' rate
    assert "Overdue / escalated" in web.get("/cadres?lang=en").text


def test_a_village_lead_sees_their_villages_cadre_and_a_cadre_only_themselves(
    web: TestClient,
) -> None:
    log_in(web, "hewan")
    assert [r[0] for r in rows(web.get("/cadres").text)] == ["周敏"]
    assert [r[0] for r in rows(web.get(f"/cadres?village={VILLAGE}").text)] == []
    web.cookies.clear()
    log_in(web, "lijianguo")
    assert [r[0] for r in rows(web.get("/cadres").text)] == ["李建国"]


def test_the_filters_keep_a_town_or_a_village_and_a_month(web: TestClient) -> None:
    log_in(web, "zhaoju")
    assert [r[0] for r in rows(web.get("/cadres?village=河湾村").text)] == ["周敏"]
    assert len(rows(web.get(f"/cadres?town={TOWN}").text)) == 2
    assert "cadres-none" in web.get("/cadres?town=白云乡").text
    october = web.get("/cadres?period=2026-10").text
    assert "2026-10" in october and "cadres-none" in october
    assert "2026-11" in web.get("/cadres?period=2026-13").text  # not a month: this month


def test_the_list_comes_a_page_at_a_time(web: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cadres, "PER_PAGE", 1)
    log_in(web, "zhaoju")
    first = web.get("/cadres").text
    assert [r[0] for r in rows(first)] == ["李建国"]
    assert 'rel="next" href="/cadres?period=2026-11&amp;page=2"' in first
    second = web.get("/cadres?period=2026-11&page=2").text
    assert [r[0] for r in rows(second)] == ["周敏"]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert [r[0] for r in rows(web.get("/cadres?page=x").text)] == ["李建国"]
