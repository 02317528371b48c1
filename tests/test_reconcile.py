from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from lianxin.records import CheckIn, Worker, WorkStatus
from lianxin.rules.checkin import checkin_window
from lianxin.rules.reconcile import reconcile
from lianxin.store import schema as t
from lianxin.store.writes import save_results
from personas import VILLAGE, checkins, roster

NOW = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
STATUSES = ["employed", "looking"]


def _findings(engine: Engine) -> list[tuple[str, str]]:
    with engine.begin() as conn:
        reconcile(conn, [checkin_window("2026-11")], STATUSES, NOW)
        rows = conn.execute(
            select(t.findings.c.kind, t.findings.c.subject).order_by(
                t.findings.c.kind, t.findings.c.subject
            )
        ).all()
    return [(kind, subject) for kind, subject in rows]


def _call(name: str, phone: str | None, day: date, village: str = VILLAGE) -> CheckIn:
    return CheckIn(
        worker_name=name, worker_phone=phone, village=village, period="2026-11", call_date=day
    )


def _matched(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.checkins.c.worker_key, t.checkins.c.matched_key)).all()
    return {key: matched for key, matched in rows}


def test_it_matches_a_call_published_without_a_phone_to_the_only_worker_of_that_name(
    engine: Engine,
) -> None:
    page = checkins("2026-11", {})
    page.checkins = [_call("张 伟", None, date(2026, 11, 3))]
    save_results(engine, [roster(), page], NOW)
    assert _matched(engine) == {"青山村|张伟|": "青山村|张伟|1111"}


def test_it_matches_a_call_published_before_the_roster_once_the_roster_arrives(
    engine: Engine,
) -> None:
    save_results(engine, [checkins("2026-11", {"刘洋": date(2026, 11, 4)})], NOW)
    assert _matched(engine) == {"青山村|刘洋|2222": None}
    save_results(engine, [roster()], NOW)
    assert _matched(engine) == {"青山村|刘洋|2222": "青山村|刘洋|2222"}


def test_it_leaves_a_call_unmatched_when_two_namesakes_could_be_meant(engine: Engine) -> None:
    crowded = roster()
    crowded.workers.append(
        Worker(name="张伟", phone="13700009999", village=VILLAGE, status=WorkStatus.employed)
    )
    page = checkins("2026-11", {})
    page.checkins = [_call("张伟", None, date(2026, 11, 3))]
    save_results(engine, [crowded, page], NOW)
    assert _matched(engine) == {"青山村|张伟|": None}
    assert ("unknown_worker", "青山村|张伟|") in _findings(engine)


def test_it_lists_roster_workers_missing_from_the_villages_table(engine: Engine) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    findings = _findings(engine)
    assert ("missing_checkin", "青山村|刘洋|2222") in findings
    # 陈静 came home: nobody owes her a call. 王磊's village published no table yet.
    assert not any("陈静" in s or "王磊" in s for _, s in findings)


def test_it_finds_unknown_duplicate_and_out_of_window_calls(engine: Engine) -> None:
    page = checkins("2026-11", {})
    page.checkins = [
        _call("张伟", "138****1111", date(2026, 11, 3)),
        _call("张伟", None, date(2026, 11, 4)),  # the same worker again, without a phone
        _call("刘洋", "138****2222", date(2026, 11, 15)),  # after the due date
        _call("赵六", "139****0000", date(2026, 11, 5)),  # on no roster
    ]
    save_results(engine, [roster(), page], NOW)
    findings = _findings(engine)
    assert ("duplicate_checkin", "青山村|张伟|1111") in findings
    assert ("outside_window", "青山村|刘洋|2222") in findings
    assert ("unknown_worker", "青山村|赵六|0000") in findings


def test_it_finds_one_phone_shared_by_two_roster_workers(engine: Engine) -> None:
    shared = roster()
    shared.workers[1] = shared.workers[1].model_copy(update={"phone": "13800001111"})
    save_results(engine, [shared, checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    assert ("shared_phone", "phone …1111") in _findings(engine)


def test_it_replaces_a_periods_findings_on_every_reconciliation(engine: Engine) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    first = _findings(engine)
    assert _findings(engine) == first
