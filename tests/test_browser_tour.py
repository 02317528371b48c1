"""Every page in the nav, in Chromium, on a desk and on a phone, in Chinese and in English.

The tour follows `web.NAV`, so a page added there is visited (and screenshotted) without a new
test: it answers 200, nothing from the hostile page runs, it fits a 390-px screen, and no word is
missing from the catalogue (a missing word shows as its key, such as `calls.title`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from browser import (
    ADMIN,
    OWN_WORKER,
    Dashboard,
    Dialogs,
    assert_nothing_injected,
    assert_nothing_ran,
    log_in,
    shot,
)
from lianxin.dashboard.web import NAV

PAGES = [(href, key.removeprefix("nav.")) for key, href, _action in NAV] + [
    (f"/workers/{OWN_WORKER}", "worker")
]
# A word key of the catalogue: a page prefix, a dot, then lower-case words.
WORD_KEY = re.compile(
    r"\b(?:app|nav|lang|login|role|overview|place|worker|calls|cadres|problems|sources|runs|data"
    r"|error)\.[a-z_]+(?:\.[a-z_]+)*\b"
)


def _tour(page: Page, dialogs: Dialogs, dashboard: Dashboard, label: str) -> None:
    for path, name in PAGES:
        for language in ("zh", "en"):
            answer = page.goto(f"{dashboard.url}{path}{'&' if '?' in path else '?'}lang={language}")
            assert answer is not None and answer.status == 200, (path, language)
            page.wait_for_load_state("load")
            shot(page, f"tour-{label}-{name}-{language}")
            assert_nothing_ran(page, dialogs)
            assert_nothing_injected(page)
            text = page.locator("body").inner_text()
            assert not WORD_KEY.findall(text), (path, language, WORD_KEY.findall(text)[:5])
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} is wider than the screen by {overflow}px"


def test_every_page_on_a_desk(page: Page, dialogs: Dialogs, dashboard: Dashboard) -> None:
    log_in(page, dashboard, ADMIN, "tour-desk")
    _tour(page, dialogs, dashboard, "desk")


@pytest.fixture
def phone(browser: Browser, dialogs: Dialogs) -> Iterator[Page]:
    """A phone-sized page (390×844, touch), in a context of its own."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    dialogs.watch(tab)
    yield tab
    context.close()


def test_every_page_on_a_phone(phone: Page, dialogs: Dialogs, dashboard: Dashboard) -> None:
    log_in(phone, dashboard, ADMIN, "tour-phone")
    _tour(phone, dialogs, dashboard, "phone")
