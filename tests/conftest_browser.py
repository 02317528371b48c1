"""Fixtures of the browser tests: one headless Chromium per session, a fresh page per test.

Loaded from tests/conftest.py (`pytest_plugins`); the helpers live in tests/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from browser import (
    ADMIN,
    LEAD,
    LEAD_TOWN,
    LEAD_VILLAGE,
    Dashboard,
    Dialogs,
    chromium_path,
    fill_store,
    launch_args,
    serve_app,
)
from config.settings import Settings
from lianxin.dashboard.app import create_app
from lianxin.dashboard.auth import create_user
from lianxin.dashboard.scope import Role
from lianxin.portal import PORTAL_TODAY
from lianxin.store.db import migrate
from lianxin.store.engine import engine_for


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


@pytest.fixture(scope="module")
def dashboard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """The dashboard served on loopback over a store filled like the demo's (plus the hostile
    page), with an admin and the 松坪村 lead; one per test module, so a module's actions do not
    leak into another's. The rules run as of the sample portal's day (2026-11-08), or of the
    module's `DASHBOARD_AS_OF` (a later day has this month's calls overdue)."""
    folder: Path = tmp_path_factory.mktemp("dashboard")
    settings = Settings(database_url=f"sqlite:///{folder}/lianxin.db", data_dir=folder)
    engine = engine_for(settings.database_url)
    migrate(engine)
    store = fill_store(settings, getattr(request.module, "DASHBOARD_AS_OF", PORTAL_TODAY))
    with engine.begin() as conn:
        create_user(conn, ADMIN[0], ADMIN[1], Role.admin, display_name="管理员")
        create_user(
            conn,
            LEAD[0],
            LEAD[1],
            Role.village_lead,
            display_name="松坪村支书",
            town=LEAD_TOWN,
            village=LEAD_VILLAGE,
        )
    with serve_app(create_app(settings, engine=engine)) as url:
        yield Dashboard(url, engine, store)
