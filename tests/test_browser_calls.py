"""The calls list and the worker page in a real Chromium, on the 12th of November, when this
month's calls not yet made are overdue: a village lead finds one, records the call through the
form and sees it leave the list and count on the overview; a cadre stays with their own workers;
nothing from the hostile page runs. Screenshots at desk and phone width."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from browser import (
    LEAD,
    LEAD_VILLAGE,
    OWN_WORKER,
    SCRIPT,
    Dashboard,
    Dialogs,
    assert_nothing_injected,
    assert_nothing_ran,
    log_in,
    shot,
)
from lianxin.dashboard.auth import create_user
from lianxin.dashboard.scope import Role
from lianxin.store import schema as t

DASHBOARD_AS_OF = date(2026, 11, 12)  # two days past the 10th: the calls not made are overdue
CADRE = ("zhanglei", "cadre-Passw0rd-包户")
PHONE = {"width": 390, "height": 844}


def calls_tile(page: Page) -> tuple[int, int]:
    done, due = page.locator("#calls .n").inner_text().split("/")
    return int(done), int(due)


def listed(page: Page) -> list[str]:
    names = page.locator("#calls-list tbody td:first-child a:not(.record)")
    return [n.strip() for n in names.all_inner_texts()]


def test_a_village_lead_records_an_overdue_call_and_it_leaves_the_list(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, LEAD, "calls-lead")
    before = calls_tile(page)

    page.goto(f"{dashboard.url}/calls?status=overdue")
    expect(page.locator("#tab-overdue")).to_have_attribute("aria-current", "page")
    names = listed(page)
    assert names, "the lead's village has overdue calls on the 12th"
    villages = set(page.locator("#calls-list tbody td:nth-child(4)").all_inner_texts())
    assert villages == {LEAD_VILLAGE}
    shot(page, "calls-overdue")

    name = names[0]
    page.locator("#calls-list tbody td:first-child a", has_text=name).first.click()
    expect(page.locator("h1")).to_have_text(name)
    shot(page, "calls-worker")

    form = page.locator("#record-checkin")
    form.locator('input[name="call_date"]').fill("2026-11-12")
    form.locator('input[name="reached"][value="yes"]').check()
    form.locator('select[name="status"]').select_option("employed")
    form.locator('input[name="income"]').fill("3600")
    form.locator('textarea[name="note"]').fill("在东莞，一切正常")
    form.locator('button[type="submit"]').click()
    expect(page.locator("#done")).to_contain_text("回访已记录")
    expect(page.locator("#checkins tbody tr").first).to_contain_text("3600")
    shot(page, "calls-worker-recorded")

    page.goto(f"{dashboard.url}/calls?status=overdue")
    assert name not in listed(page)
    shot(page, "calls-overdue-after")

    page.goto(f"{dashboard.url}/")
    after = calls_tile(page)
    assert after == (before[0] + 1, before[1])
    assert_nothing_ran(page, dialogs)


def test_the_hostile_workers_page_shows_the_script_as_text(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, LEAD, "calls-hostile")
    answer = page.goto(f"{dashboard.url}/workers/{quote(OWN_WORKER, safe='')}")
    assert answer is not None and answer.status == 200
    expect(page.locator("#checkins")).to_contain_text(f"宏达电子{SCRIPT}")
    shot(page, "calls-hostile-worker")
    assert_nothing_ran(page, dialogs)
    assert_nothing_injected(page)
    assert SCRIPT not in page.content()


def test_a_cadre_cannot_record_a_call_for_someone_elses_worker(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    W = t.workers  # noqa: N806
    with dashboard.engine.begin() as conn:
        cadre_key, own = conn.execute(
            select(W.c.cadre_key, W.c.key)
            .where(W.c.village == LEAD_VILLAGE, W.c.cadre_key.is_not(None))
            .order_by(W.c.key)
        ).first() or ("", "")
        other = conn.execute(
            select(W.c.key).where(W.c.cadre_key != cadre_key).order_by(W.c.key).limit(1)
        ).scalar_one()
        create_user(conn, CADRE[0], CADRE[1], Role.cadre, cadre_key=cadre_key)
    log_in(page, dashboard, CADRE, "calls-cadre")
    page.goto(f"{dashboard.url}/workers/{quote(own, safe='')}")
    token = page.locator('#record-checkin input[name="csrf_token"]').input_value()
    shot(page, "calls-cadre-own-worker")

    refused = page.request.post(
        f"{dashboard.url}/workers/{quote(other, safe='')}/checkins",
        form={"csrf_token": token, "call_date": "2026-11-12", "reached": "yes"},
    )
    assert refused.status == 404
    answer = page.goto(f"{dashboard.url}/workers/{quote(other, safe='')}")
    assert answer is not None and answer.status == 404
    with dashboard.engine.connect() as conn:
        manual = conn.execute(
            select(t.checkins.c.id).where(
                t.checkins.c.matched_key == other, t.checkins.c.source_url.like("manual:%")
            )
        ).all()
    assert manual == []
    page.goto(f"{dashboard.url}/calls")
    cadres = set(page.locator("#calls-list tbody td:nth-child(5)").all_inner_texts())
    assert len(cadres) <= 1  # their own workers only
    assert_nothing_ran(page, dialogs)


def test_the_calls_list_and_a_worker_fit_a_phone(
    browser: Browser, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    context = browser.new_context(locale="zh-CN", viewport=PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    phone = context.new_page()
    dialogs.watch(phone)
    try:
        log_in(phone, dashboard, LEAD, "calls-phone")
        for path, name in [
            ("/calls", "calls-phone-list"),
            (f"/workers/{quote(OWN_WORKER, safe='')}", "calls-phone-worker"),
        ]:
            phone.goto(f"{dashboard.url}{path}")
            # Wide tables scroll inside their box; the page itself never scrolls sideways.
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            shot(phone, name)
        assert_nothing_ran(phone, dialogs)
    finally:
        context.close()
