"""The dashboard on a phone (390×844) in a real Chromium, on the 12th of November: the calls,
worker, cadres, problems, search and call-list pages never scroll sideways; a row shows the
person (the action) and their phone first; the village lead's phones are tel: links and the
admin's are masked text; the header's search finds a worker; the call list prints without the
header, black on white, its table header repeated. Screenshots under var/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from browser import (
    ADMIN,
    LEAD,
    LEAD_VILLAGE,
    OWN_WORKER,
    Dashboard,
    Dialogs,
    assert_nothing_ran,
    log_in,
    shot,
)
from lianxin.store import schema as t

DASHBOARD_AS_OF = date(2026, 11, 12)  # the calls not made are overdue: the lists are full
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, dialogs: Dialogs) -> Iterator[Page]:
    """A page the size of a phone's screen, zh-CN, with touch."""
    context = browser.new_context(
        locale="zh-CN",
        viewport=PHONE,  # type: ignore[arg-type]
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    dialogs.watch(tab)
    yield tab
    context.close()


def lead_cadre(dashboard: Dashboard) -> str:
    """Return the key of a cadre of the lead's village who still owes calls."""
    o = t.obligations
    with dashboard.engine.connect() as conn:
        return str(
            conn.execute(
                select(o.c.owner)
                .where(o.c.village == LEAD_VILLAGE, o.c.status.in_(("open", "overdue")))
                .order_by(o.c.owner)
                .limit(1)
            ).scalar_one()
        )


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_every_page_of_the_person_at_the_phone_fits_390_pixels(
    phone: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(phone, dashboard, LEAD, "phone-lead")
    cadre = quote(lead_cadre(dashboard), safe="")
    for path, name in [
        ("/calls", "phone-calls"),
        (f"/workers/{quote(OWN_WORKER, safe='')}", "phone-worker"),
        ("/cadres", "phone-cadres"),
        ("/problems", "phone-problems"),
        (f"/search?q={quote('谭')}", "phone-search"),
        (f"/cadres/{cadre}/print", "phone-call-list"),
    ]:
        answer = phone.goto(f"{dashboard.url}{path}")
        assert answer is not None and answer.status == 200, path
        assert page_width(phone) <= PHONE["width"], (path, page_width(phone))
        shot(phone, name)
    assert_nothing_ran(phone, dialogs)


def test_on_a_phone_a_call_shows_the_person_and_the_phone_first_and_hides_the_minor_columns(
    phone: Page, dashboard: Dashboard
) -> None:
    log_in(phone, dashboard, LEAD, "phone-order")
    phone.goto(f"{dashboard.url}/calls")
    row = phone.locator("#calls-list tbody tr").first
    expect(row).to_be_visible()
    assert phone.locator("#calls-list thead").is_hidden()
    boxes = row.locator("td").evaluate_all(
        """cells => cells.filter(c => c.offsetParent !== null).map(c => {
            const b = c.getBoundingClientRect();
            return {cls: c.className, top: Math.round(b.top), left: Math.round(b.left),
                    right: Math.round(b.right)};
        })"""
    )
    first_two = {b["cls"] for b in sorted(boxes, key=lambda b: (b["top"], b["left"]))[:2]}
    assert first_two == {"action", "phone"}, boxes
    assert all(b["right"] <= PHONE["width"] for b in boxes), boxes
    assert row.locator("td.minor").first.is_hidden()
    shot(phone, "phone-calls-row")

    # The action beside the name: one tap to the worker's call form, scrolled into view.
    row.locator("td.action a.record").tap()
    expect(phone).to_have_url(re.compile(r"/workers/.+#record-checkin$"))
    expect(phone.locator("#record-checkin")).to_be_in_viewport()


def test_on_a_phone_a_workers_call_form_comes_right_after_the_profile(
    phone: Page, dashboard: Dashboard
) -> None:
    log_in(phone, dashboard, LEAD, "phone-worker-order")
    phone.goto(f"{dashboard.url}/workers/{quote(OWN_WORKER, safe='')}")
    top = {
        name: phone.locator(selector).bounding_box()
        for name, selector in [
            ("profile", "#profile"),
            ("form", "#record-checkin"),
            ("calls", "#checkins"),
            ("obligations", "#obligations"),
        ]
    }
    assert all(top.values()), top
    y = {name: box["y"] for name, box in top.items() if box}
    assert y["profile"] < y["form"] < y["calls"] < y["obligations"], y
    dial = phone.locator('#profile a[href^="tel:"]')  # the lead may see her number in full
    expect(dial).to_have_count(1)
    assert dial.get_attribute("href") == f"tel:{dial.inner_text().strip()}"
    assert (dial.get_attribute("href") or "").endswith(OWN_WORKER[-4:])
    shot(phone, "phone-worker-form-first")


def test_the_lead_dials_from_a_tel_link_and_the_admin_reads_masked_numbers(
    page: Page, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, LEAD, "tel-lead")
    page.goto(f"{dashboard.url}/calls")
    links = page.locator('#calls-list td.phone a[href^="tel:"]')
    assert links.count() > 0
    for href, text in zip(
        links.evaluate_all("as => as.map(a => a.getAttribute('href'))"),
        links.all_inner_texts(),
        strict=True,
    ):
        assert "*" not in href and href == f"tel:{text.strip()}"
    masked = page.locator("#calls-list td.phone", has_text="****")
    assert masked.locator("a").count() == 0  # a number printed masked is never a link
    page.context.clear_cookies()

    log_in(page, dashboard, ADMIN, "tel-admin")
    page.goto(f"{dashboard.url}/calls?village={quote(LEAD_VILLAGE)}")
    assert page.locator("#calls-list td.phone").count() > 0
    assert page.locator('a[href^="tel:"]').count() == 0
    phones = page.locator("#calls-list td.phone").all_inner_texts()
    assert all("****" in p for p in phones if p.strip()), phones


def test_the_headers_search_box_finds_a_worker_by_phone_tail(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, LEAD, "search-lead")
    page.goto(f"{dashboard.url}/cadres")
    page.fill('form.top-search input[name="q"]', OWN_WORKER[-4:])
    page.click('form.top-search button[type="submit"]')
    expect(page).to_have_url(f"{dashboard.url}/search?q={OWN_WORKER[-4:]}")
    hit = page.locator("#search-results td.action a")
    expect(hit).to_have_count(1)
    expect(hit).to_have_text("谭莹")
    shot(page, "search-tail")
    hit.click()
    expect(page.locator("h1")).to_have_text("谭莹")
    assert_nothing_ran(page, dialogs)


def test_the_call_list_prints_without_the_header_black_on_white(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, LEAD, "print-lead")
    page.goto(f"{dashboard.url}/cadres")
    page.locator("#cadres-list a.cadre-print").first.click()
    expect(page.locator("#call-list")).to_be_visible()
    expect(page.locator("#print-now")).to_be_visible()
    rows = page.locator("#call-list tbody tr").count()
    assert rows > 0
    shot(page, "print-screen")

    page.emulate_media(media="print")
    for hidden in ("header.top", "nav.nav", "#print-now", "form.top-search"):
        assert page.locator(hidden).is_hidden(), hidden
    looks = page.evaluate(
        """() => {
        const style = e => getComputedStyle(document.querySelector(e));
        return {body: style("body").backgroundColor, ink: style("#call-list td").color,
                head: style("#call-list thead").display,
                border: style("#call-list td").borderTopColor};
        }"""
    )
    assert looks == {
        "body": "rgb(255, 255, 255)",
        "ink": "rgb(0, 0, 0)",
        "head": "table-header-group",  # repeated at the top of every printed sheet
        "border": "rgb(0, 0, 0)",
    }
    assert page.locator("#call-list tbody tr").count() == rows
    page.pdf(path=str(shot(page, "print-media").with_suffix(".pdf")))
    assert_nothing_ran(page, dialogs)
