"""The cadres page's handover form (工作交接) in a real Chromium at phone width: the 松坪村
lead previews handing one cadre's village caseload to another cadre of the village, hands it
over, and the calls change owner; a cadre of another village is refused on the page."""

from __future__ import annotations

from collections import Counter

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select

from browser import LEAD, LEAD_VILLAGE, Dashboard, log_in, shot
from lianxin.store import schema as t

PHONE = {"width": 390, "height": 844}


def village_owners(engine: Engine) -> Counter[str]:
    """Return the live obligations of 松坪村 (calls, visits, assistance) by owner."""
    o = t.obligations
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.c.owner).where(
                o.c.village == LEAD_VILLAGE,
                o.c.status.in_(("open", "overdue", "escalated")),
            )
        )
        return Counter(rows.scalars())


def two_cadres(engine: Engine) -> tuple[str, str, str]:
    """Return the 松坪村 cadre with the most workers, another cadre there, and one elsewhere."""
    w, c = t.workers, t.cadres
    with engine.connect() as conn:
        busiest = conn.execute(
            select(w.c.cadre_key)
            .where(w.c.village == LEAD_VILLAGE, w.c.cadre_key.is_not(None))
            .group_by(w.c.cadre_key)
            .order_by(func.count().desc(), w.c.cadre_key)
            .limit(1)
        ).scalar_one()
        here = conn.execute(
            select(c.c.key).where(c.c.village == LEAD_VILLAGE, c.c.key != busiest).limit(1)
        ).scalar()
        elsewhere = conn.execute(
            select(c.c.key).where(c.c.village != LEAD_VILLAGE).order_by(c.c.key).limit(1)
        ).scalar_one()
    assert here, "the sample portal's 松坪村 has two cadres"
    return str(busiest), str(here), str(elsewhere)


def test_a_village_lead_previews_and_hands_over_on_a_phone(
    page: Page, dashboard: Dashboard
) -> None:
    page.set_viewport_size(PHONE)
    old, new, elsewhere = two_cadres(dashboard.engine)
    log_in(page, dashboard, LEAD, "handover-lead")
    before = village_owners(dashboard.engine)
    assert before[old] > 0

    page.goto(f"{dashboard.url}/cadres")
    form = page.locator("#handover-form")
    expect(form).to_be_visible()
    assert form.locator('input[name="village"]').count() == 0  # a village lead's own village
    form.locator('input[name="old"]').fill(old)
    form.locator('input[name="new"]').fill(elsewhere)
    form.locator("#handover-apply").click()
    expect(page.locator("#handover-error")).to_contain_text("只能在您负责的范围内")
    assert village_owners(dashboard.engine) == before

    page.locator('#handover-form input[name="new"]').fill(new)
    page.locator("#handover-preview").click()
    expect(page.locator("#handover-result")).to_contain_text("将交接")
    assert int(page.locator("#handover-calls").inner_text()) == before[old]
    assert village_owners(dashboard.engine) == before  # a preview changes nothing
    shot(page, "handover-preview-phone")

    page.locator("#handover-apply").click()
    expect(page.locator("#handover-result")).to_contain_text("已交接")
    shot(page, "handover-done-phone")
    after = village_owners(dashboard.engine)
    assert after[old] == 0 and after[new] == before[new] + before[old]
    assert sum(after.values()) == sum(before.values())  # nothing lost, nothing doubled
