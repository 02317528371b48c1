"""Measure how fast pages parse, per kind, against lxml's own tree building on the same text.

Run: .venv/bin/python benchmarks/parse_bench.py [--repeat N] [--profile]

Pages are the bundled sample portal's (every kind) plus synthetic large tables (a 5,000-row
check-in table, a 2,000-row roster). For each kind it times `lianxin.parsing.parse_page` on the
page bytes, `lxml.html.fromstring` on the already decoded text, and BeautifulSoup(text, "lxml")
for reference, keeping the best of N repeats. Each figure is printed as one JSON line:
{"name": ..., "value": ..., "unit": ...}. --profile prints cProfile's hot spots to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import lxml.html
from bs4 import BeautifulSoup

from lianxin.parsing import parse_page
from lianxin.parsing.decode import decode_page
from lianxin.portal import build_site
from lianxin.records import ParseResult

FETCHED_AT = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
BASE = "http://portal.example"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


@dataclass
class Page:
    kind: str  # the benchmark group: a report kind, or synthetic_*
    url: str
    content: bytes
    content_type: str
    text: str  # decoded once, for the lxml and bs4 baselines


def sample_pages() -> list[Page]:
    """Return every page of the bundled sample portal with its kind from the portal's truth."""
    site = build_site()
    pages = []
    for path, truth in sorted(site.truth.pages.items()):
        content, content_type = site[path]
        charset = content_type.partition("charset=")[2] or None
        text = decode_page(content, charset).text
        pages.append(Page(truth.kind.value, BASE + path, content, content_type, text))
    return pages


def _name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 3) % len(GIVEN)]


def synthetic_checkin(rows: int) -> Page:
    """Return a check-in page of `rows` rows, with a two-row header and a 合计 row."""
    lines = [
        "<html><head><meta charset='utf-8'><title>石门村2026年11月外出务工人员电话回访情况表"
        "</title><meta name='PubDate' content='2026-11-07'></head><body><div class='TRS_Editor'>",
        "<p>石门村2026年11月外出务工人员电话回访情况表</p><table border='1'>",
        "<tr><th rowspan='2'>序号</th><th rowspan='2'>姓名</th><th rowspan='2'>联系电话</th>"
        "<th colspan='3'>回访情况</th><th rowspan='2'>务工状态</th><th rowspan='2'>务工单位</th>"
        "<th rowspan='2'>上月收入（元）</th><th rowspan='2'>包户干部</th></tr>",
        "<tr><th>回访时间</th><th>是否接通</th><th>主要诉求</th></tr>",
    ]
    for i in range(rows):
        lines.append(
            f"<tr><td>{i + 1}</td><td><p><span>{_name(i)}</span></p></td>"
            f"<td>138****{i % 10000:04d}</td><td>2026年11月{1 + i % 10}日</td>"
            f"<td>{'是' if i % 9 else '否'}</td><td>{'无' if i % 4 else '希望参加技能培训'}</td>"
            f"<td>{'在岗' if i % 5 else '待业'}</td><td>长沙某电子厂</td>"
            f"<td>{'—' if i % 5 == 0 else f'{3000 + (i * 37) % 4000:,}'}</td>"
            f"<td>{_name(i // 20 + 7)}</td></tr>"
        )
    lines.append("<tr><td colspan='8'>合计</td><td></td><td></td></tr>")
    lines.append("</table><p>填表人：王芳 审核人：李建国</p></div></body></html>")
    text = "".join(lines)
    return Page(
        "synthetic_checkin_5000",
        f"{BASE}/synthetic/checkin.html",
        text.encode(),
        "text/html; charset=utf-8",
        text,
    )


def synthetic_roster(rows: int) -> Page:
    """Return a roster page (就业服务一览表) of `rows` rows."""
    lines = [
        "<html><head><meta charset='utf-8'><title>石桥镇青山村就业服务一览表</title></head>"
        "<body><div id='zoom'><table>",
        "<tr><td>序号</td><td>户主</td><td>姓名</td><td>身份证号</td><td>联系电话</td>"
        "<td>就业意愿</td><td>技能特长</td><td>务工单位</td><td>务工地点</td><td>包户干部</td>"
        "<td>干部联系电话</td></tr>",
    ]
    for i in range(rows):
        lines.append(
            f"<tr><td>{i + 1}</td><td>{_name(i + 1)}</td><td>{_name(i)}</td>"
            f"<td>430000********{i % 10000:04d}</td><td>139****{i % 10000:04d}</td>"
            f"<td>务工</td><td>电工</td><td>某建筑公司</td><td>广东省东莞市</td>"
            f"<td>{_name(i // 20 + 7)}</td><td>137****{(i // 20) % 10000:04d}</td></tr>"
        )
    lines.append("</table></div></body></html>")
    text = "".join(lines)
    return Page(
        "synthetic_roster_2000",
        f"{BASE}/synthetic/roster.html",
        text.encode(),
        "text/html; charset=utf-8",
        text,
    )


def rows_of(result: ParseResult) -> int:
    """Return the rows a page yielded: records, quarantined rows, or links on a listing."""
    records = len(result.workers) + len(result.checkins) + len(result.problems)
    return records + len(result.quarantined) + len(result.links)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def emit(name: str, value: float, unit: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def parse_all(pages: list[Page]) -> list[ParseResult]:
    return [
        parse_page(
            p.content, p.url, source="bench", fetched_at=FETCHED_AT, content_type=p.content_type
        )
        for p in pages
    ]


def lxml_trees(pages: list[Page]) -> list[object]:
    return [lxml.html.fromstring(p.text) for p in pages]


def soups(pages: list[Page]) -> list[BeautifulSoup]:
    return [BeautifulSoup(p.text, "lxml") for p in pages]


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    options.add_argument("--profile", action="store_true", help="print cProfile hot spots")
    args = options.parse_args(argv)
    pages = sample_pages() + [synthetic_checkin(5000), synthetic_roster(2000)]
    groups: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        groups[page.kind].append(page)
    parse_all(pages)  # warm caches (vocabulary, regexes) before timing
    totals = {"parse": 0.0, "lxml": 0.0, "bs4": 0.0}
    for kind, members in sorted(groups.items()):
        rows = sum(rows_of(r) for r in parse_all(members))
        timings = {
            "parse": best_of(args.repeat, partial(parse_all, members)),
            "lxml": best_of(args.repeat, partial(lxml_trees, members)),
            "bs4": best_of(args.repeat, partial(soups, members)),
        }
        for what, seconds in timings.items():
            totals[what] += seconds
            emit(f"{what}.{kind}.pages_per_s", len(members) / seconds, "pages/s")
        emit(f"parse.{kind}.rows_per_s", rows / timings["parse"], "rows/s")
        emit(f"parse.{kind}.vs_lxml", timings["parse"] / timings["lxml"], "x")
        emit(f"parse.{kind}.vs_bs4", timings["parse"] / timings["bs4"], "x")
    emit("parse.total_seconds", totals["parse"], "s")
    emit("parse.total_vs_lxml", totals["parse"] / totals["lxml"], "x")
    emit("parse.total_vs_bs4", totals["parse"] / totals["bs4"], "x")
    emit("bs4.total_vs_lxml", totals["bs4"] / totals["lxml"], "x")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        parse_all(pages)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        # Lianxin's own functions, for what the parser adds on top of the tree.
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats("lianxin/", 40)
        print(out.getvalue(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
