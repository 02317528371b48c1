"""Crawling a real HTTP server on loopback: listings, reports continued on 下一页 pages, and
spreadsheet attachments, fetched and parsed into records."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime

import pytest
from openpyxl import Workbook

from config.settings import SourceSettings
from lianxin.ingest.fetching import crawl, make_session
from lianxin.ingest.pipeline import parse_fetched
from lianxin.parsing import parse_page
from lianxin.portal import build_site, serve_portal
from lianxin.portal.site import Site
from lianxin.records import ParseResult

HEAD = '<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
HEADER = (
    "<tr><td>序号</td><td>姓名</td><td>联系电话</td><td>回访时间</td><td>上月收入（元）</td>"
    "<td>包户干部</td></tr>"
)


def _row(n: int, name: str, day: int) -> str:
    return (
        f"<tr><td>{n}</td><td>{name}</td><td>138****{1000 + n}</td><td>2026-11-0{day}</td>"
        f"<td>{3000 + n}</td><td>李建国</td></tr>"
    )


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["河湾村2026年11月外出务工人员电话回访情况表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "姓名", "联系电话", "回访时间", "上月收入（元）"])
    sheet.append([1, "王磊", "139****4444", "2026-11-05", 4800])
    sheet.append([2, "赵敏", "137****5555", "2026-11-06", 5200])
    sheet.append(["合计", None, None, None, 10000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pages() -> dict[str, tuple[bytes, str]]:
    html = "text/html; charset=utf-8"
    listing = (
        HEAD.format(title="村务公开")
        + "<ul class='list'>"
        + "".join(
            f"<li><a href='{href}'>{text}</a><span>2026-11-0{i + 1}</span></li>"
            for i, (href, text) in enumerate(
                [
                    ("/cwgk/t1.html", "青山村2026年11月外出务工人员电话回访情况公示"),
                    ("/cwgk/t2.html", "河湾村2026年11月外出务工人员电话回访情况公示"),
                ]
            )
        )
        + "</ul><div class='page'>共1页 首页 上一页 下一页 尾页</div></body></html>"
    )
    first = (
        HEAD.format(title="青山村2026年11月外出务工人员电话回访情况公示")
        + "<h1>青山村2026年11月外出务工人员电话回访情况公示</h1><div id='zoom'><table>"
        + HEADER
        + "".join(_row(n, name, 3) for n, name in enumerate(["张伟", "刘洋"], 1))
        + "</table><p><a href='/cwgk/t1_1.html'>下一页</a></p></div></body></html>"
    )
    second = (
        HEAD.format(title="青山村2026年11月外出务工人员电话回访情况公示")
        + "<h1>青山村2026年11月外出务工人员电话回访情况公示</h1><div id='zoom'><table>"
        + "".join(_row(n, name, 4) for n, name in enumerate(["陈静", "周强"], 3))
        + "</table><p><a href='/cwgk/t1.html'>上一页</a></p></div></body></html>"
    )
    with_attachment = (
        HEAD.format(title="河湾村2026年11月外出务工人员电话回访情况公示")
        + "<h1>河湾村2026年11月外出务工人员电话回访情况公示</h1><div id='zoom'>"
        + "<p>现将本村11月电话回访情况公示如下，详见附件。</p>"
        + "<p>附件：<a href='/cwgk/P020261106.xlsx'>河湾村11月回访情况表.xlsx</a></p>"
        + "</div></body></html>"
    )
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {
        "/cwgk/index.html": (listing.encode(), html),
        "/cwgk/t1.html": (first.encode(), html),
        "/cwgk/t1_1.html": (second.encode(), html),
        "/cwgk/t2.html": (with_attachment.encode(), html),
        "/cwgk/P020261106.xlsx": (_xlsx(), xlsx),
    }


@pytest.fixture
def crawled() -> Iterator[list[ParseResult]]:
    site = Site(_pages(), build_site().truth)
    with serve_portal(site=site) as base:
        source = SourceSettings(name="test", url=f"{base}cwgk/index.html")

        def listing(content: bytes, url: str, charset: str | None, at: datetime) -> ParseResult:
            return parse_page(content, url, source="test", fetched_at=at, http_charset=charset)

        result = crawl(make_session("test"), source, listing, timeout=10)
        assert result.errors == []
        yield [parse_fetched(page) for page in result.pages]


def test_it_reads_a_table_continued_on_a_next_page_as_one_report(
    crawled: list[ParseResult],
) -> None:
    (series,) = [r for r in crawled if r.report.url.endswith("/cwgk/t1.html")]
    assert [c.worker_name for c in series.checkins] == ["张伟", "刘洋", "陈静", "周强"]
    assert {c.village for c in series.checkins} == {"青山村"}
    assert [p.url.rsplit("/", 1)[-1] for p in series.report.parts] == ["t1.html", "t1_1.html"]


def test_it_fetches_and_parses_a_spreadsheet_attachment_of_a_report(
    crawled: list[ParseResult],
) -> None:
    (sheet,) = [r for r in crawled if r.report.url.endswith(".xlsx")]
    assert sheet.report.referrer and sheet.report.referrer.endswith("/cwgk/t2.html")
    assert [(c.worker_name, c.income_yuan) for c in sheet.checkins] == [
        ("王磊", 4800),
        ("赵敏", 5200),
    ]
    assert {c.period for c in sheet.checkins} == {"2026-11"}
    assert any(q.reason.startswith("totals row") for q in sheet.quarantined)


def test_no_page_of_the_crawl_is_fetched_twice(crawled: list[ParseResult]) -> None:
    urls = [r.report.url for r in crawled]
    assert len(urls) == len(set(urls)) == 3
