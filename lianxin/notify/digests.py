"""Build one digest per cadre per stage from the open obligations: never one message per worker.

One query reads every open check-in obligation with its worker and cadre; the rows are grouped
by (cadre, period) into digests. The idempotency key is the same on every run for the same
cadre, period and stage, which is what makes a digest go out at most once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, String, select, type_coerce

from config.settings import RulesSettings
from lianxin.records import ObligationKind, ObligationStatus
from lianxin.rules.checkin import CheckinWindow, Stage, stage_on
from lianxin.store import schema as t


@dataclass(frozen=True)
class DigestItem:
    obligation_id: int
    worker_name: str
    phone: str | None  # full here; templates mask it
    village: str
    due: date
    days_left: int  # negative once overdue


@dataclass
class Digest:
    key: str  # idempotency key
    stage: Stage
    period: str
    due: date
    as_of: date
    cadre_key: str
    cadre_name: str
    village: str | None
    town: str | None
    routes: list[str]
    items: list[DigestItem] = field(default_factory=list)
    cadre_phone: str | None = None  # for @-mentions in group bots; never shown in full
    # The phone page of this digest (/m/<token>), on personal routes only: a group never
    # gets it (render.py drops it). Set just before delivery, never in a log or artifact.
    link: str | None = None
    repeat: bool = False  # the one repeat of a digest still unread (notify.reread_after_hours)
    only_routes: tuple[str, ...] = ()  # a repeat goes where its first copy went, nowhere else

    @property
    def obligation_ids(self) -> list[int]:
        return [item.obligation_id for item in self.items]


def digest_key(period: str, stage: Stage, cadre_key: str) -> str:
    """Return the idempotency key of a check-in digest: kind, period, stage and recipient."""
    return f"checkin/{period}/{stage.value}/{cadre_key}"


_LIVE = (
    ObligationStatus.open.value,
    ObligationStatus.overdue.value,
    ObligationStatus.escalated.value,
)
_BATCH = 10_000  # rows fetched at a time
_KEYS_PER_QUERY = 500  # under SQLite's oldest limit of 999 bound parameters
_NO_CADRE: tuple[Any, ...] = (None, None, None, None, None)


def build_checkin_digests(conn: Connection, as_of: date, rules: RulesSettings) -> list[Digest]:
    """Return the check-in digests due as of `as_of`, one per cadre and period with open calls.

    Built for a province (a million open calls, 150,000 cadres) in one pass: the rows stream in
    (ordered by cadre, period, village, name) a batch at a time, never all at once; dates are
    parsed once per distinct value and the stage once per window; each cadre's name, place,
    routes and phone are read once per cadre afterwards, not once per worker.
    """
    with collector_paused():
        return _build_checkin_digests(conn, as_of, rules)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a builder makes a million small objects.

    None of them forms a cycle, yet every full collection walks all of those built so far: at
    province scale that was half of the build's time. Reference counting still frees what is
    dropped; the collector resumes afterwards if it was running before.
    """
    was_running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_running:
            gc.enable()


def _build_checkin_digests(conn: Connection, as_of: date, rules: RulesSettings) -> list[Digest]:
    o, w = t.obligations, t.workers
    rows = conn.execute(
        select(
            o.c.id,
            o.c.owner,
            o.c.period,
            # Raw values: the Date type would parse the same few strings a million times on
            # SQLite; `_day` parses each once (PostgreSQL's driver hands back dates already).
            type_coerce(o.c.window_start, String),
            type_coerce(o.c.due, String),
            w.c.name,
            w.c.phone,
            w.c.village,
            w.c.town,
        )
        .join(w, w.c.key == o.c.subject)
        .where(
            o.c.kind == ObligationKind.monthly_checkin.value,
            o.c.status.in_(_LIVE),
            o.c.window_start <= as_of,
        )
        .order_by(o.c.owner, o.c.period, w.c.village, w.c.name, o.c.id),
        execution_options={"yield_per": _BATCH},  # a server-side cursor on PostgreSQL
    )
    days: dict[Any, date] = {}

    def _day(raw: Any) -> date:
        day = days.get(raw)
        if day is None:
            day = days[raw] = raw if isinstance(raw, date) else date.fromisoformat(raw)
        return day

    stages: dict[tuple[str, date, date], Stage | None] = {}
    days_left: dict[date, int] = {}
    # (owner, period, stage, due, first worker's village and town, items), in row order
    groups: list[tuple[str, str, Stage, date, str, str | None, list[DigestItem]]] = []
    current: tuple[str, str] | None = None
    items: list[DigestItem] | None = None
    for batch in rows.partitions():
        for id_, owner, period, start_raw, due_raw, name, phone, village, town in batch:
            due = _day(due_raw)
            if (owner, period) != current:
                current = (owner, period)
                window = (period, _day(start_raw), due)
                if window not in stages:
                    stages[window] = stage_on(as_of, CheckinWindow(*window), rules.days_left_stage)
                stage = stages[window]
                if stage is None:
                    items = None
                else:
                    items = []
                    groups.append((owner, period, stage, due, village, town, items))
            if items is None:
                continue  # the window has not opened yet
            left = days_left.get(due)
            if left is None:
                left = days_left[due] = (due - as_of).days
            items.append(DigestItem(id_, name, phone, village, due, left))
    cadres = _cadres(conn, sorted({group[0] for group in groups}))
    digests = []
    for owner, period, stage, due, village, town, members in groups:
        cadre_name, cadre_village, cadre_town, routes, cadre_phone = cadres.get(owner, _NO_CADRE)
        digests.append(
            Digest(
                key=digest_key(period, stage, owner),
                stage=stage,
                period=period,
                due=due,
                as_of=as_of,
                cadre_key=owner,
                cadre_name=cadre_name or owner.split("|")[-1] or "未分配",
                village=cadre_village or village,
                town=cadre_town or town,
                routes=list(routes or []),
                cadre_phone=cadre_phone,
                items=members,
            )
        )
    return digests


def _cadres(conn: Connection, keys: list[str]) -> dict[str, tuple[Any, ...]]:
    """Return (name, village, town, routes, phone) of each cadre in `keys` that is on file."""
    c = t.cadres
    found: dict[str, tuple[Any, ...]] = {}
    for i in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[i : i + _KEYS_PER_QUERY]
        for key, *rest in conn.execute(
            select(c.c.key, c.c.name, c.c.village, c.c.town, c.c.routes, c.c.phone).where(
                c.c.key.in_(chunk)
            )
        ):
            found[key] = tuple(rest)
    return found


def digest_summary(digest: Digest) -> dict[str, Any]:
    """Return a digest as plain data (no personal data) for logs and artifacts."""
    return {
        "key": digest.key,
        "stage": digest.stage.value,
        "cadre": digest.cadre_name,
        "village": digest.village,
        "workers": len(digest.items),
    }
