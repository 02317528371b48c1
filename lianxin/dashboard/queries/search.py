"""Find workers (查找) by name, phone tail (手机尾号) or household (户主), within a viewer's place.

What was typed picks the index: four digits are a phone tail (`schema.WORKER_KEY_TAIL`), a
mobile number its tail then the number itself, anything else a name (the whole name, or its
beginning) or a household. Each way is one indexed lookup, limited, before the viewer's place
clause keeps their part: a province's three million workers are never scanned.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, select, union

from lianxin.dashboard.queries.workers import mask_worker
from lianxin.dashboard.scope import Viewer, can_see_phone, place_clause
from lianxin.records import compact_name, phone_tail
from lianxin.store import schema as t

SEARCH_MAX = 50  # people shown for one search; more means: type more of the name
_TAIL = re.compile(r"[0-9]{4}")
_PHONE = re.compile(r"\+?[0-9][0-9 -]{5,18}[0-9]")


@dataclass(frozen=True)
class Found:
    rows: list[dict[str, Any]]
    more: bool  # more people matched than are shown


def search_workers(conn: Connection, viewer: Viewer, typed: str, most: int = SEARCH_MAX) -> Found:
    """Return the workers in `viewer`'s place that `typed` names, by village and name.

    Phones come masked unless the viewer may see that worker's in full (`can_see_phone`).
    """
    text = compact_name(unicodedata.normalize("NFKC", typed))  # ３８０１ (full width) is 3801
    if not text:
        return Found([], False)
    w = t.workers
    # Each lookup keeps the viewer's place and stops at a page, in the name index's order (张
    # in a province: the first page of the range, not all its names sorted): a few pages in all.
    lookups = [
        q.where(place_clause(viewer, w)).order_by(w.c.name).limit(most + 1)
        for q in worker_lookups(text)
    ]
    keys = union(*(select(q.subquery()) for q in lookups)).subquery()
    rows = conn.execute(
        select(
            w.c.key,
            w.c.name,
            w.c.household,
            w.c.phone,
            w.c.village,
            w.c.town,
            w.c.cadre_key,
            w.c.status,
            t.cadres.c.name.label("cadre_name"),
        )
        .join(keys, keys.c.key == w.c.key)
        .join(t.cadres, t.cadres.c.key == w.c.cadre_key, isouter=True)
        .order_by(w.c.village, w.c.name, w.c.key)
        .limit(most + 1)
    ).all()
    shown = [
        mask_worker(
            dict(r._mapping), can_see_phone(viewer, village=r.village, cadre_key=r.cadre_key)
        )
        for r in rows[:most]
    ]
    return Found(shown, len(rows) > most)


def worker_lookups(text: str) -> list[Select[Any]]:
    """Return the indexed lookups of worker keys `text` may mean."""
    w = t.workers
    if _TAIL.fullmatch(text):
        return [select(w.c.key).where(t.WORKER_KEY_TAIL == text)]
    if _PHONE.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        # The tail narrows on the index; the number, as stored or without its spaces, decides.
        number = w.c.phone.in_(list(dict.fromkeys((text, digits, digits.removeprefix("86")))))
        return [select(w.c.key).where(t.WORKER_KEY_TAIL == phone_tail(digits), number)]
    return [
        select(w.c.key).where(_name_begins(w.c.name, text)),
        select(w.c.key).where(w.c.household == text),
    ]


def _name_begins(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """Return a clause keeping names that begin with `text` (张 finds 张伟), on the name index.

    A range ([text, text with its last character one higher)) is what both databases read off
    a B-tree; LIKE keeps it right whatever order the column's collation sorts in.
    """
    upper = text[:-1] + chr(min(ord(text[-1]) + 1, 0x10FFFF))
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(column >= text, column < upper, column.like(f"{escaped}%", escape="\\"))
