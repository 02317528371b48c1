"""Measure building and rendering the reminder digests for a province's cadres (150,000).

Run: .venv/bin/python benchmarks/digest_bench.py [--db URL] [--as-of YYYY-MM-DD]

The store is `--db`, else `var/bench/province.db` opened read-only when it exists (written by
`engine_bench.py --scale province`), else one generated at `--scale` with `lianxin.synth` and
evaluated as engine_bench's full step does (var/bench/digest-<scale>.db, replaced each run; a
province takes ~10 minutes). `--as-of` defaults to the day the store was last evaluated, unless
another day would give more cadres a check-in digest; the figures say how many cadres that was.

Figures, one JSON line each on stdout ({"name", "value", "unit", ...}), measured in one fresh
process (peak RSS is that process's high-water mark so far, SQLite's 256 MB page cache included):

- checkin.*     build_checkin_digests: wall, digests, items, peak RSS (of the process so far)
- problem.*, escalation.*   build_problem_digests, build_escalation_digests
- render.*      Renderer().render() of every digest built: wall, digests/s, peak RSS
- total.*       the three builds and the rendering

The query plan of the check-in query and, with --profile-render N, a cProfile of rendering N
check-in digests go to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from subprocess import PIPE
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the lianxin package and config

from engine_bench import emit, note  # noqa: E402  (same figures, same format)
from sqlalchemy import Engine, create_engine, event, func, select  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
PROVINCE_DB = BENCH_DIR / "province.db"
END_PERIOD = "2026-11"
GENERATED_AS_OF = date(2026, 11, 8)  # as engine_bench: the 8th of the last generated month
GENERATED_NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# ---------------------------------------------------------------- the store


def open_store(url: str) -> Engine:
    """Return an engine with Lianxin's own SQLite pragmas (page cache, WAL), read-only or not."""
    from lianxin.store.db import _sqlite_pragmas, make_engine

    if url.startswith("sqlite:///file:"):  # a URI filename: make_engine would mkdir "file:"
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return make_engine(url)


def generate_store(scale: str, seed: int) -> str:
    """Generate and evaluate a store at `scale` in a child process; return its URL."""
    path = BENCH_DIR / f"digest-{scale}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    url = f"sqlite:///{path}"
    note(f"[digest] generating a {scale} store at {path} …")
    command = [sys.executable, __file__, "--generate-into", url, "--scale", scale]
    subprocess.run([*command, "--seed", str(seed)], cwd=ROOT, check=True)
    return url


def step_generate(url: str, scale: str, seed: int) -> None:
    """Write six months of synthetic history into `url` and evaluate it (engine_bench's full)."""
    from config.settings import RulesSettings
    from lianxin.rules.evaluate import evaluate
    from lianxin.store.db import make_engine, migrate
    from lianxin.synth import generate

    engine = make_engine(url)
    migrate(engine)
    generate(engine, scale, months=6, end_period=END_PERIOD, seed=seed, progress=True)
    evaluate(engine, GENERATED_AS_OF, RulesSettings(), GENERATED_NOW)
    engine.dispose()


def choose_as_of(engine: Engine) -> tuple[date, int, int]:
    """Return the day to build digests on, the cadres with open check-ins then, and all cadres.

    The day the store was last evaluated (its obligations' statuses are as of then), unless a
    later day on which more check-in windows have opened would cover more cadres.
    """
    from lianxin.store import schema as t

    o = t.obligations
    with engine.connect() as conn:
        evaluated = conn.scalar(select(func.max(t.rule_runs.c.as_of)))
        opened = conn.execute(
            select(o.c.window_start).where(*_open_checkins()).group_by(o.c.window_start)
        ).scalars()
        candidates = {_as_date(d) for d in opened}
        if evaluated is not None:
            candidates.add(_as_date(evaluated))
        if not candidates:
            return _as_date(evaluated or GENERATED_AS_OF), 0, _count_cadres(conn)
        covered = {day: cadres_covered(conn, day) for day in candidates}
        best = max(covered.values())
        # earliest day on or after the evaluation with the most cadres, else the earliest such day
        ranked = sorted(
            (day for day, n in covered.items() if n == best),
            key=lambda day: (evaluated is not None and day < _as_date(evaluated), day),
        )
        return ranked[0], best, _count_cadres(conn)


def _open_checkins() -> tuple[Any, ...]:
    from lianxin.records import ObligationKind, ObligationStatus
    from lianxin.store import schema as t

    o = t.obligations
    live = (ObligationStatus.open, ObligationStatus.overdue, ObligationStatus.escalated)
    return (
        o.c.kind == ObligationKind.monthly_checkin.value,
        o.c.status.in_([status.value for status in live]),
    )


def cadres_covered(conn: Any, day: date) -> int:
    """Return how many cadres have an open check-in whose window has opened by `day`."""
    from lianxin.store import schema as t

    o = t.obligations
    owners = select(func.count(o.c.owner.distinct())).where(*_open_checkins())
    return int(conn.scalar(owners.where(o.c.window_start <= day)) or 0)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _count_cadres(conn: Any) -> int:
    from lianxin.store import schema as t

    return int(conn.scalar(select(func.count()).select_from(t.cadres)) or 0)


def explain_first_query(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """Return the plan of `statement` as the database would run it (SQLite or PostgreSQL)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return [str(row[-1]) for row in rows]
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return [str(row[0]) for row in rows]


# ---------------------------------------------------------------- the measurements


def measure(engine: Engine, as_of: date, args: argparse.Namespace) -> None:
    from config.settings import NotifySettings, RulesSettings
    from lianxin.notify.digests import build_checkin_digests
    from lianxin.notify.escalation_digests import build_escalation_digests
    from lianxin.notify.problem_digests import build_problem_digests
    from lianxin.notify.render import Renderer

    rules, notify = RulesSettings(), NotifySettings()
    emit("baseline.peak_rss", peak_rss_mb(), "MB")  # the interpreter and imports, before any build

    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    with engine.connect() as conn:
        started = time.perf_counter()
        checkin = build_checkin_digests(conn, as_of, rules)
        checkin_wall = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", remember)
    items = sum(len(d.items) for d in checkin)
    emit("checkin.wall", checkin_wall, "s", as_of=as_of.isoformat())
    emit("checkin.digests", len(checkin), "digests", cadres=len({d.cadre_key for d in checkin}))
    emit("checkin.items", items, "obligations")
    emit("checkin.peak_rss", peak_rss_mb(), "MB")
    emit("checkin.items_per_s", items / checkin_wall if checkin_wall else None, "items/s")
    main_query = next((s for s in statements if "obligations" in s[0]), None)
    if main_query is not None:
        note("[digest] check-in query:\n" + main_query[0])
        note("[digest] its plan:\n  " + "\n  ".join(explain_first_query(engine, *main_query)))

    with engine.connect() as conn:
        started = time.perf_counter()
        problems = build_problem_digests(conn, as_of, rules)
        problem_wall = time.perf_counter() - started
        started = time.perf_counter()
        escalations = build_escalation_digests(conn, as_of, notify)
        escalation_wall = time.perf_counter() - started
    emit("problem.wall", problem_wall, "s")
    emit("problem.digests", len(problems), "digests", items=sum(len(d.items) for d in problems))
    emit("escalation.wall", escalation_wall, "s")
    emit(
        "escalation.digests",
        len(escalations),
        "digests",
        rows=sum(len(d.rows) for d in escalations),
    )
    emit("build.peak_rss", peak_rss_mb(), "MB")

    renderer = Renderer(max_listed=args.max_listed)
    everything: list[Any] = [*checkin, *problems, *escalations]
    characters = 0
    started = time.perf_counter()
    for digest in everything:
        title, body = renderer.render(digest)
        characters += len(title) + len(body)
    render_wall = time.perf_counter() - started
    emit("render.wall", render_wall, "s", digests=len(everything), max_listed=args.max_listed)
    emit(
        "render.digests_per_s", len(everything) / render_wall if render_wall else None, "digests/s"
    )
    emit("render.characters", characters, "characters")
    emit("render.peak_rss", peak_rss_mb(), "MB")

    total = checkin_wall + problem_wall + escalation_wall + render_wall
    emit("total.wall", total, "s", digests=len(everything))
    emit("total.peak_rss", peak_rss_mb(), "MB")

    if args.profile_render:
        sample = checkin[: args.profile_render]
        profile = cProfile.Profile()
        profile.enable()
        for digest in sample:
            renderer.render(digest)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        heading = f"[digest] rendering {len(sample)} check-in digests, by cumulative time:"
        note(f"{heading}\n{out.getvalue()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="SQLAlchemy URL of the store (default: var/bench/province.db)")
    parser.add_argument(
        "--scale",
        choices=["village", "county", "province"],
        default="province",
        help="size of the store to generate when there is none",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, help="day to build digests on")
    parser.add_argument("--max-listed", type=int, default=30, help="workers listed per message")
    parser.add_argument(
        "--profile-render", type=int, default=0, metavar="N", help="cProfile N renderings"
    )
    parser.add_argument("--generate-into", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--choose", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_into:
        step_generate(args.generate_into, args.scale, args.seed)
        return 0
    if args.choose:
        engine = open_store(args.choose)
        best, covered, cadres = choose_as_of(engine)
        if args.as_of is not None and args.as_of != best:
            note(f"[digest] --as-of {args.as_of}; the day covering the most cadres is {best}")
            with engine.connect() as conn:
                best, covered = args.as_of, cadres_covered(conn, args.as_of)
        engine.dispose()
        print(json.dumps({"as_of": best.isoformat(), "covered": covered, "cadres": cadres}))
        return 0
    if args.measure:
        engine = open_store(args.measure)
        measure(engine, args.as_of, args)
        engine.dispose()
        return 0

    if args.db:
        url = args.db
    elif PROVINCE_DB.exists():
        url = f"sqlite:///file:{PROVINCE_DB}?mode=ro&uri=true"  # never written by this bench
    else:
        url = generate_store(args.scale, args.seed)
    note(f"[digest] store {url.split('@')[-1]}")
    # Each step runs in a fresh process: Linux carries a process's peak RSS across fork and
    # exec, so the parent stays small and the measuring child owes nothing to choosing the day.
    chosen_as_of = [sys.executable, __file__, "--choose", url]
    if args.as_of:
        chosen_as_of += ["--as-of", args.as_of.isoformat()]
    chosen = json.loads(subprocess.run(chosen_as_of, cwd=ROOT, check=True, stdout=PIPE).stdout)
    emit("store.cadres", chosen["cadres"], "cadres")
    emit("store.cadres_with_open_checkins", chosen["covered"], "cadres", as_of=chosen["as_of"])
    command = [sys.executable, __file__, "--measure", url, "--as-of", chosen["as_of"]]
    command += ["--max-listed", str(args.max_listed), "--profile-render", str(args.profile_render)]
    return subprocess.run(command, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
