"""The browser plumbing itself: Debian's Chromium through Playwright, a live uvicorn app, the
hostile-page checks (shown to catch an unescaped page) and the screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from markupsafe import Markup
from playwright.sync_api import Browser, Page
from sqlalchemy import func, select

from browser import (
    HOSTILE_STRINGS,
    HOSTILE_TITLE,
    IMG,
    JS_LINK,
    SCRIPT,
    Dialogs,
    assert_nothing_injected,
    assert_nothing_ran,
    fill_store,
    serve_app,
    shot,
)
from config.settings import Settings
from lianxin.portal import PORTAL_TODAY
from lianxin.records import ObligationKind
from lianxin.store import schema as t
from lianxin.store.db import migrate
from lianxin.store.engine import engine_for

TEMPLATE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ title }}</title></head><body><h1>{{ title }}</h1>
<table>{% for cell in cells %}<tr><td class="cell">{{ cell }}</td></tr>{% endfor %}</table>
<a class="source" href="{{ link }}">原文</a></body></html>"""


def _app() -> FastAPI:
    """A tiny app rendering the hostile strings: escaped by Jinja2's autoescape, and not."""
    env = Environment(autoescape=True)
    template = env.from_string(TEMPLATE)
    app = FastAPI()

    @app.get("/escaped", response_class=HTMLResponse)
    def escaped() -> str:
        return template.render(title=HOSTILE_TITLE, cells=HOSTILE_STRINGS, link="#")

    @app.get("/unescaped", response_class=HTMLResponse)
    def unescaped() -> str:  # what a page that forgot to escape would send
        cells = [Markup(s) for s in HOSTILE_STRINGS] + [Markup("<script>alert('pwned')</script>")]
        return template.render(title=HOSTILE_TITLE, cells=cells, link=Markup(JS_LINK))

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_app(_app()) as url:
        yield url


def test_chromium_is_debians_and_headless(browser: Browser) -> None:
    assert browser.browser_type.name == "chromium"
    assert browser.version.split(".")[0].isdigit()


def test_an_escaped_hostile_page_runs_nothing_and_shows_the_text(
    page: Page, dialogs: Dialogs, base_url: str
) -> None:
    page.goto(f"{base_url}/escaped")
    page.wait_for_load_state("load")
    assert_nothing_ran(page, dialogs)
    assert_nothing_injected(page)
    assert page.title() == HOSTILE_TITLE
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.locator("td.cell").all_inner_texts() == list(HOSTILE_STRINGS)
    path = shot(page, "infra-escaped-hostile-page")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_the_checks_catch_a_page_that_does_not_escape(
    page: Page, dialogs: Dialogs, base_url: str
) -> None:
    """The hostile checks are not vacuous: the same strings unescaped run, and are caught."""
    page.goto(f"{base_url}/unescaped")
    page.wait_for_function("window.__pwned === 1")
    page.locator("a.source").click()  # the javascript: link runs too
    with pytest.raises(AssertionError):
        assert_nothing_ran(page, dialogs)
    assert any("pwned" in d for d in dialogs.seen)
    with pytest.raises(AssertionError):
        assert_nothing_injected(page)


def test_screenshots_go_where_lianxin_screenshots_says(
    page: Page, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANXIN_SCREENSHOTS", str(tmp_path / "shots"))
    page.goto(f"{base_url}/escaped")
    assert shot(page, "where/to go") == tmp_path / "shots" / "where-to-go.png"
    assert (tmp_path / "shots" / "where-to-go.png").stat().st_size > 1000


def test_the_hostile_page_reaches_the_store_through_the_parser(tmp_path: Path) -> None:
    """What the dashboard's hostile-page test shows, stored by the normal ingest path."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/lianxin.db", data_dir=tmp_path)
    engine = engine_for(settings.database_url)
    migrate(engine)
    filled = fill_store(settings, PORTAL_TODAY)
    with engine.connect() as conn:
        title = conn.execute(
            select(t.reports.c.title).where(t.reports.c.url == filled.hostile_url)
        ).scalar_one()
        cells = conn.execute(
            select(t.checkins.c.worker_name, t.checkins.c.employer, t.checkins.c.demands).where(
                t.checkins.c.source_url == filled.hostile_url
            )
        ).all()
        quarantined = conn.execute(
            select(t.quarantine.c.raw).where(t.quarantine.c.url == filled.hostile_url)
        ).scalars()
        by_status = dict(
            conn.execute(
                select(t.obligations.c.status, func.count())
                .where(
                    t.obligations.c.kind == ObligationKind.monthly_checkin.value,
                    t.obligations.c.period == "2026-11",
                )
                .group_by(t.obligations.c.status)
            ).all()
        )
    assert title == HOSTILE_TITLE
    assert ("谭莹", f"宏达电子{SCRIPT}", f"请回电{JS_LINK}") in cells
    assert any(name == f"祁{SCRIPT}" for name, _, _ in cells)
    assert any(IMG in str(raw) for raw in quarantined)
    assert by_status["done"] == 163  # the sample county's numbers, untouched by the hostile page
