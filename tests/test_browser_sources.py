"""The sources and runs pages in a real Chromium: the admin reads them on a desk and on a
phone, the hostile page's title and cells show as literal text and nothing runs, and the
village lead's nav has neither page.

Screenshots: sources-*, under var/screenshots/ (tests/browser.py `shot`).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy import func, select, update

from browser import (
    ADMIN,
    HOSTILE_TITLE,
    IMG,
    LEAD,
    SCRIPT,
    Dashboard,
    Dialogs,
    assert_nothing_injected,
    assert_nothing_ran,
    log_in,
    shot,
)
from lianxin.store import reads
from lianxin.store import schema as t

PHONE: ViewportSize = {"width": 390, "height": 844}
FAILED_RUN_ID = "5f0c1d2e-8a4b-4c6d-9e7f-0a1b2c3d4e5f"


@pytest.fixture(scope="module")
def history(dashboard: Dashboard) -> Dashboard:
    """Give the store's ingest its records per source (as the ingest flow keeps them), two
    earlier ingests, and a remind run that failed, so the pages have a history to show."""
    engine, r, rep = dashboard.engine, t.runs, t.reports
    with engine.begin() as conn:
        counts = dict(
            conn.execute(
                select(rep.c.source, func.sum(rep.c.record_count)).group_by(rep.c.source)
            ).all()
        )
        ingest = conn.execute(
            select(r.c.id, r.c.started_at, r.c.stats).where(r.c.flow == "ingest")
        ).one()
        records = {name: int(n or 0) for name, n in counts.items()}
        conn.execute(
            update(r)
            .where(r.c.id == ingest.id)
            .values(stats={**ingest.stats, "records_by_source": records})
        )
    started = ingest.started_at
    for days, factor in ((2, 1.0), (1, 0.5)):
        earlier = {name: int(n * factor) for name, n in records.items()}
        at = started - timedelta(days=days)
        stats = {"pages_fetched": 27, "records_parsed": sum(earlier.values())}
        reads.record_run(
            engine, "ingest", None, at, at + timedelta(seconds=42), "completed",
            {**stats, "records_by_source": earlier},
        )  # fmt: skip
    reads.record_run(
        engine, "remind", dashboard.store.as_of, started, started + timedelta(seconds=3), "failed",
        {"error": f"SMTP refused the digest {SCRIPT}", "state": "Failed"}, FAILED_RUN_ID,
    )  # fmt: skip
    return dashboard


def test_the_admin_reads_sources_and_runs_and_nothing_from_a_fetched_page_runs(
    page: Page, dialogs: Dialogs, history: Dashboard
) -> None:
    url = history.url
    log_in(page, history, ADMIN, "sources-admin")
    page.click('.nav a[href="/sources"]')
    expect(page).to_have_url(f"{url}/sources")
    expect(page.locator("h1")).to_have_text("数据源")
    expect(page.locator("#health")).to_contain_text("hostile-test")
    assert page.locator("#by-run tbody tr").count() == 3
    assert page.locator(".sources-chart svg").count() == 1
    # The hostile page's title and cells, as literal text: the exact markup is what one reads.
    rows = page.locator("#quarantine-rows")
    expect(rows).to_contain_text(HOSTILE_TITLE)
    expect(rows).to_contain_text(IMG)
    expect(rows).to_contain_text(SCRIPT)
    shot(page, "sources-admin")
    assert_nothing_ran(page, dialogs)
    assert_nothing_injected(page)

    page.select_option('select[name="kind"]', "unknown_worker")
    page.click("form:has(select[name=kind]) button[type=submit]")
    expect(page.locator("#findings")).to_contain_text(f"祁{SCRIPT}")  # a call not on the roster
    shot(page, "sources-admin-findings-unknown-worker")
    assert_nothing_ran(page, dialogs)
    assert_nothing_injected(page)

    page.select_option('select[name="source"]', "hostile-test")
    page.click("form:has(select[name=source]) button[type=submit]")
    expect(page).to_have_url(
        f"{url}/sources?source=hostile-test&url=&kind=unknown_worker#quarantine"
    )
    expect(rows.locator("tbody tr")).to_have_count(1)
    shot(page, "sources-admin-quarantine-filtered")
    assert_nothing_ran(page, dialogs)

    page.click('.nav a[href="/runs"]')
    expect(page).to_have_url(f"{url}/runs")
    failed = page.locator("tr.run.failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text(f"SMTP refused the digest {SCRIPT}")
    assert page.locator("#runs tbody tr").count() == 5  # 3 ingests, followups, remind
    shot(page, "sources-runs-admin")
    assert_nothing_ran(page, dialogs)
    assert_nothing_injected(page)

    page.set_viewport_size(PHONE)
    for path, name in (("/sources", "sources-admin-phone"), ("/runs", "sources-runs-admin-phone")):
        page.goto(f"{url}{path}")
        # Wide tables scroll inside their frame: the page itself is no wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        shot(page, name)
        assert_nothing_ran(page, dialogs)


def test_the_village_lead_has_neither_page_in_the_nav_nor_opens_them(
    page: Page, dialogs: Dialogs, history: Dashboard
) -> None:
    log_in(page, history, LEAD, "sources-village-lead")
    nav = page.locator(".nav")
    expect(nav.locator('a[href="/"]')).to_have_count(1)
    expect(nav.locator('a[href="/sources"]')).to_have_count(0)
    expect(nav.locator('a[href="/runs"]')).to_have_count(0)
    shot(page, "sources-village-lead-nav")
    for path in ("/sources", "/runs"):
        answer = page.goto(f"{history.url}{path}")
        assert answer is not None and answer.status == 404, path
        expect(page.locator("#quarantine-rows, #runs")).to_have_count(0)
    shot(page, "sources-village-lead-refused")
    assert_nothing_ran(page, dialogs)
