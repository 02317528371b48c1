"""Measure the dashboard's overview at province scale, and the refresh of its aggregates.

Run: .venv/bin/python benchmarks/dashboard_bench.py [--db URL] [--requests 20] [--skip-refresh]

The store is `--db`, else `var/bench/province.db` (written by `engine_bench.py --scale
province`), else a county generated with `lianxin.synth` and evaluated (var/bench/
dashboard-county.db, replaced each run). The store is migrated to head and its `compliance`
rows refreshed for every month (timed), as the followups flow keeps them.

Figures, one JSON line each on stdout ({"name", "value", "unit", ...}):

- refresh.one_period, refresh.all_periods   refresh_compliance wall, rows written
- overview.<scope>.p50 / .p95 / .max        server time of one overview request over
  `--requests` requests, for the province and for its largest county: a fresh connection,
  `data.overview`, its three SVG charts and a Jinja2 render of the page's tables
- peak_rss                                  the process's high-water mark, SQLite cache included

The page rendered is this script's stand-in for `templates/overview.html` (same data, same
charts, a table per level); the output says so with `"render": "stand-in"`.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the lianxin package and config

from engine_bench import emit, note  # noqa: E402  (same figures, same format)
from jinja2 import Environment, select_autoescape  # noqa: E402
from sqlalchemy import Engine, func, select  # noqa: E402

from lianxin.dashboard import charts, data  # noqa: E402
from lianxin.store import schema as t  # noqa: E402
from lianxin.store.aggregates import all_periods, refresh_compliance  # noqa: E402
from lianxin.store.db import make_engine, migrate  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
PROVINCE_DB = BENCH_DIR / "province.db"
PERIOD = "2026-11"
TODAY = date(2026, 11, 9)  # the day the province store was evaluated as of

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>总览 {{ view.period }}</title></head><body><main>
<h1>{{ view.period }} 回访完成率 {{ view.totals.rate }}%</h1>
<ul><li>应回访 {{ view.totals.due }}</li><li>已回访 {{ view.totals.done }}</li>
<li>逾期 {{ view.totals.overdue }}</li><li>已上报 {{ view.totals.escalated }}</li>
<li>收入风险 {{ view.risk_flags }}</li><li>7日内到期问题 {{ view.problems_due_soon }}</li>
<li>逾期问题 {{ view.problems_overdue }}</li></ul>
<figure>{{ status_chart | safe }}</figure><figure>{{ place_chart | safe }}</figure>
<figure>{{ trend_chart | safe }}</figure>
<table><thead><tr><th>地区</th><th>应回访</th><th>已回访</th><th>逾期</th><th>完成率</th></tr>
</thead><tbody>{% for p in view.places %}<tr><td>
<a href="?{{ view.level }}={{ p.name | urlencode }}">{{ p.name }}</a></td>
<td>{{ p.due }}</td><td>{{ p.done }}</td><td>{{ p.overdue }}</td><td>{{ p.rate }}</td></tr>
{% endfor %}</tbody></table>
<table><tbody>{% for v in view.worst_villages %}<tr><td>{{ v.county }}</td><td>{{ v.town }}</td>
<td>{{ v.village }}</td><td>{{ v.late }}</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""


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


def render_overview(engine: Engine, page: Any, county: str | None) -> int:
    """Serve one overview as the page would: data, charts, HTML; return the page's length."""
    with engine.connect() as conn:
        view = data.overview(conn, PERIOD, TODAY, county=county)
    status = {s: int(view.totals[s]) for s in data.STATUSES}
    html = page.render(
        view=view,
        status_chart=charts.stacked_bar(status, "本月回访状态"),
        place_chart=charts.bar_chart(
            [(str(p["name"]), float(p["rate"] or 0)) for p in view.places], "完成率", 100.0
        ),
        trend_chart=charts.line_chart(
            [m["period"] for m in view.trend], {"完成率": [m["rate"] for m in view.trend]}, "趋势"
        ),
    )
    return len(html)


def time_overview(engine: Engine, scope: str, county: str | None, requests: int) -> None:
    page = Environment(autoescape=select_autoescape(default=True)).from_string(PAGE)
    walls, size = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        size = render_overview(engine, page, county)
        walls.append((time.perf_counter() - started) * 1000)
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    extra = {"requests": requests, "render": "stand-in", "html_bytes": size}
    if county:
        extra["county"] = county
    emit(f"overview.{scope}.p50", statistics.median(walls), "ms", **extra)
    emit(f"overview.{scope}.p95", p95, "ms", **extra)
    emit(f"overview.{scope}.max", walls[-1], "ms", **extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="store URL (default: var/bench/province.db if present)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--skip-refresh", action="store_true", help="compliance is up to date")
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
    time_overview(engine, "province", None, args.requests)
    time_overview(engine, "county", county, args.requests)
    emit("peak_rss", peak_rss_mb(), "MB")


if __name__ == "__main__":
    main()
