"""A backfill over an existing store writes only what really changed (issue 16 item 3)."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, func, select

from config.settings import RulesSettings
from lianxin.rules.evaluate import evaluate
from lianxin.rules.replay import ReplayResult, days_between, replay
from lianxin.store import schema as t
from lianxin.store.writes import save_results
from personas import checkins, roster

RULES = RulesSettings()
FIRST, LAST = date(2026, 11, 3), date(2026, 11, 16)
EV, OB, W = t.obligation_events, t.obligations, t.workers


def _clock(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def _daily_runs(engine: Engine, published: dict[date, dict[str, date]]) -> None:
    """Run each day as the daily flow does, publishing each day's calls just before."""
    for n, day in enumerate(days_between(FIRST, LAST)):
        if day in published:
            save_results(engine, [checkins("2026-11", published[day])], _clock(day))
        evaluate(engine, day, RULES, _clock(day), mode="full" if n == 0 else "incremental")


def _backfill(engine: Engine, dry_run: bool = False) -> ReplayResult:
    later = _clock(LAST) + timedelta(days=1)
    days = replay(engine, FIRST, LAST, RULES, lambda: later, dry_run=dry_run)
    while True:
        try:
            next(days)
        except StopIteration as stop:
            result: ReplayResult = stop.value
            return result


def _state(engine: Engine) -> dict[str, tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(W.c.name, OB.c.kind, OB.c.period, OB.c.status, OB.c.level).join(
                W, W.c.key == OB.c.subject
            )
        )
        return {
            f"{name} {kind} {period}": (status, level) for name, kind, period, status, level in rows
        }


def _events(engine: Engine) -> list[tuple[str, date, str | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(W.c.name, EV.c.as_of, EV.c.old_status, EV.c.new_status)
            .join(OB, OB.c.id == EV.c.obligation_id)
            .join(W, W.c.key == OB.c.subject)
            .order_by(EV.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _store_with_a_fortnight_run(engine: Engine) -> None:
    # 张伟 was called on the 6th, after the first replayed day: the day that reopens him.
    save_results(engine, [roster()], _clock(FIRST))
    _daily_runs(engine, {date(2026, 11, 6): {"张伟": date(2026, 11, 6)}})


def test_a_backfill_of_days_already_run_writes_no_event(engine: Engine) -> None:
    _store_with_a_fortnight_run(engine)
    before, state = _events(engine), _state(engine)
    assert ("张伟", date(2026, 11, 6), "open", "done") in before
    result = _backfill(engine)
    assert _events(engine) == before
    assert _state(engine) == state
    assert result.written == {}
    # The replay did go through the churn (张伟 reopened on the 3rd), it just was not recorded.
    assert result.days[0].transitions.get("monthly_checkin:done→open") == 1


def test_a_late_call_inside_the_replayed_days_is_written_once_on_its_day(engine: Engine) -> None:
    _store_with_a_fortnight_run(engine)
    before, state = _events(engine), _state(engine)
    assert state["刘洋 monthly_checkin 2026-11"][0] in ("overdue", "escalated")
    # Published on the 17th, the call was made on the 9th: inside the window after all.
    save_results(
        engine,
        [checkins("2026-11", {"张伟": date(2026, 11, 6), "刘洋": date(2026, 11, 9)}, "v2")],
        _clock(LAST),
    )
    result = _backfill(engine)
    after = _events(engine)
    assert after[: len(before)] == before
    old = state["刘洋 monthly_checkin 2026-11"][0]
    assert after[len(before) :] == [("刘洋", date(2026, 11, 9), old, "done")]
    assert result.written == {f"monthly_checkin:{old}→done": 1}
    assert _state(engine)["刘洋 monthly_checkin 2026-11"][0] == "done"
    others = {k: v for k, v in _state(engine).items() if not k.startswith("刘洋")}
    assert others == {k: v for k, v in state.items() if not k.startswith("刘洋")}
    # Replaying again changes nothing more.
    assert _backfill(engine).written == {}
    assert len(_events(engine)) == len(after)


def test_a_dry_run_backfill_writes_nothing(engine: Engine) -> None:
    _store_with_a_fortnight_run(engine)
    save_results(
        engine,
        [checkins("2026-11", {"张伟": date(2026, 11, 6), "刘洋": date(2026, 11, 9)}, "v2")],
        _clock(LAST),
    )
    before, state = _events(engine), _state(engine)
    with engine.connect() as conn:
        runs = conn.execute(select(func.count()).select_from(t.rule_runs)).scalar()
    assert _backfill(engine, dry_run=True).written
    assert (_events(engine), _state(engine)) == (before, state)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.rule_runs)).scalar() == runs


def test_a_backfill_on_a_fresh_store_keeps_each_birth_and_where_it_ended(engine: Engine) -> None:
    save_results(
        engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 6)})], _clock(FIRST)
    )
    result = _backfill(engine)
    events = _events(engine)
    assert ("张伟", FIRST, None, "open") in events
    assert ("张伟", date(2026, 11, 6), "open", "done") in events
    assert [e for e in events if e[0] == "张伟"] == [
        ("张伟", FIRST, None, "open"),
        ("张伟", date(2026, 11, 6), "open", "done"),
    ]
    assert result.written
