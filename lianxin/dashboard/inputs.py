"""How the dashboard reads what people type: numbers of ASCII digits only, pages within the
list, and no field longer than its limit.

Python's `int()` and `str.isdigit()` take any Unicode digit (², ２０２６, ٢٠٢٦) and `re`'s
`\\d` matches them all, so every number typed into a form or a query string (a page, an
income, a count) is read here, with `[0-9]` (a month: `data.PERIOD`). A page past the end of
its list shows the last page (`page_number`, then `clamp` or `last_page_rows`): a page of
twenty digits used to reach the database as an OFFSET it cannot hold.

`LIMITS` names the longest value a field may hold. `check_lengths`, run before every route,
refuses (422) a query parameter or form field beyond its limit, except the fields a form
reports on itself (`FORM_FIELDS`): that form answers 422 with the message beside the field,
and stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from fastapi import HTTPException, Request

from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.web import read_form

T = TypeVar("T")

DIGITS = re.compile(r"[0-9]+")
MAX_DIGITS = 9  # a longer number is out of range for anything the dashboard counts
MAX_PAGE = 1_000_000  # a page asked beyond this is past the end of every list

# The longest value (in characters) of each named field, query parameter or form field alike.
LIMITS: dict[str, int] = {
    "note": 2000,  # a call's or a mark's note (备注)
    "demands": 2000,  # a worker's demands (诉求) told on a call
    "reason": 500,  # a waiver's reason (豁免理由)
    "url": 500,  # the quarantine's "URL contains" filter
    "unit": 500,  # a problem's responsible unit (责任单位), as fetched pages name it
    "next": 4000,  # where the log-in page goes back to: a path with its query
    "password": 1024,
    "username": 64,
}
DEFAULT_LIMIT = 200  # any other field: a name, a place, a key, a choice, a date, a number
# Fields whose form shows its own message when they are too long (the worker's call and waiver
# forms, the problems board's marks); `check_lengths` leaves them to it.
FORM_FIELDS = frozenset({"note", "reason", "demands"})

WORDS: dict[str, tuple[str, str]] = {
    "error.too_long": ("填写的内容太长。", "A value given is too long."),
    "input.too_long.note": (
        f"备注太长：最多 {LIMITS['note']} 字。",
        f"The note is too long: {LIMITS['note']:,} characters at most.",
    ),
    "input.too_long.demands": (
        f"诉求太长：最多 {LIMITS['demands']} 字。",
        f"The demands are too long: {LIMITS['demands']:,} characters at most.",
    ),
}
add_words(WORDS)


def ascii_int(text: str | None, digits: int = MAX_DIGITS) -> int | None:
    """Return `text` (stripped) as a whole number when it is 1 to `digits` ASCII digits."""
    text = (text or "").strip()
    return int(text) if len(text) <= digits and DIGITS.fullmatch(text) else None


def page_number(value: str | None, last: int = MAX_PAGE) -> int:
    """Return the page asked for (`?page=`): 1 when it is not a number in ASCII digits, and at
    most `last` (a number of more digits than any page is past the end: `last`)."""
    text = (value or "").strip()
    if not DIGITS.fullmatch(text):
        return 1
    number = ascii_int(text)
    return max(1, min(number if number is not None else last, last))


def last_page(total: int, per_page: int) -> int:
    """Return the number of the last page of `total` rows, `per_page` a page (1 when none)."""
    return max(1, -(-total // per_page))


def clamp(page: int, total: int, per_page: int) -> int:
    """Return `page`, or the last page of `total` rows when `page` is past it."""
    return min(page, last_page(total, per_page))


def _no_rows(found: object) -> bool:
    return not found


def last_page_rows(
    page: int,
    fetch: Callable[[int], T],
    count: Callable[[], int],
    per_page: int,
    empty: Callable[[T], bool] = _no_rows,
) -> tuple[int, T]:
    """Return (page, what `fetch(page)` found), or those of the last page when `page` found
    nothing (`empty`) past page 1: for lists that look one row ahead instead of counting, so
    `count` (every row) is called only then."""
    found = fetch(page)
    if page == 1 or not empty(found):
        return page, found
    page = last_page(count(), per_page)
    return page, fetch(page)


def limit_of(name: str) -> int:
    """Return the longest value field `name` may hold."""
    return LIMITS.get(name, DEFAULT_LIMIT)


def too_long(fields: Mapping[str, str], names: frozenset[str] | None = None) -> list[str]:
    """Return the fields (of `names`, default all) whose value is longer than its limit."""
    return [
        name
        for name, value in fields.items()
        if (names is None or name in names) and len(value) > limit_of(name)
    ]


async def check_lengths(request: Request) -> None:
    """Refuse (422) a request with a query parameter, or a form field its form does not check
    itself, longer than its limit."""
    if any(len(v) > limit_of(k) for k, v in request.query_params.multi_items()):
        raise HTTPException(status_code=422, detail="error.too_long")
    if request.method != "POST":
        return
    form = await read_form(request)
    if too_long({k: v for k, v in form.items() if k not in FORM_FIELDS}):
        raise HTTPException(status_code=422, detail="error.too_long")
