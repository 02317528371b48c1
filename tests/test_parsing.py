"""Parsing: every sample page reads back as the portal's ground truth; bad input never raises."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pytest

from lianxin.parsing import parse_page
from lianxin.parsing.deadlines import read_deadline
from lianxin.parsing.decode import decode_page
from lianxin.parsing.text import (
    find_period,
    parse_date,
    parse_reached,
    parse_work_status,
    parse_yuan,
)
from lianxin.portal import Site, build_site
from lianxin.records import (
    ParseResult,
    ParseStatus,
    ProblemStatus,
    ReportKind,
    Severity,
    WorkStatus,
)

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://portal.example"
FETCHED_AT = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)


@cache
def site() -> Site:
    return build_site()


@cache
def parsed(path: str) -> ParseResult:
    content, content_type = site()[path]
    return parse_page(
        content,
        BASE + path,
        source="sample",
        fetched_at=FETCHED_AT,
        http_charset=content_type.split("charset=")[1],
        content_type=content_type,
    )


def paths_of(kind: ReportKind) -> list[str]:
    return [page.path for page in site().truth.pages_of(kind)]


def fixture(name: str, **kwargs: object) -> ParseResult:
    return parse_page(
        (FIXTURES / name).read_bytes(),
        f"{BASE}/fixtures/{name}",
        source="fixture",
        fetched_at=FETCHED_AT,
        **kwargs,
    )  # type: ignore[arg-type]


# --- the sample portal, page by page -------------------------------------------------------


@pytest.mark.parametrize("path", paths_of(ReportKind.checkin_table))
def test_each_checkin_table_yields_every_call_it_publishes(path: str) -> None:
    truth = site().truth.pages[path]
    result = parsed(path)
    assert result.report.kind is ReportKind.checkin_table
    assert result.report.parse_status is ParseStatus.ok
    assert result.checkins == truth.checkins
    assert (result.report.title, result.report.published) == (truth.title, truth.published)
    assert (result.report.county, result.report.town, result.report.village) == (
        truth.county,
        truth.town,
        truth.village,
    )


def test_all_checkins_of_each_month_are_read_across_villages() -> None:
    by_period: dict[str, list[object]] = {}
    for path in paths_of(ReportKind.checkin_table):
        for checkin in parsed(path).checkins:
            by_period.setdefault(checkin.period, []).append(checkin)
    for period, expected in site().truth.checkins.items():
        assert sorted(by_period[period], key=repr) == sorted(expected, key=repr)


def test_totals_and_signature_rows_of_sample_tables_are_quarantined_not_dropped() -> None:
    rows = [q for path in paths_of(ReportKind.checkin_table) for q in parsed(path).quarantined]
    assert any(q.reason.startswith("totals row (合计)") for q in rows)
    notes = [q for q in rows if q.reason.startswith("note row")]
    assert notes and all(any("填表人" in cell for cell in q.raw.values()) for q in notes)


@pytest.mark.parametrize("path", paths_of(ReportKind.roster))
def test_each_town_roster_yields_its_workers_cadres_and_places(path: str) -> None:
    truth = site().truth.pages[path]
    result = parsed(path)
    assert result.report.kind is ReportKind.roster
    assert result.workers == truth.workers
    assert result.cadres == truth.cadres
    assert result.regions == truth.regions
    assert not result.quarantined


def test_the_rosters_together_name_every_worker_and_cadre_of_the_county() -> None:
    workers = [w for path in paths_of(ReportKind.roster) for w in parsed(path).workers]
    cadres = [c for path in paths_of(ReportKind.roster) for c in parsed(path).cadres]
    assert workers == site().truth.workers
    assert cadres == site().truth.cadres


@pytest.mark.parametrize("path", paths_of(ReportKind.problem_list))
def test_each_supervision_notice_yields_its_problems_with_deadlines(path: str) -> None:
    truth = site().truth.pages[path]
    result = parsed(path)
    assert result.report.kind is ReportKind.problem_list
    assert result.problems == truth.problems
    assert all(p.deadline is not None for p in result.problems)


def test_items_without_their_own_deadline_take_the_notice_wide_one() -> None:
    november = parsed(paths_of(ReportKind.problem_list)[1])
    by_number = {p.number: p for p in november.problems}
    assert by_number["二(一)1"].deadline == date(2026, 11, 20)
    assert by_number["二(一)2"].deadline == date(2026, 11, 30)
    assert by_number["二(三)"].category == "存在的问题"
    assert by_number["二(二)1"].responsible_unit == "白云乡人民政府、县人社局"


@pytest.mark.parametrize("path", paths_of(ReportKind.article))
def test_each_news_story_yields_byline_and_body_without_page_noise(path: str) -> None:
    truth = site().truth.pages[path]
    report = parsed(path).report
    assert report.kind is ReportKind.article
    assert (report.title, report.published) == (truth.title, truth.published)
    assert report.authors == truth.authors
    assert report.editor == truth.editor
    assert report.content_source == truth.content_source
    assert report.body == "\n".join(truth.paragraphs)
    for noise in ("相关新闻", "Copyright", "分享到", "您的位置"):
        assert noise not in report.body


@pytest.mark.parametrize("path", paths_of(ReportKind.listing))
def test_each_listing_yields_its_report_links_and_next_page(path: str) -> None:
    truth = site().truth.pages[path]
    result = parsed(path)
    assert result.report.kind is ReportKind.listing
    assert result.links == [BASE + link for link in truth.links]
    assert result.next_page == (BASE + truth.next_page if truth.next_page else None)


def test_following_next_pages_reaches_every_checkin_table() -> None:
    url: str | None = BASE + "/cwgk/index.html"
    links: list[str] = []
    while url:
        result = parsed(url.removeprefix(BASE))
        links += result.links
        url = result.next_page
    assert sorted(links) == sorted(BASE + p for p in paths_of(ReportKind.checkin_table))


def test_gbk_page_decodes_by_header_by_meta_and_despite_a_wrong_header() -> None:
    path = next(p for p, (_, ct) in site().items() if ct.endswith("gbk"))
    content, _ = site()[path]
    for header in ("gbk", None, "utf-8", "iso-8859-1"):
        decoded = decode_page(content, header)
        assert decoded.encoding == "gb18030"
        assert site().truth.pages[path].title in decoded.text


def test_content_hash_is_the_sha256_of_the_raw_bytes() -> None:
    path = paths_of(ReportKind.article)[0]
    assert parsed(path).report.content_hash == hashlib.sha256(site()[path][0]).hexdigest()


# --- hand-written pages ---------------------------------------------------------------------


def test_a_gbk_table_with_a_merged_header_reads_its_good_rows() -> None:
    result = fixture("checkin_gbk.html")
    assert result.report.kind is ReportKind.checkin_table
    names = [c.worker_name for c in result.checkins]
    assert names == ["李小明", "赵红梅", "钱大勇", "孙小燕", "周建国"]
    xiaoming, hongmei, dayong, xiaoyan, jianguo = result.checkins
    assert (xiaoming.period, xiaoming.village, xiaoming.cadre) == ("2026-11", "红岩村", "王芳")
    assert (xiaoming.income_yuan, xiaoming.call_date) == (4500, date(2026, 11, 2))
    assert (hongmei.income_yuan, hongmei.worker_phone) == (5200, "137****0002")
    assert hongmei.demands == "希望参加电商培训"
    assert (dayong.reached, dayong.income_yuan, dayong.employer) == (False, None, None)
    assert xiaoming.extra == {"务工年限": "3年"}
    # An income the reader refuses (不详, 999999 a month) leaves the field empty, not the call:
    # the call happened, and a refused row would make the worker look uncalled.
    assert (xiaoyan.income_yuan, xiaoyan.extra["月工资（元）"]) == (None, "不详")
    assert (jianguo.income_yuan, jianguo.call_date) == (None, date(2026, 11, 6))


def test_totals_and_bad_rows_are_quarantined_with_their_reasons() -> None:
    result = fixture("checkin_gbk.html")
    reasons = {q.row: q.reason for q in result.quarantined}
    assert result.report.parse_status is ParseStatus.partial
    assert "missing worker name" in reasons[4]
    severity = {q.row: q.severity for q in result.quarantined}
    assert "not an amount of money" in reasons[5]
    assert "implausible monthly income" in reasons[6]
    assert severity[5] is severity[6] is Severity.warning  # the rows are kept (see above)
    assert reasons[7].startswith("totals row (合计)")
    assert result.quarantined[0].raw["手机号"] == "136****0004"
    assert result.report.errors == ["row 4: missing worker name (姓名)"]


def test_a_county_roster_with_town_and_village_columns_reads_each_row() -> None:
    result = fixture("roster_county.html")
    assert result.report.kind is ReportKind.roster
    xiaoming, hongmei, dayong = result.workers
    assert (xiaoming.town, xiaoming.village, xiaoming.household) == ("红岩镇", "红岩村", "李大山")
    assert (xiaoming.start_date, xiaoming.status) == (date(2025, 3, 1), WorkStatus.employed)
    assert xiaoming.extra == {"回访时间": "2026-10-05"}
    assert (hongmei.status, hongmei.employer, hongmei.skills) == (WorkStatus.looking, None, None)
    assert (dayong.status, dayong.start_date) == (WorkStatus.returned, date(2024, 6, 15))
    assert [(c.name, c.town, c.phone) for c in result.cadres] == [
        ("王芳", "红岩镇", "13800000009"),
        ("陈刚", "河口镇", "13800000010"),
    ]
    assert [(r.level.value, r.name, r.parent) for r in result.regions] == [
        ("county", "示例县", None),
        ("town", "红岩镇", "示例县"),
        ("town", "河口镇", "示例县"),
        ("village", "红岩村", "红岩镇"),
        ("village", "河口村", "河口镇"),
    ]


def test_a_notice_numbered_1_then_paren_1_reads_problems_and_the_wide_deadline() -> None:
    result = fixture("problem_notice.html")
    assert result.report.kind is ReportKind.problem_list
    by_number = {p.number: p for p in result.problems}
    assert list(by_number) == ["1(1)", "1(2)", "2(1)", "2(2)"]
    assert by_number["1(1)"].place == "红岩镇红岩村"
    assert by_number["1(1)"].deadline == date(2026, 10, 10)
    assert by_number["1(1)"].category == "帮扶台账方面"
    assert by_number["1(2)"].deadline == date(2026, 10, 15)  # the notice-wide deadline
    assert by_number["1(2)"].responsible_unit == "红岩镇、县人社局"
    assert by_number["2(1)"].deadline == date(2026, 9, 30)  # 立行立改: the notice's own date
    assert by_number["2(2)"].deadline == date(2026, 10, 20)
    assert by_number["2(2)"].description == "就业帮扶车间吸纳脱贫劳动力不足，岗位信息未公开"
    assert all(p.status is ProblemStatus.open for p in result.problems)


def test_a_problem_whose_deadline_cannot_be_read_is_quarantined() -> None:
    notice = (FIXTURES / "problem_notice.html").read_text(encoding="utf-8")
    page = notice.replace("整改时限：立行立改", "整改时限：尽快").encode()
    result = parse_page(page, f"{BASE}/n.html", source="fixture", fetched_at=FETCHED_AT)
    assert result.report.parse_status is ParseStatus.partial
    (item,) = result.quarantined
    assert "2(1)" in item.reason and "尽快" in item.reason
    assert "交通补贴" in item.raw["text"]


def test_the_supervision_tables_status_column_becomes_problem_status() -> None:
    october = parsed(paths_of(ReportKind.problem_list)[0])
    assert [p.status for p in october.problems] == [
        ProblemStatus.rectified,
        ProblemStatus.verified,
        ProblemStatus.rectifying,
        ProblemStatus.open,
        ProblemStatus.rectified,
    ]


# --- pages that cannot be read --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty page"),
        (bytes(range(256)) * 40, "undecodable"),
        (bytes(range(128, 256)) * 40 + b"<html>", "undecodable"),
    ],
)
def test_an_unreadable_page_is_failed_and_quarantined_with_the_reason(
    content: bytes, reason: str
) -> None:
    result = parse_page(content, BASE + "/x.html", source="s", fetched_at=FETCHED_AT)
    assert result.report.parse_status is ParseStatus.failed
    (entry,) = result.quarantined
    assert reason in entry.reason and entry.row is None
    assert result.report.content_hash == hashlib.sha256(content).hexdigest()


def test_a_pdf_is_refused_by_its_content_type() -> None:
    result = parse_page(
        b"%PDF-1.4 ...",
        BASE + "/a.pdf",
        source="s",
        fetched_at=FETCHED_AT,
        content_type="application/pdf",
    )
    assert result.report.parse_status is ParseStatus.failed
    assert "unsupported content type application/pdf" in result.quarantined[0].reason


def test_forcing_a_table_kind_on_a_page_without_that_table_fails_clearly() -> None:
    path = paths_of(ReportKind.article)[0]
    content, _ = site()[path]
    result = parse_page(
        content, BASE + path, source="s", fetched_at=FETCHED_AT, kind="checkin_table"
    )
    assert result.report.parse_status is ParseStatus.failed
    assert "no checkin_table table found" in result.quarantined[0].reason


@pytest.mark.parametrize(
    "html",
    [
        "<table><tr><td rowspan='x' colspan='99999'>姓名</td><td>回访时间</td></tr>"
        "<tr><td>张三</td></tr></table>",
        "<table><tr><th>姓名</th><th>上月收入</th><th>回访时间</th></tr></table>",
        "<html><body><p>一、</p><p>（一）</p><p>1.</p></body></html>",
        "<a href='javascript:'>下一页</a><script>createPageHTML(x, y, 'index', 'html')</script>",
        "<<<>>>&&&",
    ],
)
def test_broken_html_never_raises(html: str) -> None:
    result = parse_page(html.encode(), BASE + "/b.html", source="s", fetched_at=FETCHED_AT)
    assert result.report.url == BASE + "/b.html"


# --- text helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-08", date(2026, 11, 8)),
        ("2026年11月8日", date(2026, 11, 8)),
        ("11月8日", date(2026, 11, 8)),
        ("2026.11.8", date(2026, 11, 8)),
        ("2026/11/08", date(2026, 11, 8)),
        ("２０２６年１１月８日", date(2026, 11, 8)),
        ("20261108", date(2026, 11, 8)),
        ("—", None),
        ("", None),
    ],
)
def test_chinese_dates_are_read_with_the_pages_year(text: str, expected: date | None) -> None:
    assert parse_date(text, default_year=2026) == expected


def test_impossible_or_yearless_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="not a real day"):
        parse_date("11月32日", 2026)
    with pytest.raises(ValueError, match="without a year"):
        parse_date("11月8日")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4500", 4500),
        ("４５００", 4500),
        ("4,500元", 4500),
        ("0.45万元", 4500),
        ("约5000元", 5000),
        ("0", 0),
        ("—", None),
        ("/", None),
        ("无", None),
        ("", None),
    ],
)
def test_incomes_become_whole_yuan(text: str, expected: int | None) -> None:
    assert parse_yuan(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", True),
        ("已接通", True),
        ("√", True),
        ("否", False),
        ("未接通", False),
        ("无人接听", False),
        ("关机", False),
        ("×", False),
        ("", None),
    ],
)
def test_reached_words_become_booleans(text: str, expected: bool | None) -> None:
    assert parse_reached(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("在岗务工", WorkStatus.employed),
        ("已就业", WorkStatus.employed),
        ("待业", WorkStatus.looking),
        ("求职中", WorkStatus.looking),
        ("未就业（求职）", WorkStatus.looking),
        ("返乡", WorkStatus.returned),
        ("返乡在家", WorkStatus.returned),
        ("参军", WorkStatus.other),
        ("—", None),
    ],
)
def test_work_status_words_become_statuses(text: str, expected: WorkStatus | None) -> None:
    assert parse_work_status(text) == expected


def test_the_month_comes_from_titles_in_either_form() -> None:
    assert find_period("关于柳溪村2026年9月份外出务工人员回访情况的公示") == "2026-09"
    assert find_period("回访台账（2026-11）") == "2026-11"
    assert find_period("2026年11月8日发布") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("月底前", date(2026, 11, 30)),
        ("年底前", date(2026, 12, 31)),
        ("十个工作日内", date(2026, 11, 20)),
        ("春节前", date(2027, 2, 3)),  # the day before the holiday
        ("12月15日前", date(2026, 12, 15)),
    ],
)
def test_a_notice_deadline_reads_every_rule_the_date_parser_knows(
    text: str, expected: date
) -> None:
    assert read_deadline(text, date(2026, 11, 6), 2026) == expected


def test_a_rule_deadline_without_the_notice_date_is_refused() -> None:
    with pytest.raises(ValueError, match="counts from the notice"):
        read_deadline("十天内", None, 2026)
    assert read_deadline("12月15日前", None, 2026) == date(2026, 12, 15)
