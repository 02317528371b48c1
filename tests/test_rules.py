"""The follow-up rules beyond the monthly call, on SQLite and PostgreSQL alike.

Personas: cadre 李建国 looks after 张伟 (employed), 刘洋 (looking for work) and 陈静 (home) in
青山村; cadre 周敏 looks after 王磊 in 河湾村.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, case, select

from config.settings import RulesSettings
from lianxin.records import CheckIn, ParseResult, Problem, WorkStatus
from lianxin.rules import escalation
from lianxin.rules.evaluate import evaluate
from lianxin.rules.waivers import add_waiver
from lianxin.store import schema as t
from lianxin.store.writes import save_results
from personas import VILLAGE, checkins, page_hash, roster

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
RULES = RulesSettings()
ZHANG = "青山村|张伟|1111"
LIU = "青山村|刘洋|2222"


def _page(period: str, calls: list[CheckIn], tag: str = "") -> ParseResult:
    page = checkins(period, {}, version=f"{tag}{len(calls)}")
    page.report = page.report.model_copy(
        update={
            "url": f"{page.report.url}{tag}",
            "content_hash": page_hash(f"{period}{tag}{calls!r}"),
        }
    )
    page.checkins = calls
    return page


def _call(name: str, phone: str, period: str, day: date, **fields: object) -> CheckIn:
    return CheckIn(
        worker_name=name,
        worker_phone=phone,
        village=VILLAGE,
        period=period,
        call_date=day,
        **fields,
    )  # type: ignore[arg-type]


def _obligations(
    engine: Engine, kind: str, period: str | None = None
) -> dict[str, tuple[str, str, int]]:
    o = t.obligations
    query = select(o.c.subject, o.c.status, o.c.due, o.c.level).where(o.c.kind == kind)
    if period is not None:
        query = query.where(o.c.period == period)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {s: (status, str(due), level) for s, status, due, level in rows}


def test_two_unanswered_months_running_owe_a_home_visit(engine: Engine) -> None:
    save_results(
        engine,
        [
            roster(),
            _page(
                "2026-09",
                [
                    _call("张伟", "138****1111", "2026-09", date(2026, 9, 3), reached=False),
                ],
            ),
            _page(
                "2026-10",
                [
                    _call("张伟", "138****1111", "2026-10", date(2026, 10, 4), reached=False),
                    _call("刘洋", "138****2222", "2026-10", date(2026, 10, 4), reached=False),
                ],
            ),
        ],
        NOW,
    )
    evaluate(engine, date(2026, 10, 6), RULES, NOW)
    visits = _obligations(engine, "home_visit")
    assert visits == {ZHANG: ("open", "2026-10-18", 0)}  # 刘洋 missed only one month


def test_a_home_visit_is_done_once_a_later_call_gets_through(engine: Engine) -> None:
    test_two_unanswered_months_running_owe_a_home_visit(engine)
    save_results(
        engine,
        [
            _page(
                "2026-11",
                [
                    _call("张伟", "138****1111", "2026-11", date(2026, 11, 2), reached=True),
                ],
                tag="b",
            )
        ],
        NOW,
    )
    evaluate(engine, date(2026, 11, 3), RULES, NOW)
    assert _obligations(engine, "home_visit")[ZHANG][0] == "done"


def test_no_income_owes_employment_assistance_within_seven_days(engine: Engine) -> None:
    save_results(
        engine,
        [
            roster(),
            _page(
                "2026-11",
                [
                    _call("张伟", "138****1111", "2026-11", date(2026, 11, 3), income_yuan=0),
                    _call(
                        "刘洋",
                        "138****2222",
                        "2026-11",
                        date(2026, 11, 4),
                        income_yuan=3000,
                        status=WorkStatus.employed,
                    ),
                ],
            ),
        ],
        NOW,
    )
    evaluate(engine, date(2026, 11, 5), RULES, NOW)
    assert _obligations(engine, "employment_assistance") == {ZHANG: ("open", "2026-11-10", 0)}
    evaluate(engine, date(2026, 11, 11), RULES, NOW)
    assert _obligations(engine, "employment_assistance")[ZHANG][0] == "overdue"


def test_an_income_far_below_the_workers_own_median_raises_a_county_flag(engine: Engine) -> None:
    incomes = {"2026-07": 5000, "2026-08": 5200, "2026-09": 4800, "2026-10": 2000}
    pages = [roster()] + [
        _page(p, [_call("张伟", "138****1111", p, date(int(p[:4]), int(p[5:]), 3), income_yuan=v)])
        for p, v in incomes.items()
    ]
    save_results(engine, pages, NOW)
    stats = evaluate(engine, date(2026, 11, 2), RULES, NOW)
    with engine.connect() as conn:
        flags = conn.execute(
            select(
                t.risk_flags.c.subject,
                t.risk_flags.c.period,
                t.risk_flags.c.income_yuan,
                t.risk_flags.c.reference_yuan,
            )
        ).all()
    assert stats.risk_flags == 1
    assert [tuple(f) for f in flags] == [(ZHANG, "2026-10", 2000, 5000)]  # median of 3


@pytest.mark.parametrize(
    ("incomes", "latest", "reference"),
    [
        ({"2026-07": 3000, "2026-08": 6000, "2026-09": 4000}, 2300, 4000),  # the middle one
        ({"2026-07": 6000, "2026-08": 4000, "2026-09": 3000}, 2300, 4000),
        ({"2026-08": 3000, "2026-09": 5000}, 2300, 4000),  # two months: their mean
        ({"2026-09": 4000}, 2300, 4000),  # one month: that income
        ({"2026-06": 9000, "2026-07": 3000, "2026-08": 6000, "2026-09": 4000}, 2300, 4000),
        ({"2026-07": 3000, "2026-08": 6000, "2026-09": 4000}, 2500, None),  # 62.5 %: no flag
    ],
)
def test_the_median_is_of_the_three_reported_months_before_the_latest(
    engine: Engine, incomes: dict[str, int], latest: int, reference: int | None
) -> None:
    calls = {**incomes, "2026-10": latest}
    pages = [roster()] + [
        _page(p, [_call("张伟", "138****1111", p, date(int(p[:4]), int(p[5:]), 3), income_yuan=v)])
        for p, v in calls.items()
    ]
    save_results(engine, pages, NOW)
    evaluate(engine, date(2026, 11, 2), RULES, NOW)
    with engine.connect() as conn:
        flags = conn.execute(select(t.risk_flags.c.subject, t.risk_flags.c.reference_yuan)).all()
    assert [tuple(f) for f in flags] == ([] if reference is None else [(ZHANG, reference)])


def test_an_income_below_the_monitoring_line_is_flagged_without_history(engine: Engine) -> None:
    save_results(
        engine,
        [
            roster(),
            _page(
                "2026-11",
                [
                    _call("刘洋", "138****2222", "2026-11", date(2026, 11, 3), income_yuan=500),
                ],
            ),
        ],
        NOW,
    )
    assert evaluate(engine, date(2026, 11, 4), RULES, NOW).risk_flags == 1


def _notice() -> ParseResult:
    page = roster()
    page.report = page.report.model_copy(
        update={
            "url": "http://portal.test/dctb/notice.html",
            "content_hash": page_hash("notice"),
        }
    )
    page.workers, page.cadres = [], []
    page.problems = [
        Problem(
            number="一(一)1",
            place=VILLAGE,
            description="饮水工程水量不稳定",
            responsible_unit="石桥镇人民政府",
            deadline=date(2026, 11, 30),
        )
    ]
    return page


def test_a_problem_is_due_by_its_deadline_then_late_then_escalated(engine: Engine) -> None:
    save_results(engine, [_notice()], NOW)
    evaluate(engine, date(2026, 11, 25), RULES, NOW)
    ((subject, (status, due, level)),) = _obligations(engine, "problem_deadline").items()
    assert (status, due, level) == ("open", "2026-11-30", 0)
    evaluate(engine, date(2026, 12, 2), RULES, NOW)
    assert _obligations(engine, "problem_deadline")[subject][:3:2] == ("overdue", 0)
    evaluate(engine, date(2026, 12, 20), RULES, NOW)
    assert _obligations(engine, "problem_deadline")[subject][::2] == ("escalated", 3)


def test_a_rectified_problem_owes_a_return_visit_within_thirty_days(engine: Engine) -> None:
    save_results(engine, [_notice()], NOW)
    evaluate(engine, date(2026, 11, 25), RULES, NOW)
    with engine.begin() as conn:
        conn.execute(
            t.problems.update().values(status="rectified", rectified_on=date(2026, 11, 26))
        )
    evaluate(engine, date(2026, 11, 27), RULES, NOW)
    assert [v[0] for v in _obligations(engine, "problem_deadline").values()] == ["done"]
    assert [v[:2] for v in _obligations(engine, "return_visit").values()] == [
        ("open", "2026-12-26")
    ]


def test_escalation_climbs_the_ladder_and_stops_when_the_call_is_made(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    levels = []
    for day in (10, 12, 14, 18, 25):
        evaluate(engine, date(2026, 11, day), RULES, NOW)
        levels.append(_obligations(engine, "monthly_checkin", "2026-11")[ZHANG][::2])
    assert levels == [
        ("open", 0),
        ("overdue", 0),
        ("escalated", 1),
        ("escalated", 2),
        ("escalated", 3),
    ]
    save_results(
        engine,
        [
            _page(
                "2026-11",
                [
                    _call("张伟", "138****1111", "2026-11", date(2026, 11, 26)),
                ],
            )
        ],
        NOW,
    )
    evaluate(engine, date(2026, 11, 27), RULES, NOW)
    evaluate(engine, date(2026, 12, 5), RULES, NOW)
    assert _obligations(engine, "monthly_checkin", "2026-11")[ZHANG][::2] == ("done", 3)


@pytest.mark.parametrize("named", [True, False], ids=["subjects_named", "subquery"])
def test_a_waiver_closes_open_obligations_and_stops_new_ones(
    engine: Engine, named: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not named:  # past MAX_NAMED_SUBJECTS waived subjects, the scope is a subquery
        monkeypatch.setattr(escalation, "MAX_NAMED_SUBJECTS", 0)
    save_results(engine, [roster()], NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    with engine.begin() as conn:
        add_waiver(
            conn,
            ZHANG,
            "returned_for_good",
            "回乡创业，不再外出",
            "王芳（村支书）",
            date(2026, 11, 13),
            NOW,
        )
    evaluate(engine, date(2026, 11, 14), RULES, NOW)
    assert _obligations(engine, "monthly_checkin", "2026-11")[ZHANG][0] == "waived"
    evaluate(engine, date(2026, 12, 2), RULES, NOW)
    # One month at a time: keyed by subject, two months' rows would overwrite each other in
    # whatever order the database returns them.
    december = set(_obligations(engine, "monthly_checkin", "2026-12"))
    assert ZHANG not in december and LIU in december
    with engine.connect() as conn:
        reason = conn.execute(
            select(t.obligation_events.c.reason).where(t.obligation_events.c.new_status == "waived")
        ).scalar_one()
    assert "王芳（村支书）" in reason and "回乡创业" in reason


def _state(engine: Engine) -> list[tuple[object, ...]]:
    # A closed obligation's level records how far escalation went before it closed, which
    # depends on which days were run; a live one's level must agree.
    o = t.obligations
    live_level = case((o.c.status.in_(("done", "waived")), -1), else_=o.c.level)
    with engine.connect() as conn:
        obligations = conn.execute(
            select(o.c.kind, o.c.subject, o.c.period, o.c.status, live_level, o.c.due).order_by(
                o.c.kind, o.c.subject, o.c.period
            )
        ).all()
        flags = conn.execute(
            select(t.risk_flags.c.subject, t.risk_flags.c.period).order_by(t.risk_flags.c.id)
        ).all()
    return [tuple(r) for r in obligations] + [tuple(f) for f in flags]


def test_incremental_days_end_where_a_full_evaluation_ends(engine: Engine) -> None:
    days = [date(2026, 11, d) for d in (1, 3, 9, 11, 15, 19, 26)]
    late_call = _page(
        "2026-11",
        [
            _call("刘洋", "138****2222", "2026-11", date(2026, 11, 16), income_yuan=0),
        ],
    )
    save_results(engine, [roster()], NOW)
    for day in days:
        if day == date(2026, 11, 19):
            save_results(engine, [late_call], datetime(2026, 11, 19, tzinfo=UTC))
        evaluate(
            engine,
            day,
            RULES,
            datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
            mode="incremental",
        )
    incremental = _state(engine)
    with engine.begin() as conn:
        for table in (t.obligation_events, t.obligations, t.risk_flags, t.rule_runs):
            conn.execute(table.delete())
    evaluate(engine, days[-1], RULES, datetime(2026, 11, 26, 12, tzinfo=UTC), mode="full")
    assert incremental == _state(engine)
