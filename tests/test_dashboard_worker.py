"""The worker page and its two actions: record a call (as `lianxin checkin record` does) and
waive a follow-up (豁免), each in the viewer's place only, CSRF-checked and audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from test_dashboard_auth import PASSWORD, log_in

from config.settings import RulesSettings, Settings
from lianxin.dashboard import auth
from lianxin.dashboard.app import create_app
from lianxin.dashboard.scope import Role
from lianxin.records import ObligationKind
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.writes import save_results
from personas import FETCHED, SHANGHAI, VILLAGE, checkins, roster

# The 12th of November: this month's calls were due on the 10th, the missing ones are late.
AS_OF = date(2026, 11, 12)
NOON = datetime(2026, 11, 12, 12, 0, tzinfo=SHANGHAI)
CHECKIN = ObligationKind.monthly_checkin.value


@dataclass
class Site:
    web: TestClient
    engine: Engine
    settings: Settings

    def key(self, name: str) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.execute(select(t.workers.c.key).where(t.workers.c.name == name)).scalar_one()
            )

    def cadre(self, name: str) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.execute(select(t.cadres.c.key).where(t.cadres.c.name == name)).scalar_one()
            )

    def as_user(self, username: str) -> TestClient:
        """Return a client of its own, logged in as `username`."""
        client = TestClient(self.web.app)
        assert log_in(client, username).status_code == 303
        return client

    def status(self, name: str, period: str = "2026-11", kind: str = CHECKIN) -> str:
        o = t.obligations
        with self.engine.connect() as conn:
            return str(
                conn.execute(
                    select(o.c.status).where(
                        o.c.kind == kind, o.c.subject == self.key(name), o.c.period == period
                    )
                ).scalar_one()
            )

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(t.metadata.tables[table])).one()[0]
            )

    def audit(self, action: str) -> list[tuple[str, str]]:
        a = t.audit_log
        with self.engine.connect() as conn:
            rows = conn.execute(select(a.c.username, a.c.target).where(a.c.action == action))
            return [(r[0], r[1]) for r in rows]


def build_site(engine: Engine, tmp_path: Path) -> Site:
    """李建国's three workers of 青山村 and 周敏's 王磊 of 河湾村, evaluated on the 12th:
    张伟 was called in November, 刘洋 and 王磊 are overdue, 陈静 (returned home) owes none."""
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False), data_dir=tmp_path
    )
    save_results(
        engine,
        [
            roster(),
            checkins("2026-09", {"张伟": date(2026, 9, 4)}),
            checkins("2026-11", {"张伟": date(2026, 11, 3)}),
        ],
        FETCHED,
    )
    evaluate(engine, AS_OF, RulesSettings(), FETCHED)
    refresh_compliance(engine, None, FETCHED)
    with engine.begin() as conn:
        li = conn.execute(select(t.cadres.c.key).where(t.cadres.c.name == "李建国")).scalar_one()
        zhou = conn.execute(select(t.cadres.c.key).where(t.cadres.c.name == "周敏")).scalar_one()
        auth.create_user(
            conn, "wangfang", PASSWORD, Role.village_lead, display_name="王芳", village=VILLAGE
        )
        auth.create_user(conn, "hewan", PASSWORD, Role.village_lead, village="河湾村")
        auth.create_user(conn, "zhaoju", PASSWORD, Role.county, display_name="赵局")
        auth.create_user(conn, "lijianguo", PASSWORD, Role.cadre, cadre_key=li)
        auth.create_user(conn, "zhoumin", PASSWORD, Role.cadre, cadre_key=zhou)
        auth.create_user(conn, "duchazu", PASSWORD, Role.supervision)
        auth.create_user(conn, "admin", PASSWORD, Role.admin)
    return Site(TestClient(create_app(settings, engine=engine)), engine, settings)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    """The personas' store on SQLite and PostgreSQL, at noon on the 12th of November."""
    with time_machine.travel(NOON, tick=True):
        yield build_site(engine, tmp_path)


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def url(key: str) -> str:
    return f"/workers/{quote(key, safe='')}"


def post_call(client: TestClient, key: str, **fields: str) -> httpx.Response:
    form = {"call_date": "2026-11-12", "reached": "yes", "status": "employed", "income": "3800"}
    form.update(fields)
    form.setdefault("csrf_token", csrf(client, "/"))
    return client.post(f"{url(key)}/checkins", data=form, follow_redirects=False)


def test_the_page_shows_profile_calls_income_chart_and_follow_ups(site: Site) -> None:
    lead = site.as_user("wangfang")
    page = lead.get(url(site.key("张伟")))
    assert page.status_code == 200
    html = page.text
    assert '<h1 class="worker-name">张伟</h1>' in html
    assert "李建国" in html and "13800001111" in html  # the village lead reads the phone
    assert html.count("<tr>", html.index('id="checkins"')) >= 2  # September and November
    chart = html[html.index('id="income-chart"') :]
    assert "<svg" in chart and 'role="img"' in chart and "<title>" in chart
    # September and November called, October not: the line breaks there.
    assert chart.count("<polyline") == 2 and "2026-10" in chart
    assert "每月电话回访" in html and 'id="record-checkin"' in html and 'id="waive"' in html


def test_the_call_form_stores_the_demands_told_on_the_call(site: Site) -> None:
    lead = site.as_user("wangfang")
    key = site.key("刘洋")
    assert post_call(lead, key, demands="希望推荐县内工作").status_code == 303
    with site.engine.connect() as conn:
        demands = conn.execute(
            select(t.checkins.c.demands).where(
                t.checkins.c.worker_key == key, t.checkins.c.period == "2026-11"
            )
        ).scalar_one()
    assert demands == "希望推荐县内工作" and site.status("刘洋") == "done"


def test_a_village_lead_cannot_open_or_post_to_another_villages_worker(site: Site) -> None:
    hewan = site.as_user("hewan")
    key = site.key("刘洋")  # 青山村
    assert hewan.get(url(key)).status_code == 404
    assert post_call(hewan, key).status_code == 404
    token = csrf(hewan, "/")
    waive = {"category": "moved_out", "kind": "*", "reason": "迁走", "csrf_token": token}
    assert hewan.post(f"{url(key)}/waivers", data=waive).status_code == 404
    assert site.status("刘洋") == "overdue" and site.count("waivers") == 0


def test_phones_are_masked_for_the_county_and_shown_in_full_to_the_village_lead(
    site: Site,
) -> None:
    key = site.key("刘洋")
    county = site.as_user("zhaoju").get(url(key)).text
    assert "138****2222" in county and "13800002222" not in county
    assert "13800002222" in site.as_user("wangfang").get(url(key)).text


def test_a_post_without_the_csrf_token_is_refused(site: Site) -> None:
    lead = site.as_user("wangfang")
    answer = post_call(lead, site.key("刘洋"), csrf_token="")
    assert answer.status_code == 403
    assert site.status("刘洋") == "overdue" and site.audit("record_checkin") == []


def test_recording_a_call_closes_the_obligation_refreshes_compliance_and_is_audited(
    site: Site,
) -> None:
    lead = site.as_user("wangfang")
    key = site.key("刘洋")
    cp = t.compliance
    with site.engine.connect() as conn:
        before = conn.execute(
            select(cp.c.done, cp.c.overdue).where(cp.c.period == "2026-11", cp.c.village == VILLAGE)
        ).one()
    answer = post_call(lead, key, note="在长沙找到工作")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{url(key)}?done=worker.recorded"
    assert site.status("刘洋") == "done"
    with site.engine.connect() as conn:
        after = conn.execute(
            select(cp.c.done, cp.c.overdue).where(cp.c.period == "2026-11", cp.c.village == VILLAGE)
        ).one()
        call = conn.execute(
            select(t.checkins.c.income_yuan, t.checkins.c.source_url, t.checkins.c.extra).where(
                t.checkins.c.matched_key == key, t.checkins.c.period == "2026-11"
            )
        ).one()
    assert (after.done, after.overdue) == (before.done + 1, before.overdue - 1)
    assert call.income_yuan == 3800 and call.source_url == "manual:wangfang"
    assert site.audit("record_checkin") == [("wangfang", key)]
    shown = lead.get(f"{url(key)}?done=worker.recorded").text
    assert "回访已记录" in shown and "手工录入" in shown
    overview = lead.get("/").text
    assert f"{after.done} / " in overview


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"call_date": "2026-11-13"}, "error-call_date"),  # tomorrow
        ({"call_date": "12/11/2026"}, "error-call_date"),
        ({"income": "300000"}, "error-income"),  # past CheckIn's bound
        ({"income": "-5"}, "error-income"),
    ],
)
def test_a_bad_call_is_shown_on_the_form_and_nothing_is_stored(
    site: Site, fields: dict[str, str], error: str
) -> None:
    lead = site.as_user("wangfang")
    calls = site.count("checkins")
    answer = post_call(lead, site.key("刘洋"), note="保留这段备注", **fields)
    assert answer.status_code == 422
    html = answer.text
    assert f'id="{error}"' in html and "保留这段备注" in html  # what was typed stays
    assert site.count("checkins") == calls and site.status("刘洋") == "overdue"
    assert site.audit("record_checkin") == []


def test_a_cadre_records_their_own_workers_calls_only(site: Site) -> None:
    zhou = site.as_user("zhoumin")
    assert post_call(zhou, site.key("刘洋")).status_code == 404  # 李建国's worker
    assert post_call(zhou, site.key("王磊")).status_code == 303
    assert site.status("王磊") == "done" and site.status("刘洋") == "overdue"


def test_a_supervision_group_reads_but_records_nothing(site: Site) -> None:
    group = site.as_user("duchazu")
    page = group.get(url(site.key("刘洋"))).text
    assert 'id="record-checkin"' not in page and 'id="waive"' not in page
    assert post_call(group, site.key("刘洋")).status_code == 404


def test_a_waiver_is_applied_at_once_and_audited(site: Site) -> None:
    lead = site.as_user("wangfang")
    key = site.key("刘洋")
    form = {
        "category": "returned_for_good",
        "kind": CHECKIN,
        "reason": "回乡创业，不再外出",
        "csrf_token": csrf(lead, url(key)),
    }
    answer = lead.post(f"{url(key)}/waivers", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{url(key)}?done=worker.waived"
    assert site.status("刘洋") == "waived"
    with site.engine.connect() as conn:
        given = conn.execute(select(t.waivers.c.given_by, t.waivers.c.kind)).one()
        waived = conn.execute(
            select(t.compliance.c.waived).where(
                t.compliance.c.period == "2026-11", t.compliance.c.village == VILLAGE
            )
        ).scalar_one()
    assert given == ("王芳（村干部）", CHECKIN) and waived == 1
    assert site.audit("waive") == [("wangfang", key)]
    page = lead.get(f"{url(key)}?done=worker.waived").text
    assert "已豁免" in page and "回乡创业，不再外出" in page and "王芳（村干部）" in page


def test_a_waiver_without_a_reason_is_refused_on_the_form(site: Site) -> None:
    lead = site.as_user("wangfang")
    key = site.key("刘洋")
    form = {"category": "other", "kind": "*", "reason": "  ", "csrf_token": csrf(lead, url(key))}
    answer = lead.post(f"{url(key)}/waivers", data=form)
    assert answer.status_code == 422 and 'id="error-reason"' in answer.text
    assert site.count("waivers") == 0 and site.audit("waive") == []
    cadre = site.as_user("lijianguo")  # a cadre may record calls but not waive them
    form["reason"], form["csrf_token"] = "迁走", csrf(cadre, url(key))
    assert cadre.post(f"{url(key)}/waivers", data=form).status_code == 404


def test_fetched_strings_show_as_text_and_only_web_sources_are_links(site: Site) -> None:
    key = site.key("张伟")
    with site.engine.begin() as conn:
        conn.execute(
            t.checkins.update()
            .where(t.checkins.c.matched_key == key, t.checkins.c.period == "2026-09")
            .values(
                employer="<script>window.__pwned=1</script>",
                demands='<img src=x onerror="alert(1)">',
                source_url="javascript:alert(1)",
            )
        )
    html = site.as_user("wangfang").get(url(key)).text
    assert "<script>window" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert 'href="javascript:' not in html.lower()
    assert 'href="http://portal.test/checkins-2026-11.html"' in html  # a web source stays a link


def test_a_call_with_an_income_below_the_line_shows_the_risk_flag_in_words(site: Site) -> None:
    lead = site.as_user("wangfang")
    key = site.key("刘洋")
    assert post_call(lead, key, income="300").status_code == 303
    html = lead.get(url(key)).text
    flags = html[html.index('id="flags"') :]
    flags = flags[: flags.index("</table>")]
    assert "收入下降（防返贫监测）" in flags and "300" in flags
    assert "income_risk" not in flags
    english = lead.get(url(key) + "?lang=en").text
    assert "Income fell (risk of falling back)" in english
