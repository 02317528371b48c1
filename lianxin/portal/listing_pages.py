"""Render column listings (栏目列表页): dated links to reports, eight to a page, with 下一页."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

PER_PAGE = 8


@dataclass(frozen=True)
class Entry:
    path: str  # absolute path on the site
    title: str
    published: date


def listing_paths(prefix: str, count: int) -> list[str]:
    """Return the paths of a column's listing pages: index.html, index_1.html, …"""
    pages = max(1, -(-count // PER_PAGE))
    return [f"{prefix}index.html" if n == 0 else f"{prefix}index_{n}.html" for n in range(pages)]


def render_listing(
    site_name: str, column: str, prefix: str, entries: list[Entry], script_pager: bool = False
) -> dict[str, str]:
    """Return {path: html} for every page of a column listing, newest entries first.

    `script_pager` writes the pager as TRS content systems do (createPageHTML in a script)
    instead of as plain links, so the listing parser has to understand both.
    """
    ordered = sorted(entries, key=lambda e: (e.published, e.path), reverse=True)
    paths = listing_paths(prefix, len(ordered))
    out: dict[str, str] = {}
    for number, path in enumerate(paths):
        chunk = ordered[number * PER_PAGE : (number + 1) * PER_PAGE]
        items = "".join(
            f'<li><a href="{_relative(prefix, e.path)}" target="_blank" title="{escape(e.title)}">'
            f'{escape(e.title)}</a><span class="date">{e.published.isoformat()}</span></li>'
            for e in chunk
        )
        pager = _script_pager(len(paths), number) if script_pager else _link_pager(paths, number)
        out[path] = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{escape(column)}_{escape(site_name)}</title>
<meta name="SiteName" content="{escape(site_name)}">
<meta name="ColumnName" content="{escape(column)}">
</head>
<body>
<div class="nav"><a href="/index.html">首页</a> <a href="/cwgk/index.html">村务公开</a>
  <a href="/jyfw/index.html">就业服务</a> <a href="/dctb/index.html">督查通报</a>
  <a href="/news/index.html">新闻</a></div>
<div class="position">当前位置：<a href="/index.html">首页</a> &gt; {escape(column)}</div>
<div class="list-box">
  <h2>{escape(column)}</h2>
  <ul class="list">{items}</ul>
  <div class="page">{pager}</div>
</div>
<div class="footer">{escape(site_name)} 版权所有　本站为演示用虚构网站</div>
</body>
</html>
"""
    return out


def _relative(prefix: str, path: str) -> str:
    # Listing pages sit in `prefix`; their items below it use "./…" as content systems do.
    return "./" + path[len(prefix) :] if path.startswith(prefix) else path


def _link_pager(paths: list[str], number: int) -> str:
    names = [p.rsplit("/", 1)[-1] for p in paths]
    parts = [f"共{len(paths)}页　当前第{number + 1}页", f'<a href="{names[0]}">首页</a>']
    if number > 0:
        parts.append(f'<a href="{names[number - 1]}">上一页</a>')
    if number + 1 < len(paths):
        parts.append(f'<a href="{names[number + 1]}">下一页</a>')
    parts.append(f'<a href="{names[-1]}">尾页</a>')
    return " ".join(parts)


def _script_pager(pages: int, number: int) -> str:
    return (
        f'<script type="text/javascript">var currentPage = {number};var countPage = {pages};'
        f'createPageHTML(countPage, currentPage, "index", "html");</script>'
    )
