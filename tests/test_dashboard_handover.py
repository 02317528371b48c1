"""The cadres page's handover form (工作交接) and a moved worker on the worker page.

The same store as the worker page's tests: 李建国 looks after 青山村 (张伟, 刘洋, 陈静), 周敏
after 王磊 of 河湾村; it is noon on the 12th of November.
"""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_dashboard_auth import PASSWORD
from test_dashboard_worker import Site, csrf, site, url
from test_moves import MOVED_AT, NEW_KEY, OLD_KEY, liu_yang, river_roster

from lianxin.dashboard import auth
from lianxin.dashboard.scope import Role
from lianxin.store import schema as t
from lianxin.store.writes import save_results

__all__ = ["site"]  # the fixture, shared with the worker page's tests
OLD, NEW = "石桥镇|李建国", "石桥镇|周敏"


def post(client: TestClient, token: bool = True, **fields: str) -> object:
    form = dict(fields)
    if token:
        form["csrf_token"] = csrf(client, "/cadres")
    return client.post("/cadres/handover", data=form, follow_redirects=False)


def owners(site: Site) -> Counter[str]:
    o = t.obligations
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(o.c.owner).where(
                o.c.kind == "monthly_checkin",
                o.c.period == "2026-11",
                o.c.status.in_(("open", "overdue", "escalated")),
            )
        )
        return Counter(rows.scalars())


def counted(site: Site) -> dict[str, int]:
    """Return the live calls of November per cadre as the cadres page's aggregate counts them."""
    c = t.cadre_compliance
    live = c.c.open + c.c.overdue + c.c.escalated
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(c.c.owner, func.sum(live)).where(c.c.period == "2026-11").group_by(c.c.owner)
        )
        return {owner: int(n) for owner, n in rows if n}


def test_a_county_lead_previews_then_hands_over_and_it_is_audited(site: Site) -> None:
    county = site.as_user("zhaoju")
    page = county.get("/cadres")
    assert 'id="handover-form"' in page.text and 'name="csrf_token"' in page.text
    before = owners(site)
    assert before == {OLD: 1, NEW: 1}  # 刘洋 and 王磊 are late; 张伟 was called

    preview = post(county, old="李建国", new="周敏", apply="0")
    assert preview.status_code == 200  # type: ignore[attr-defined]
    assert 'id="handover-workers">3<' in preview.text  # type: ignore[attr-defined]
    assert owners(site) == before and site.audit("cadre_handover") == []

    done = post(county, old="李建国", new="周敏", apply="1")
    assert done.status_code == 200 and "已交接" in done.text  # type: ignore[attr-defined]
    assert owners(site) == {NEW: 2}
    assert counted(site) == {NEW: 2}  # the cadres page counts them under 周敏 at once
    assert site.audit("cadre_handover") == [("zhaoju", OLD)]


def test_refusals_are_shown_on_the_form_and_change_nothing(site: Site) -> None:
    county = site.as_user("zhaoju")
    for fields, words in (
        ({"old": "无名氏", "new": "周敏"}, "没有这个干部"),
        ({"old": "周敏", "new": "周敏"}, "同一个干部"),
    ):
        refused = post(county, apply="1", **fields)
        assert refused.status_code == 422 and words in refused.text  # type: ignore[attr-defined]
    assert owners(site) == {OLD: 1, NEW: 1} and site.audit("cadre_handover") == []


def test_roles_and_places_limit_who_may_hand_over(site: Site) -> None:
    with site.engine.begin() as conn:
        auth.create_user(conn, "qiaozhen", PASSWORD, Role.town_lead, town="别的镇")
    # A cadre and a supervision group see no form and are refused.
    for name in ("lijianguo", "duchazu"):
        client = site.as_user(name)
        assert 'id="handover-form"' not in client.get("/cadres").text
        assert post(client, old="李建国", new="周敏", apply="1").status_code == 404  # type: ignore[attr-defined]
    # A village lead hands over within their own village only: 周敏 serves 河湾村.
    qingshan = site.as_user("wangfang")
    refused = post(qingshan, old="李建国", new="周敏", apply="1")
    assert refused.status_code == 422 and "只能在您负责的范围内" in refused.text  # type: ignore[attr-defined]
    # A town lead of another town may not either.
    other_town = post(site.as_user("qiaozhen"), old="李建国", new="周敏", apply="1")
    assert other_town.status_code == 422  # type: ignore[attr-defined]
    assert owners(site) == {OLD: 1, NEW: 1} and site.audit("cadre_handover") == []


def test_a_handover_without_the_csrf_token_is_refused(site: Site) -> None:
    county = site.as_user("zhaoju")
    assert post(county, token=False, old="李建国", new="周敏", apply="1").status_code == 403  # type: ignore[attr-defined]
    assert owners(site) == {OLD: 1, NEW: 1}


def test_a_moved_worker_shows_the_move_on_both_entries_and_in_the_audit_log(site: Site) -> None:
    save_results(site.engine, [river_roster(liu_yang())], MOVED_AT)
    county = site.as_user("zhaoju")
    new_page = county.get(url(NEW_KEY))
    assert new_page.status_code == 200
    assert 'id="moves"' in new_page.text and "从 青山村 迁到 河湾村" in new_page.text
    assert "手机号和姓名相同" in new_page.text and url(OLD_KEY).split("/")[-1] in new_page.text
    old_page = county.get(url(OLD_KEY))
    assert "从 青山村 迁到 河湾村" in old_page.text
    assert site.audit("worker_moved") == [("ingest", OLD_KEY)]
    assert owners(site) == {NEW: 2}  # 刘洋's late call moved to 周敏
    assert counted(site) == {NEW: 2}  # and 李建国 is no longer counted late for her
