"""Uploads cannot hurt the server (issue #12, item 3): a zip bomb, a sheet of 100,000 rows, a
file that parses too slowly or needs too much memory are refused with their reasons, while
the dashboard goes on answering everyone else; and a person keeps one preview at a time.

The dashboard runs under uvicorn on 127.0.0.1, as `lianxin dashboard` serves it.
"""

# ruff: noqa: F811  (local_site is test_dashboard_data_page's fixture, imported to be requested)
from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from hostile_files import (
    MIB,
    ROSTER_HEADER,
    SHEET_HEAD,
    SHEET_TAIL,
    long_csv,
    long_sheet,
    zip_bomb,
)
from test_dashboard_auth import csrf_of, log_in
from test_dashboard_data_page import ACCOUNTS, Site, checkin_csv, hidden, local_site  # noqa: F401

from browser import serve_app
from config.settings import Settings
from lianxin.dashboard.app import create_app
from lianxin.ingest.upload_guard import UploadLimits, check_upload, count_csv_rows, count_sheet_rows

# --- the live dashboard ----------------------------------------------------------------------


def served(site: Site, **dashboard: object) -> Iterator[str]:
    """Serve `site`'s store with these [dashboard] settings changed."""
    settings: Settings = site.app.state.settings
    changed = settings.model_copy(
        update={"dashboard": settings.dashboard.model_copy(update=dashboard)}
    )
    with serve_app(create_app(changed, engine=site.engine)) as url:
        yield url


@pytest.fixture
def live(local_site: Site) -> Iterator[str]:
    yield from served(local_site)


def browser_for(site: Site, url: str, username: str) -> httpx.Client:
    """Return a client of the live dashboard logged in as `username` (made on first use)."""
    site.client(username)  # makes the account
    assert ACCOUNTS[username]
    client = httpx.Client(base_url=url, timeout=60)
    assert log_in(client, username).status_code == 303  # type: ignore[arg-type]
    return client


def upload(client: httpx.Client, name: str, content: bytes) -> httpx.Response:
    data = {"kind": "auto", "csrf_token": csrf_of(client, "/data")}  # type: ignore[arg-type]
    return client.post("/data/import", data=data, files={"file": (name, content)})


def error_of(answer: httpx.Response) -> str:
    start = answer.text.index('id="data-error">') + len('id="data-error">')
    return answer.text[start : answer.text.index("</p>", start)]


# --- the tests -------------------------------------------------------------------------------


def test_the_files_are_what_the_tester_uploaded() -> None:
    """The bomb is 1.5 MB and declares 1.5 GB; the long sheet is a title, a header and 100,000
    people, a roster the reader reads (a shorter copy): refusing them is the guard's doing."""
    bomb = zip_bomb()
    assert len(bomb) < 2 * MIB
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 1536 * MIB
    small = zip_bomb(unpacked_mb=2)
    with zipfile.ZipFile(io.BytesIO(small)) as archive:
        assert archive.testzip() is None
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(long_sheet(50)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1] == tuple(ROSTER_HEADER) and rows[51][1] == "务工50号" and len(rows) == 52
    with zipfile.ZipFile(io.BytesIO(long_sheet())) as archive:
        with archive.open("xl/worksheets/sheet1.xml") as sheet:
            assert count_sheet_rows(sheet, 200_000) == 100_002


def test_rows_that_are_only_formatted_do_not_count_and_chunk_ends_split_no_tag() -> None:
    row = b'<row r="9" ht="20" customHeight="1"><c r="A9" s="3"/></row><row r="10" s="1"/>'
    valued = b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
    xml = SHEET_HEAD + (valued + row * 3) * 40_000 + SHEET_TAIL  # about 9 MB: chunks split tags
    assert count_sheet_rows(io.BytesIO(xml), 100_000) == 40_000
    assert count_sheet_rows(io.BytesIO(xml), 10) == 11  # stops at the first row past the limit
    huge = b"<row><c><is><t>" + b"A" * 3 * MIB + b"</t></is></c></row>"
    styled = b"<row>" + b'<c s="1"/>' * MIB + b"</row>"
    assert count_sheet_rows(io.BytesIO(SHEET_HEAD + huge + styled + SHEET_TAIL), 10) == 1
    quoted = long_csv(3) + '4,青山村,"多行\r\n备注",1,2,3,4\r\n'.encode()
    assert count_csv_rows(quoted, 100) == 6  # title, header, 4 people: a quoted break is one
    assert count_csv_rows("姓名\r\n张伟\r\n\r\n,,\r\n".encode("gbk"), 100) == 2


def test_a_zip_bomb_and_a_long_sheet_are_refused_while_the_overview_keeps_answering(
    local_site: Site, live: str
) -> None:
    bomb, sheet = zip_bomb(), long_sheet()
    county = browser_for(local_site, live, "admin")
    uploader = browser_for(local_site, live, "wangfang")
    other = browser_for(local_site, live, "hewan")
    answered: list[tuple[float, float]] = []  # (asked, answered) of each overview request
    statuses: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            asked = time.perf_counter()
            statuses.add(county.get("/").status_code)
            answered.append((asked, time.perf_counter()))
            time.sleep(0.05)  # a person clicking, not a load test (the benchmark is that)

    watcher = threading.Thread(target=watch)
    watcher.start()
    answers: dict[str, httpx.Response] = {}
    try:
        started = time.perf_counter()
        second = threading.Thread(
            target=lambda: answers.update(sheet=upload(other, "全县就业服务一览表.xlsx", sheet))
        )
        second.start()
        answers["bomb"] = upload(uploader, "青山村就业服务一览表.xlsx", bomb)
        second.join()
        answers["again"] = upload(uploader, "青山村回访表.csv", checkin_csv())
        finished = time.perf_counter()
    finally:
        done.set()
        watcher.join()
    bombed, long, again = answers["bomb"], answers["sheet"], answers["again"]
    assert bombed.status_code == 413, bombed.text
    assert error_of(bombed) == "文件解压后有 1536 MB，超过上限 200 MB，请拆分后再上传"
    assert long.status_code == 413, long.text
    assert error_of(long) == "表格超过 50000 行，请按村或乡镇拆分后分别上传"
    assert again.status_code == 200 and 'name="token"' in again.text  # the next one is read
    # The overview was answered while the uploads were being read, not queued behind them: a
    # server blocked by the bomb would answer at most one request inside that window. How fast
    # it answers under load is measured in benchmarks/, not asserted here.
    inside = [a for a in answered if started <= a[0] and a[1] <= finished]
    assert statuses == {200} and len(inside) >= 3, (len(inside), finished - started)
    assert finished - started < 60, finished - started  # refused, not read to the end


def test_a_sheet_over_the_rows_allowed_is_refused_in_english_too(local_site: Site) -> None:
    for url in served(local_site, upload_max_rows=1000):
        lead = browser_for(local_site, url, "wangfang")
        data = {"kind": "auto", "csrf_token": csrf_of(lead, "/data?lang=en")}  # type: ignore[arg-type]
        answer = lead.post(
            "/data/import?lang=en", data=data, files={"file": ("roster.csv", long_csv(1500))}
        )
        assert answer.status_code == 413
        assert "more than 1000 rows: split it by village or town" in error_of(answer)


def test_a_parse_too_slow_or_too_hungry_is_stopped_and_the_next_upload_is_read(
    local_site: Site,
) -> None:
    # 300,000 rows (19 MB, under the 20 MB an upload may have), let past the row limit: about
    # 5.7 s to read whole on a quiet machine here, so a machine two and a half times
    # faster still cannot read it inside 2 s, while a small table parses well inside 2 s on a
    # loaded machine. (30,000 rows, enough when the parser was slower, now take 1.5 s.)
    heavy = long_csv(300_000)
    for url in served(local_site, upload_parse_seconds=2, upload_max_rows=1_000_000):
        lead = browser_for(local_site, url, "wangfang")
        started = time.perf_counter()
        slow = upload(lead, "roster.csv", heavy)
        # Stopped, not read whole: the answer names the 2 s limit. The bound on the time it took
        # is loose, for a loaded machine; the refusal is what proves the read was cut off.
        assert slow.status_code == 422 and time.perf_counter() - started < 15
        assert error_of(slow) == "读取文件超过 2 秒，已停止；请拆分后再上传"
        fine = upload(lead, "青山村回访表.csv", checkin_csv())
        assert fine.status_code == 200 and 'name="token"' in fine.text
    for url in served(local_site, upload_parse_memory_mb=260, upload_max_rows=1_000_000):
        lead = browser_for(local_site, url, "wangfang")
        hungry = upload(lead, "roster.csv", heavy)
        assert hungry.status_code == 413, hungry.text
        assert error_of(hungry) == "读取文件需要超过 260 MB 内存，已停止；请拆分后再上传"


def test_a_second_preview_replaces_the_first(local_site: Site, live: str) -> None:
    lead = browser_for(local_site, live, "wangfang")
    first = upload(lead, "青山村回访表.csv", checkin_csv())
    second = upload(lead, "青山村回访表.csv", checkin_csv()[:-2] + b"\r\n")
    assert first.status_code == second.status_code == 200
    kept = sorted(p.name for p in (local_site.data_dir / "uploads").iterdir())
    assert kept == sorted(f"{hidden(second.text, 'upload')}.{s}" for s in ("bin", "json"))

    def confirm(preview: str) -> httpx.Response:
        data = {
            "upload": hidden(preview, "upload"),
            "token": hidden(preview, "token"),
            "csrf_token": csrf_of(lead, "/data"),  # type: ignore[arg-type]
        }
        return lead.post("/data/import/confirm", data=data, follow_redirects=False)

    gone = confirm(first.text)
    assert gone.status_code == 410 and "上传的文件已过期或已导入" in gone.text
    assert confirm(second.text).status_code == 303


def test_the_guard_needs_no_server() -> None:
    limits = UploadLimits(max_members=10, max_unpacked_bytes=5 * MIB, max_ratio=50, max_rows=10)
    from lianxin.errors import UploadRefused

    with pytest.raises(UploadRefused) as refused:
        check_upload(zip_bomb(unpacked_mb=8), "a.xlsx", limits)
    assert refused.value.code == "upload.unpacked_too_big" and refused.value.details["mb"] == 8
    with pytest.raises(UploadRefused) as refused:
        check_upload(zip_bomb(unpacked_mb=4), "a.xlsx", limits)
    assert refused.value.code == "upload.ratio"
    with pytest.raises(UploadRefused) as refused:
        check_upload(long_sheet(30), "a.xlsx", limits)
    assert refused.value.code == "upload.too_many_rows"
    check_upload(long_sheet(28), "a.xlsx", limits)  # title, header, 28 people: 10 + 20 allowed
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(11):
            archive.writestr(f"xl/media/{i}.png", b"")
    with pytest.raises(UploadRefused) as refused:
        check_upload(many.getvalue(), "a.xlsx", limits)
    assert refused.value.code == "upload.too_many_members"
    check_upload(b"PK\x03\x04 not a zip", "a.xlsx", limits)  # the reader will say so
