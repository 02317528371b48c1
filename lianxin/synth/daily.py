"""One more day of publishing: a trickle of new check-ins and roster changes, stamped `now`.

This is what an incremental evaluation sees the morning after a full one: about 1 % of the
workers still owed a call get one published, and a few rosters change (a job lost, a worker
home). It runs as three set-based statements, so it costs the same at any scale.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, and_, case, exists, func, literal, select, update

from lianxin.records import period_index
from lianxin.rules.checkin import period_of
from lianxin.store import schema as t
from lianxin.store.upsert import execute_counting

OWED = ("employed", "looking")
LOST_JOB_PER_MILLE = 1  # employed workers whose roster now says looking
RETURNED_PER_MILLE = 1  # … and who came home


@dataclass
class DailyStats:
    day: str
    checkins: int = 0
    lost_job: int = 0
    returned: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def publish_next_day(
    engine: Engine, day: date, now: datetime, share: float = 0.01, seed: int = 7
) -> DailyStats:
    """Publish `day`'s calls for about `share` of the workers and a few roster changes.

    The picks depend only on worker ids and `seed`, so a rerun on a fresh copy picks the same.
    """
    w, c, k = t.workers, t.checkins, t.cadres
    period, index = period_of(day), period_index(period_of(day))
    every = max(1, round(1 / share))
    # Reduce before multiplying: ids times a prime overflow PostgreSQL's 32-bit integers.
    picked = (((w.c.id % every) * 7919 + seed) % every) == 0
    previous_income = (
        select(c.c.income_yuan)
        .where(c.c.matched_key == w.c.key, c.c.period_index == index - 1)
        .limit(1)
        .scalar_subquery()
    )
    url = f"synth://checkins/daily/{day.isoformat()}"
    tail = func.substr(w.c.phone, func.length(w.c.phone) - 3)
    source = (
        select(
            w.c.key,
            w.c.village,
            w.c.name,
            w.c.phone,
            k.c.name,
            literal(period),
            literal(day),
            literal(True),
            w.c.status,
            w.c.employer,
            w.c.work_place,
            case((w.c.status == "looking", 0), else_=previous_income),
            literal(None, t.checkins.c.demands.type),
            literal(True),
            w.c.status == "looking",
            literal(None, t.checkins.c.notes.type),
            literal({}, t.checkins.c.extra.type),
            literal(url),
            literal(hashlib.sha256(url.encode()).hexdigest()),
            literal(now, t.checkins.c.fetched_at.type),
            tail,
            w.c.person_key,
            w.c.key,
            literal(index),
            literal(now, t.checkins.c.changed_at.type),
        )
        .select_from(w.outerjoin(k, k.c.key == w.c.cadre_key))
        .where(
            w.c.status.in_(OWED),
            picked,
            ~exists().where(c.c.matched_key == w.c.key, c.c.period_index == index),
            ~exists().where(c.c.worker_key == w.c.key, c.c.period == period),
        )
    )
    columns = [
        "worker_key", "village", "worker_name", "worker_phone", "cadre", "period", "call_date",
        "reached", "status", "employer", "place", "income_yuan", "demands", "policy_explained",
        "followup_needed", "notes", "extra", "source_url", "content_hash", "fetched_at",
        "phone_tail", "person_key", "matched_key", "period_index", "changed_at",
    ]  # fmt: skip
    stats = DailyStats(day=day.isoformat())
    with engine.begin() as conn:
        stats.checkins = execute_counting(conn, c.insert().from_select(columns, source))
        roster = and_(w.c.status == "employed", (((w.c.id % 1000) * 7919 + seed) % 1000) == 0)
        stats.lost_job = execute_counting(
            conn,
            update(w)
            .where(roster)
            .values(status="looking", employer=None, work_place=None, changed_at=now),
        )
        home = and_(w.c.status == "employed", (((w.c.id % 1000) * 7919 + seed) % 1000) == 1)
        stats.returned = execute_counting(
            conn,
            update(w)
            .where(home)
            .values(status="returned", employer=None, work_place=None, changed_at=now),
        )
    return stats
