"""The problems board, and marking a problem rectified (已整改) or verified (已销号).

Personas: 王芳 leads 青山村, 何婉 leads 河湾村, the supervision group (督查组) verifies, 李建国
is a cadre of 青山村. The supervision group's notice lists three problems: 青山村's water supply
(due 30 Nov), 青山村's ledger (due 5 Nov: late) and 河湾村's training records.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from test_dashboard_auth import csrf_of, log_in
from test_dashboard_cadres import add_accounts
from typer.testing import CliRunner

from config.settings import RulesSettings, Settings
from lianxin.cli.app import app as cli_app
from lianxin.dashboard.app import create_app
from lianxin.dashboard.pages import problems as problems_page
from lianxin.dashboard.scope import Role
from lianxin.records import ParseResult, Problem, ProblemStatus, Report, ReportKind, cadre_key
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.db import make_engine, migrate
from lianxin.store.writes import save_results
from personas import FETCHED, SHANGHAI, TOWN, VILLAGE, page_hash, roster

NOTICE = "http://portal.test/dctb/notice.html"
WATER = f"{NOTICE}#一(一)1"  # 青山村, due 2026-11-30
LEDGER = f"{NOTICE}#一(一)2"  # 青山村, due 2026-11-05: late
TRAINING = f"{NOTICE}#一(二)1"  # 河湾村
TODAY = date(2026, 11, 12)
NOON = datetime(2026, 11, 12, 12, 0, tzinfo=SHANGHAI)
RULES = RulesSettings()


def notice(version: str = "v1", **statuses: ProblemStatus) -> ParseResult:
    """Return the supervision group's notice; `statuses` by number override the published ones."""
    report = Report(
        source="test",
        url=NOTICE,
        kind=ReportKind.problem_list,
        title="督查发现问题清单",
        content_hash=page_hash(f"notice {version}"),
        fetched_at=FETCHED,
    )
    problems = [
        Problem(
            number="一(一)1",
            found=date(2026, 11, 2),
            place=f"{TOWN}{VILLAGE}",
            description="饮水工程水量不稳定",
            category="饮水安全",
            responsible_unit="石桥镇人民政府",
            deadline=date(2026, 11, 30),
        ),
        Problem(
            number="一(一)2",
            found=date(2026, 10, 20),
            place=f"{TOWN}{VILLAGE}",
            description="回访台账不全",
            category="就业帮扶",
            responsible_unit="青山村委会",
            deadline=date(2026, 11, 5),
        ),
        Problem(
            number="一(二)1",
            found=date(2026, 10, 25),
            place=f"{TOWN}河湾村",
            description="培训记录缺失",
            category="就业帮扶",
            responsible_unit="河湾村委会",
            deadline=date(2026, 12, 10),
        ),
    ]
    for p in problems:
        if p.number in statuses:
            p.status = statuses[p.number]
    return ParseResult(report=report, problems=problems)


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The dashboard over `engine` (SQLite, then PostgreSQL), with the notice evaluated as of
    8 Nov, its accounts, and the clock at noon on 12 Nov in Shanghai."""
    save_results(engine, [roster(), notice()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    accounts = [
        ("admin", Role.admin, None, None),
        ("wangfang", Role.village_lead, VILLAGE, None),
        ("hewan", Role.village_lead, "河湾村", None),
        ("duchazu", Role.supervision, None, None),
        ("lijianguo", Role.cadre, VILLAGE, cadre_key(TOWN, "李建国")),
    ]
    add_accounts(engine, accounts)
    settings = Settings(database_url="sqlite://", data_dir=tmp_path)
    with time_machine.travel(NOON, tick=True):
        yield TestClient(create_app(settings, engine=engine))


def post_mark(
    web: TestClient, key: str, action: str, csrf: bool = True, **form: str
) -> httpx.Response:
    data = {**form, **({"csrf_token": csrf_of(web, "/problems")} if csrf else {})}
    path = f"/problems/{quote(key, safe='')}/{action}"
    return web.post(path, data=data, follow_redirects=False)


def problem(engine: Engine, key: str) -> dict[str, Any]:
    p = t.problems
    with engine.connect() as conn:
        row = conn.execute(
            select(p.c.status, p.c.rectified_on, p.c.verified_on).where(p.c.key == key)
        ).one()
    return dict(row._mapping)


def obligations(engine: Engine, key: str) -> dict[str, tuple[str, date]]:
    o = t.obligations
    with engine.connect() as conn:
        rows = conn.execute(select(o.c.kind, o.c.status, o.c.due).where(o.c.subject == key)).all()
    return {r.kind: (r.status, r.due) for r in rows}


def audit_rows(engine: Engine) -> list[tuple[str, str, str, dict[str, Any]]]:
    a = t.audit_log
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.c.username, a.c.action, a.c.target, a.c.detail)
            .where(a.c.action.like("problem_%"))
            .order_by(a.c.id)
        ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def column(page: str, status: str) -> str:
    found = re.search(
        rf'<section class="problems-column" id="column-{status}">(.*?)</section>', page, re.S
    )
    assert found, status
    return found.group(1)


def card(html: str, text: str) -> str:
    (found,) = [a for a in html.split("<article")[1:] if text in a]
    return found


def test_the_board_shows_each_status_by_deadline_with_the_late_ones_marked(
    web: TestClient,
) -> None:
    log_in(web, "admin")
    page = web.get("/problems").text
    waiting = column(page, "open")
    assert waiting.index("回访台账不全") < waiting.index("饮水工程水量不稳定")  # by deadline
    assert re.search(r'<span class="n">3</span>', waiting)
    late, due = card(waiting, "回访台账不全"), card(waiting, "饮水工程水量不稳定")
    assert "problems-late" in late and "超期天数 7" in late
    assert "problems-late" not in due and "剩余天数 18" in due
    assert '<span class="n">0</span>' in column(page, "verified")
    english = web.get("/problems?lang=en").text
    assert "Days overdue 7" in english and "Rectified" in english


def test_the_filters_keep_a_category_a_unit_or_the_late_ones(web: TestClient) -> None:
    log_in(web, "admin")
    jobs = web.get("/problems", params={"category": "就业帮扶"}).text
    assert "回访台账不全" in jobs and "培训记录缺失" in jobs and "饮水工程" not in jobs
    unit = web.get("/problems", params={"unit": "河湾村委会"}).text
    assert "培训记录缺失" in unit and "回访台账不全" not in unit
    late = web.get("/problems", params={"late": "1"}).text
    assert "回访台账不全" in late and "培训记录缺失" not in late and "饮水工程" not in late


def test_a_village_lead_sees_only_problems_naming_their_village(
    web: TestClient, engine: Engine
) -> None:
    log_in(web, "hewan")
    page = web.get("/problems").text
    assert "培训记录缺失" in page
    assert "饮水工程" not in page and "回访台账不全" not in page
    assert "石桥镇人民政府" not in page  # not even among the filter's units
    answer = post_mark(web, WATER, "rectified", on="2026-11-10")
    assert answer.status_code == 404
    assert problem(engine, WATER)["status"] == "open"


def test_marking_rectified_meets_the_deadline_and_starts_the_return_visit_clock(
    web: TestClient, engine: Engine
) -> None:
    assert obligations(engine, WATER) == {"problem_deadline": ("open", date(2026, 11, 30))}
    log_in(web, "wangfang")
    answer = post_mark(web, WATER, "rectified", on="2026-11-10", note="新打水井一口")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/problems?done=problems.done.rectified"
    assert problem(engine, WATER) == {
        "status": "rectified",
        "rectified_on": date(2026, 11, 10),
        "verified_on": None,
    }
    assert obligations(engine, WATER) == {
        "problem_deadline": ("done", date(2026, 11, 30)),
        "return_visit": ("open", date(2026, 12, 10)),  # within 30 days (杀回马枪)
    }
    assert audit_rows(engine) == [
        (
            "wangfang",
            "problem_rectified",
            WATER,
            {"from": "open", "on": "2026-11-10", "note": "新打水井一口"},
        )
    ]
    page = web.get(answer.headers["location"]).text
    assert "回访（杀回马枪）开始计时" in page
    assert "饮水工程水量不稳定" in column(page, "rectified")


def test_the_supervision_group_verifies_after_the_return_visit(
    web: TestClient, engine: Engine
) -> None:
    log_in(web, "wangfang")
    assert post_mark(web, LEDGER, "rectified").status_code == 303  # today by default
    assert problem(engine, LEDGER)["rectified_on"] == TODAY
    web.cookies.clear()
    log_in(web, "duchazu")
    assert post_mark(web, LEDGER, "rectified").status_code == 404  # 督查组 does not rectify
    page = web.get("/problems").text
    assert f'action="/problems/{quote(LEDGER)}/verified"' in page
    assert post_mark(web, LEDGER, "verified", on="2026-11-12").status_code == 303
    assert problem(engine, LEDGER)["status"] == "verified"
    assert obligations(engine, LEDGER)["return_visit"][0] == "done"
    assert [row[:2] for row in audit_rows(engine)] == [
        ("wangfang", "problem_rectified"),
        ("duchazu", "problem_verified"),
    ]


def test_a_cadre_may_neither_rectify_nor_verify_and_sees_no_forms(
    web: TestClient, engine: Engine
) -> None:
    log_in(web, "lijianguo")
    page = web.get("/problems").text
    assert "饮水工程水量不稳定" in page and "培训记录缺失" not in page
    assert "problems-mark" not in page
    assert post_mark(web, WATER, "rectified").status_code == 404
    assert post_mark(web, WATER, "verified").status_code == 404
    assert problem(engine, WATER)["status"] == "open" and audit_rows(engine) == []


@pytest.mark.parametrize(
    ("action", "form", "message"),
    [
        ("verified", {"on": "2026-11-10"}, "只有已整改的问题才能销号。"),
        ("rectified", {"on": "2026-11-13"}, "日期不能晚于今天。"),
        ("rectified", {"on": "2026-11-01"}, "日期不能早于发现问题的日期。"),
        ("rectified", {"on": "10/11/2026", "note": "已整改"}, "日期格式应为 YYYY-MM-DD。"),
    ],
)
def test_a_mark_the_problem_does_not_allow_is_refused_and_changes_nothing(
    web: TestClient, engine: Engine, action: str, form: dict[str, str], message: str
) -> None:
    log_in(web, "admin")
    answer = post_mark(web, WATER, action, True, **form)
    assert answer.status_code == 422
    assert message in answer.text
    if action == "rectified":  # the form comes back with what was typed
        assert f'value="{form["on"]}"' in answer.text
    if "note" in form:
        assert f'value="{form["note"]}"' in answer.text
    assert problem(engine, WATER) == {"status": "open", "rectified_on": None, "verified_on": None}
    assert obligations(engine, WATER) == {"problem_deadline": ("open", date(2026, 11, 30))}
    assert audit_rows(engine) == []


def test_verifying_before_the_rectification_day_or_twice_is_refused(
    web: TestClient, engine: Engine
) -> None:
    log_in(web, "admin")
    assert post_mark(web, WATER, "rectified", on="2026-11-10").status_code == 303
    early = post_mark(web, WATER, "verified", on="2026-11-09")
    assert early.status_code == 422 and "销号日期不能早于整改日期。" in early.text
    again = post_mark(web, WATER, "rectified", on="2026-11-11")
    assert again.status_code == 422 and "该问题已整改或已销号" in again.text
    assert problem(engine, WATER)["rectified_on"] == date(2026, 11, 10)


def test_a_mark_without_the_csrf_token_is_refused(web: TestClient, engine: Engine) -> None:
    log_in(web, "admin")
    assert post_mark(web, WATER, "rectified", csrf=False).status_code == 403
    assert problem(engine, WATER)["status"] == "open"


def test_an_unknown_problem_is_not_found(web: TestClient) -> None:
    log_in(web, "admin")
    assert post_mark(web, f"{NOTICE}#九(九)9", "rectified").status_code == 404


def test_hostile_text_shows_literally_and_only_a_web_address_is_linked(
    web: TestClient, engine: Engine
) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    with engine.begin() as conn:
        conn.execute(
            t.problems.update()
            .where(t.problems.c.key == WATER)
            .values(
                description=hostile, place=f"{VILLAGE}{hostile}", source_url="javascript:alert(3)"
            )
        )
    log_in(web, "admin")
    page = web.get("/problems").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert f'href="{NOTICE}"' in page  # the other problems link their notice


# --- fetching the same list again --------------------------------------------------------------


def test_a_hand_mark_survives_the_list_fetched_again_until_the_list_shows_more(
    engine: Engine,
) -> None:
    save_results(engine, [notice()], FETCHED)
    with engine.begin() as conn:
        conn.execute(
            t.problems.update()
            .where(t.problems.c.key == WATER)
            .values(status="rectified", rectified_on=date(2026, 11, 10))
        )
    unchanged = save_results(engine, [notice()], FETCHED)
    assert unchanged.unchanged_pages == 1
    assert problem(engine, WATER)["status"] == "rectified"
    # The page changed (another problem moved on) but still shows this one open: the mark stays.
    save_results(engine, [notice("v2", **{"一(二)1": ProblemStatus.rectifying})], FETCHED)
    assert problem(engine, WATER) == {
        "status": "rectified",
        "rectified_on": date(2026, 11, 10),
        "verified_on": None,
    }
    assert problem(engine, TRAINING)["status"] == "rectifying"
    # The list now says verified (已销号): newer than the mark, so it wins; the day stays.
    save_results(engine, [notice("v3", **{"一(一)1": ProblemStatus.verified})], FETCHED)
    assert problem(engine, WATER) == {
        "status": "verified",
        "rectified_on": date(2026, 11, 10),
        "verified_on": None,
    }


# --- the command line --------------------------------------------------------------------------


def test_lianxin_problem_rectified_and_verified_mark_and_audit(
    settings: Settings,
) -> None:
    engine = make_engine(settings.database_url)
    migrate(engine)
    save_results(engine, [notice()], FETCHED)
    runner = CliRunner(env={"COLUMNS": "300"})
    with time_machine.travel(NOON, tick=True):
        done = runner.invoke(cli_app, ["problem", "rectified", WATER, "--on", "2026-11-10"])
        assert done.exit_code == 0, done.output
        assert "rectified on 2026-11-10 (was open)" in done.output
        early = runner.invoke(cli_app, ["problem", "verified", WATER, "--on", "2026-11-09"])
        assert early.exit_code == 2 and "before it was rectified" in early.output
        assert runner.invoke(cli_app, ["problem", "verified", WATER]).exit_code == 0
    assert problem(engine, WATER)["verified_on"] == TODAY
    assert [row[1] for row in audit_rows(engine)] == ["problem_rectified", "problem_verified"]
    assert audit_rows(engine)[0][0].startswith("cli:")
    assert obligations(engine, WATER)["return_visit"] == ("done", date(2026, 12, 10))
    engine.dispose()


def _export(web: TestClient, table: str) -> list[list[str]]:
    answer = web.get("/data/export", params={"table": table, "format": "csv"})
    assert answer.status_code == 200, answer.text[:300]
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_problem_list_and_the_cadres_export_to_each_their_own_place(
    web: TestClient, engine: Engine
) -> None:
    refresh_compliance(engine, None, FETCHED)
    log_in(web, "admin")
    assert {row[3] for row in _export(web, "problems")[1:]} == {
        "饮水工程水量不稳定",
        "回访台账不全",
        "培训记录缺失",
    }
    everyone = {row[4] for row in _export(web, "cadres")[1:]}
    log_in(web, "hewan")
    assert [row[3] for row in _export(web, "problems")[1:]] == ["培训记录缺失"]
    theirs = _export(web, "cadres")[1:]
    assert theirs and {row[3] for row in theirs} == {"河湾村"}
    assert {row[4] for row in theirs} < everyone
    log_in(web, "lijianguo")  # a cadre: the problems naming their village, their own row
    assert sorted(row[3] for row in _export(web, "problems")[1:]) == [
        "回访台账不全",
        "饮水工程水量不稳定",
    ]
    assert {row[4] for row in _export(web, "cadres")[1:]} == {"李建国"}


def test_a_long_column_opens_alone_a_page_at_a_time(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The board shows the first cards of each column; "show more" opens that column alone,
    paged, and every open problem is on exactly one page."""
    monkeypatch.setattr(problems_page, "PER_COLUMN", 1)
    monkeypatch.setattr(problems_page, "PER_PAGE", 2)
    log_in(web, "admin")
    board = column(web.get("/problems").text, "open")
    assert board.count('class="problems-card') == 1 and "2 条未显示" in board
    more = re.search(r'class="problems-more" href="([^"]+)"', board)
    assert more and "column=open" in more[1]
    seen: list[str] = []
    path: str | None = html.unescape(more[1])
    while path:
        page = web.get(path).text
        seen += re.findall(r'<p class="problems-description">([^<]+)</p>', page)
        assert 'id="column-rectified"' not in page  # the one column alone
        following = re.search(r'rel="next" href="([^"]+)"', page)
        path = html.unescape(following[1]) if following else None
    assert sorted(seen) == sorted(["饮水工程水量不稳定", "回访台账不全", "培训记录缺失"])
