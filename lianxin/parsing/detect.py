"""Tell what a page is by what it holds, not by where it came from.

Tables whose headers name check-in fields (回访时间, 上月收入 …) make a check-in table, roster
fields (身份证号, 就业意愿 …) a roster, problem fields (问题, 责任单位, 整改时限) a problem list;
numbered text items carrying 责任单位/整改时限 make a problem list too; many title-like links
with a pager and little prose make a listing; anything else is an article. A password box
makes a login page only where no story is told beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lianxin.parsing.columns import Vocabulary
from lianxin.parsing.content import prose_chars
from lianxin.parsing.document import Document, own_text
from lianxin.parsing.listing import ListingView
from lianxin.parsing.problems import numbered_items, text_lines, walk
from lianxin.parsing.tables import Table
from lianxin.parsing.text import normalize
from lianxin.parsing.tree import text_of
from lianxin.records import ReportKind

_PROBLEM_WORDS = re.compile(r"责任单位|责任主体|整改时限|整改期限|完成时限")
_NOTICE_TITLE = re.compile(r"督查|督导|巡查|问题清单|整改|通报")
_ERROR_PAGE = re.compile(
    r"(?<!\d)(?:404|403|500|502|503)(?!\d)|not found|页面不存在|页面未找到|"
    r"找不到(?:该|此|您)?(?:页面|网页)|"
    r"已被删除|无法访问|访问出错|系统错误|服务器错误|bad request|forbidden",
    re.I,
)
_LOGIN = re.compile(r"登录|登陆|login|sign in|统一身份认证", re.I)
# Less text than this outside forms and navigation: a page with nothing to report.
MIN_REPORT_CHARS = 200
# Sentences outside links that make a page a story even beside a login box.
MIN_STORY_PROSE = 50


@dataclass(frozen=True)
class Detection:
    kind: ReportKind
    table: Table | None  # the table the kind comes from, when it comes from one
    reason: str


def table_kind(table: Table, vocabulary: Vocabulary) -> tuple[ReportKind | None, int]:
    """Return the kind a table's headers point to and how many signal fields it has."""
    mapped = table.mapped
    scores = {kind: len(mapped & fields) for kind, fields in vocabulary.kinds.items()}
    kind, score = max(scores.items(), key=lambda pair: (pair[1], pair[0] == "checkin_table"))
    if score < 2 and not (kind == "problem_list" and score == 1 and "description" in mapped):
        return None, 0
    if kind == "problem_list" and "description" not in mapped:
        return None, 0
    return ReportKind(kind), score


def detect(
    doc: Document,
    tables: list[Table],
    listing: Callable[[], ListingView],
    vocabulary: Vocabulary,
) -> Detection:
    """Return the page's kind, the table it rests on, and why.

    The listing view is read only when no table and no numbered problems decide the kind.
    """
    best: tuple[int, int, Table, ReportKind] | None = None
    for table in tables:
        kind, score = table_kind(table, vocabulary)
        if kind is None:
            continue
        key = (score, len(table.rows))
        if best is None or key > best[:2]:
            best = (score, len(table.rows), table, kind)
    if best is not None:
        return Detection(best[3], best[2], f"table headers name {best[3].value} fields")
    if problem_text(doc):
        return Detection(ReportKind.problem_list, None, "numbered items with 责任单位/整改时限")
    view = listing()
    if view.looks_like_listing:
        return Detection(ReportKind.listing, None, f"{len(view.links)} report links")
    return Detection(ReportKind.article, None, "no table, list or numbered problems")


def not_a_report(doc: Document) -> str | None:
    """Return why a page without data tables is not a report (login or error page), else None.

    Portals answer a missing page or an expired session with status 200 and a page of their
    own; reading it as an empty article would hide the failure.
    """
    text = normalize(text_of(doc.main, " "))
    if len(text) >= MIN_REPORT_CHARS * 3:
        return None
    headings = (own_text(h) for h in doc.root.iter("h1", "h2"))
    heading = " ".join([doc.title, *headings])
    password = any(field.get("type") == "password" for field in doc.root.iter("input"))
    if password and _story_beside_login(doc):
        password = False
    if password and (_LOGIN.search(heading) or len(text) < MIN_REPORT_CHARS):
        return "not a report: a login page (the session or the address is wrong)"
    if _ERROR_PAGE.search(heading) and len(text) < MIN_REPORT_CHARS:
        return f"not a report: an error page served as a page ({heading[:40]!r})"
    return None


def _story_beside_login(doc: Document) -> bool:
    """Return True when the page tells a story and its password boxes sit outside it.

    News sites put a login box in the page header or sidebar; a login page has no prose.
    """
    if sum(prose_chars(block) for block in doc.body) < MIN_STORY_PROSE:
        return False
    for field in doc.root.iter("input"):
        if field.get("type") != "password":
            continue
        around = set(field.iterancestors())
        if any(block in around for block in doc.body):
            return False
    return True


def problem_text(doc: Document) -> bool:
    """Return True when the page numbers items that read as problems to rectify."""
    roots, _ = numbered_items(text_lines(doc.main, doc))
    items = [node for root in roots for node in walk(root)]
    if len(items) < 2:
        return False
    with_terms = sum(1 for item in items if _PROBLEM_WORDS.search(item.full_text))
    if with_terms >= 2:
        return True
    return len(items) >= 3 and bool(_NOTICE_TITLE.search(doc.title)) and with_terms >= 1
