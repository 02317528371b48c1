"""Render the county news site's stories about the practice, in a news site's chrome.

The text is invented for the fictional county; bylines follow the habits of Chinese news
sites (来源/作者/编辑/发布时间 in one line, or 记者/通讯员 in a lead line) and the body sits
among navigation, related-news lists, share buttons and a copyright footer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

NEWS_SITE = "云溪新闻网"


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    published: date
    time: str
    source: str
    authors: tuple[str, ...]
    editor: str
    paragraphs: tuple[str, ...]
    byline_style: str  # "labels": 来源：作者：编辑：; "lead": 记者/通讯员 in the first line


def articles(authors: list[str]) -> list[Article]:
    """Return the news stories; `authors` are fake names (reporters, stringers, editors)."""
    a = authors
    return [
        Article(
            path="/news/2026-11/05/content_3008121.html",
            title="一张“连心表”连起干群心——云溪县就业帮扶回访工作见闻",
            published=date(2026, 11, 5),
            time="2026-11-05 09:30",
            source="云溪日报",
            authors=(a[0], a[1]),
            editor=a[2],
            byline_style="labels",
            paragraphs=(
                "11月初的清晨，青石镇石门村的包户干部已经拨出了当天的第一个电话。电话那头，"
                "在广东东莞务工的村民说，上个月工资按时到账，厂里还涨了加班费。",
                "在云溪县，这样的电话每个月上旬都要打一遍。县里为每一户有外出务工人员的脱贫户"
                "建立了就业服务一览表，务工意愿、技能培训、务工单位和地点一一登记，群众亲切地"
                "称它为“连心表”。",
                "“表上每一栏都要有人负责。”县乡村振兴局相关负责人介绍，全县15名包户干部分片"
                "联系300余名外出务工人员，每月上旬电话回访，了解工作是否稳定、上月收入多少、"
                "有什么诉求，并现场宣讲务工交通补贴等政策。",
                "回访中发现的问题同样有人跟踪。三年来，县督查组采取“四不两直”方式开展督查40余次，"
                "推动解决就业帮扶领域问题120多个，提出意见建议200余条，督促发放务工交通补贴20万元。"
                "对督查发现的问题，督查组当晚审核问题清单，明确责任单位和整改时限，到期后再“杀回马枪”。",
                "为方便在外务工群众联系，县里还协调通信企业在偏远村组新建和升级基站928个，"
                "实现行政村光纤和4G网络全覆盖，电话回访“打得通、听得清”。",
                "“以前觉得出门打工就是自己的事，现在村里每个月都打电话来问，心里踏实。”"
                "在浙江宁波务工的白云乡村民说。",
            ),
        ),
        Article(
            path="/news/2026-10/28/content_3007954.html",
            title="白云乡开展外出务工人员技能培训 42名群众拿到证书",
            published=date(2026, 10, 28),
            time="2026-10-28 16:02:11",
            source="云溪融媒",
            authors=(a[3], a[4]),
            editor=a[5],
            byline_style="lead",
            paragraphs=(
                "10月26日，白云乡2026年外出务工人员技能培训班结业，42名学员通过考核拿到"
                "电工、家政服务等职业技能证书。",
                "培训班根据就业服务一览表登记的培训需求开设，课程由县人社局统一安排，"
                "学员培训期间每天可领取误工补贴。",
                "乡里还为有意外出的学员对接了省内外12家用工企业，现场达成就业意向30余人。",
            ),
        ),
        Article(
            path="/news/2026-10/12/content_3007610.html",
            title="云溪县召开就业帮扶工作推进会",
            published=date(2026, 10, 12),
            time="2026-10-12 18:45",
            source="云溪县乡村振兴局",
            authors=(a[6],),
            editor=a[7],
            byline_style="labels",
            paragraphs=(
                "10月11日，云溪县召开就业帮扶工作推进会，通报9月份外出务工人员电话回访情况。",
                "会议要求，各乡镇要坚持每月上旬电话回访，对回访中发现的失业、返乡人员，"
                "7日内落实就业援助措施；对连续两次联系不上的，包户干部要上门走访。",
            ),
        ),
    ]


def render_article(article: Article, related: list[Article]) -> str:
    """Return a whole news page for `article`."""
    if article.byline_style == "labels":
        byline = (
            f'<div class="info"><span>来源：{escape(article.source)}</span>'
            f"<span>作者：{escape(' '.join(article.authors))}</span>"
            f"<span>编辑：{escape(article.editor)}</span>"
            f"<span>发布时间：{article.time}</span></div>"
        )
        lead = ""
    else:
        byline = (
            f'<div class="info">{article.time}　来源：{escape(article.source)}'
            f"　责任编辑：{escape(article.editor)}</div>"
        )
        lead = (
            f"<p>云溪融媒记者 {escape(article.authors[0])} 通讯员 {escape(article.authors[1])}</p>"
        )
    body = lead + "".join(f"<p>　　{escape(p)}</p>" for p in article.paragraphs)
    related_items = "".join(
        f'<li><a href="{_relative(article.path, r.path)}">{escape(r.title)}</a>'
        f"<span>{r.published.isoformat()}</span></li>"
        for r in related
    )
    channels = "".join(
        f'<a href="../../index.html">{c}</a>'
        for c in ("首页", "时政", "乡村振兴", "民生", "视频", "专题")
    )
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{escape(article.title)} - {NEWS_SITE}</title>
<meta name="keywords" content="连心表,就业帮扶,电话回访">
<meta name="description" content="{escape(article.paragraphs[0][:60])}">
</head>
<body>
<div class="topnav">{channels}<a href="javascript:void(0)">登录</a></div>
<div class="crumb">您的位置：<a href="../../index.html">首页</a> &gt; 乡村振兴 &gt; 正文</div>
<div class="main">
  <h1>{escape(article.title)}</h1>
  {byline}
  <div class="content" id="content">{body}</div>
  <div class="share">分享到：<a href="javascript:void(0)">微信</a>
    <a href="javascript:void(0)">微博</a></div>
  <div class="related"><h3>相关新闻</h3><ul>{related_items}</ul></div>
</div>
<div class="foot"><p>Copyright &copy; 2026 {NEWS_SITE} All Rights Reserved</p>
<p>本站为演示用虚构网站，未经授权禁止转载</p></div>
</body>
</html>
"""


def _relative(here: str, there: str) -> str:
    # Both are /news/YYYY-MM/DD/file.html: up three levels reaches the site root.
    return "../../.." + there
