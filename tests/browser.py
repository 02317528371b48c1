"""Helpers of the browser tests: Debian's Chromium, a live app server, screenshots, hostile pages.

Playwright drives the system Chromium (`executable_path`); nothing ever downloads a browser.
`make test` installs Debian's `chromium` where it is missing (`make chromium`); without one the
browser tests fail with the command to run rather than skip.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import Engine

from config.settings import Settings, SourceSettings
from lianxin.dashboard.server import uvicorn_config
from lianxin.ingest.fetching import crawl, make_session
from lianxin.ingest.fetchlog import log_fetches
from lianxin.ingest.pipeline import parse_fetched
from lianxin.parsing import parse_page
from lianxin.portal import Site, build_site, portal_sources, serve_portal
from lianxin.records import ParseResult
from lianxin.rules.checkin import period_of
from lianxin.rules.evaluate import evaluate
from lianxin.rules.reconcile import reconcile_periods
from lianxin.store import reads
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results

SCREENSHOTS_ENV = "LIANXIN_SCREENSHOTS"
CHROMIUM_ENV = "LIANXIN_CHROMIUM"


def chromium_path() -> str:
    """Return the system Chromium (LIANXIN_CHROMIUM, else chromium/chromium-browser on PATH)."""
    found = os.environ.get(CHROMIUM_ENV) or next(
        filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser"))), None
    )
    if not found:
        pytest.fail(
            "No Chromium on PATH for the browser tests: run `make chromium` "
            "(apt-get install chromium) or set LIANXIN_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    return found


def launch_args() -> list[str]:
    """Chromium's sandbox refuses to start as root (containers, CI): switch it off only then."""
    return ["--no-sandbox"] if os.geteuid() == 0 else []


def screenshot_dir() -> Path:
    """Where `shot` saves its PNGs: $LIANXIN_SCREENSHOTS, else var/screenshots/."""
    return Path(os.environ.get(SCREENSHOTS_ENV) or "var/screenshots")


def shot(page: Page, name: str) -> Path:
    """Save a full-page PNG of `page` as <screenshot_dir>/<name>.png and return its path."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^\w.-]+", "-", name).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass
class Dialogs:
    """Every alert/confirm/prompt a page opened (dismissed at once, so nothing hangs)."""

    seen: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def assert_nothing_ran(page: Page, dialogs: Dialogs) -> None:
    """No hostile script set window.__pwned and no dialog opened."""
    assert page.evaluate("typeof window.__pwned") == "undefined", page.url
    assert dialogs.seen == [], dialogs.seen


def assert_nothing_injected(page: Page) -> None:
    """No element a hostile string would create if echoed unescaped (whatever the CSP blocks)."""
    injected = page.evaluate(
        """() => ({
        scripts: [...document.scripts].filter(s => s.text.includes('__pwned')).length,
        images: document.querySelectorAll('img[src="x"], [onerror]').length,
        links: document.querySelectorAll('a[href^="javascript:" i]').length,
        })"""
    )
    assert injected == {"scripts": 0, "images": 0, "links": 0}, (page.url, injected)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(app: Any, startup_timeout: float = 20.0, **options: Any) -> Iterator[str]:
    """Run the ASGI `app` with uvicorn on 127.0.0.1 in a thread; yield its base URL.
    `options` go to uvicorn's Config (e.g. log_level="info" turns its access log on)."""
    port = free_port()
    config = uvicorn_config(
        app, "127.0.0.1", port, lifespan="on", **options
    )  # as `lianxin dashboard`
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# A hostile page: a village's check-in table whose title and cells carry markup that runs if a
# page ever echoes it unescaped. The people are fake. The cells carry it as text (the way a CMS
# publishes what an editor typed), so the parser keeps the strings and the store holds them.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
JS_LINK = "javascript:window.__pwned=1"
HOSTILE_STRINGS = (SCRIPT, IMG, JS_LINK)
HOSTILE_PATH = "/cwgk/202611/t20261107_9999001.html"
HOSTILE_TITLE = f"松坪村2026年11月外出务工人员回访情况{SCRIPT}"


def _cell(text: str) -> str:
    return "<td>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</td>"


def hostile_page_html(village: str = "松坪村", town: str = "白云乡") -> str:
    """Return the hostile page: title, employer, place, demands and a name carry scripts."""
    header = "序号 户主 姓名 联系电话 务工地点 务工单位 务工状态 上月收入 回访时间 是否接通 诉求"
    header += " 包户干部"
    rows = [
        # 谭莹 is on the roster and already called in November: her worker page shows this.
        ["1", "谭建", "谭莹", "195****9107", f"广东省东莞市{IMG}", f"宏达电子{SCRIPT}",
         "在岗务工", "4200", "2026-11-3", "接通", f"请回电{JS_LINK}", "张雷"],
        ["2", "祁建国", f"祁{SCRIPT}", "195****1102", "浙江省宁波市", "甬城物流",
         "在岗务工", "3900", "2026-11-4", "接通", f"工资拖欠{IMG}", "张雷"],
        ["3", f"户{IMG}", "", "", "", "", "", "", f"{SCRIPT}", "", "", ""],
    ]  # fmt: skip
    table = "<tr>" + "".join(_cell(h) for h in header.split()) + "</tr>"
    table += "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    title = HOSTILE_TITLE.replace("&", "&amp;")  # <title> is raw text: its markup stays text
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{title}</title>
<meta name="ArticleTitle" content="{HOSTILE_TITLE.replace('"', "&quot;")}">
<meta name="PubDate" content="2026-11-07 17:02">
<meta name="ContentSource" content="{town}{village}村民委员会">
</head><body>
<div class="position">当前位置：首页 &gt; 村务公开 &gt; {town} &gt; {village}</div>
<div class="article"><h1 class="article-title">{_cell(HOSTILE_TITLE)[4:-5]}</h1>
<div class="article-info">发布时间：2026-11-07 17:02　　来源：{town}{village}村民委员会</div>
<p><a href="{JS_LINK}">查看原表</a></p>
<table border="1">{table}</table></div></body></html>"""


def hostile_site() -> Site:
    """The sample portal plus the hostile page (served at HOSTILE_PATH, a source of its own)."""
    site = build_site()
    pages = dict(site.items())
    pages[HOSTILE_PATH] = (hostile_page_html().encode("utf-8"), "text/html; charset=utf-8")
    return Site(pages, site.truth)


@dataclass
class FilledStore:
    settings: Settings
    as_of: date
    period: str
    hostile_url: str
    results: list[ParseResult]


def fill_store(settings: Settings, as_of: date, hostile: bool = True) -> FilledStore:
    """Fill `settings`' store as the demo does (ingest → followups), without Prefect.

    The domain functions the flows call, in the same order: crawl the sample portal (plus the
    hostile page), parse, log the fetches, save, reconcile the periods, evaluate the rules,
    refresh the compliance aggregates.
    """
    engine = engine_for(settings.database_url)
    site = hostile_site() if hostile else build_site()
    now = datetime.now(timezone.utc)
    with serve_portal(site=site) as base_url:
        entries = portal_sources(base_url)
        hostile_url = base_url.rstrip("/") + HOSTILE_PATH
        if hostile:
            entries.append({"name": "hostile-test", "url": hostile_url, "kind": "auto"})
        crawls, results = [], []
        for entry in entries:
            source = SourceSettings.model_validate(entry)

            def listing(
                content: bytes, url: str, charset: str | None, at: datetime, _s: str = source.name
            ) -> ParseResult:
                return parse_page(content, url, source=_s, fetched_at=at, http_charset=charset)

            result = crawl(make_session("lianxin-tests"), source, listing, timeout=20)
            assert result.errors == [], result.errors
            crawls.append(result)
            results += [parse_fetched(page) for page in result.pages if page.ok]
    log_fetches(engine, [f for c in crawls for p in c.pages for f in (p, *p.parts)])
    stats = save_results(engine, results, now)
    if stats.periods:
        reconcile_periods(engine, stats.periods, settings.rules, now)
    evaluation = evaluate(engine, as_of, settings.rules, now)
    refresh_compliance(engine, None, now)  # the dashboard's aggregates, as the followups flow
    reads.record_run(engine, "ingest", as_of, now, now, "completed", stats.as_dict())
    reads.record_run(engine, "followups", as_of, now, now, "completed", evaluation.as_dict())
    return FilledStore(settings, as_of, period_of(as_of), hostile_url, results)


# --- a dashboard over a filled store, and logging in to it -----------------------------------

ADMIN = ("admin", "admin-Passw0rd-浏览器")
LEAD = ("songping", "lead-Passw0rd-松坪")
LEAD_VILLAGE, LEAD_TOWN = "松坪村", "白云乡"
OWN_WORKER = "松坪村|谭莹|9107"  # on the roster; the hostile page's first row is her call


@dataclass
class Dashboard:
    url: str
    engine: Engine
    store: FilledStore


def log_in(page: Page, dashboard: Dashboard, user: tuple[str, str], name: str) -> None:
    """Log `user` in through the form (screenshot `{name}-login`); land on the overview."""
    page.goto(f"{dashboard.url}/")
    expect(page).to_have_url(f"{dashboard.url}/login?next=/")
    assert page.locator('form[action="/login"] input[type="hidden"][name="csrf_token"]').count()
    page.fill('input[name="username"]', user[0])
    page.fill('input[name="password"]', user[1])
    shot(page, f"{name}-login")
    page.click('form[action="/login"] button[type="submit"]')
    expect(page).to_have_url(f"{dashboard.url}/")


def log_out(page: Page, dashboard: Dashboard) -> None:
    """Log out with the header's button; the session is gone afterwards."""
    page.click('form[action="/logout"] button[type="submit"]')
    expect(page).to_have_url(f"{dashboard.url}/login")
    page.goto(f"{dashboard.url}/")  # the session is gone: back to the log-in page
    expect(page).to_have_url(f"{dashboard.url}/login?next=/")
