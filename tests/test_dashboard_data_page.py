"""The data page (/data): export a table of one's place, import a file after a preview.

The store holds the personas' roster: cadre 李建国's workers of 青山村 (张伟, 刘洋, 陈静) and
周敏's 王磊 of 河湾村. 王芳 leads 青山村, 何湾 leads 河湾村; the admin sees everything. The
files are written here, with fake people.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hostile_files import ROSTER_HEADER, ROSTER_TITLE
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, select, update
from test_dashboard_auth import PASSWORD, csrf_of, log_in

from config.settings import RulesSettings, Settings
from lianxin.dashboard import auth, web
from lianxin.dashboard.app import create_app
from lianxin.dashboard.pages import data as data_page
from lianxin.dashboard.pages import imports as imports_page
from lianxin.dashboard.scope import Role
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.store.writes import save_results
from personas import FETCHED, VILLAGE, roster

CHECKIN_FILE = "青山村2026年11月回访.csv"
ROSTER_FILE = "青山村就业服务一览表.xlsx"
FORMULA = '=HYPERLINK("http://evil.test","点我")'


ACCOUNTS = {  # user name: role, village
    "admin": (Role.admin, None),
    "wangfang": (Role.village_lead, VILLAGE),
    "hewan": (Role.village_lead, "河湾村"),
    "lijianguo": (Role.cadre, None),  # cadre 李建国, of 青山村's three workers
}


@dataclass
class Site:
    app: FastAPI
    engine: Engine
    data_dir: Path

    def client(self, username: str) -> TestClient:
        """Return a client logged in as `username` (its account made on first use)."""
        role, village = ACCOUNTS[username]
        with self.engine.begin() as conn:
            known = conn.execute(select(t.users.c.id).where(t.users.c.username == username))
            if known.first() is None:
                li = select(t.cadres.c.key).where(t.cadres.c.name == "李建国")
                cadre = conn.execute(li).scalar_one() if role is Role.cadre else None
                auth.create_user(conn, username, PASSWORD, role, village=village, cadre_key=cadre)
        client = TestClient(self.app)
        assert log_in(client, username).status_code == 303
        return client


def make_site(engine: Engine, folder: Path) -> Site:
    """The personas' roster, the rules run as of 2026-11-08, and the dashboard over them."""
    settings = Settings(database_url=f"sqlite:///{folder}/unused.db", data_dir=folder)
    save_results(engine, [roster()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RulesSettings(), FETCHED)
    return Site(create_app(settings, engine=engine), engine, folder)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Site:
    """The site over SQLite, then PostgreSQL: for what the SQL decides (scope, matching)."""
    return make_site(engine, tmp_path)


@pytest.fixture
def local_site(tmp_path: Path) -> Iterator[Site]:
    """The site over SQLite only: for what the page decides before any SQL."""
    engine = make_engine(f"sqlite:///{tmp_path}/lianxin.db")
    migrate(engine)
    yield make_site(engine, tmp_path)
    engine.dispose()


def checkin_csv(rows: list[list[str]] | None = None) -> bytes:
    """A check-in table as a county's office writes it: UTF-8 with a BOM, a 村 column."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["序号", "村", "姓名", "联系电话", "包户干部", "回访时间", "是否接通", "上月收入"]
    )
    for row in rows or [
        ["1", VILLAGE, "张伟", "138****1111", "李建国", "2026-11-03", "是", "4500"],
        ["2", VILLAGE, "刘洋", "138****2222", "李建国", "2026-11-02", "是", "3000"],
        ["3", "河湾村", "王磊", "138****4444", "周敏", "2026-11-04", "是", "5200"],
    ]:
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def roster_xlsx() -> bytes:
    """青山村's roster with 刘洋 on a new phone and 张伟 at a new employer."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([ROSTER_TITLE])
    sheet.append(ROSTER_HEADER)
    sheet.append([1, "张伟", "13800001111", None, "李建国", "深圳某电子厂", "在岗", None])
    sheet.append([2, "刘洋", "13911115678", None, "李建国", None, "待业", None])
    sheet.append([3, "陈静", "13800003333", None, "李建国", None, "返乡", None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(
    client: TestClient, name: str, content: bytes, kind: str = "auto", csrf: bool = True
) -> httpx.Response:
    data = {"kind": kind} | ({"csrf_token": csrf_of(client, "/data")} if csrf else {})
    return client.post("/data/import", data=data, files={"file": (name, content)})


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


def confirm(client: TestClient, preview: str, token: str | None = None) -> httpx.Response:
    return client.post(
        "/data/import/confirm",
        data={
            "upload": hidden(preview, "upload"),
            "token": token or hidden(preview, "token"),
            "csrf_token": csrf_of(client, "/data"),
        },
        follow_redirects=False,
    )


def count(page: str, key: str) -> int:
    found = re.search(rf'data-count="{key}"><span class="n">(\d+)</span>', page)
    assert found, key
    return int(found.group(1))


def checkins(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.checkins.c.worker_name, t.checkins.c.source_url)).all()
    return {name: url for name, url in rows}


def calls_owed(engine: Engine) -> dict[str, str]:
    """Return November's monthly check-in obligations: worker name → status."""
    o, w = t.obligations, t.workers
    query = (
        select(w.c.name, o.c.status)
        .join(w, w.c.key == o.c.subject)
        .where(o.c.kind == "monthly_checkin", o.c.period == "2026-11", w.c.status == "employed")
    )
    with engine.connect() as conn:
        return {name: status for name, status in conn.execute(query)}


def audit_rows(engine: Engine, action: str) -> list[tuple[str, str, dict[str, object]]]:
    a = t.audit_log
    with engine.connect() as conn:
        query = select(a.c.username, a.c.target, a.c.detail).where(a.c.action == action)
        return [(r[0], r[1], r[2]) for r in conn.execute(query.order_by(a.c.id))]


def kept_uploads(site: Site) -> list[str]:
    folder = site.data_dir / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- import --------------------------------------------------------------------------------


def test_a_checkin_table_is_previewed_then_confirmed_and_the_store_changes(site: Site) -> None:
    admin = site.client("admin")
    assert calls_owed(site.engine) == {"张伟": "open", "王磊": "open"}
    preview = upload(admin, CHECKIN_FILE, checkin_csv())
    assert preview.status_code == 200, preview.text
    page = preview.text
    assert "导入预览" in page and CHECKIN_FILE in page
    assert (count(page, "added"), count(page, "changed"), count(page, "failed")) == (3, 0, 0)
    assert count(page, "matched") == 3
    assert checkins(site.engine) == {}, "a preview writes nothing"
    assert len(kept_uploads(site)) == 2  # the bytes and who uploaded them, until confirmed
    assert audit_rows(site.engine, "import") == []

    done = confirm(admin, page)

    assert done.status_code == 303
    assert done.headers["location"] == "/data?done=data.imported&written=3&failed=0"
    assert "已导入 3 条记录；0 行未导入。" in admin.get(done.headers["location"]).text
    assert checkins(site.engine) == {
        n: f"upload://{CHECKIN_FILE}" for n in ("张伟", "刘洋", "王磊")
    }
    assert len(list((site.data_dir / "archive").rglob("*.bin"))) == 1, "for lianxin reparse"
    assert kept_uploads(site) == [], "the upload is removed once applied"
    ((who, target, detail),) = audit_rows(site.engine, "import")
    assert (who, target) == ("admin", CHECKIN_FILE)
    assert detail == {"kind": "checkin_table", "written": True} | {
        "added": 3,
        "changed": 0,
        "removed": 0,
        "failed": 0,
    }
    assert calls_owed(site.engine) == {"张伟": "done", "王磊": "done"}, (
        "the follow-ups are evaluated at once, as of the day the rules last ran"
    )


def test_a_roster_preview_shows_each_changed_field_masked(site: Site) -> None:
    admin = site.client("admin")
    page = upload(admin, ROSTER_FILE, roster_xlsx(), kind="roster").text
    assert (count(page, "added"), count(page, "changed"), count(page, "unchanged")) == (0, 2, 1)
    changed = page[page.index('id="changed"') :]
    assert re.search(r"联系电话</td><td class=\"old\">138\*\*\*\*2222</td>", changed)
    assert '<td class="new">139****5678</td>' in changed
    assert "13911115678" not in page and "13800002222" not in page
    assert '<td class="new">深圳某电子厂</td>' in changed
    english = admin.post(
        "/data/import?lang=en",
        data={"kind": "roster", "csrf_token": csrf_of(admin, "/data")},
        files={"file": (ROSTER_FILE, roster_xlsx())},
    ).text
    assert "Import preview" in english and "Employer" in english


def test_confirming_after_the_store_changed_shows_a_new_preview_and_writes_nothing(
    site: Site,
) -> None:
    admin = site.client("admin")
    page = upload(admin, ROSTER_FILE, roster_xlsx()).text
    with site.engine.begin() as conn:
        conn.execute(update(t.workers).where(t.workers.c.name == "陈静").values(wish="务工"))

    stale = confirm(admin, page)

    assert stale.status_code == 409
    assert "预览之后数据已有变化" in stale.text
    assert hidden(stale.text, "token") != hidden(page, "token")
    with site.engine.connect() as conn:
        employer = conn.execute(select(t.workers.c.employer).where(t.workers.c.name == "张伟"))
        assert employer.scalar_one() == "东莞某电子厂", "nothing written"
    assert audit_rows(site.engine, "import") == []
    assert confirm(admin, stale.text).status_code == 303  # the new preview can be confirmed


def test_the_language_switch_on_a_preview_goes_back_to_the_page(local_site: Site) -> None:
    admin = local_site.client("admin")
    page = upload(admin, CHECKIN_FILE, checkin_csv()).text
    switch = re.search(r'class="lang" href="([^"]+)"', page)
    assert switch and switch.group(1) == "/data/import?lang=en"
    answer = admin.get(switch.group(1), follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/data?lang=en")
    assert "Export a table" in admin.get(switch.group(1)).text


def test_a_token_of_another_file_is_refused(local_site: Site) -> None:
    admin = local_site.client("admin")
    page = upload(admin, CHECKIN_FILE, checkin_csv()).text
    answer = confirm(admin, page, token="0" * 64 + ".0")
    assert answer.status_code == 410 and "请重新上传" in answer.text
    assert checkins(local_site.engine) == {}


def test_a_village_leads_rows_for_another_village_fail_in_the_preview(site: Site) -> None:
    lead = site.client("wangfang")  # 青山村
    page = upload(lead, CHECKIN_FILE, checkin_csv()).text
    assert (count(page, "added"), count(page, "failed")) == (2, 1)
    failed = page[page.index('id="failed"') :]
    assert "河湾村不在您的管辖范围（青山村）内：未导入" in failed  # said in the page's Chinese
    assert "王磊" in failed and "138****4444" in failed

    assert confirm(lead, page).headers["location"].endswith("written=2&failed=1")

    url = f"upload://{VILLAGE}/{CHECKIN_FILE}"  # a village's uploads are kept apart
    assert checkins(site.engine) == {"张伟": url, "刘洋": url}
    archived = site.data_dir / "archive"
    assert not archived.exists() or not any(archived.rglob("*.bin")), (
        "not archived: a reparse would read the whole file, 河湾村's row too"
    )


def test_a_same_named_file_from_another_village_does_not_replace_theirs(site: Site) -> None:
    qingshan = site.client("wangfang")
    confirm(qingshan, upload(qingshan, CHECKIN_FILE, checkin_csv()).text)
    hewan = site.client("hewan")
    rows = [["1", "河湾村", "王磊", "138****4444", "周敏", "2026-11-04", "是", "5200"]]
    page = upload(hewan, CHECKIN_FILE, checkin_csv(rows)).text
    assert count(page, "removed") == 0
    confirm(hewan, page)
    assert set(checkins(site.engine)) == {"张伟", "刘洋", "王磊"}


def test_another_persons_upload_cannot_be_confirmed(local_site: Site) -> None:
    page = upload(local_site.client("wangfang"), CHECKIN_FILE, checkin_csv()).text
    assert confirm(local_site.client("admin"), page).status_code == 404
    assert checkins(local_site.engine) == {}


def test_a_cadre_may_export_their_own_but_not_import(site: Site) -> None:
    cadre = site.client("lijianguo")
    page = cadre.get("/data").text
    assert 'action="/data/export"' in page and 'action="/data/import"' not in page
    assert 'value="compliance"' not in page, "a cadre's place reaches no village's totals"
    assert upload(cadre, CHECKIN_FILE, checkin_csv()).status_code == 404
    assert kept_uploads(site) == []
    exported = cadre.get("/data/export", params={"table": "workers", "format": "csv", "full": "1"})
    text = exported.content.decode("utf-8-sig")
    assert "13800001111" in text and "王磊" not in text  # his own workers, in full


def test_an_upload_without_the_csrf_token_is_refused(local_site: Site) -> None:
    admin = local_site.client("admin")
    assert upload(admin, CHECKIN_FILE, checkin_csv(), csrf=False).status_code == 403
    assert kept_uploads(local_site) == []


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("notes.txt", b"hello", 415, "只能导入 .xlsx、.xls 或 .csv 文件"),
        ("empty.csv", b"", 422, "文件是空的"),
        ("garbage.xlsx", b"PK\x03\x04\x00garbage\xff\xfe" * 50, 422, "文件无法导入"),
        ("noise.csv", bytes(range(256)) * 20, 422, "文件无法导入"),
        ("columns.csv", "备注,说明\r\n无,无\r\n".encode(), 422, "文件无法导入"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_nothing_is_stored(
    local_site: Site,
    caplog: pytest.LogCaptureFixture,
    name: str,
    content: bytes,
    status: int,
    message: str,
) -> None:
    admin = local_site.client("admin")
    with caplog.at_level(logging.WARNING):
        answer = upload(admin, name, content)
    assert answer.status_code == status
    assert message in answer.text and 'action="/data/import"' in answer.text
    assert kept_uploads(local_site) == [] and checkins(local_site.engine) == {}
    assert [r for r in caplog.records if r.exc_info] == [], "no traceback in the logs"


def test_an_upload_too_big_is_refused(local_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports_page, "MAX_UPLOAD_BYTES", 100)
    answer = upload(local_site.client("admin"), CHECKIN_FILE, checkin_csv())
    assert answer.status_code == 413 and "文件超过 20 MB" in answer.text
    assert kept_uploads(local_site) == []


def test_a_body_declared_too_large_is_refused_before_it_is_read(
    local_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "MAX_BODY_BYTES", 1000)
    answer = upload(local_site.client("admin"), CHECKIN_FILE, checkin_csv() * 20)
    assert answer.status_code == 413 and "提交的内容过大" in answer.text
    assert kept_uploads(local_site) == []
    assert upload(local_site.client("admin"), CHECKIN_FILE, b"x").status_code != 413


def test_an_upload_nobody_confirmed_is_swept_after_hours(local_site: Site) -> None:
    admin = local_site.client("admin")
    upload(admin, CHECKIN_FILE, checkin_csv())
    folder = local_site.data_dir / "uploads"
    imports_page._sweep(folder, now=1e12)  # far in the future: every upload is older
    assert kept_uploads(local_site) == []


# --- export --------------------------------------------------------------------------------


def export(client: TestClient, **params: str) -> httpx.Response:
    return client.get("/data/export", params={"format": "csv"} | params)


def test_exports_are_masked_for_the_admin_and_full_for_the_village_lead(site: Site) -> None:
    admin = export(site.client("admin"), table="workers", full="1").content.decode("utf-8-sig")
    assert "138****1111" in admin and "13800001111" not in admin
    assert "王磊" in admin  # the whole county

    lead = export(site.client("wangfang"), table="workers", full="1").content.decode("utf-8-sig")
    assert "13800001111" in lead and "王磊" not in lead
    masked = export(site.client("wangfang"), table="workers").content.decode("utf-8-sig")
    assert "138****1111" in masked, "masked unless asked"

    other = export(site.client("hewan"), table="workers", full="1", village=VILLAGE)
    assert other.status_code == 200
    assert list(csv.reader(io.StringIO(other.content.decode("utf-8-sig")))) == [
        [header for _, header in data_page.EXPORTS["workers"].columns]
    ], "another village's lead gets nothing of 青山村, only the header"

    exports = audit_rows(site.engine, "export")
    assert [(who, table, d["rows"], d["masked"]) for who, table, d in exports] == [
        ("admin", "workers", 4, True),
        ("wangfang", "workers", 3, False),
        ("wangfang", "workers", 3, True),
        ("hewan", "workers", 0, False),
    ]
    assert exports[3][2]["filters"] == {"village": VILLAGE}


def test_a_csv_export_has_a_bom_and_a_chinese_safe_file_name(site: Site) -> None:
    lead = site.client("wangfang")
    confirm(lead, upload(lead, CHECKIN_FILE, checkin_csv()).text)
    answer = export(lead, table="checkins", period="2026-11", village=VILLAGE)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")
    disposition = answer.headers["content-disposition"]
    name = f"checkins-2026-11-{VILLAGE}.csv"
    assert disposition == (
        f"attachment; filename=\"checkins-2026-11-_.csv\"; filename*=UTF-8''{quote(name)}"
    )
    assert "张伟" in answer.content.decode("utf-8-sig")


def test_an_xlsx_export_opens_and_a_formula_stays_text(site: Site) -> None:
    with site.engine.begin() as conn:
        conn.execute(update(t.workers).where(t.workers.c.name == "张伟").values(employer=FORMULA))
    admin = site.client("admin")
    answer = admin.get("/data/export", params={"table": "workers", "format": "xlsx"})
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "'" + FORMULA]
    assert len(cells) == 1 and cells[0].data_type == "s"
    text = export(admin, table="workers").content.decode("utf-8-sig")
    assert "'" + FORMULA.replace('"', '""') in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"table": "nope"}, "请选择要导出的表格"),
        ({"table": "workers", "format": "pdf"}, "请选择 XLSX 或 CSV"),
        ({"table": "checkins", "period": "2026-1"}, "月份格式应为 2026-11"),
        ({"table": "checkins", "period": ""}, "导出电话回访需要填写月份"),
    ],
)
def test_a_bad_export_request_shows_the_form_with_a_message(
    local_site: Site, params: dict[str, str], message: str
) -> None:
    answer = export(local_site.client("admin"), **params)
    assert answer.status_code == 422
    assert message in answer.text and 'action="/data/export"' in answer.text
    assert audit_rows(local_site.engine, "export") == []


def test_an_export_over_the_cap_asks_to_narrow_it(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_page, "EXPORT_MAX_ROWS", 3)
    admin = site.client("admin")
    answer = export(admin, table="workers")
    assert answer.status_code == 422 and "记录超过 3 条" in answer.text
    assert export(admin, table="workers", village=VILLAGE).status_code == 200


def test_a_table_without_a_place_is_for_the_operators_only(local_site: Site) -> None:
    lead = local_site.client("wangfang")
    assert 'value="quarantine"' not in lead.get("/data").text
    assert export(lead, table="quarantine").status_code == 404
    assert 'value="quarantine"' in local_site.client("admin").get("/data").text


def test_every_field_an_import_compares_has_words() -> None:
    from lianxin.dashboard.i18n import CATALOGUE
    from lianxin.services.import_preview import CHECKIN_FIELDS, WORKER_FIELDS

    missing = [f for f in (*WORKER_FIELDS, *CHECKIN_FIELDS) if f"data.field.{f}" not in CATALOGUE]
    assert missing == []
