"""A moving window per route, kept in the store so that every worker sharing it shares it.

Each admitted send is a row in `pace_admissions`, stamped with the database's clock (so hosts
whose clocks disagree still agree on the window). `take` runs in one short transaction: it
writes the route's row in `pace_locks` first, which serialises the workers on that route (a
row lock on PostgreSQL, the write lock on SQLite), then asks one indexed question: when was
the amount-th most recent admission within the window? None: admit. Else: wait until it leaves.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from sqlalchemy import Connection, Engine, Float, cast, delete, func, insert, literal, select
from sqlalchemy.sql.elements import ColumnElement

from lianxin.store import schema as t
from lianxin.store.upsert import upsert

PRUNE_EVERY = 50  # admissions (of any route) between prunes of a route's rows past its window


def route_name(route: str) -> str:
    """Return the SHA-256 of `route`: its name in the store, which never holds a bot's key."""
    return hashlib.sha256(route.encode("utf-8")).hexdigest()


def db_epoch(conn: Connection) -> ColumnElement[Any]:
    """Return the database's clock in epoch seconds (PostgreSQL: now, not when it began)."""
    if conn.dialect.name == "postgresql":
        return cast(func.extract("epoch", func.clock_timestamp()), Float(precision=53))
    return (func.julianday("now") - 2440587.5) * 86400.0


def lock(conn: Connection, name: str) -> None:
    """Hold the lock `name` until the transaction ends; other workers wait for it."""
    # An upsert that always writes (the time differs each call): the first statement of the
    # transaction is a write, so SQLite takes its write lock now (waiting out its busy timeout)
    # rather than failing later, and PostgreSQL locks the row until commit.
    upsert(conn, t.pace_locks, [{"name": name, "touched_at": time.time()}], keys=["name"])


class StoreWindow:
    """`amount` sends per `window_s` seconds on each route, shared through the store."""

    def __init__(self, engine: Engine, amount: int, window_s: float) -> None:
        self.engine, self.amount, self.window_s = engine, amount, window_s

    def take(self, name: str) -> float:
        """Admit one send on route `name` and return 0.0, or return the seconds until one fits."""
        a = t.pace_admissions
        with self.engine.begin() as conn:
            lock(conn, name)
            now = select(db_epoch(conn)).scalar_subquery()
            row = conn.execute(
                select(
                    now,
                    select(a.c.admitted_at)
                    .where(a.c.route == name, a.c.admitted_at > now - self.window_s)
                    .order_by(a.c.admitted_at.desc())
                    .limit(1)
                    .offset(self.amount - 1)
                    .scalar_subquery(),
                )
            ).one()
            clock, blocking = float(row[0]), row[1]
            if blocking is not None:
                return max(0.01, float(blocking) + self.window_s - clock)
            added = conn.execute(insert(a).values(route=name, admitted_at=literal(clock)))
            # Every PRUNE_EVERY-th row of the table, whichever worker writes it, clears its
            # route's past: a route that sends a few a day is pruned now and then too.
            key = added.inserted_primary_key
            if key is not None and int(key[0]) % PRUNE_EVERY == 0:
                conn.execute(
                    delete(a).where(a.c.route == name, a.c.admitted_at <= clock - self.window_s)
                )
        return 0.0
