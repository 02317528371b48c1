"""The cadres page and the problems board in a real headless Chromium: the admin reads each
cadre's calls and follows one to the calls page, reads the board on a desk and on a phone, and
marks a problem rectified (已整改) through its form; a problem whose text carries markup shows
it as text, and nothing runs. Every page visited is saved as a screenshot.
"""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from browser import (
    ADMIN,
    IMG,
    LEAD,
    LEAD_VILLAGE,
    SCRIPT,
    Dashboard,
    Dialogs,
    assert_nothing_injected,
    assert_nothing_ran,
    log_in,
    shot,
)
from lianxin.clock import today_local
from lianxin.store import schema as t

HOSTILE_KEY = "hostile-notice#一"
SONGPING = "#二(二)1"  # 白云乡松坪村's employment help, open, due 15 Nov


def test_the_admin_reads_each_cadres_calls_and_a_lead_only_their_village(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, ADMIN, "cadres-admin")
    page.click('nav a[href="/cadres"]')
    expect(page).to_have_url(f"{dashboard.url}/cadres")
    expect(page.locator("h1")).to_contain_text(dashboard.store.period)
    rows = page.locator("#cadres-list tbody tr")
    assert rows.count() > 1
    expect(page.locator("section.charts svg")).to_have_count(1)
    shot(page, "cadres-admin")
    first = page.locator("#cadres-list a.cadre-calls").first
    name = first.inner_text()
    with dashboard.engine.connect() as conn:
        key = conn.execute(select(t.cadres.c.key).where(t.cadres.c.name == name)).scalars().first()
    assert key
    href = first.get_attribute("href") or ""
    assert href.startswith(f"/calls?cadre={quote(key, safe='')}&period="), href
    assert_nothing_ran(page, dialogs)
    page.context.clear_cookies()
    log_in(page, dashboard, LEAD, "cadres-lead")
    page.goto(f"{dashboard.url}/cadres")
    villages = page.locator("#cadres-list tbody tr td:nth-child(3)").all_inner_texts()  # after 已读
    assert villages and set(villages) == {LEAD_VILLAGE}
    shot(page, "cadres-lead")


def test_the_admin_marks_a_problem_rectified_on_the_board(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    with dashboard.engine.begin() as conn:  # a problem list whose cells carry markup
        conn.execute(
            t.problems.insert().values(
                key=HOSTILE_KEY,
                number=f"一{SCRIPT}",
                place=f"白云乡松坪村{IMG}",
                description=f"台账不全{SCRIPT}",
                responsible_unit=f"白云乡{IMG}",
                status="open",
                source_url="javascript:window.__pwned=1",
            )
        )
    log_in(page, dashboard, ADMIN, "problems-admin")
    page.goto(f"{dashboard.url}/problems")
    open_column = page.locator("#column-open")
    hostile = open_column.locator(f'article[data-key="{HOSTILE_KEY}"]')
    expect(hostile.locator(".problems-description")).to_have_text(f"台账不全{SCRIPT}")
    expect(hostile.locator(".problems-place")).to_have_text(f"白云乡松坪村{IMG}")
    expect(hostile.locator(".problems-source")).to_have_count(0)  # not a web address
    with dashboard.engine.connect() as conn:  # late: past the deadline as of today in Shanghai
        P = t.problems  # noqa: N806
        overdue = conn.execute(
            select(func.count()).where(P.c.status == "open", P.c.deadline < today_local())
        ).scalar_one()
    expect(open_column.locator("article.problems-late")).to_have_count(overdue)
    shot(page, "problems-admin")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "problems-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    card = open_column.locator(f'article[data-key$="{SONGPING}"]')
    expect(card).to_contain_text("白云乡松坪村")
    card.locator("details.problems-mark summary").click()
    card.locator('input[name="on"]').fill("2026-11-08")
    card.locator('input[name="note"]').fill("已组织专场招聘会")
    card.locator('.problems-mark button[type="submit"]').click()
    expect(page.locator(".problems-done")).to_be_visible()
    moved = page.locator(f'#column-rectified article[data-key$="{SONGPING}"]')
    expect(moved).to_contain_text("2026-11-08")
    expect(page.locator(f'#column-open article[data-key$="{SONGPING}"]')).to_have_count(0)
    shot(page, "problems-rectified")
    assert_nothing_ran(page, dialogs)
    assert_nothing_injected(page)
