"""A caseload handed over: 李建国 (青山村) leaves his post and 周敏 takes his workers.

Ends with one owner per call, the new cadre in the digests from the next stage, no reminder
sent twice; a re-published roster still naming 李建国 does not take the caseload back.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from config.settings import NotifySettings, RulesSettings, Settings
from lianxin.cli.app import app
from lianxin.errors import HandoverRefused
from lianxin.notify.deliver import deliver
from lianxin.notify.digests import build_checkin_digests
from lianxin.rules.evaluate import evaluate
from lianxin.services.handover import handover
from lianxin.store import schema as t
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import FETCHED, roster

RULES = RulesSettings()
OLD, NEW = "石桥镇|李建国", "石桥镇|周敏"
LATER = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)


def owners(engine: Engine, period: str) -> Counter[str]:
    o = t.obligations
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.c.owner).where(
                o.c.kind == "monthly_checkin",
                o.c.period == period,
                o.c.status.in_(("open", "overdue", "escalated")),
            )
        ).scalars()
        return Counter(rows)


def ledger(engine: Engine) -> list[tuple[str, str]]:
    r = t.reminders
    with engine.connect() as conn:
        return [tuple(x) for x in conn.execute(select(r.c.recipient, r.c.idempotency_key))]


def send(engine: Engine, day: date, notify: NotifySettings, now: datetime) -> int:
    with engine.connect() as conn:
        digests = build_checkin_digests(conn, day, RULES)
    return deliver(engine, digests, notify, now).sent


def per_cadre(engine: Engine) -> dict[str, int]:
    counts = Counter(key.split("@")[0].rsplit("/", 1)[-1] for _, key in ledger(engine))
    return {OLD: counts[OLD], NEW: counts[NEW]}


def test_a_handover_ends_with_one_owner_and_no_duplicate_reminder(
    engine: Engine, tmp_path: Path
) -> None:
    notify = NotifySettings(outbox_dir=tmp_path / "outbox")
    save_results(engine, [roster()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    assert owners(engine, "2026-11") == {OLD: 2, NEW: 1}  # 张伟, 刘洋; 王磊
    assert send(engine, date(2026, 11, 8), notify, FETCHED) == 2
    before = per_cadre(engine)

    preview = handover(engine, OLD, NEW, None, LATER, actor="test", dry_run=True)
    assert (preview.workers, preview.obligations, preview.applied) == (3, 2, False)
    assert owners(engine, "2026-11") == {OLD: 2, NEW: 1}  # a dry run changes nothing
    done = handover(engine, OLD, NEW, None, LATER, actor="test")
    assert (done.workers, done.obligations, done.villages) == (3, 2, {"青山村": 3})
    assert owners(engine, "2026-11") == {NEW: 3}

    evaluate(engine, date(2026, 11, 9), RULES, LATER)
    assert send(engine, date(2026, 11, 9), notify, LATER) == 0  # the same stage: sent already
    evaluate(engine, date(2026, 11, 10), RULES, LATER)
    with engine.connect() as conn:
        digests = build_checkin_digests(conn, date(2026, 11, 10), RULES)
    assert [(d.cadre_key, sorted(i.worker_name for i in d.items)) for d in digests] == [
        (NEW, ["刘洋", "张伟", "王磊"])
    ]
    assert send(engine, date(2026, 11, 10), notify, LATER) == 1
    after = per_cadre(engine)
    keys = [key for _, key in ledger(engine)]
    # No call reminded twice at one stage, whoever it went to; and no key twice.
    r = t.reminders
    with engine.connect() as conn:
        sent = conn.execute(select(r.c.stage, r.c.obligations).where(r.c.outcome == "sent"))
        reminded = Counter((stage, ob) for stage, obs in sent for ob in obs)
    duplicates = len(keys) - len(set(keys)) + sum(n - 1 for n in reminded.values())
    assert duplicates == 0 and len(reminded) == 6  # 3 calls x 2 stages
    assert before == {OLD: 1, NEW: 1} and after == {OLD: 1, NEW: 2}

    # The village re-publishes its roster still naming 李建国: the caseload stays with 周敏,
    # and December's calls are owed to 周敏.
    save_results(engine, [roster("v2")], LATER)
    with engine.connect() as conn:
        cadres = Counter(conn.execute(select(t.workers.c.cadre_key)).scalars())
        audit_events = conn.execute(
            select(func.count())
            .select_from(t.obligation_events)
            .where(t.obligation_events.c.actor == "handover")
        ).scalar_one()
    assert cadres == {NEW: 4}
    assert audit_events == 2
    evaluate(engine, date(2026, 12, 3), RULES, datetime(2026, 12, 3, 1, tzinfo=UTC))
    assert owners(engine, "2026-12") == {NEW: 3}
    print(
        json.dumps(
            {
                "handover_test": "sqlite" if engine.dialect.name == "sqlite" else "postgresql",
                "obligations_moved": done.obligations,
                "workers_moved": done.workers,
                "reminders_before": before,
                "reminders_after": after,
                "duplicates": duplicates,
            },
            ensure_ascii=False,
        )
    )


def test_a_village_handover_moves_only_that_village(engine: Engine) -> None:
    save_results(engine, [roster()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    done = handover(engine, NEW, OLD, "河湾村", LATER, actor="test")
    assert (done.workers, done.obligations) == (1, 1)
    assert owners(engine, "2026-11") == {OLD: 3}
    with pytest.raises(HandoverRefused) as empty:
        handover(engine, NEW, OLD, "河湾村", LATER, actor="test")
    assert empty.value.reason == "empty"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [("无名氏", NEW, "unknown"), (OLD, "nobody", "unknown"), (OLD, "李建国", "same")],
)
def test_a_handover_to_an_unknown_or_the_same_cadre_is_refused(
    engine: Engine, old: str, new: str, reason: str
) -> None:
    save_results(engine, [roster()], FETCHED)
    with pytest.raises(HandoverRefused) as refused:
        handover(engine, old, new, None, LATER, actor="test")
    assert refused.value.reason == reason


runner = CliRunner()


def test_the_cli_previews_hands_over_and_refuses(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    save_results(engine, [roster()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)

    dry = runner.invoke(app, ["cadres", "handover", "李建国", "周敏", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would hand 3 workers and 2 open follow-ups" in dry.output and "青山村: 3" in dry.output
    assert owners(engine, "2026-11") == {OLD: 2, NEW: 1}

    real = runner.invoke(app, ["cadres", "handover", "李建国", "周敏", "--village", "青山村"])
    assert real.exit_code == 0, real.output
    figures = json.loads(real.output.strip().splitlines()[-1])["handover"]
    assert (figures["obligations"], figures["applied"]) == (2, True)
    assert owners(engine, "2026-11") == {NEW: 3}
    with engine.connect() as conn:
        row = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.target, t.audit_log.c.detail)
        ).one()
    assert row.action == "cadre_handover" and row.target == OLD and row.detail["to"] == NEW

    for args, words in (
        (["无名氏", "周敏"], "no cadre on file"),
        (["周敏", "周敏"], "cannot hand a caseload to themselves"),
        (["李建国", "周敏"], "looks after no workers"),
    ):
        refused = runner.invoke(app, ["cadres", "handover", *args])
        assert refused.exit_code == 2, refused.output
        assert words in refused.output and "Traceback" not in refused.output
