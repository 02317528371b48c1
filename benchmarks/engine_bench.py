"""Measure the rule engine at the scales of DESIGN.md, on SQLite and on PostgreSQL.

Run: .venv/bin/python benchmarks/engine_bench.py --scale county|province [--backend sqlite]
(or `make bench SCALE=county`). For each backend it generates a synthetic store
(`lianxin.synth`), then times, each step in a fresh child process so that its peak RSS is its
own (read with os.wait4 when the child exits):

- generate     the synthetic months of history, bulk loaded
- floor        one hand-written SQL query for the overdue list only (the least any engine does)
- full         evaluate(..., mode="full") as of the 8th of the last month
- daily        the next day's trickle: ~1 % of workers get a call published, a few rosters change
- incremental  evaluate(..., mode="incremental") as of that next day
- naive        a loop over SQLAlchemy ORM objects on a 10,000-worker sample, extrapolated

Every figure is one JSON line on stdout: {"name": ..., "value": ..., "unit": ...}; progress and
details go to stderr. PostgreSQL runs on a throw-away server (tests/pg.py) and is skipped with a
message when initdb/pg_ctl are missing. Peak RSS is the Python process's; on PostgreSQL the
server's own memory is not in it.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
END_PERIOD = "2026-11"
AS_OF = date(2026, 11, 8)  # the full run: the 8th of the last generated month
NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NEXT_DAY = AS_OF + timedelta(days=1)
PUBLISHED_NEXT_DAY = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)
NOW_NEXT_DAY = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
OWED = ("employed", "looking")
NAIVE_KIND = "naive_checkin"  # the naive loop writes beside the engine's obligations, not over

FLOOR_SQL = """
SELECT w.key, w.cadre_key
FROM workers w
WHERE w.status IN ('employed', 'looking')
  AND NOT EXISTS (
    SELECT 1 FROM checkins c
    WHERE c.matched_key = w.key
      AND c.period_index = :period_index
      AND (c.call_date IS NULL OR c.call_date <= :as_of)
  )
"""


# The server's memory and checkpoints as docs/operations.md recommends for a province store
# (PostgreSQL's defaults are sized for a small machine: 128 MB of shared buffers, 4 MB per sort).
PG_SETTINGS = {
    "shared_buffers": "2GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "12GB",
    "max_wal_size": "8GB",
    "random_page_cost": "1.1",
}


def emit(name: str, value: float | int | None, unit: str, **extra: Any) -> None:
    """Print one figure as a JSON line on stdout."""
    if isinstance(value, float):
        value = round(value, 4 if abs(value) < 10 else 1)
    print(json.dumps({"name": name, "value": value, "unit": unit, **extra}), flush=True)


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- steps (run in a child process)


def _engine(url: str) -> Any:
    from lianxin.store.db import make_engine

    return make_engine(url)


def step_generate(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from lianxin.store.db import migrate
    from lianxin.synth import generate

    engine = _engine(url)
    migrate(engine)
    started = time.perf_counter()
    stats = generate(
        engine, args.scale, months=args.months, end_period=END_PERIOD, seed=args.seed,
        progress=True, analyze=not args.no_analyze,
    )  # fmt: skip
    wall = time.perf_counter() - started
    engine.dispose()  # SQLite folds its write-ahead log back into the file on close
    size = _database_size(engine)
    engine.dispose()
    return {"wall": wall, "stats": stats.as_dict(), "size_bytes": size}


def step_floor(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import text

    from config.settings import RulesSettings
    from lianxin.records import period_index
    from lianxin.rules.checkin import checkin_window

    rules = RulesSettings()
    window = checkin_window(
        END_PERIOD, rules.checkin_first_day, rules.checkin_last_day, rules.move_due_past_holidays
    )
    as_of = window.due + timedelta(days=1)
    engine = _engine(url)
    with engine.connect() as conn:
        started = time.perf_counter()
        rows = conn.execute(
            text(FLOOR_SQL),
            {"period_index": period_index(END_PERIOD), "as_of": as_of.isoformat()},
        ).all()
        wall = time.perf_counter() - started
    engine.dispose()
    return {"wall": wall, "rows": len(rows), "as_of": as_of.isoformat()}


COMMITTING: list[float] = []  # when evaluate() began its commit (profile only)


def _profile(engine: Any, label: str) -> None:
    """Time every SQL statement `engine` runs; one JSON line per statement on stderr.

    Each line names the rule function that issued it (the nearest frame in lianxin.rules other
    than transitions.py), the statement's first 120 characters, its row count and seconds; a
    last line, rule "commit", times the commit.
    """
    from sqlalchemy import event

    started: list[float] = []

    def rule_frame() -> str:
        frame = sys._getframe(2)
        names: list[str] = []
        while frame is not None:
            path = frame.f_code.co_filename
            if "/lianxin/" in path and "/sqlalchemy/" not in path:
                names.append(f"{Path(path).stem}.{frame.f_code.co_name}")
            frame = frame.f_back  # type: ignore[assignment]
        rules = [n for n in names if not n.startswith(("transitions.", "upsert."))]
        return rules[0] if rules else (names[0] if names else "?")

    @event.listens_for(engine, "before_cursor_execute")
    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    @event.listens_for(engine, "commit")
    def committing(*_: Any) -> None:
        # The commit is no statement: its time is what evaluate() spends after this line.
        COMMITTING.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - started.pop()
        print(json.dumps({
            "profile": label, "rule": rule_frame(), "s": round(seconds, 4),
            "rows": cursor.rowcount, "sql": " ".join(statement.split())[:120],
        }, ensure_ascii=False), file=sys.stderr, flush=True)  # fmt: skip


def _evaluate(
    url: str, as_of: date, now: datetime, mode: str, profile: bool = False
) -> dict[str, Any]:
    from config.settings import RulesSettings
    from lianxin.rules.evaluate import evaluate

    engine = _engine(url)
    if profile:
        _profile(engine, mode)
    kwargs: dict[str, Any] = {}
    if "mode" in inspect.signature(evaluate).parameters:
        kwargs["mode"] = mode
    elif mode != "full":
        engine.dispose()
        return {"skipped": "lianxin.rules.evaluate.evaluate() has no mode= parameter yet"}
    started = time.perf_counter()
    stats = evaluate(engine, as_of, RulesSettings(), now, **kwargs)
    finished = time.perf_counter()
    wall = finished - started
    if profile and COMMITTING:
        seconds = round(finished - COMMITTING[-1], 4)
        print(json.dumps({"profile": mode, "rule": "commit", "s": seconds, "rows": -1,
                          "sql": "COMMIT"}), file=sys.stderr, flush=True)  # fmt: skip
    engine.dispose()
    return {"wall": wall, "stats": stats.as_dict()}


def step_full(url: str, args: argparse.Namespace) -> dict[str, Any]:
    return _evaluate(url, AS_OF, NOW, "full", args.profile)


def step_daily(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from lianxin.synth import publish_next_day

    engine = _engine(url)
    started = time.perf_counter()
    stats = publish_next_day(engine, NEXT_DAY, PUBLISHED_NEXT_DAY, share=0.01, seed=args.seed)
    wall = time.perf_counter() - started
    engine.dispose()
    return {"wall": wall, "stats": stats.as_dict()}


def step_incremental(url: str, args: argparse.Namespace) -> dict[str, Any]:
    return _evaluate(url, NEXT_DAY, NOW_NEXT_DAY, "incremental", args.profile)


def step_full_next_day(url: str, args: argparse.Namespace) -> dict[str, Any]:
    return _evaluate(url, NEXT_DAY, NOW_NEXT_DAY + timedelta(minutes=5), "full")


def step_naive(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Time the first thing one writes: per worker, load calls, decide in Python, save."""
    from sqlalchemy import delete, func, select
    from sqlalchemy.orm import Session, registry

    from config.settings import RulesSettings
    from lianxin.rules.checkin import checkin_window, period_of
    from lianxin.store import schema as t

    class Worker:
        pass

    class CheckIn:
        pass

    class Obligation:
        def __init__(self, **values: Any) -> None:
            for name, value in values.items():
                setattr(self, name, value)

    mapper = registry()
    mapper.map_imperatively(Worker, t.workers)
    mapper.map_imperatively(CheckIn, t.checkins)
    mapper.map_imperatively(Obligation, t.obligations)
    W: Any = Worker  # mapped attributes are only known at run time
    C: Any = CheckIn
    Ob: Any = Obligation

    rules = RulesSettings()
    window = checkin_window(
        period_of(AS_OF),
        rules.checkin_first_day,
        rules.checkin_last_day,
        rules.move_due_past_holidays,
    )
    engine = _engine(url)
    with Session(engine) as session:
        owed_total = session.scalar(select(func.count()).where(t.workers.c.status.in_(OWED)))
        started = time.perf_counter()
        workers = session.scalars(
            select(W).where(W.status.in_(OWED)).order_by(W.id).limit(args.naive_sample)
        ).all()
        for worker in workers:
            calls = session.scalars(
                select(C).where(C.matched_key == worker.key, C.period == window.period)
            ).all()
            if any(c.call_date is None or c.call_date <= AS_OF for c in calls):
                status = "done"
            elif AS_OF > window.due:
                status = "overdue"
            else:
                status = "open"
            obligation = session.scalars(
                select(Ob).where(
                    Ob.kind == NAIVE_KIND, Ob.subject == worker.key, Ob.period == window.period
                )
            ).first()
            if obligation is None:
                session.add(
                    Ob(
                        kind=NAIVE_KIND,
                        subject=worker.key,
                        owner=worker.cadre_key or "",
                        period=window.period,
                        window_start=window.start,
                        due=window.due,
                        status=status,
                        created_at=NOW,
                        changed_at=NOW,
                    )
                )
            elif obligation.status != status:
                obligation.status = status
                obligation.changed_at = NOW
        session.commit()
        wall = time.perf_counter() - started
        session.execute(delete(t.obligations).where(t.obligations.c.kind == NAIVE_KIND))
        session.commit()
    engine.dispose()
    sample = len(workers)
    return {
        "wall": wall,
        "sample": sample,
        "owed_total": int(owed_total or 0),
        "extrapolated": wall * int(owed_total or 0) / sample if sample else None,
    }


def _database_size(engine: Any) -> int | None:
    from sqlalchemy import text

    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


STEPS = {
    "generate": step_generate,
    "floor": step_floor,
    "full": step_full,
    "daily": step_daily,
    "incremental": step_incremental,
    "full_next_day": step_full_next_day,
    "naive": step_naive,
}


def run_step(args: argparse.Namespace) -> None:
    result = STEPS[args.step](args.url, args)
    print(json.dumps(result, default=str))


# ---------------------------------------------------------------- the parent: orchestrate, report


def child(step: str, url: str, args: argparse.Namespace) -> tuple[dict[str, Any] | None, float]:
    """Run `step` in a fresh Python process; return its result and its peak RSS in MB."""
    command = [
        sys.executable, __file__, "--step", step, "--url", url, "--scale", args.scale,
        "--months", str(args.months), "--seed", str(args.seed),
        "--naive-sample", str(args.naive_sample), *(["--no-analyze"] if args.no_analyze else []),
        *(["--profile"] if args.profile else []),
    ]  # fmt: skip
    note(f"[{args.scale}] {step} …")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    timer = threading.Timer(args.step_timeout, process.kill)
    timer.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    if process.returncode == -signal.SIGKILL:
        note(f"[{args.scale}] {step} timed out after {args.step_timeout:.0f}s")
        emit(f"{args.scale}.{step}.timed_out", args.step_timeout, "s", url=_safe(url))
        return None, peak_mb
    if process.returncode != 0:
        note(f"[{args.scale}] {step} failed with exit code {process.returncode}")
        return None, peak_mb
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result, peak_mb


def _safe(url: str) -> str:
    return url.split("@")[-1]


def run_backend(backend: str, url: str, args: argparse.Namespace) -> dict[str, float | None]:
    """Run every step on one backend and emit its figures; return those the summary quotes."""
    name = f"{args.scale}.{backend}"
    summary: dict[str, float | None] = dict.fromkeys(SUMMARY)

    cached = _cached_store(backend, args)
    if cached is not None and cached.exists():
        # Reuse a store generated earlier (SQLite only): copy it back, then time the rest.
        shutil.copyfile(cached, _sqlite_path(url))
        generated = json.loads(cached.with_suffix(".json").read_text())
        peak = generated.pop("peak_rss")
        note(f"[{args.scale}] generate: reused {cached}")
    else:
        generated, peak = child("generate", url, args)
        if generated is None:
            return summary
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_sqlite_path(url), cached)
            cached.with_suffix(".json").write_text(json.dumps({**generated, "peak_rss": peak}))
    stats = generated["stats"]
    emit(f"{name}.generate.wall", generated["wall"], "s")
    emit(f"{name}.generate.peak_rss", peak, "MB")
    emit(f"{name}.generate.checkins", stats["checkins"], "rows")
    emit(f"{name}.generate.rows_per_s", _rows(stats) / generated["wall"], "rows/s")
    emit(f"{name}.database_size", (generated["size_bytes"] or 0) / 2**20, "MB")
    summary["generate_s"] = generated["wall"]
    note(json.dumps(stats, ensure_ascii=False))

    floor, _ = child("floor", url, args)
    if floor is not None:
        emit(f"{name}.floor.wall", floor["wall"], "s")
        summary["floor_s"] = floor["wall"]
        emit(f"{name}.floor.overdue", floor["rows"], "workers", as_of=floor["as_of"])

    full, peak = child("full", url, args)
    if full is not None:
        emit(f"{name}.full.wall", full["wall"], "s")
        emit(f"{name}.full.peak_rss", peak, "MB")
        summary["full_s"], summary["full_peak_rss_mb"] = full["wall"], peak
        if floor is not None and floor["wall"] > 0:
            emit(f"{name}.full_vs_floor", full["wall"] / floor["wall"], "ratio")
            summary["full_vs_floor"] = full["wall"] / floor["wall"]
        note(json.dumps(full["stats"]))

    daily, _ = child("daily", url, args)
    if daily is not None:
        emit(f"{name}.daily.wall", daily["wall"], "s")
        emit(f"{name}.daily.checkins", daily["stats"]["checkins"], "rows")

    incremental, peak = child("incremental", url, args)
    if incremental is not None and "skipped" in incremental:
        note(f"[{args.scale}] incremental skipped: {incremental['skipped']}")
        emit(f"{name}.incremental.wall", None, "s", note=incremental["skipped"])
    elif incremental is not None:
        emit(f"{name}.incremental.wall", incremental["wall"], "s")
        emit(f"{name}.incremental.peak_rss", peak, "MB")
        summary["incremental_s"], summary["incremental_peak_rss_mb"] = incremental["wall"], peak
        if incremental["stats"].get("mode") not in (None, "incremental"):
            note(f"[{args.scale}] evaluate() ran the incremental request as a full run")
        if full is not None and incremental["wall"] > 0:
            emit(f"{name}.full_vs_incremental", full["wall"] / incremental["wall"], "ratio")
        note(json.dumps(incremental["stats"]))

    if args.full_next_day:
        again, peak = child("full_next_day", url, args)
        if again is not None:
            emit(f"{name}.full_next_day.wall", again["wall"], "s")
            emit(f"{name}.full_next_day.peak_rss", peak, "MB")

    naive, peak = child("naive", url, args)
    if naive is not None and naive["sample"]:
        emit(f"{name}.naive.sample_wall", naive["wall"], "s", workers=naive["sample"])
        emit(f"{name}.naive.peak_rss", peak, "MB")
        emit(f"{name}.naive.extrapolated_wall", naive["extrapolated"], "s",
             workers=naive["owed_total"])  # fmt: skip
        if full is not None and full["wall"] > 0:
            emit(f"{name}.naive_vs_full", naive["extrapolated"] / full["wall"], "ratio")
    return summary


# What the closing summary line quotes per backend.
SUMMARY = (
    "generate_s", "floor_s", "full_s", "full_vs_floor", "full_peak_rss_mb", "incremental_s",
    "incremental_peak_rss_mb",
)  # fmt: skip


def emit_summary(scale: str, backends: dict[str, dict[str, float | None]]) -> None:
    """Emit PostgreSQL against SQLite, then one line quoting every backend's figures together."""
    ratios: dict[str, float] = {}
    sqlite_, pg = backends.get("sqlite"), backends.get("postgresql")
    for step in ("full", "incremental"):
        on_sqlite = sqlite_.get(f"{step}_s") if sqlite_ else None
        on_pg = pg.get(f"{step}_s") if pg else None
        if on_sqlite and on_pg is not None:
            ratios[step] = on_pg / on_sqlite
            emit(f"{scale}.postgresql_vs_sqlite.{step}", ratios[step], "ratio")
    rounded = {
        backend: {key: None if v is None else round(v, 2) for key, v in figures.items()}
        for backend, figures in backends.items()
    }
    emit(
        f"{scale}.summary", None, "", **rounded,
        postgresql_vs_sqlite={step: round(r, 2) for step, r in ratios.items()},
    )  # fmt: skip


def _cached_store(backend: str, args: argparse.Namespace) -> Path | None:
    if args.reuse is None or backend != "sqlite":
        return None
    # Keyed by the schema's migration head too: a store made before a migration (an index
    # added, say) would time the old schema.
    from lianxin.store.maintenance import shipped_heads

    head = "-".join(shipped_heads())
    return Path(args.reuse) / f"{args.scale}-m{args.months}-s{args.seed}-r{head}.db"


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _rows(stats: dict[str, Any]) -> int:
    return sum(stats[k] for k in ("regions", "cadres", "workers", "checkins", "problems"))


def _load_pg_helper() -> Any:
    spec = importlib.util.spec_from_file_location("lianxin_bench_pg", ROOT / "tests" / "pg.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextmanager
def postgres_url(scale: str) -> Iterator[str | None]:
    pg = _load_pg_helper()
    if pg.pg_bin_dir() is None:
        note("PostgreSQL skipped: no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin")
        yield None
        return
    with pg.throwaway_postgres(PG_SETTINGS) as server:
        server.admin(f"CREATE DATABASE bench_{scale}")
        yield server.url(f"bench_{scale}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["village", "county", "province"], default="county")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--naive-sample", type=int, default=10_000)
    parser.add_argument(
        "--full-next-day", action="store_true", help="also time a full run on the next day"
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave the generated store without planner statistics (as an installed one is)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="time every SQL statement of the evaluations: JSON lines on stderr",
    )
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="SQLite: keep the generated store in DIR and reuse it on later runs",
    )
    parser.add_argument("--step-timeout", type=float, default=1800, help="seconds per step")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        run_step(args)
        return 0
    backends: dict[str, dict[str, float | None]] = {}
    if args.backend in ("sqlite", "both"):
        path = ROOT / "var" / "bench" / f"{args.scale}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(path.name + "*"):
            old.unlink()
        backends["sqlite"] = run_backend("sqlite", f"sqlite:///{path}", args)
    if args.backend in ("postgresql", "both"):
        with postgres_url(args.scale) as url:
            if url is not None:
                backends["postgresql"] = run_backend("postgresql", url, args)
    emit_summary(args.scale, backends)
    return 0


if __name__ == "__main__":
    sys.exit(main())
