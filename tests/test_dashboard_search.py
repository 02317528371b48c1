"""The dashboard for the person at the phone: search, tel: links, the printable call list and
Chinese dates, on SQLite and PostgreSQL.

李建国 looks after 张伟 (household 张建军, called on 3 November), 刘洋 (called last on 6
October) and 陈静 of 青山村; 周敏 looks after 王磊 and 赵敏 of 河湾村. 赵敏's phone ends in
1111 like 张伟's, so a phone tail finds one or two people depending on who searches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_dashboard_auth import log_in
from test_dashboard_cadres import add_accounts

from config.settings import RulesSettings, Settings
from lianxin.clock import today_local
from lianxin.dashboard.app import create_app
from lianxin.dashboard.dates import written_day, written_moment
from lianxin.dashboard.queries.search import worker_lookups
from lianxin.dashboard.scope import Role, Viewer, place_clause
from lianxin.records import Worker, WorkStatus, cadre_key
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.db import migrate
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import TOWN, VILLAGE, checkins, roster

LI = cadre_key(TOWN, "李建国")
ZHOU = cadre_key(TOWN, "周敏")
NOW = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The dashboard as of 12 November, with a county officer, the 河湾村 lead and 李建国."""
    people = roster()
    people.workers[0] = people.workers[0].model_copy(update={"household": "张建军"})
    people.workers.append(
        Worker(
            name="赵敏",
            phone="13700001111",
            village="河湾村",
            town=TOWN,
            cadre="周敏",
            status=WorkStatus.employed,
        )
    )
    october = checkins("2026-10", {"刘洋": date(2026, 10, 6)})
    november = checkins("2026-11", {"张伟": date(2026, 11, 3), "王磊": date(2026, 11, 4)})
    save_results(engine, [people, october, november], NOW)
    evaluate(engine, date(2026, 11, 12), RulesSettings(), NOW)
    refresh_compliance(engine, None, NOW)
    add_accounts(
        engine,
        [
            ("zhaoju", Role.county, None, None),
            ("hewan", Role.village_lead, "河湾村", None),
            ("lijianguo", Role.cadre, VILLAGE, LI),
        ],
    )
    yield TestClient(
        create_app(Settings(database_url="sqlite://", data_dir=tmp_path), engine=engine)
    )


def as_user(web: TestClient, username: str) -> TestClient:
    assert log_in(web, username).status_code == 303
    return web


def found(page: str) -> list[str]:
    """Return the names the search results list, in order (none when it found nobody)."""
    if 'id="search-none"' in page:
        return []
    body = re.search(r'<table id="search-results".*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, page
    return re.findall(r'<td class="action"><a href="/workers/[^"]+">([^<]+)</a>', body.group(1))


def tel_links(page: str) -> list[str]:
    return re.findall(r'href="tel:([^"]*)"', page)


# --- search -----------------------------------------------------------------------------------


def test_a_phone_tail_finds_only_the_people_of_the_viewers_place(web: TestClient) -> None:
    county = as_user(web, "zhaoju")
    assert sorted(found(county.get("/search", params={"q": "1111"}).text)) == ["张伟", "赵敏"]
    web.cookies.clear()
    lead = as_user(web, "hewan")
    page = lead.get("/search", params={"q": "1111"}).text
    assert found(page) == ["赵敏"]  # 张伟 of 青山村 is not hers to find
    assert "张伟" not in page


def test_a_full_width_tail_and_a_whole_number_find_the_same_person(web: TestClient) -> None:
    county = as_user(web, "zhaoju")
    assert sorted(found(county.get("/search", params={"q": "１１１１"}).text)) == ["张伟", "赵敏"]
    assert found(county.get("/search", params={"q": "138 0000 1111"}).text) == ["张伟"]
    assert found(county.get("/search", params={"q": "+8613700001111"}).text) == ["赵敏"]


def test_a_household_head_finds_the_workers_of_the_household(web: TestClient) -> None:
    county = as_user(web, "zhaoju")
    page = county.get("/search", params={"q": "张建军"}).text
    assert found(page) == ["张伟"]
    assert '<td class="minor">张建军</td>' in page
    web.cookies.clear()
    assert found(as_user(web, "hewan").get("/search", params={"q": "张建军"}).text) == []


def test_a_name_or_its_beginning_finds_the_person_and_a_cadre_finds_only_their_own(
    web: TestClient,
) -> None:
    county = as_user(web, "zhaoju")
    assert found(county.get("/search", params={"q": "赵"}).text) == ["赵敏"]
    assert found(county.get("/search", params={"q": "王磊"}).text) == ["王磊"]
    assert found(county.get("/search", params={"q": "王%"}).text) == []  # % is a character
    web.cookies.clear()
    cadre = as_user(web, "lijianguo")
    assert found(cadre.get("/search", params={"q": "刘洋"}).text) == ["刘洋"]
    assert found(cadre.get("/search", params={"q": "王磊"}).text) == []  # 周敏's worker


def test_each_way_of_searching_reads_an_index_not_the_table(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path}/plan.db")
    migrate(engine)  # the migrations' indexes, 0014's (search) among them
    w = t.workers
    county, village = (
        Viewer("zhaoju", Role.county),
        Viewer("hewan", Role.village_lead, village="河湾村"),
    )
    plans = {}
    with engine.connect() as conn:
        for viewer in (county, village):
            for typed in ("1111", "13800001111", "张"):
                for n, lookup in enumerate(worker_lookups(typed)):
                    query = lookup.where(place_clause(viewer, w)).order_by(w.c.name).limit(51)
                    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
                    steps = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
                    plans[(viewer.username, typed, n)] = " / ".join(str(s[-1]) for s in steps)
    for plan in plans.values():
        assert "SCAN workers" not in plan, plans
    assert "ix_workers_key_tail" in plans[("zhaoju", "1111", 0)]
    # A whole number: the tail's index, or the (phone, name) index that finds moved people.
    whole = plans[("zhaoju", "13800001111", 0)]
    assert "ix_workers_key_tail" in whole or "ix_workers_phone_name (phone=?)" in whole, whole
    assert "ix_workers_name" in plans[("zhaoju", "张", 0)]
    assert "ix_workers_household" in plans[("zhaoju", "张", 1)]
    assert "TEMP B-TREE" not in plans[("zhaoju", "张", 0)]  # a page of the range, unsorted


def test_what_was_typed_comes_back_as_text_and_a_too_long_search_is_refused(
    web: TestClient,
) -> None:
    county = as_user(web, "zhaoju")
    typed = '"><script>window.__pwned=1</script>'
    page = county.get("/search", params={"q": typed}).text
    assert "<script>window.__pwned" not in page
    assert 'value="&#34;&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;"' in page
    assert found(page) == []
    assert county.get("/search", params={"q": "张" * 201}).status_code == 422


def test_every_page_header_carries_the_search_box(web: TestClient) -> None:
    county = as_user(web, "zhaoju")
    for path in ("/", "/calls", "/cadres", "/problems", "/search"):
        page = county.get(path).text
        assert '<form method="get" action="/search" class="top-search" role="search">' in page


# --- tel: links --------------------------------------------------------------------------------


def test_a_cadre_gets_tel_links_to_their_own_workers_and_the_county_sees_masked_text(
    web: TestClient,
) -> None:
    cadre = as_user(web, "lijianguo")
    assert tel_links(cadre.get("/search", params={"q": "刘洋"}).text) == ["13800002222"]
    calls = cadre.get("/calls").text
    assert '<a class="tel" href="tel:13800002222">13800002222</a>' in calls
    worker = cadre.get(f"/workers/{quote(f'{VILLAGE}|刘洋|2222', safe='')}").text
    assert tel_links(worker) == ["13800002222"]

    web.cookies.clear()
    county = as_user(web, "zhaoju")
    for page in (
        county.get("/search", params={"q": "刘洋"}).text,
        county.get("/calls").text,
        county.get(f"/workers/{quote(f'{VILLAGE}|刘洋|2222', safe='')}").text,
    ):
        assert "138****2222" in page
        assert tel_links(page) == []  # a masked phone is never a link
        assert "13800002222" not in page


# --- the printable call list --------------------------------------------------------------------


def test_a_cadres_call_list_lists_their_open_calls_with_blank_columns_to_write_in(
    web: TestClient,
) -> None:
    cadre = as_user(web, "lijianguo")
    answer = cadre.get(f"/cadres/{quote(LI, safe='')}/print")
    assert answer.status_code == 200
    page = answer.text
    body = re.search(r'<table id="call-list">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, page
    rows = body.group(1).split("</tr>")[:-1]
    assert len(rows) == 1  # 张伟 is called; 陈静 has come home and owes no call
    (row,) = rows
    today = today_local()
    late = (today - date(2026, 11, 10)).days
    assert '<td class="name">刘洋</td>' in row
    assert '<a class="tel" href="tel:13800002222">13800002222</a>' in row
    assert f'<td class="days">逾期 {late} 天</td>' in row
    assert f'<td class="last-call">{written_day(date(2026, 10, 6), "zh", today)}</td>' in row
    assert row.count('<td class="blank') == 4
    assert "待回访 1 人" in page and "李建国 · 回访清单 · 2026-11" in page
    assert '<script src="/static/print.js" defer></script>' in page

    english = cadre.get(f"/cadres/{quote(LI, safe='')}/print", params={"lang": "en"}).text
    assert '<td class="last-call">2026-10-06</td>' in english


def test_the_call_list_of_someone_elses_cadre_is_not_found_and_the_county_reads_it_masked(
    web: TestClient,
) -> None:
    cadre = as_user(web, "lijianguo")
    assert cadre.get(f"/cadres/{quote(ZHOU, safe='')}/print").status_code == 404
    web.cookies.clear()
    lead = as_user(web, "hewan")
    assert lead.get(f"/cadres/{quote(LI, safe='')}/print").status_code == 404
    zhou = lead.get(f"/cadres/{quote(ZHOU, safe='')}/print").text
    assert '<td class="name">赵敏</td>' in zhou and "tel:13700001111" in zhou  # her village
    assert "王磊" not in zhou  # called on 4 November
    web.cookies.clear()
    county = as_user(web, "zhaoju")
    page = county.get(f"/cadres/{quote(LI, safe='')}/print").text
    assert "138****2222" in page and tel_links(page) == []


def test_the_cadres_page_and_a_cadres_calls_link_to_the_call_list(web: TestClient) -> None:
    county = as_user(web, "zhaoju")
    printed = f'href="/cadres/{quote(LI, safe="/")}/print?period=2026-11"'
    assert printed in county.get("/cadres").text
    assert printed in county.get("/calls", params={"cadre": LI}).text


def test_the_print_stylesheet_hides_the_header_and_repeats_the_table_header() -> None:
    css = (Path(__file__).parents[1] / "lianxin/dashboard/static/lianxin.css").read_text()
    printed = css[css.index("@media print") :]
    assert re.search(r"\.top, \.nav[^{]*\{ display: none !important; \}", printed)
    assert "thead { display: table-header-group; }" in printed
    assert "color: #000" in printed and "background: #fff" in printed


# --- Chinese dates ------------------------------------------------------------------------------


def test_a_day_is_written_in_chinese_with_the_year_only_when_it_is_not_this_year() -> None:
    today = date(2026, 12, 3)
    assert written_day(date(2026, 11, 10), "zh", today) == "11月10日"
    assert written_day(date(2025, 11, 10), "zh", today) == "2025年11月10日"
    assert written_day(date(2025, 11, 10), "en", today) == "2025-11-10"
    assert written_day("2026-01-05", "zh", today) == "1月5日"
    # 23:30 UTC on 9 November is already the 10th in Shanghai.
    assert written_day(datetime(2026, 11, 9, 23, 30, tzinfo=UTC), "zh", today) == "11月10日"
    assert written_day(None, "zh", today) == ""
    assert written_day("不详", "zh", today) == "不详"


def test_an_instant_is_written_as_its_shanghai_day_and_time() -> None:
    at = datetime(2025, 12, 31, 16, 5, tzinfo=UTC)  # 00:05 on New Year's Day in Shanghai
    assert written_moment(at, "zh", date(2026, 12, 3)) == "1月1日 00:05"
    assert written_moment(at, "zh", date(2027, 1, 2)) == "2026年1月1日 00:05"
    assert written_moment(at, "en", date(2026, 12, 3)) == "2026-01-01 00:05"
    assert written_moment(None, "zh", date(2026, 12, 3)) == ""


def test_the_worker_page_writes_chinese_dates_and_the_export_keeps_iso(web: TestClient) -> None:
    county = as_user(web, "zhaoju")
    key = quote(f"{VILLAGE}|张伟|1111", safe="")
    today = today_local()
    zh = county.get(f"/workers/{key}").text
    assert f"<td>{written_day(date(2026, 11, 3), 'zh', today)}</td>" in zh  # the call
    assert f"<td>{written_day(date(2026, 11, 10), 'zh', today)}</td>" in zh  # its due day
    assert "2026-11-03" not in zh
    en = county.get(f"/workers/{key}", params={"lang": "en"}).text
    assert "<td>2026-11-03</td>" in en
    county.cookies.set("lang", "zh")
    exported = county.get(
        "/data/export", params={"table": "checkins", "format": "csv", "period": "2026-11"}
    )
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    assert "2026-11-03" in text and "11月3日" not in text
