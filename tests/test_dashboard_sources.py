"""The sources page (fetching, quarantine, findings) and the runs page (flow runs, linked into
the Prefect UI): for the county roles only, hostile strings shown as text, personal data masked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings
from prefect.utilities.urls import url_for
from pydantic import ValidationError
from sqlalchemy import Engine
from test_dashboard_auth import PASSWORD, log_in

from config.settings import DashboardSettings, Settings
from lianxin.clock import today_local
from lianxin.dashboard import auth
from lianxin.dashboard.app import create_app
from lianxin.dashboard.dates import written_moment
from lianxin.dashboard.links import flow_run_url, http_url
from lianxin.dashboard.pages.runs import run_summary
from lianxin.dashboard.pages.sources import PAGE, masked_raw
from lianxin.dashboard.scope import Role
from lianxin.store import schema as t

T0 = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
COUNTY, OTHER_COUNTY, TOWN, VILLAGE = "云溪县", "邻县", "白云乡", "松坪村"
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_URL = "http://portal.example/cwgk/202611/t20261107_9999001.html"
OTHER_URL = "http://neighbour.example/cwgk/202611/t1.html"
# 谭莹's call, as the village published it: a full phone and ID number in the raw row.
PHONE, ID_NUMBER, NOTE_PHONE = "13812345678", "430102199001011234", "１３９８７６５４３２１"
RUN_ID = "0b7e6f2c-3a8d-4c1e-9f5a-2d6c8e1b4a70"


def _report(url: str, source: str, title: str, county: str | None) -> dict[str, Any]:
    return {
        "url": url,
        "source": source,
        "kind": "checkin_table",
        "title": title,
        "authors": [],
        "content_hash": url[-16:],
        "fetched_at": T0,
        "parse_status": "partial",
        "errors": [],
        "county": county,
        "town": TOWN,
        "village": VILLAGE,
    }


def _quarantine(url: str, row: int, raw: Any, reason: str = "missing worker name (姓名)") -> dict:
    return {
        "url": url,
        "content_hash": url[-16:],
        "row": row,
        "reason": reason,
        "severity": "error",
        "raw": raw,
        "created_at": T0 - timedelta(seconds=row),  # the first rows the newest, on page 1
    }


def _run(flow: str, hours: int, status: str, stats: dict, run_id: str | None = None) -> dict:
    return {
        "flow": flow,
        "as_of": date(2026, 11, 8),
        "started_at": T0 + timedelta(hours=hours),
        "finished_at": T0 + timedelta(hours=hours, seconds=65),
        "status": status,
        "stats": stats,
        "prefect_flow_run_id": run_id,
    }


def fill(engine: Engine) -> None:
    """Two sources (the village portal, with a hostile page, and a neighbour county's), their
    fetches, quarantined rows, findings, and runs of each flow."""
    with engine.begin() as conn:
        conn.execute(
            t.regions.insert(),
            [
                {"level": "county", "name": COUNTY, "parent": ""},
                {"level": "town", "name": TOWN, "parent": COUNTY},
                {"level": "village", "name": VILLAGE, "parent": TOWN},
            ],
        )
        # One fetch of the page per hour, and its second part failing once.
        fetches = [("yunxi-checkins", HOSTILE_URL, h, None) for h in (0, 1, 2)] + [
            ("yunxi-checkins", HOSTILE_URL + "?p=2", 1, f"HTTP 500 from the portal {SCRIPT}"),
            ("neighbour", OTHER_URL, 0, None),
        ]
        conn.execute(
            t.fetches.insert(),
            [
                {"source": s, "url": u, "fetched_at": T0 + timedelta(hours=h), "error": e}
                for s, u, h, e in fetches
            ],
        )
        conn.execute(
            t.reports.insert(),
            [
                _report(HOSTILE_URL, "yunxi-checkins", f"松坪村回访情况{SCRIPT}", COUNTY),
                _report(OTHER_URL, "neighbour", "邻县回访表", OTHER_COUNTY),
            ],
        )
        raw = {
            "户主": f"户{IMG}",
            "联系电话": PHONE,
            "身份证号": ID_NUMBER,
            "诉求": f"请回电 {NOTE_PHONE}",
        }
        conn.execute(
            t.quarantine.insert(),
            [_quarantine(HOSTILE_URL, 3, raw)]
            + [_quarantine(OTHER_URL, n, {"姓名": f"邻县{n}号"}) for n in range(100, 160)]
            + [_quarantine("javascript:window.__pwned=1", 0, {"http_status": 0}, "fetch failed")],
        )
        conn.execute(
            t.findings.insert(),
            [
                {
                    "kind": "unknown_worker",
                    "period": "2026-11",
                    "subject": f"{VILLAGE}|祁{SCRIPT}|1102",
                    "village": VILLAGE,
                    "detail": f"no roster worker matches 祁, phone {PHONE}",
                    "source_url": HOSTILE_URL,
                    "created_at": T0,
                },
                {
                    "kind": "duplicate_checkin",
                    "period": "2026-11",
                    "subject": "别村|某人|0000",
                    "village": "别村",
                    "detail": "called twice",
                    "source_url": "javascript:window.__pwned=1",
                    "created_at": T0,
                },
            ],
        )
        ingest = [
            _run("ingest", h, "completed", {"pages_fetched": 3, "records_parsed": n,
                 "rows_quarantined": 1, "records_by_source": {"yunxi-checkins": n, "neighbour": 4}})
            for h, n in ((-48, 40), (-24, 38), (2, 0))
        ]  # fmt: skip
        transitions = {"monthly_checkin:open→done": 163, "monthly_checkin:open→overdue": 12}
        conn.execute(
            t.runs.insert(),
            ingest
            + [
                _run(
                    "followups",
                    3,
                    "completed",
                    {"created": 353, "transitions": transitions},
                    RUN_ID,
                ),
                _run(
                    "remind", 4, "failed", {"error": f"SMTP refused {SCRIPT} {PHONE}"}, "not-a-uuid"
                ),
                _run("watchdog", 5, "crashed", {"error": "killed"}, "javascript:alert(1)"),
            ],
        )


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    fill(engine)
    with engine.begin() as conn:
        auth.create_user(conn, "admin", PASSWORD, Role.admin)
        auth.create_user(conn, "zhaoju", PASSWORD, Role.county, county=COUNTY)
        auth.create_user(conn, "songping", PASSWORD, Role.village_lead, village=VILLAGE)
        auth.create_user(conn, "zhanglei", PASSWORD, Role.cadre, village=VILLAGE, cadre_key="张雷")
    settings = Settings(database_url="sqlite://", data_dir=tmp_path)
    yield TestClient(create_app(settings, engine=engine))


def client_with(engine: Engine, tmp_path: Path, ui: str) -> TestClient:
    settings = Settings(
        database_url="sqlite://", data_dir=tmp_path, dashboard=DashboardSettings(prefect_ui_url=ui)
    )
    web = TestClient(create_app(settings, engine=engine))
    log_in(web, "admin")
    return web


def rows_of(page: str, table: str) -> list[str]:
    body = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, table
    return re.findall(r"<tr.*?</tr>", body.group(1), re.S)


def test_the_admin_reads_each_sources_fetches_records_quarantine_and_findings(
    web: TestClient,
) -> None:
    assert log_in(web, "admin").status_code == 303
    answer = web.get("/sources")
    assert answer.status_code == 200
    page = answer.text
    health = {re.sub(r"<.*?>", "", r.split("</td>")[0]).strip(): r for r in rows_of(page, "health")}
    assert set(health) == {"neighbour", "yunxi-checkins"}
    cells = [re.sub(r"<.*?>", "", c).strip() for c in health["yunxi-checkins"].split("</td>")]
    # last fetched (Shanghai clock, in Chinese: 11月8日 11:00 this year), 4 fetches, 1 error,
    # 1 page since the latest ingest, 0 records
    fetched = written_moment(datetime(2026, 11, 8, 3, 0, tzinfo=UTC), "zh", today_local())
    assert fetched.endswith("11月8日 11:00")
    assert cells[1:6] == [fetched, "4", "1", "1", "0"]
    assert "HTTP 500 from the portal &lt;script&gt;" in cells[6]
    assert "<svg" in page  # records per source of the latest ingest
    by_run = rows_of(page, "by-run")
    # The portal's check-ins stopped yielding in the latest ingest; the neighbour's did not.
    assert len(by_run) == 3 and by_run[-1].count('class="num dropped">0<') == 1
    assert "dropped" not in by_run[0] + by_run[1]
    assert "松坪村回访情况&lt;script&gt;" in page
    assert "回访对象不在花名册" in page and "共 2 条，显示 2 条" in page
    english = web.get("/sources?lang=en").text
    assert "Call for a worker not on the roster" in english and "Quarantine" in english


def test_phones_and_id_numbers_in_quarantined_rows_and_findings_are_masked(
    web: TestClient,
) -> None:
    log_in(web, "admin")
    page = web.get("/sources").text
    for secret in (PHONE, ID_NUMBER, "13987654321", NOTE_PHONE):
        assert secret not in page
    assert "138****5678" in page and "430***********1234" in page and "139****4321" in page
    # A totals row keeps its words where a phone would be: masking only hides numbers.
    assert masked_raw({"联系电话": "共回访33人", "姓名": ""}) == [("联系电话", "共回访33人")]


def test_strings_from_fetched_pages_are_text_and_only_http_urls_become_links(
    web: TestClient,
) -> None:
    log_in(web, "admin")
    for path in ("/sources", "/runs"):
        page = web.get(path).text
        assert SCRIPT not in page and IMG not in page and "<img" not in page
        assert "&lt;script&gt;" in page
        assert not re.search(r"href=\"\s*javascript:", page, re.I)
    page = web.get("/sources").text
    assert f'<a href="{HOSTILE_URL}"' in page
    assert "javascript:window.__pwned=1" in page  # shown, as text
    assert http_url("javascript:alert(1)") is None and http_url("//evil.example/") is None
    assert http_url(" https://ok.example/a ") == "https://ok.example/a"


def test_the_quarantine_pages_and_filters_by_source_and_url(web: TestClient) -> None:
    log_in(web, "admin")
    first = web.get("/sources").text
    assert len(rows_of(first, "quarantine-rows")) == PAGE == 30
    assert 'rel="next" href="/sources?source=&amp;url=&amp;kind=&amp;page=2#quarantine"' in first
    last = web.get("/sources?page=3").text
    assert len(rows_of(last, "quarantine-rows")) == 62 - 2 * PAGE and 'rel="prev"' in last
    assert 'rel="next"' not in last
    mine = web.get("/sources", params={"source": "yunxi-checkins"}).text
    assert len(rows_of(mine, "quarantine-rows")) == 1 and "邻县1" not in mine
    by_url = web.get("/sources", params={"url": "t20261107_9999"}).text
    assert len(rows_of(by_url, "quarantine-rows")) == 1
    assert "quarantine-rows" not in web.get("/sources", params={"url": "%"}).text  # % is literal
    assert web.get("/sources?page=abc").status_code == 200  # a bad page number is page 1


def test_a_county_officer_sees_their_countys_quarantine_and_findings_only(
    web: TestClient,
) -> None:
    log_in(web, "zhaoju")
    page = web.get("/sources").text
    assert "松坪村回访情况" in page and "邻县回访表" not in page
    assert "别村" not in page and "共 1 条" in page


@pytest.mark.parametrize("user", ["songping", "zhanglei"])
def test_a_village_lead_or_cadre_neither_sees_nor_opens_sources_and_runs(
    web: TestClient, user: str
) -> None:
    log_in(web, user)
    overview = web.get("/").text
    assert 'href="/sources"' not in overview and 'href="/runs"' not in overview
    assert web.get("/sources").status_code == 404
    assert web.get("/runs").status_code == 404
    log_in(web, "admin")
    overview = web.get("/").text
    assert 'href="/sources"' in overview and 'href="/runs"' in overview


def test_runs_show_what_each_flow_did_with_failed_runs_marked_filtered_and_paged(
    web: TestClient, tmp_path: Path
) -> None:
    log_in(web, "admin")
    with temporary_settings(restore_defaults={PREFECT_API_URL, PREFECT_UI_URL}):
        page = web.get("/runs").text
    runs = rows_of(page, "runs")
    assert [re.search(r"<td>(\w+)</td>", r).group(1) for r in runs] == [  # type: ignore[union-attr]
        "watchdog", "remind", "followups", "ingest", "ingest", "ingest"
    ]  # fmt: skip
    assert all('class="run failed"' in r for r in runs[:2]) and "failed" not in runs[2]
    assert "353 新建跟进事项" in runs[2] and "163 完成跟进事项" in runs[2]
    assert "0:01:05" in runs[2] and "38 记录" in runs[4]
    assert "SMTP refused &lt;script&gt;" in runs[1] and PHONE not in page
    assert 'id="no-ui"' in page and "/runs/flow-run/" not in page
    only = rows_of(web.get("/runs?flow=ingest").text, "runs")
    assert len(only) == 3
    assert len(rows_of(web.get("/runs?status=failed").text, "runs")) == 1
    assert "暂无运行记录" in web.get("/runs?flow=nothing").text


def test_each_run_links_into_the_prefect_ui_when_its_address_is_known(
    engine: Engine, web: TestClient, tmp_path: Path
) -> None:
    expected = f"http://127.0.0.1:4200/runs/flow-run/{RUN_ID}"
    with temporary_settings(restore_defaults={PREFECT_API_URL, PREFECT_UI_URL}):
        page = client_with(engine, tmp_path, "http://127.0.0.1:4200/").get("/runs").text
    assert page.count("/runs/flow-run/") == 1 and f'<a href="{expected}"' in page
    # Prefect's own helper builds the same address from its settings.
    with temporary_settings(updates={PREFECT_UI_URL: "http://127.0.0.1:4200"}):
        assert url_for("flow-run", obj_id=RUN_ID) == expected
    # Without a setting of ours: Prefect's API address without /api.
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        page = client_with(engine, tmp_path, "").get("/runs").text
    assert f'<a href="{expected}"' in page and 'id="no-ui"' not in page
    # Odd ids (not a UUID, a javascript: URL) never become links, whatever the address.
    assert flow_run_url("http://ui.example", "javascript:alert(1)") is None
    assert flow_run_url("http://ui.example", "../../admin") is None
    assert flow_run_url("javascript:alert(1)//", RUN_ID) is None
    assert flow_run_url(None, RUN_ID) is None
    with pytest.raises(ValidationError, match="prefect_ui_url"):
        DashboardSettings(prefect_ui_url="javascript:alert(1)")


def test_a_runs_summary_reads_the_stats_of_every_flow() -> None:
    assert run_summary({"pages_fetched": 3, "records_parsed": 40, "fetch_errors": ["x"]}) == [
        ("runs.pages", 3),
        ("runs.records", 40),
        ("runs.fetch_errors", 1),
    ]
    assert run_summary({"sent": 5, "failed": 1, "by_stage": {"open": 5}}) == [
        ("runs.sent", 5),
        ("runs.send_failed", 1),
    ]
    assert run_summary({"error": "boom", "dry_run": True}) == []
    assert run_summary(None) == []
