"""Wrap a report body in the chrome of a county government portal (政府网站).

Meta tags follow the national website guideline (SiteName, ColumnName, ArticleTitle, PubDate,
ContentSource), the body sits in a content-system container (div.TRS_Editor or #zoom), and
navigation, breadcrumbs and footer add the noise a parser has to look past.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

SITE_NAME = "云溪县人民政府"
NAV = ("首页", "政务公开", "政务服务", "互动交流", "走进云溪", "乡村振兴")


@dataclass(frozen=True)
class PageMeta:
    title: str
    column: str  # 栏目, e.g. "石门村村务公开"
    pub_date: str  # as the content system prints it: "2026-11-07 16:20"
    source: str  # 来源
    breadcrumb: tuple[str, ...] = ()
    charset: str = "utf-8"
    # "meta" → <meta charset="…">; "http-equiv" → the older Content-Type form.
    charset_style: str = "meta"
    container: str = "TRS_Editor"  # "TRS_Editor" → div.TRS_Editor; "zoom" → div#zoom


def gov_page(meta: PageMeta, body_html: str) -> str:
    """Return a whole portal page with `body_html` as the article content."""
    if meta.charset_style == "http-equiv":
        charset = f'<meta http-equiv="Content-Type" content="text/html; charset={meta.charset}">'
    else:
        charset = f'<meta charset="{meta.charset}">'
    nav = "".join(f'<li><a href="../../index.html">{escape(n)}</a></li>' for n in NAV)
    crumbs = " &gt; ".join(
        ['<a href="../../index.html">首页</a>']
        + [f"<span>{escape(c)}</span>" for c in meta.breadcrumb]
    )
    if meta.container == "zoom":
        content = f'<div id="zoom" class="article-content">{body_html}</div>'
    else:
        content = f'<div class="TRS_Editor"><div class="Custom_UnionStyle">{body_html}</div></div>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{charset}
<title>{escape(meta.title)}_{SITE_NAME}</title>
<meta name="SiteName" content="{SITE_NAME}">
<meta name="SiteDomain" content="www.yunxi.gov.example">
<meta name="SiteIDCode" content="4399210001">
<meta name="ColumnName" content="{escape(meta.column)}">
<meta name="ColumnType" content="村务公开">
<meta name="ArticleTitle" content="{escape(meta.title)}">
<meta name="PubDate" content="{escape(meta.pub_date)}">
<meta name="ContentSource" content="{escape(meta.source)}">
<meta name="Keywords" content="乡村振兴,就业帮扶,外出务工">
<link rel="stylesheet" href="../../css/style.css">
</head>
<body>
<div class="top-bar">今天是：<span id="today"></span>
  <a href="javascript:void(0)">无障碍浏览</a> <a href="javascript:void(0)">长者模式</a></div>
<div class="header"><img src="../../images/logo.png" alt="{SITE_NAME}"></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="position">当前位置：{crumbs}</div>
<div class="article">
  <h1 class="article-title">{escape(meta.title)}</h1>
  <div class="article-info">发布时间：{escape(meta.pub_date)}　　来源：{escape(meta.source)}
    　　浏览次数：<span id="hits">--</span>　　字号：[<a href="javascript:void(0)">大</a>
    <a href="javascript:void(0)">中</a> <a href="javascript:void(0)">小</a>]</div>
  {content}
  <div class="article-tools"><a href="javascript:window.print()">【打印本页】</a>
    <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="footer">
  <p>主办：云溪县人民政府办公室　承办：云溪县政务服务中心</p>
  <p>网站标识码：4399210001　示例ICP备00000000号　联系电话：0000-0000000</p>
  <p>本站为演示用虚构网站，所涉单位和人员均为虚构。</p>
</div>
</body>
</html>
"""
