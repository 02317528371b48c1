"""Measure the dashboard's overview at province scale, and the refresh of its aggregates.

Run: .venv/bin/python benchmarks/dashboard_bench.py [--db URL] [--requests 20] [--skip-refresh]

The store is `--db`, else `var/bench/province.db` (written by `engine_bench.py --scale
province`), else a county generated with `lianxin.synth` and evaluated (var/bench/
dashboard-county.db, replaced each run). The store is migrated to head and its `compliance`
rows refreshed for every month (timed), as the followups flow keeps them.

Figures, one JSON line each on stdout ({"name", "value", "unit", ...}):

- refresh.one_period, refresh.all_periods   refresh_compliance wall, rows written
- page.<path>.<scope>.p50 / .p95 / .max    server time of a page over `--requests` requests,
  for a province-wide viewer, a viewer of the largest county and the lead of its largest
  village: the dashboard app itself
  (`create_app`, its middleware, the page's queries, charts and template), called in-process
  through Starlette's TestClient, timed by the app's own `Server-Timing` header
- peak_rss                                  the process's high-water mark, SQLite cache included

The viewers log in through the form, as accounts `bench-admin` (province-wide),
`bench-county` and `bench-village`, written to the store's users table with a fresh random
password each run.
"""

from __future__ import annotations

import argparse
import re
import resource
import secrets
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the lianxin package and config

from engine_bench import emit, note  # noqa: E402  (same figures, same format)
from sqlalchemy import Engine, func, select  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from config.settings import Settings  # noqa: E402
from lianxin.dashboard.app import create_app  # noqa: E402
from lianxin.dashboard.auth import create_user, set_password  # noqa: E402
from lianxin.dashboard.scope import Role, Viewer  # noqa: E402
from lianxin.store import schema as t  # noqa: E402
from lianxin.store.aggregates import all_periods, refresh_compliance  # noqa: E402
from lianxin.store.db import make_engine, migrate  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
PROVINCE_DB = BENCH_DIR / "province.db"
PERIOD = "2026-11"
TODAY = date(2026, 11, 9)  # the day the province store was evaluated as of

# The pages timed; the overview is the one with a target (≤ 500 ms at province scale).
PAGES = ["/", "/calls", "/cadres", "/problems", "/sources", "/runs"]
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def county_store() -> str:
    """Generate and evaluate a county with lianxin.synth; return its URL."""
    from config.settings import RulesSettings
    from lianxin.rules.evaluate import evaluate
    from lianxin.synth import generate

    path = BENCH_DIR / "dashboard-county.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    note("generating a county store (no province store found)")
    generate(engine, "county", months=6, end_period=PERIOD, seed=7)
    evaluate(engine, TODAY, RulesSettings(), datetime(2026, 11, 9, 2, tzinfo=UTC))
    return url


def refresh(engine: Engine) -> None:
    """Refresh one month, then every month, and emit the walls."""
    with engine.connect() as conn:
        periods = all_periods(conn)
    started = time.perf_counter()
    rows = refresh_compliance(engine, [PERIOD], datetime.now(UTC))
    emit("refresh.one_period", time.perf_counter() - started, "s", rows=rows, period=PERIOD)
    started = time.perf_counter()
    rows = refresh_compliance(engine, periods, datetime.now(UTC))
    emit("refresh.all_periods", time.perf_counter() - started, "s", rows=rows, periods=len(periods))


def client_for(engine: Engine, viewer: Viewer) -> TestClient:
    """Return a client of the dashboard on `engine`, logged in as `viewer` through the log-in
    form (the account is made, or its password reset, in the store's users table)."""
    password = secrets.token_urlsafe(16)
    with engine.begin() as conn:
        known = conn.execute(
            select(t.users.c.username).where(t.users.c.username == viewer.username)
        ).first()
        if known:
            set_password(conn, viewer.username, password)
        else:
            create_user(
                conn,
                viewer.username,
                password,
                viewer.role,
                display_name=viewer.display_name,
                county=viewer.county,
                town=viewer.town,
                village=viewer.village,
            )
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    client = TestClient(create_app(settings, engine=engine))
    form = client.get("/login").text
    token = CSRF.search(form)
    assert token, "no CSRF field on the log-in page"
    answer = client.post(
        "/login",
        data={"username": viewer.username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    if answer.status_code != 303:
        raise SystemExit(f"log-in as {viewer.username} failed: {answer.status_code}")
    return client


def time_page(client: TestClient, path: str, scope: str, requests: int, **extra: Any) -> None:
    """Request `path` `requests` times; emit p50/p95/max of the app's own server time."""
    walls: list[float] = []
    size = 0
    for _ in range(requests):
        answer = client.get(path, params={"period": PERIOD})
        if answer.status_code == 404 and not walls:
            note(f"{path}: not found for the {scope} viewer (not theirs to open); skipped")
            return
        answer.raise_for_status()
        found = SERVER_TIMING.search(answer.headers.get("server-timing", ""))
        if found is None:
            raise SystemExit(f"{path}: no Server-Timing header")
        walls.append(float(found.group(1)))
        size = len(answer.content)
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    name = "overview" if path == "/" else path.strip("/")
    figures = {"requests": requests, "html_bytes": size, **extra}
    emit(f"page.{name}.{scope}.p50", statistics.median(walls), "ms", **figures)
    emit(f"page.{name}.{scope}.p95", p95, "ms", **figures)
    emit(f"page.{name}.{scope}.max", walls[-1], "ms", **figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="store URL (default: var/bench/province.db if present)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--skip-refresh", action="store_true", help="compliance is up to date")
    parser.add_argument("--pages", nargs="*", default=PAGES, help="paths to time (default: all)")
    args = parser.parse_args()
    url = args.db or (f"sqlite:///{PROVINCE_DB}" if PROVINCE_DB.exists() else county_store())
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as conn:
        workers = conn.execute(select(func.count()).select_from(t.workers)).scalar_one()
    emit("store.workers", workers, "workers", url=engine.url.render_as_string())
    if not args.skip_refresh:
        refresh(engine)
    cp = t.compliance
    with engine.connect() as conn:
        county = conn.execute(
            select(cp.c.county)
            .where(cp.c.period == PERIOD)
            .group_by(cp.c.county)
            .order_by(func.count().desc(), cp.c.county)
            .limit(1)
        ).scalar()
        town, village = conn.execute(
            select(cp.c.town, cp.c.village)
            .where(cp.c.period == PERIOD, cp.c.county == county)
            .order_by(cp.c.due.desc(), cp.c.village)
            .limit(1)
        ).one()
    viewers = {
        "province": (Viewer("bench-admin", Role.admin, "基准测试"), {}),
        "county": (
            Viewer("bench-county", Role.county, "基准测试", county=county),
            {"county": county},
        ),
        "village": (
            Viewer("bench-village", Role.village_lead, "基准测试", town=town, village=village),
            {"village": village},
        ),
    }
    for scope, (viewer, extra) in viewers.items():
        with client_for(engine, viewer) as client:
            for path in args.pages:
                time_page(client, path, scope, args.requests, **extra)
    emit("peak_rss", peak_rss_mb(), "MB")


if __name__ == "__main__":
    main()
