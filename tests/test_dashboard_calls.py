"""The calls page (本月未回访): the month's calls not yet made, by status, filtered, paged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, select
from test_dashboard_worker import AS_OF, NOON, Site, build_site, post_call

from config.settings import RulesSettings
from lianxin.dashboard.pages.calls import PER_PAGE
from lianxin.records import Worker, WorkStatus
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.writes import save_results
from personas import FETCHED, TOWN, VILLAGE, roster

EXTRA = PER_PAGE + 12  # more of 李建国's workers than one page holds


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    """The personas' store, plus EXTRA more workers of 青山村 whose calls are overdue."""
    with time_machine.travel(NOON, tick=True):
        built = build_site(engine, tmp_path)
        many = roster("v2")
        many.workers += [
            Worker(
                name=f"工人{i:03d}",
                phone=f"1370000{i:04d}",
                village=VILLAGE,
                town=TOWN,
                cadre="李建国",
                status=WorkStatus.employed,
            )
            for i in range(EXTRA)
        ]
        save_results(engine, [many], FETCHED)
        evaluate(engine, AS_OF, RulesSettings(), FETCHED)
        refresh_compliance(engine, None, FETCHED)
        yield built


def names(html: str) -> list[str]:
    table = html[html.index('id="calls-list"') :] if 'id="calls-list"' in html else ""
    return re.findall(r'<a href="/workers/[^"]+">([^<]+)</a>', table)


def tab_count(html: str, tab: str) -> int:
    found = re.search(rf'id="tab-{tab}"[^>]*>[^<]*<span class="n">(\d+)</span>', html)
    assert found, tab
    return int(found.group(1))


def test_the_page_lists_the_calls_not_made_most_late_first_with_counts(site: Site) -> None:
    html = site.as_user("admin").get("/calls").text
    assert "本月未回访 · 2026-11" in html
    # Overdue: 刘洋, 王磊 and the extra workers; 张伟 was called; 陈静 (returned) owes none.
    assert tab_count(html, "overdue") == EXTRA + 2 and tab_count(html, "done") == 1
    assert tab_count(html, "owed") == EXTRA + 2
    shown = names(html)
    assert len(shown) == PER_PAGE and "张伟" not in shown
    assert "显示 1–50 / 共 64" in html


def test_paging_walks_through_every_row_once(site: Site) -> None:
    admin = site.as_user("admin")
    first = admin.get("/calls?status=overdue").text
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = admin.get("/calls?status=overdue&page=2").text
    assert 'rel="prev"' in second and 'rel="next"' not in second
    together = names(first) + names(second)
    assert len(together) == len(set(together)) == EXTRA + 2
    assert {"刘洋", "王磊"} <= set(together)
    assert names(admin.get("/calls?status=overdue&page=99").text) == names(second)  # the last


def test_the_status_tabs_filter_and_a_done_call_leaves_the_overdue_list(site: Site) -> None:
    lead = site.as_user("wangfang")
    assert "张伟" in names(lead.get("/calls?status=done").text)
    assert "刘洋" in names(lead.get("/calls?status=overdue").text)
    assert post_call(lead, site.key("刘洋")).status_code == 303
    overdue = lead.get("/calls?status=overdue").text
    assert "刘洋" not in names(overdue) + names(lead.get("/calls?status=overdue&page=2").text)
    assert tab_count(overdue, "overdue") == EXTRA and tab_count(overdue, "done") == 2


def test_a_village_lead_sees_only_their_village_with_phones_in_full(site: Site) -> None:
    html = site.as_user("hewan").get("/calls").text  # the lead of 河湾村
    assert names(html) == ["王磊"] and tab_count(html, "owed") == 1
    assert "13800004444" in html
    county = site.as_user("zhaoju").get(f"/calls?village={VILLAGE}").text
    assert "王磊" not in names(county) and "刘洋" in names(county)
    assert "138****2222" in county and "13800002222" not in county  # masked for the county


def test_the_cadre_filter_and_a_cadres_own_list(site: Site) -> None:
    zhou = site.cadre("周敏")
    admin = site.as_user("admin").get(f"/calls?cadre={zhou}").text
    assert names(admin) == ["王磊"] and tab_count(admin, "owed") == 1
    assert "包户干部: 周敏" in admin
    own = site.as_user("zhoumin").get("/calls").text
    assert names(own) == ["王磊"] and "13800004444" in own  # their own worker, phone in full
    other = site.as_user("zhoumin").get(f"/calls?cadre={site.cadre('李建国')}").text
    assert names(other) == [] and tab_count(other, "owed") == 0


def test_a_month_without_calls_shows_none(site: Site) -> None:
    html = site.as_user("admin").get("/calls?period=2025-01").text
    assert names(html) == [] and "没有符合条件的回访" in html
    assert tab_count(html, "owed") == 0


def test_the_list_query_is_bounded(site: Site) -> None:
    """However many rows match, one page reads at most PER_PAGE of them."""
    from lianxin.dashboard.queries.calls import Filters, owed_calls
    from lianxin.dashboard.scope import Role, Viewer

    with site.engine.connect() as conn:
        rows = owed_calls(
            conn,
            Viewer("admin", Role.admin),
            Filters("2026-11", "overdue", None, None, None, 1),
            PER_PAGE,
        )
        everyone = conn.execute(
            select(t.obligations.c.id).where(t.obligations.c.status == "overdue")
        ).all()
    assert len(rows) == PER_PAGE < len(everyone)
    assert all(r["phone_masked"] for r in rows)  # an admin reads phones masked
    assert rows[0]["due"] <= rows[-1]["due"] and rows[0]["due"] == date(2026, 11, 10)
