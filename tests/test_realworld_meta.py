"""Publication times, writers and titles as strangers' pages state them.

Each fixture is a small hand-written page (fake people, fake places) showing one kind of layout
seen on real Chinese news, forum and government pages: a bare date-time under the title, 发表于,
dotted dates, a related-news list with newer dates after the story, meta tags, bylines.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from lianxin.parsing import parse_page
from lianxin.records import Report

STORY = "<p>" + "青山村今年新建了两座蔬菜大棚，带动二十多户村民在家门口务工增收。" * 3 + "</p>"


def report_of(html: str) -> Report:
    page = f"<html><head><meta charset='utf-8'>{html.split('<body>')[0]}</head>"
    page += "<body>" + html.split("<body>")[1] + "</body></html>"
    result = parse_page(
        page.encode("utf-8"),
        "https://news.example.cn/2024/a.html",
        source="test",
        fetched_at=datetime(2024, 6, 1, tzinfo=timezone.utc),
    )
    return result.report


def test_an_unlabelled_date_time_under_the_title_is_the_publication_minute() -> None:
    report = report_of(
        "<title>白云乡举办春季招聘会_云溪新闻网</title><body>"
        "<div class='top'>2024年05月30日 星期四</div>"
        "<h1>白云乡举办春季招聘会</h1>"
        "<div class='info'>2024年03月21日 11:21　云溪新闻网</div>"
        f"{STORY}"
    )
    assert (report.published, report.published_time) == (date(2024, 3, 21), time(11, 21))


def test_a_forum_post_says_when_it_was_posted_with_fabiaoyu() -> None:
    report = report_of(
        "<title>说说我们村的合作社</title><body>"
        "<h2>说说我们村的合作社</h2>"
        f"{STORY}"
        "<div>作者：山间小溪 发表于 2023-11-12 16:36</div>"
        "<div>网友 老周 回复于 2023-11-13 09:02</div>"
    )
    assert (report.published, report.published_time) == (date(2023, 11, 12), time(16, 36))


def test_a_dotted_date_with_a_label_is_read() -> None:
    report = report_of(
        "<title>关于做好务工人员返岗服务的通知</title><body>"
        "<h1>关于做好务工人员返岗服务的通知</h1>"
        "<div>发布时间：2022.01.20　来源：云溪县人社局</div>"
        f"{STORY}"
    )
    assert report.published == date(2022, 1, 20)
    assert report.published_time is None


def test_newer_dates_in_a_related_news_list_are_not_the_publication_date() -> None:
    report = report_of(
        "<title>石门村修通产业路</title><body>"
        "<h1>石门村修通产业路</h1>"
        "<div>2019/05/17　来源：云溪日报</div>"
        f"{STORY}"
        "<ul><li><a href='/b.html'>白云乡光伏电站并网发电</a><span>2019-09-06</span></li>"
        "<li><a href='/c.html'>青山村组织技能培训</a><span>2019-09-08</span></li></ul>"
    )
    assert report.published == date(2019, 5, 17)


def test_a_date_the_story_mentions_is_not_its_publication_date() -> None:
    report = report_of(
        "<title>新规施行</title><body>"
        "<h1>新规施行</h1>"
        "<p>记者从县农业农村局了解到，"
        + "新的补贴办法将惠及全县种粮大户和家庭农场，" * 4
        + "办法自2022年2月10日起施行。</p>"
    )
    assert report.published is None


def test_meta_tags_give_the_day_and_the_page_shows_its_minute() -> None:
    report = report_of(
        "<meta property='article:published_time' content='2019-09-07T06:52:51+08:00'>"
        "<title>龙山镇入选省级示范镇</title><body>"
        "<h1>龙山镇入选省级示范镇</h1>"
        "<div>2019年09月07日 04:04　云溪晚报</div>"
        f"{STORY}"
    )
    assert (report.published, report.published_time) == (date(2019, 9, 7), time(4, 4))


def test_a_meta_time_in_utc_is_moved_to_china_time() -> None:
    report = report_of(
        "<meta property='article:published_time' content='2020-03-01T23:30:00Z'>"
        f"<title>夜间快讯</title><body><h1>夜间快讯</h1>{STORY}"
    )
    assert (report.published, report.published_time) == (date(2020, 3, 2), time(7, 30))


def test_the_last_update_time_is_not_the_publication_time() -> None:
    report = report_of(
        "<title>县里发布用工信息</title><body><h1>县里发布用工信息</h1>"
        "<div>最后更新：2021-06-02 10:00</div><div>发布时间：2021-06-01 08:30</div>"
        f"{STORY}"
    )
    assert (report.published, report.published_time) == (date(2021, 6, 1), time(8, 30))


def test_a_documents_written_date_in_its_own_cell_outranks_the_portals_date() -> None:
    report = report_of(
        "<meta name='PubDate' content='2022-01-28 00:00:00'>"
        "<title>云溪县人民政府关于春耕备耕的通告</title><body>"
        "<table><tr><td>发文机关：</td><td>云溪县人民政府</td>"
        "<td>成文日期：</td><td>2022年01月27日</td></tr>"
        "<tr><td>发布日期：</td><td>2022年01月28日</td></tr></table>"
        f"<h1>云溪县人民政府关于春耕备耕的通告</h1>{STORY}"
    )
    assert report.published == date(2022, 1, 27)
    assert report.published_time is None  # 00:00:00 is what date-only systems write


def test_a_reporter_and_stringer_lead_names_both_writers() -> None:
    report = report_of(
        "<title>青山村的竹编走出了大山</title><body><h1>青山村的竹编走出了大山</h1>"
        "<div>本报记者 孟晓东 通讯员 段春燕</div>"
        f"{STORY}"
    )
    assert report.authors == ["孟晓东", "段春燕"]


def test_a_bracketed_reporter_opening_the_lead_is_the_author() -> None:
    report = report_of(
        "<title>白云乡改造农村户厕</title><body><h1>白云乡改造农村户厕</h1>"
        "<p>据云溪日报讯（记者 卓玛次仁）记者近日从白云乡了解到，"
        + "全乡今年改造户用卫生厕所一千余座，" * 4
        + "</p>"
    )
    assert report.authors == ["卓玛次仁"]


def test_a_page_naming_only_its_editor_takes_the_editor_as_author() -> None:
    # Readers who labelled real pages, and GNE, name the responsible editor when no writer is.
    report = report_of(
        "<meta name='author' content='云溪新闻网'>"
        "<title>石门村修通产业路</title><body><h1>石门村修通产业路</h1>"
        f"{STORY}<p>（责任编辑：汪晓峰_NB12）</p>"
    )
    assert report.editor == "汪晓峰"
    assert report.authors == ["汪晓峰"]


def test_a_site_named_as_meta_author_is_no_author() -> None:
    report = report_of(
        "<meta name='author' content='云溪新闻网'>"
        "<title>龙山镇召开务工座谈会</title><body><h1>龙山镇召开务工座谈会</h1>"
        f"{STORY}<div>来源：云溪新闻网</div>"
    )
    assert report.authors == []


def test_a_person_named_in_the_meta_author_tag_is_the_author() -> None:
    report = report_of(
        "<meta name='citation_authors' content='欧阳  婧'>"
        f"<title>村级电商调查</title><body><h1>村级电商调查</h1>{STORY}"
    )
    assert report.authors == ["欧阳婧"]


def test_a_labelled_author_line_amid_other_labels_is_read() -> None:
    report = report_of(
        "<title>乡村振兴读本_连载</title><body><h1>乡村振兴读本</h1>"
        "<div>连载：乡村振兴读本 出版社：云溪出版社 作者： 龚卫平</div>"
        f"{STORY}"
    )
    assert report.authors == ["龚卫平"]


def test_a_government_documents_issuing_office_is_its_author() -> None:
    report = report_of(
        "<title>云溪县人民政府关于春耕备耕的通告</title><body>"
        "<table><tr><td>发文机关：</td><td>云溪县人民政府</td></tr></table>"
        f"<h1>云溪县人民政府关于春耕备耕的通告</h1>{STORY}"
    )
    assert report.authors == ["云溪县人民政府"]


def test_a_placeholder_author_is_no_author() -> None:
    report = report_of(
        f"<title>游戏评测</title><body><h1>游戏评测</h1><div>作者：未知 来源：网络</div>{STORY}"
    )
    assert report.authors == []


def test_the_heading_the_title_tag_repeats_beats_a_cut_og_title() -> None:
    report = report_of(
        '<meta property="og:title" content="云溪县揭秘">'
        '<title>云溪县揭秘"连心表"背后的故事-云溪新闻网</title><body>'
        '<h1>云溪县揭秘"连心表"背后的故事</h1>'
        f"{STORY}"
    )
    assert report.title == '云溪县揭秘"连心表"背后的故事'


def test_a_tag_before_the_heading_is_not_part_of_the_title() -> None:
    report = report_of(
        "<title>最会种菜的村子：青山村的大棚经</title><body>"
        "<h1><span>原创</span> 最会种菜的村子：青山村的大棚经</h1>"
        f"{STORY}"
    )
    assert report.title == "最会种菜的村子：青山村的大棚经"
