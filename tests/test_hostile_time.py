"""Time is bounded: no call, problem mark or waiver may be dated after today (Asia/Shanghai) or
before anything it could belong to, the rules never run ahead of the calendar, and a store
pushed into the future by older code is put back by `lianxin db repair-clock`.

Today is noon on 12 November 2026 in Shanghai. 李建国's workers of 青山村: 张伟 was called on
3 November, 刘洋 is two days late; 周敏's 王磊 of 河湾村 too. The supervision group's notice
lists 青山村's water supply (found 2 November).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from test_dashboard_auth import log_in
from test_dashboard_problems import WATER, notice, post_mark
from test_dashboard_problems import problem as problem_row
from test_dashboard_problems import web as web  # noqa: F401 - the problems board fixture
from test_dashboard_worker import Site, build_site, csrf, post_call, url
from typer.testing import CliRunner

from config.settings import RulesSettings, Settings
from lianxin.cli.app import app
from lianxin.dates_allowed import check_day, day_refusal, earliest_day, rules_day
from lianxin.errors import DateOutOfRange, ProblemMarkRefused
from lianxin.rules.evaluate import evaluate
from lianxin.rules.waivers import add_waiver
from lianxin.services import problems as marking
from lianxin.services.calls import record_call
from lianxin.services.clock_repair import repair_clock
from lianxin.services.reevaluate import evaluate_after_import
from lianxin.store import reads
from lianxin.store import schema as t
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import FETCHED, SHANGHAI, checkins, roster

TODAY = date(2026, 11, 12)
NOON = datetime(2026, 11, 12, 12, 0, tzinfo=SHANGHAI)
FUTURE = datetime(2030, 1, 5, 9, 0, tzinfo=SHANGHAI)  # where the tester's dates led
RULES = RulesSettings()
HOSTILE = ["2030-01-01", "1900-01-01"]
TABLES = ["checkins", "obligations", "obligation_events", "waivers", "rule_runs", "audit_log"]
runner = CliRunner()


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


def seed(engine: Engine) -> None:
    """The personas' roster, 张伟's November call and the notice, evaluated as of today."""
    save_results(
        engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)}), notice()], FETCHED
    )
    evaluate(engine, TODAY, RULES, FETCHED)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Return the row counts that any write would change, and the rules' day."""
    with engine.connect() as conn:
        counts: dict[str, Any] = {
            name: conn.execute(select(func.count()).select_from(t.metadata.tables[name])).scalar()
            for name in TABLES
        }
        p = t.problems
        counts["marks"] = conn.execute(
            select(p.c.key, p.c.status, p.c.rectified_on, p.c.verified_on).order_by(p.c.key)
        ).all()
    counts["rules_day"] = reads.last_evaluated_day(engine)
    return counts


def obligation_states(engine: Engine) -> set[tuple[str, str, str, str, int]]:
    o = t.obligations
    with engine.connect() as conn:
        rows = conn.execute(select(o.c.kind, o.c.subject, o.c.period, o.c.status, o.c.level))
        return {tuple(r) for r in rows}  # type: ignore[misc]


def worker_key(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(select(t.workers.c.key).where(t.workers.c.name == name)).scalar_one()
        )


# --- the bounds, pure ----------------------------------------------------------------------------


def test_the_floor_is_the_first_of_the_month_a_year_back_across_a_new_year() -> None:
    assert earliest_day(TODAY) == date(2025, 11, 1)
    assert earliest_day(date(2026, 1, 31)) == date(2025, 1, 1)
    assert earliest_day(date(2026, 12, 1)) == date(2025, 12, 1)


def test_a_day_is_allowed_from_the_floor_to_today_both_included() -> None:
    floor = earliest_day(TODAY)
    assert day_refusal(TODAY, floor, TODAY) is None
    assert day_refusal(floor, floor, TODAY) is None
    assert day_refusal(date(2026, 11, 13), floor, TODAY) == "future"
    assert day_refusal(date(2025, 10, 31), floor, TODAY) == "too_early"
    with pytest.raises(DateOutOfRange) as refused:
        check_day("call_date", date(2030, 1, 1), TODAY)
    assert (refused.value.field, refused.value.reason) == ("call_date", "future")
    assert refused.value.latest == TODAY and str(refused.value) == (
        "call_date 2030-01-01 is after today (2026-11-12)"
    )
    assert rules_day(date(2030, 1, 1), TODAY) == TODAY
    assert rules_day(date(2026, 11, 1), TODAY) == date(2026, 11, 1)


# --- refused in the domain -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", HOSTILE)
def test_record_call_refuses_a_day_after_today_or_decades_back_and_stores_nothing(
    engine: Engine, clock: None, typed: str
) -> None:
    seed(engine)
    before = snapshot(engine)
    with pytest.raises(DateOutOfRange) as refused:
        record_call(engine, "刘洋", date.fromisoformat(typed), True, RULES, datetime.now(SHANGHAI))
    assert refused.value.reason == ("future" if typed > "2026" else "too_early")
    assert snapshot(engine) == before


def test_record_call_takes_today_and_the_floor(engine: Engine, clock: None) -> None:
    seed(engine)
    now = datetime.now(SHANGHAI)
    assert record_call(engine, "刘洋", TODAY, True, RULES, now).period == "2026-11"
    assert record_call(engine, "王磊", earliest_day(TODAY), True, RULES, now).period == "2025-11"


@pytest.mark.parametrize("typed", HOSTILE)
def test_add_waiver_refuses_a_day_out_of_range(engine: Engine, clock: None, typed: str) -> None:
    seed(engine)
    with pytest.raises(DateOutOfRange), engine.begin() as conn:
        add_waiver(
            conn,
            worker_key(engine, "刘洋"),
            "moved_out",
            "迁往长沙",
            "王芳（村支书）",
            date.fromisoformat(typed),
            datetime.now(SHANGHAI),
        )
    assert snapshot(engine)["waivers"] == 0


def test_a_problem_without_a_found_day_cannot_be_marked_in_1999(engine: Engine) -> None:
    published = notice()
    for p in published.problems:
        p.found = None
    save_results(engine, [roster(), published], FETCHED)
    with pytest.raises(ProblemMarkRefused) as refused, engine.begin() as conn:
        marking.mark_rectified(conn, WATER, date(1999, 1, 1), TODAY, FETCHED)
    assert refused.value.reason == "too_early"
    with engine.begin() as conn:  # within the year it is allowed
        marking.mark_rectified(conn, WATER, date(2026, 11, 10), TODAY, FETCHED)


def test_the_rules_day_never_moves_past_today_after_a_call(engine: Engine, clock: None) -> None:
    seed(engine)
    evaluate(engine, date(2030, 1, 1), RULES, FETCHED)  # as an old run ahead of the calendar did
    done = record_call(engine, "刘洋", TODAY, True, RULES, datetime.now(SHANGHAI))
    assert done.stats.as_of == TODAY
    assert reads.last_evaluated_day(engine) == TODAY


def test_an_import_evaluates_as_of_today_when_asked_for_a_later_day(
    engine: Engine, clock: None
) -> None:
    seed(engine)
    # What evaluate_after_import reads of an ImportResult: a roster was written.
    imported: Any = SimpleNamespace(written=True, periods=[], last_call=None)
    stats = evaluate_after_import(
        engine, imported, RULES, datetime.now(SHANGHAI), as_of=date(2030, 1, 1)
    )
    assert stats is not None and stats.as_of == TODAY
    assert reads.last_evaluated_day(engine) == TODAY


# --- refused by the CLI ---------------------------------------------------------------------------


def cli_commands(day: str) -> list[list[str]]:
    return [
        ["checkin", "record", "刘洋", "--date", day],
        [
            "waive",
            "青山村|刘洋|2222",
            "--category",
            "moved_out",
            "--reason",
            "迁走",
            "--by",
            "王芳",
        ],
        ["problem", "rectified", WATER, "--on", day],
    ]


@pytest.mark.parametrize("typed", HOSTILE)
@pytest.mark.parametrize("which", [0, 1, 2], ids=["checkin", "waive", "problem"])
def test_the_cli_refuses_the_day_in_one_line_with_exit_2_and_changes_nothing(
    settings: Settings, clock: None, typed: str, which: int
) -> None:
    engine = engine_for(settings.database_url)
    seed(engine)
    before = snapshot(engine)
    args = cli_commands(typed)[which]
    if which == 1:
        args = [*args, "--on", typed]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("error:") and "Traceback" not in result.output
    assert typed in result.output
    assert snapshot(engine) == before


# --- refused by the dashboard --------------------------------------------------------------------


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    with time_machine.travel(NOON, tick=True):
        yield build_site(engine, tmp_path)


@pytest.mark.parametrize(
    ("typed", "words"),
    [("2030-01-01", "日期不能晚于今天"), ("1900-01-01", "只能填写近12个月内的日期")],
)
def test_the_call_form_refuses_the_day_with_422_and_stores_nothing(
    site: Site, typed: str, words: str
) -> None:
    lead = site.as_user("wangfang")  # the log-in is audited: counted before
    before = snapshot(site.engine)
    answer = post_call(lead, site.key("刘洋"), call_date=typed)
    assert answer.status_code == 422
    assert words in answer.text and 'id="error-call_date"' in answer.text
    assert snapshot(site.engine) == before


@pytest.mark.parametrize(
    ("typed", "words"),
    [("2030-01-01", "The date cannot be after today"), ("1900-01-01", "within the last 12 months")],
)
def test_the_waiver_form_refuses_the_day_with_422_and_stores_nothing(
    site: Site, typed: str, words: str
) -> None:
    lead = site.as_user("wangfang")
    before = snapshot(site.engine)
    key = site.key("刘洋")
    form = {"category": "moved_out", "kind": "*", "reason": "迁往长沙", "given_on": typed}
    path = f"{url(key)}/waivers?lang=en"
    answer = lead.post(path, data={**form, "csrf_token": csrf(lead, "/")})
    assert answer.status_code == 422
    assert 'id="error-given_on"' in answer.text and words in answer.text
    assert snapshot(site.engine) == before


def test_the_waiver_form_keeps_a_day_given_in_range(site: Site) -> None:
    lead = site.as_user("wangfang")
    key = site.key("刘洋")
    form = {"category": "moved_out", "kind": "*", "reason": "迁往长沙", "given_on": "2026-11-05"}
    token = csrf(lead, "/")
    answer = lead.post(
        f"{url(key)}/waivers", data={**form, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    with site.engine.connect() as conn:
        assert conn.execute(select(t.waivers.c.given_on)).scalar_one() == date(2026, 11, 5)
    assert site.status("刘洋") == "waived"


@pytest.mark.parametrize(
    ("typed", "words"), [("2030-01-01", "日期不能晚于今天"), ("1900-01-01", "日期不能早于发现")]
)
def test_the_problems_board_refuses_the_mark_day_with_422(
    web: TestClient,  # noqa: F811
    engine: Engine,
    typed: str,
    words: str,
) -> None:
    log_in(web, "wangfang")
    before = problem_row(engine, WATER)
    answer = post_mark(web, WATER, "rectified", on=typed)
    assert answer.status_code == 422 and words in answer.text
    assert problem_row(engine, WATER) == before


# --- repaired ------------------------------------------------------------------------------------


def push_into_the_future(engine: Engine) -> None:
    """Do what the old code allowed: a call, a mark and a waiver dated 2030, the rules with them."""
    with time_machine.travel(FUTURE, tick=False):
        now = datetime.now(SHANGHAI)
        record_call(engine, "刘洋", date(2030, 1, 3), True, RULES, now)
        marking.mark(engine, "rectified", WATER, date(2030, 1, 2), RULES, now)
        with engine.begin() as conn:
            add_waiver(
                conn, worker_key(engine, "王磊"), "moved_out", "迁走", "周敏", date(2030, 1, 2), now
            )
        evaluate(engine, date(2030, 1, 4), RULES, now)


def test_repair_puts_a_store_pushed_into_2030_back_to_today_and_then_finds_nothing(
    engine: Engine, clock: None
) -> None:
    seed(engine)
    good = obligation_states(engine)
    push_into_the_future(engine)
    assert reads.last_evaluated_day(engine) == date(2030, 1, 4)
    assert obligation_states(engine) != good
    now = datetime.now(SHANGHAI)
    repaired = repair_clock(engine, TODAY, RULES, now)
    assert repaired.undone["checkins"] == 1 and repaired.undone["rectified_marks"] == 1
    assert repaired.undone["waivers"] == 1 and repaired.undone["obligations_created"] > 0
    assert repaired.undone["obligations_moved"] > 0 and repaired.undone["rule_runs"] >= 1
    # The statuses and escalation levels a fresh evaluation as of today gives.
    assert obligation_states(engine) == good
    assert reads.last_evaluated_day(engine) == TODAY
    assert problem_row(engine, WATER) == {
        "status": "open",
        "rectified_on": None,
        "verified_on": None,
    }
    with engine.connect() as conn:
        assert conn.execute(select(func.max(t.compliance.c.period))).scalar() == "2026-11"
        assert conn.execute(select(func.max(t.obligation_events.c.as_of))).scalar() == TODAY
    runs = snapshot(engine)["rule_runs"]
    again = repair_clock(engine, TODAY, RULES, datetime.now(SHANGHAI))
    assert again.nothing and snapshot(engine)["rule_runs"] == runs


def test_lianxin_db_repair_clock_says_what_it_undid_audits_it_and_twice_says_nothing(
    settings: Settings, clock: None
) -> None:
    engine = engine_for(settings.database_url)
    seed(engine)
    push_into_the_future(engine)
    dry = runner.invoke(app, ["db", "repair-clock", "--dry-run"], env={"COLUMNS": "200"})
    assert dry.exit_code == 0, dry.output
    assert "1 check-ins dated after today or for a later month deleted (dry run" in dry.output
    assert reads.last_evaluated_day(engine) == date(2030, 1, 4)  # nothing changed
    result = runner.invoke(app, ["db", "repair-clock"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "1 waivers given after today deleted" in lines
    assert "1 problem rectifications dated after today cleared" in lines
    assert lines[-1] == "re-evaluated as of 2026-11-12, compliance refreshed"
    assert reads.last_evaluated_day(engine) == TODAY
    a = t.audit_log
    with engine.connect() as conn:
        detail = conn.execute(select(a.c.detail).where(a.c.action == "repair_clock")).scalar_one()
    assert detail["checkins"] == 1
    second = runner.invoke(app, ["db", "repair-clock"])
    assert second.exit_code == 0
    assert second.output.strip() == "nothing dated after 2026-11-12: nothing to undo"
