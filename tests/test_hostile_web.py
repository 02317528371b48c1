"""Hostile input to the dashboard and `lianxin users add`: page numbers of twenty digits or
non-ASCII digits, ² and ３８００ for an income, ２０２６-11 for a month, a 200,000-character
note, a village nobody has heard of. Each is refused or shown within bounds, never a 500, and
nothing refused is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from test_dashboard_auth import seeded_store
from test_dashboard_worker import NOON, Site, build_site, csrf, post_call, url
from typer.testing import CliRunner

from config.settings import Settings
from lianxin.cli.app import app as cli_app
from lianxin.dashboard import inputs
from lianxin.dashboard.pages import cadres, calls, problems, runs, sources
from lianxin.store import schema as t

HUGE = ["99999999999999999999999", "9223372036854775807", "9" * 199, "1000000000"]
NOT_ASCII = ["²", "２", "٢", "１０"]  # digits to str.isdigit(), never page numbers
LONG_NOTE = "备" * 200_000
# Each paged page, one row a page, over a store with two rows for it: page 2 is the last.
PAGED = [
    ("/calls?status=overdue", calls, "PER_PAGE"),  # 刘洋 and 王磊
    ("/cadres?period=2026-11", cadres, "PER_PAGE"),  # 李建国 and 周敏
    ("/problems?column=open", problems, "PER_PAGE"),
    ("/sources?source=", sources, "PAGE"),
    ("/runs?flow=", runs, "PAGE"),
]
WHEN = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    """The personas' store with two open problems, two quarantined rows and two runs."""
    with time_machine.travel(NOON, tick=True):
        built = build_site(engine, tmp_path)
        with engine.begin() as conn:
            conn.execute(
                t.problems.insert(),
                [
                    {
                        "key": f"p{i}",
                        "number": str(i),
                        "place": "石桥镇青山村",
                        "description": f"问题{i}",
                        "deadline": date(2026, 11, 20 + i),
                        "status": "open",
                        "source_url": "https://gov.example/p",
                    }
                    for i in (1, 2)
                ],
            )
            conn.execute(
                t.quarantine.insert(),
                [
                    {
                        "url": f"https://gov.example/q{i}",
                        "content_hash": f"h{i}",
                        "reason": "no table",
                        "raw": {},
                        "created_at": WHEN,
                    }
                    for i in (1, 2)
                ],
            )
            conn.execute(
                t.runs.insert(),
                [
                    {"flow": "ingest", "started_at": WHEN, "status": "completed", "stats": {}}
                    for _ in (1, 2)
                ],
            )
        yield built


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(t.metadata.tables[table])
        return int(conn.execute(query).scalar_one())


@pytest.mark.parametrize(("path", "module", "per_page"), PAGED)
def test_a_page_past_the_end_shows_the_last_page_and_a_digit_not_in_ascii_the_first(
    site: Site, monkeypatch: pytest.MonkeyPatch, path: str, module: object, per_page: str
) -> None:
    monkeypatch.setattr(module, per_page, 1)
    admin = site.as_user("admin")
    for page in ["2", *HUGE]:
        shown = admin.get(f"{path}&page={page}")
        assert shown.status_code == 200, (page[:30], shown.text[-300:])
        assert 'rel="prev"' in shown.text and 'rel="next"' not in shown.text, page[:30]
    assert admin.get(f"{path}&page={'9' * 5000}").status_code == 422  # longer than any field
    for page in [*NOT_ASCII, "0", "-3", "x"]:
        shown = admin.get(f"{path}&page={page}")
        assert shown.status_code == 200, page
        assert 'rel="prev"' not in shown.text and 'rel="next"' in shown.text, page


def test_the_calls_page_past_the_end_lists_the_last_pages_calls(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calls, "PER_PAGE", 1)
    admin = site.as_user("admin")
    last = admin.get("/calls?status=overdue&page=2").text
    assert (
        admin.get(f"/calls?status=overdue&page={HUGE[0]}").text.count("/workers/")
        == (last.count("/workers/"))
        > 0
    )


def test_a_month_in_full_width_digits_is_not_a_month(site: Site) -> None:
    admin = site.as_user("admin")
    for path in ("/cadres", "/calls", "/"):
        shown = admin.get(path, params={"period": "２０２６-10"})
        assert shown.status_code == 200
        assert "２０２６" not in shown.text and "2026-11" in shown.text, path
    export = admin.get(
        "/data/export", params={"table": "checkins", "format": "csv", "period": "２０２６-11"}
    )
    assert export.status_code == 422 and "月份格式应为 2026-11" in export.text


BAD_INCOME = ("income", "收入须为0至200000之间的整数")
TOO_LONG_NOTE = ("note", "备注太长：最多 2000 字")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        *(("income", x, BAD_INCOME) for x in ("²", "３８００", "١٢٠٠", "3800²", "1" * 20)),
        ("note", LONG_NOTE, TOO_LONG_NOTE),
    ],
)
def test_a_call_with_an_income_not_in_ascii_digits_or_a_huge_note_is_refused_and_not_stored(
    site: Site, field: str, value: str, error: tuple[str, str]
) -> None:
    lead = site.as_user("wangfang")
    before = count(site.engine, "checkins")
    answer = post_call(lead, site.key("刘洋"), **{field: value})
    assert answer.status_code == 422
    assert f'id="error-{error[0]}"' in answer.text and error[1] in answer.text
    assert len(answer.text) < 100_000  # what was typed comes back cut to its limit
    assert count(site.engine, "checkins") == before
    assert site.status("刘洋") == "overdue" and site.audit("record_checkin") == []


def test_a_note_of_the_limit_and_an_income_in_ascii_digits_are_recorded(site: Site) -> None:
    note = "备" * inputs.limit_of("note")
    lead = site.as_user("wangfang")
    assert post_call(lead, site.key("刘洋"), income="3,800", note=note).status_code == 303
    assert site.status("刘洋") == "done"


def test_a_200000_character_note_or_reason_is_refused_by_the_problem_and_waiver_forms(
    site: Site,
) -> None:
    admin = site.as_user("admin")
    mark = admin.post(
        "/problems/p1/rectified",
        data={"on": "2026-11-12", "note": LONG_NOTE, "csrf_token": csrf(admin, "/")},
        follow_redirects=False,
    )
    assert mark.status_code == 422 and "备注太长：最多 2000 字" in mark.text
    with site.engine.connect() as conn:
        status = conn.execute(select(t.problems.c.status).where(t.problems.c.key == "p1"))
        assert status.scalar_one() == "open"
    waiver = {"category": "moved_out", "kind": "*", "reason": LONG_NOTE, "given_on": ""}
    waived = admin.post(
        f"{url(site.key('刘洋'))}/waivers",
        data={**waiver, "csrf_token": csrf(admin, "/")},
        follow_redirects=False,
    )
    assert waived.status_code == 422 and 'id="error-reason"' in waived.text
    assert count(site.engine, "waivers") == 0 and site.audit("waive") == []
    assert site.audit("problem_rectified") == []


def test_a_query_or_form_field_beyond_its_limit_is_refused_before_the_page_runs(
    site: Site,
) -> None:
    admin = site.as_user("admin")
    for path in ("/calls", "/cadres", "/problems", "/sources", "/runs", "/data/export"):
        refused = admin.get(path, params={"village": "村" * 5000, "unit": "x" * 600})
        assert refused.status_code == 422 and "填写的内容太长" in refused.text, path
    assert admin.get("/sources", params={"url": "x" * 500}).status_code == 200
    anonymous = TestClient(site.web.app)
    login = anonymous.post(
        "/login",
        data={"username": "u" * 200_000, "password": "p", "csrf_token": csrf(anonymous, "/login")},
    )
    assert login.status_code == 422
    before = count(site.engine, "checkins")
    assert post_call(admin, site.key("刘洋"), status="s" * 300).status_code == 422
    assert count(site.engine, "checkins") == before and site.status("刘洋") == "overdue"


def test_a_count_in_the_data_pages_address_is_read_in_ascii_digits_only(site: Site) -> None:
    admin = site.as_user("admin")
    for n in ("²", "٣", "9" * 50):
        assert admin.get(f"/data?done=data.imported&written={quote(n)}").status_code == 200


def add_user(*args: str) -> tuple[int, list[str]]:
    answer = CliRunner().invoke(
        cli_app, ["users", "add", "newlead", "--password-stdin", *args], input="pw-123456\n"
    )
    return answer.exit_code, answer.output.strip().splitlines()


def users(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.users.c.username)).scalars())


def test_users_add_refuses_a_village_or_town_nobody_knows_in_one_line(
    settings: Settings,
) -> None:
    engine = seeded_store(settings.database_url)
    with engine.begin() as conn:
        conn.execute(
            t.regions.insert(),
            [
                {"level": "county", "name": "新化县", "parent": ""},
                {"level": "town", "name": "白云乡", "parent": "新化县"},
            ],
        )
    before = users(engine)
    code, lines = add_user("--role", "village_lead", "--village", "不存在村")
    assert code == 2 and len(lines) == 1 and "不存在村" in lines[0], lines
    code, lines = add_user("--role", "village_lead", "--village", "青山")
    assert code == 2 and lines == [
        "error: no village '青山' in the region tree or the roster (did you mean 青山村?)"
    ]
    code, lines = add_user("--role", "village_lead", "--town", "白云乡", "--village", "青山村")
    assert code == 2 and lines == [
        "error: village '青山村' is not in town '白云乡' (it is in 石桥镇)"
    ]
    code, lines = add_user("--role", "town_lead", "--town", "石桥")
    assert code == 2 and "石桥镇" in lines[0]
    code, lines = add_user("--role", "county", "--county", "旧化县")
    assert code == 2 and "新化县" in lines[0]
    assert users(engine) == before
    code, lines = add_user("--role", "village_lead", "--town", "石桥镇", "--village", "青山村")
    assert code == 0 and set(users(engine)) == {*before, "newlead"}, lines
    engine.dispose()
