"""The story of a page laid out the way strangers lay pages out: its body, its kind, its charset.

Each page here is hand-written and shows one layout kind seen on real Chinese news and
government sites: text in a bare <div> broken by <br>, a story inside layout tables, a `.main`
that is only the breadcrumb, a login box in the page header, a long related-news list, and
bytes that name no charset. People and places are invented.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lianxin.parsing import parse_page
from lianxin.parsing.decode import decode_page
from lianxin.records import ParseResult, ParseStatus, ReportKind

FETCHED_AT = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)

# A story about 青山村's autumn job fair, three paragraphs long.
STORY = (
    "11月3日上午，青山镇在青山村文化广场举办秋季就业招聘会，二十余家企业带来岗位四百多个。",
    "村党支部书记王建国说，今年全村外出务工人员比去年多了三十人，回乡创业的也有五户。",
    "镇人社所所长刘敏介绍，招聘会后将为有意向的群众建立台账，每月上旬电话回访一次。",
)
PARAGRAPHS = "".join(f"<p>{s}</p>" for s in STORY)
NAV = '<a href="/">首页</a> <a href="/xw/">新闻中心</a> <a href="/zw/">政务公开</a>'
RELATED = "".join(
    f'<li><a href="/xw/2026{i:02d}/t{i}.html">青山镇第{i}期农村实用技术培训班顺利结业</a></li>'
    for i in range(1, 13)
)


def parse(html: str, url: str = "http://qingshan.example/xw/t1.html") -> ParseResult:
    return parse_page(html.encode("utf-8"), url, source="fixture", fetched_at=FETCHED_AT)


def page(body: str, title: str = "青山镇举办秋季就业招聘会") -> str:
    return (
        f'<html><head><meta charset="utf-8"><title>{title}_青山镇人民政府</title></head>'
        f"<body>{body}</body></html>"
    )


def assert_story_read(result: ParseResult) -> None:
    assert result.report.kind is ReportKind.article
    assert result.report.parse_status is ParseStatus.ok
    for sentence in STORY:
        assert sentence in result.report.body


def test_a_story_written_as_div_text_broken_by_br_is_read_line_by_line() -> None:
    result = parse(
        page(
            f'<div class="top">{NAV}</div>'
            f'<div class="wrap"><h1>青山镇举办秋季就业招聘会</h1>'
            f'<div class="txt">{"<br><br>".join(STORY)}</div></div>'
        )
    )
    assert_story_read(result)
    assert result.report.body.split("\n") == list(STORY)
    assert "新闻中心" not in result.report.body


def test_a_story_in_the_cell_of_a_layout_table_is_read_without_the_menu_cells() -> None:
    cells = "".join(f"<tr><td>{NAV}</td></tr>" for _ in range(3))
    result = parse(
        page(
            f"<table><tr><td><table>{cells}</table></td>"
            f'<td><table><tr><td><font size="3">{"<br>".join(STORY)}</font></td></tr>'
            '<tr><td>【<a href="javascript:window.print()">打印本页</a>】</td></tr>'
            "</table></td></tr></table>"
        )
    )
    assert_story_read(result)
    assert "首页" not in result.report.body and "打印本页" not in result.report.body


def test_a_main_class_on_the_breadcrumb_does_not_hide_the_story() -> None:
    result = parse(
        page(
            f'<div class="main">当前位置：{NAV} &gt; 乡镇动态</div>'
            f'<div class="news-text">{PARAGRAPHS}</div>'
        )
    )
    assert_story_read(result)
    assert "当前位置" not in result.report.body


def test_a_zoom_id_on_a_search_box_does_not_hide_the_story() -> None:
    result = parse(
        page(
            '<div id="zoom"><form action="/search"><input name="q">'
            "<button>站内搜索</button></form></div>"
            f"<div>{PARAGRAPHS}</div>"
        )
    )
    assert_story_read(result)
    assert "站内搜索" not in result.report.body


def test_a_login_box_in_the_header_does_not_make_a_story_a_login_page() -> None:
    result = parse(
        page(
            '<div class="head"><form action="/member/login">用户名<input name="u">'
            '密码<input type="password" name="p"><button>登录</button></form></div>'
            f'<div class="art"><p>{STORY[0]}</p><p>{STORY[1]}</p></div>'
        )
    )
    assert result.report.kind is ReportKind.article
    assert result.report.parse_status is ParseStatus.ok
    assert result.report.body.split("\n") == [STORY[0], STORY[1]]


def test_a_page_that_is_only_a_login_form_is_still_refused() -> None:
    result = parse(
        page(
            '<div class="box"><h2>用户登录</h2><form action="/login">用户名<input name="u">'
            '密码<input type="password" name="p"><button>登 录</button></form>'
            '<p><a href="/forget">忘记密码？</a></p></div>',
            title="统一身份认证",
        )
    )
    assert result.report.parse_status is ParseStatus.failed
    assert "login page" in result.report.errors[0]


def test_a_story_with_a_long_related_news_list_is_an_article_without_the_list() -> None:
    result = parse(
        page(
            f'<div class="article"><h1>青山镇举办秋季就业招聘会</h1><p>{STORY[0]}</p>'
            f"<p>{STORY[1]}</p><h3>相关新闻</h3><ul>{RELATED}</ul></div>"
            '<div class="pages"><a href="/xw/index_1.html">下一页</a></div>'
        )
    )
    assert result.report.kind is ReportKind.article
    assert result.report.body.split("\n") == [STORY[0], STORY[1]]
    assert result.links == []


def test_a_news_listing_with_a_summary_under_each_title_is_still_a_listing() -> None:
    items = "".join(
        f'<li><a href="/xw/t{i}.html">青山镇第{i}期农村实用技术培训班顺利结业</a>'
        f"<p>{STORY[i % 3]}</p></li>"
        for i in range(1, 9)
    )
    result = parse(
        page(
            f'<ul class="news">{items}</ul><div><a href="index_1.html">下一页</a></div>',
            title="乡镇动态",
        ),
        url="http://qingshan.example/xw/index.html",
    )
    assert result.report.kind is ReportKind.listing
    assert result.links == [f"http://qingshan.example/xw/t{i}.html" for i in range(1, 9)]
    assert result.next_page == "http://qingshan.example/xw/index_1.html"


def test_valid_utf8_that_names_no_charset_is_read_as_utf8() -> None:
    html = page(f"<div>{PARAGRAPHS}</div>").replace('<meta charset="utf-8">', "")
    decoded = decode_page(html.encode("utf-8"))
    assert (decoded.encoding, decoded.declared_by) == ("utf-8", "detected")
    result = parse_page(
        html.encode("utf-8"), "http://qingshan.example/a", source="t", fetched_at=FETCHED_AT
    )
    assert result.report.title == "青山镇举办秋季就业招聘会"
    assert_story_read(result)


def test_gbk_bytes_that_name_no_charset_are_read_as_gb18030() -> None:
    html = page(f"<div>{PARAGRAPHS}</div>").replace('<meta charset="utf-8">', "")
    decoded = decode_page(html.encode("gbk"))
    assert decoded.encoding == "gb18030"
    assert STORY[1] in decoded.text


def test_a_header_div_left_open_around_the_whole_page_does_not_hide_the_story() -> None:
    result = parse(
        page(
            f'<div class="post_header"><div class="logo">{NAV}'
            f'<div class="post_body"><h1>青山镇举办秋季就业招聘会</h1>{PARAGRAPHS}</div>'
        )
    )
    assert_story_read(result)
    assert result.report.body.split("\n") == list(STORY)


def test_a_comment_thread_longer_than_the_story_stays_out_of_it() -> None:
    comments = "".join(
        f"<p>网友{i}：{STORY[i % 3]}我们村也想办一场，请问怎么报名？</p>" for i in range(12)
    )
    result = parse(page(f'<div class="post">{PARAGRAPHS}</div><div id="comments">{comments}</div>'))
    assert_story_read(result)
    assert "网友" not in result.report.body


def test_teaser_cards_wrapped_in_links_beside_the_story_stay_out_of_it() -> None:
    # Each card of the side column is one <a> around a title block and a long summary block.
    summary = "镇农技站站长赵立平说，今年全镇推广水稻新品种三千亩，亩产提高一成，农户增收。"
    cards = "".join(
        f'<li><a href="/xw/t{i}.html"><div class="card"><div class="cap">第{i}期农技快讯</div>'
        f'<div class="sum">{summary * 4}</div></div></a></li>'
        for i in range(3)
    )
    result = parse(
        page(
            f'<div class="left"><h1>青山镇举办秋季就业招聘会</h1>{PARAGRAPHS}</div>'
            f'<div class="right"><ul>{cards}</ul></div>'
        )
    )
    assert_story_read(result)
    assert "农技" not in result.report.body


def test_a_main_class_around_the_story_and_its_replies_gives_only_the_story() -> None:
    replies = "".join(
        f'<li><div class="reply-item"><span>游客{i}</span><p>{STORY[i % 3]}说得好。</p></div></li>'
        for i in range(6)
    )
    result = parse(
        page(
            f'<div class="main"><div class="art"><h1>青山镇举办秋季就业招聘会</h1>'
            f'<div class="txt">{PARAGRAPHS}</div></div>'
            f'<div class="replies"><ul>{replies}</ul></div></div>'
        )
    )
    assert_story_read(result)
    assert "游客" not in result.report.body and "说得好" not in result.report.body
