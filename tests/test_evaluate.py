import threading
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select

from config.settings import RulesSettings
from lianxin.rules.evaluate import evaluate
from lianxin.rules.transitions import hold_evaluation_lock
from lianxin.store import schema as t
from lianxin.store.writes import save_results
from personas import checkins, roster

NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
RULES = RulesSettings()


def _statuses(engine: Engine, period: str = "2026-11") -> dict[str, str]:
    o, w = t.obligations, t.workers
    with engine.connect() as conn:
        rows = conn.execute(
            select(w.c.name, o.c.status).join(w, w.c.key == o.c.subject).where(o.c.period == period)
        )
        return dict(rows.all())


def test_it_owes_a_call_for_workers_employed_or_looking_but_not_returned(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    stats = evaluate(engine, date(2026, 11, 2), RULES, NOW)
    assert stats.created == 3
    assert _statuses(engine) == {"张伟": "open", "刘洋": "open", "王磊": "open"}


def test_it_marks_a_call_done_once_it_is_published(engine: Engine) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, date(2026, 11, 8), RULES, NOW)
    assert _statuses(engine) == {"张伟": "done", "刘洋": "open", "王磊": "open"}


def test_it_keeps_calls_open_on_the_tenth_and_overdue_from_the_eleventh(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    evaluate(engine, date(2026, 11, 10), RULES, NOW)
    assert set(_statuses(engine).values()) == {"open"}
    evaluate(engine, date(2026, 11, 11), RULES, NOW)
    assert set(_statuses(engine).values()) == {"overdue"}


def test_it_closes_an_overdue_call_when_a_late_call_is_published(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    save_results(engine, [checkins("2026-11", {"刘洋": date(2026, 11, 13)})], NOW)
    evaluate(engine, date(2026, 11, 14), RULES, NOW)
    assert _statuses(engine)["刘洋"] == "done"
    with engine.connect() as conn:
        history = conn.execute(
            select(
                t.obligation_events.c.old_status,
                t.obligation_events.c.new_status,
                t.obligation_events.c.reason,
            )
            .join(t.obligations, t.obligations.c.id == t.obligation_events.c.obligation_id)
            .join(t.workers, t.workers.c.key == t.obligations.c.subject)
            .where(t.workers.c.name == "刘洋")
            .order_by(t.obligation_events.c.id)
        ).all()
    # The first run came after the due date: the obligation was born overdue, saying so, and a
    # history row closes it when the late call is published.
    assert [(old, new) for old, new, _ in history] == [(None, "overdue"), ("overdue", "done")]
    assert history[0].reason == "no call recorded by the due date"
    assert history[1].reason == "a call of this month is recorded"


def test_a_full_run_over_published_calls_creates_them_done_with_one_history_row(
    engine: Engine,
) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    stats = evaluate(engine, date(2026, 11, 8), RULES, NOW)
    assert _statuses(engine) == {"张伟": "done", "刘洋": "open", "王磊": "open"}
    # Born done, not born open and moved a moment later: no transition, one row each.
    assert stats.created == 3 and stats.transitions == {}
    with engine.connect() as conn:
        events = conn.execute(
            select(t.workers.c.name, t.obligation_events.c.old_status,
                   t.obligation_events.c.new_status, t.obligation_events.c.reason)
            .join(t.obligations, t.obligations.c.id == t.obligation_events.c.obligation_id)
            .join(t.workers, t.workers.c.key == t.obligations.c.subject)
        ).all()  # fmt: skip
    assert sorted((name, old, new) for name, old, new, _ in events) == [
        ("刘洋", None, "open"), ("张伟", None, "done"), ("王磊", None, "open"),
    ]  # fmt: skip
    # A birth row says how the obligation started; why it exists is its detail, not copied.
    reasons = {name: reason for name, _, _, reason in events}
    assert reasons == {
        "张伟": "a call of this month is recorded", "刘洋": "created", "王磊": "created",
    }  # fmt: skip


def test_it_replays_an_earlier_day_deterministically(engine: Engine) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 6)})], NOW)
    evaluate(engine, date(2026, 11, 8), RULES, NOW)
    evaluate(engine, date(2026, 11, 4), RULES, NOW)  # before the call was made
    assert _statuses(engine)["张伟"] == "open"


def test_it_changes_nothing_when_the_same_day_is_evaluated_twice(engine: Engine) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(t.obligation_events)).scalar()
    second = evaluate(engine, date(2026, 11, 12), RULES, NOW)
    assert second.created == 0 and second.transitions == {}
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(t.obligation_events)).scalar() == events
        )


def test_it_writes_nothing_on_a_dry_run(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    stats = evaluate(engine, date(2026, 11, 2), RULES, NOW, dry_run=True)
    assert stats.created == 3
    assert _statuses(engine) == {}


def test_it_follows_a_configured_window_of_the_first_fifteen_days(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    stats = evaluate(engine, date(2026, 11, 12), RulesSettings(checkin_last_day=15), NOW)
    assert stats.due == date(2026, 11, 15)  # a Sunday, but no official holiday: not moved
    assert set(_statuses(engine).values()) == {"open"}


def test_a_second_evaluation_waits_until_the_first_has_ended(engine: Engine) -> None:
    # Two at once would each write the same moves into the history; PostgreSQL's full runs
    # also rely on it to insert without ON CONFLICT.
    save_results(engine, [roster()], NOW)
    ended = threading.Event()

    def second() -> None:
        evaluate(engine, date(2026, 11, 8), RULES, NOW)
        ended.set()

    with engine.connect() as first:
        first.begin()
        hold_evaluation_lock(first)  # PostgreSQL: the advisory lock
        first.execute(t.rule_runs.delete())  # SQLite: its one writer's lock (deletes nothing)
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not ended.wait(1.0)
        first.commit()
    waiting.join(30)
    assert ended.is_set()
    assert set(_statuses(engine).values()) == {"open"}
