"""Fixtures of the browser tests: one headless Chromium per session, a fresh page per test.

Loaded from tests/conftest.py (`pytest_plugins`); the helpers live in tests/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from browser import Dialogs, chromium_path, launch_args


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (which never downloads a browser).

    One per test module, not per session: while Playwright's sync API runs, the main thread
    has a running event loop, and the modules after it would see one (Prefect's sync calls
    then return coroutines). Starting Chromium takes about a second.
    """
    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=launch_args()
        )
        yield chromium
        chromium.close()


@pytest.fixture
def dialogs() -> Dialogs:
    """The dialogs the test's page opened; a hostile script's alert() shows up here."""
    return Dialogs()


@pytest.fixture
def page(browser: Browser, dialogs: Dialogs) -> Iterator[Page]:
    """A page in a context of its own (no cookies shared between tests), zh-CN, desk size."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    dialogs.watch(tab)
    yield tab
    context.close()
