"""Waivers (豁免): a person decides a subject owes no more follow-up, and says why."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Connection

from lianxin.clock import today_local
from lianxin.dates_allowed import check_day
from lianxin.errors import WaiverRefused
from lianxin.store import schema as t


class WaiverCategory(StrEnum):
    returned_for_good = "returned_for_good"  # 返乡不再外出
    moved_out = "moved_out"  # 迁出本县
    deceased = "deceased"  # 已故
    other = "other"


def add_waiver(
    conn: Connection,
    subject: str,
    category: str,
    reason: str,
    given_by: str,
    given_on: date,
    now: datetime,
    kind: str = "*",
) -> None:
    """Record a waiver of `subject` (all kinds, or one obligation kind); the rules apply it.

    Raise WaiverRefused for an unknown category or an empty reason or name: a waiver without a
    reason and a person is not accountable. Raise DateOutOfRange when `given_on` is after today
    in Shanghai (the rules would apply it only from then) or before
    `dates_allowed.earliest_day`, when every obligation it could cover was long closed.
    """
    if category not in WaiverCategory.__members__:
        known = ", ".join(WaiverCategory.__members__)
        raise WaiverRefused(f"unknown category {category!r}: one of {known}")
    if not reason.strip() or not given_by.strip():
        raise WaiverRefused("a waiver needs a reason and the name of who gives it")
    check_day("given_on", given_on, today_local(now))
    conn.execute(
        t.waivers.insert().values(
            subject=subject,
            kind=kind,
            category=category,
            reason=reason.strip(),
            given_by=given_by.strip(),
            given_on=given_on,
            created_at=now,
        )
    )
