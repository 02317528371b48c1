"""Search (查找): the workers in the viewer's place by name, phone tail or household.

Every page's header carries the search box; the answer lists at most a page of people, each a
link to their worker page, with their phone as a `tel:` link where the viewer may see it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.queries.search import SEARCH_MAX, Found, search_workers
from lianxin.dashboard.web import EngineDep, render

router = APIRouter()

WORDS: dict[str, tuple[str, str]] = {
    "search.title": ("查找务工人员", "Find a worker"),
    "search.hint": (
        "输入姓名（或姓名开头）、手机尾号4位或户主姓名。",
        "Type a name (or its beginning), the last 4 digits of a phone, or the household head.",
    ),
    "search.none": ("您的范围内没有找到符合的人员。", "No one in your area matches."),
    "search.more": (
        "只显示前 {n} 人，请输入更完整的姓名。",
        "Only the first {n} are shown: type more of the name.",
    ),
    "search.household": ("户主", "Household"),
    "search.cadre": ("包户干部", "Cadre"),
}
add_words(WORDS)


@router.get("/search")
def search(request: Request, viewer: CurrentViewer, engine: EngineDep, q: str = "") -> Response:
    """The workers of the viewer's place that `q` names (none for an empty `q`)."""
    typed = q.strip()
    found = Found([], False)
    if typed:
        with engine.connect() as conn:
            found = search_workers(conn, viewer, typed)
    return render(
        request,
        "search.html",
        {"q": typed, "rows": found.rows, "more": found.more, "most": SEARCH_MAX},
    )
