"""Big table pages: every row read, cost growing with the rows, refusals past the settings.

No timing here (benchmarks/big_page_bench.py measures seconds and memory): linear cost is
shown by counting the Python calls a parse makes, which do not depend on the machine.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from config.settings import get_settings
from lianxin.cli import parse_json
from lianxin.cli.app import app
from lianxin.cli.parse_json import write_parse_json
from lianxin.cli.show import masked
from lianxin.parsing import parse_page
from lianxin.parsing.tree import load_tree, put_rows_back, set_rows_aside
from lianxin.records import ParseResult

FETCHED_AT = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "建国秀英志强桂兰海燕明华玉梅德胜丽娟"
runner = CliRunner()


def worker_name(i: int) -> str:
    n = len(GIVEN)
    return SURNAMES[i % 10] + GIVEN[(i // 10) % n] + GIVEN[(i // (10 * n)) % n]


def checkin_page(rows: int) -> bytes:
    """Return 青山村's November call sheet (姓名, 联系电话, 回访时间, 是否接通) of `rows` rows."""
    body = "".join(
        f"<tr><td>{i + 1}</td><td>{worker_name(i)}</td><td>139{i:08d}</td>"
        f"<td>2026年11月{1 + i % 10}日</td><td>{'否' if i % 7 == 0 else '是'}</td></tr>\n"
        for i in range(rows)
    )
    return (
        "<html><head><meta charset='utf-8'><title>青山村2026年11月外出务工人员电话回访情况表"
        "</title></head><body><div class='TRS_Editor'><table><tr><th>序号</th><th>姓名</th>"
        f"<th>联系电话</th><th>回访时间</th><th>是否接通</th></tr>\n{body}</table>"
        "<p>填表人：周秀英</p></div></body></html>"
    ).encode()


def parse(content: bytes) -> ParseResult:
    return parse_page(content, "http://qingshan.example/hf.html", source="t", fetched_at=FETCHED_AT)


@pytest.fixture
def parsing_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Return monkeypatch in a clean folder; settings are read again after each setenv."""
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_a_2000_row_call_sheet_gives_every_row_as_a_check_in() -> None:
    result = parse(checkin_page(2000))
    assert result.report.kind == "checkin_table"
    assert result.report.parse_status == "ok", result.report.errors
    assert len(result.checkins) == 2000
    assert not [q for q in result.quarantined if q.severity == "error"]
    last = result.checkins[-1]
    assert (last.worker_name, last.worker_phone) == (worker_name(1999), "13900001999")
    assert last.call_date is not None and last.call_date.day == 10
    assert [c.reached for c in result.checkins[:8]] == [False, *[True] * 6, False]


def test_parse_calls_grow_with_the_rows_not_faster() -> None:
    def calls(rows: int) -> int:
        content = checkin_page(rows)
        parse(content)  # caches filled, as in a long-running ingest
        profile = cProfile.Profile()
        profile.enable()
        parse(content)
        profile.disable()
        return pstats.Stats(profile, stream=io.StringIO()).total_calls  # type: ignore[attr-defined,no-any-return]

    small, large = calls(1000), calls(4000)
    # A quadratic step would make four times the rows cost sixteen times the calls.
    assert large < 4.4 * small, (small, large)


def test_the_json_is_written_batch_by_batch_as_json_dumps_would_write_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parse_json, "BATCH", 7)  # 300 records: many batches and a short last one
    result = parse(checkin_page(300))
    data = result.model_dump(mode="json")
    for name in ("workers", "checkins", "cadres"):
        data[name] = [masked(r, unmasked=False) for r in data[name]]
    out = io.StringIO()
    write_parse_json(out, result)
    assert out.getvalue() == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(out.getvalue())["checkins"][1]["worker_phone"] == "139****0001"


def test_lianxin_parse_json_prints_all_rows_masked(parsing_env: pytest.MonkeyPatch) -> None:
    page = Path("qingshan.html")
    page.write_bytes(checkin_page(2000))
    result = runner.invoke(app, ["parse", str(page), "--json"])
    assert result.exit_code == 0, result.output
    checkins = json.loads(result.output)["checkins"]
    assert len(checkins) == 2000
    assert checkins[1999]["worker_phone"] == "139****1999"


def test_a_table_over_max_table_rows_is_refused_naming_the_setting(
    parsing_env: pytest.MonkeyPatch,
) -> None:
    parsing_env.setenv("LIANXIN_PARSING__MAX_TABLE_ROWS", "1500")
    result = parse(checkin_page(2000))
    assert result.report.parse_status == "failed"
    assert not result.checkins
    (reason,) = result.report.errors
    assert "2,001 rows" in reason  # the header row counts
    assert "parsing.max_table_rows (1,500)" in reason
    assert "LIANXIN_PARSING__MAX_TABLE_ROWS" in reason
    assert len(parse(checkin_page(1400)).checkins) == 1400


def test_a_page_over_max_page_mb_is_refused_before_it_is_read(
    parsing_env: pytest.MonkeyPatch,
) -> None:
    parsing_env.setenv("LIANXIN_PARSING__MAX_PAGE_MB", "0.1")
    page = Path("qingshan.html")
    page.write_bytes(checkin_page(2000))  # about 0.2 MB
    result = runner.invoke(app, ["parse", str(page), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.output)["report"]
    assert report["parse_status"] == "failed"
    assert "over parsing.max_page_mb (0.1)" in report["errors"][0]


def test_a_long_tables_rows_are_set_aside_and_put_back_exactly() -> None:
    rows = "".join(f"<tr><td>{worker_name(i)}</td></tr>\n" for i in range(300))
    page = (
        "<html><body><p>青山村回访</p><table><thead><tr><th>姓名</th></tr></thead>"
        f"<tbody>{rows}<!-- 王建国 --> 尾</tbody><tfoot><tr><td>合计</td></tr></tfoot></table>"
        "后记</body></html>"
    )
    root = load_tree(page)
    before = etree.tostring(root, encoding="unicode")
    aside = set_rows_aside(root)
    assert len(list(root.iter("tr"))) == 50  # the page's own facts are read from these
    put_rows_back(aside)
    assert etree.tostring(root, encoding="unicode") == before
    short = load_tree("<table>" + rows[:2000] + "</table>")
    assert set_rows_aside(short) == []
