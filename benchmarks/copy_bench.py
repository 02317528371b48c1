"""Measure `lianxin db copy`: a synthetic SQLite store copied into a throw-away PostgreSQL.

Run: .venv/bin/python benchmarks/copy_bench.py --scale county|province [--reuse]
It generates the synthetic store (`lianxin.synth`) at var/bench/copy-<scale>.db (kept; `--reuse`
copies it again without generating), evaluates it in full as of the 8th of its last month, so
obligations and their history are there too, then copies it with the service behind
`lianxin db copy` (lianxin.services.store_copy) into a PostgreSQL started for the run
(tests/pg.py). Every figure is one JSON line on stdout ({"name", "value", "unit", …}): rows,
seconds and rows/s of the whole copy, rows/s of each table over 10,000 rows, peak RSS of this
process, and whether every count matched. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 8)
NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)


def emit(name: str, value: float | int | bool, unit: str, **extra: Any) -> None:
    """Print one figure as a JSON line on stdout."""
    if isinstance(value, float):
        value = round(value, 3 if abs(value) < 10 else 1)
    print(json.dumps({"name": name, "value": value, "unit": unit, **extra}), flush=True)


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _pg_helper() -> Any:
    spec = importlib.util.spec_from_file_location("lianxin_bench_pg", ROOT / "tests" / "pg.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _source(scale: str, reuse: bool) -> Path:
    from config.settings import RulesSettings
    from lianxin.rules.evaluate import evaluate
    from lianxin.store.db import make_engine, migrate
    from lianxin.synth import generate

    path = ROOT / "var" / "bench" / f"copy-{scale}.db"
    if reuse and path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    started = time.perf_counter()
    generate(engine, scale, progress=False)
    note(f"generated {scale} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    evaluate(engine, AS_OF, RulesSettings(), NOW)
    note(f"evaluated in full in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["village", "county", "province"], default="county")
    parser.add_argument("--reuse", action="store_true", help="copy the store a run left")
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args(argv)

    from lianxin.services.store_copy import copy_store
    from lianxin.store.db import make_engine

    pg = _pg_helper()
    if pg.pg_bin_dir() is None:
        note("skipped: no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin")
        return 0
    source = make_engine(f"sqlite:///{_source(args.scale, args.reuse)}")
    tables: dict[str, list[float]] = {}  # table → [started, finished, rows]

    def progress(table: str, done: int, total: int) -> None:
        now = time.perf_counter()
        span = tables.setdefault(table, [now, now, 0])
        span[1], span[2] = now, done
        if total and (done == total or done % 500_000 < args.batch <= done):
            note(f"  {table}: {done:,} of {total:,}")

    with pg.throwaway_postgres() as server:
        server.admin("CREATE DATABASE copy_bench")
        target = make_engine(server.url("copy_bench"))
        result = copy_store(source, target, batch=args.batch, progress=progress)
        target.dispose()
    scale = args.scale
    emit("copy_rows", result.rows, "rows", scale=scale)
    emit("copy_seconds", result.seconds, "s", scale=scale, batch=args.batch)
    emit("copy_rate", result.rows_per_second, "rows/s", scale=scale)
    for table, (first, last, rows) in sorted(tables.items(), key=lambda kv: -kv[1][2]):
        if rows >= 10_000 and last > first:
            emit(
                "copy_table_rate",
                rows / (last - first),
                "rows/s",
                scale=scale,
                table=table,
                rows=int(rows),
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    emit("copy_peak_rss", peak, "MB", scale=scale)
    emit("copy_counts_equal", result.equal, "bool", scale=scale)
    return 0 if result.equal else 1


if __name__ == "__main__":
    sys.exit(main())
