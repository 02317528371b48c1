"""The dashboard in a real headless Chromium (Debian's, through Playwright), served by uvicorn
on loopback over a store filled like the demo's, plus a hostile page: log in, read the
overview, stay in one's village, log out, and nothing from a fetched page ever runs.

Every page visited is saved as a screenshot (tests/browser.py `shot`, var/screenshots/).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select

from browser import (
    ADMIN,
    IMG,
    LEAD,
    LEAD_VILLAGE,
    OWN_WORKER,
    SCRIPT,
    Dashboard,
    Dialogs,
    assert_nothing_injected,
    assert_nothing_ran,
    log_in,
    log_out,
    shot,
)
from lianxin.records import ObligationKind
from lianxin.store import schema as t


def calls_tile(page: Page) -> str:
    """The overview's "done / due" tile of this month's check-in calls."""
    return page.locator("#calls .n").inner_text().strip()


def compliance(engine: Engine, period: str, village: str | None = None) -> tuple[int, int]:
    """Return (done, due) of `period` from the store's compliance aggregates."""
    cp = t.compliance
    where = [cp.c.period == period] + ([cp.c.village == village] if village else [])
    with engine.connect() as conn:
        done, due = conn.execute(
            select(func.sum(cp.c.done), func.sum(cp.c.due)).where(*where)
        ).one()
    return int(done or 0), int(due or 0)


def test_admin_logs_in_reads_the_overview_and_logs_out(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, ADMIN, "admin")
    shot(page, "admin-overview")
    period = dashboard.store.period
    expect(page.locator("h1")).to_contain_text(period)
    done, due = compliance(dashboard.engine, period)
    assert calls_tile(page) == f"{done} / {due}"
    assert (period, done, due) == ("2026-11", 163, 285)  # the sample county on 2026-11-08
    obl = t.obligations
    with dashboard.engine.connect() as conn:  # the aggregate agrees with the obligations
        called = conn.execute(
            select(func.count()).where(
                obl.c.kind == ObligationKind.monthly_checkin.value,
                obl.c.period == period,
                obl.c.status == "done",
            )
        ).scalar_one()
    assert called == done
    assert page.locator("#places tbody tr").count() >= 1
    assert page.get_by_text("管理员").count()
    assert_nothing_ran(page, dialogs)
    log_out(page, dashboard)
    shot(page, "admin-logged-out")


def test_a_village_lead_sees_their_village_and_not_another_villages_worker(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    W = t.workers  # noqa: N806
    with dashboard.engine.connect() as conn:
        other_key, other_name = conn.execute(
            select(W.c.key, W.c.name).where(W.c.village != LEAD_VILLAGE).order_by(W.c.key)
        ).first() or ("", "")
    assert other_key
    log_in(page, dashboard, LEAD, "village-lead")
    shot(page, "village-lead-overview")
    done, due = compliance(dashboard.engine, dashboard.store.period, LEAD_VILLAGE)
    assert 0 < due < 285 and calls_tile(page) == f"{done} / {due}"  # their village only
    expect(page.locator(".muted").first).to_contain_text(LEAD_VILLAGE)

    answer = page.goto(f"{dashboard.url}/workers/{OWN_WORKER}")
    assert answer is not None and answer.status == 200
    expect(page.locator("h1")).to_have_text("谭莹")
    shot(page, "village-lead-own-worker")

    answer = page.goto(f"{dashboard.url}/workers/{other_key}")
    assert answer is not None and answer.status in (403, 404)
    assert page.get_by_text(other_name).count() == 0
    shot(page, "village-lead-other-village-worker-refused")
    assert_nothing_ran(page, dialogs)
    page.goto(f"{dashboard.url}/")
    log_out(page, dashboard)


def test_nothing_from_the_hostile_page_runs_on_any_page(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    """The hostile page's strings are in the store (tests/test_browser_infra.py checks that);
    every page of the dashboard that can show them is opened and nothing runs."""
    log_in(page, dashboard, ADMIN, "hostile")
    for path, name in [("/", "overview"), (f"/workers/{OWN_WORKER}", "worker")]:
        answer = page.goto(f"{dashboard.url}{path}")
        assert answer is not None and answer.status == 200, path
        page.wait_for_load_state("load")
        shot(page, f"hostile-{name}")
        assert_nothing_ran(page, dialogs)
        assert_nothing_injected(page)
        html = page.content()
        for markup in (SCRIPT, IMG):
            assert markup not in html  # wherever shown, it is escaped text, never markup
