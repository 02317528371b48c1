"""The tables that pace sends across every worker sharing the store, and claim the ledger.

Re-exported by `lianxin.store.schema` (use them as `schema.pace_locks`).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table

from lianxin.store.metadata import metadata

# One row per paced route (and one for the ledger's claims): writing it is what serialises the
# workers, a row lock on PostgreSQL and the write lock on SQLite. `name` is the route's SHA-256,
# never the route itself: a bot's URL holds its key.
pace_locks = Table(
    "pace_locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("touched_at", Float(precision=53), nullable=False),  # the database's epoch seconds
)

# One row per send admitted on a paced route, at the database's clock (epoch seconds, so that
# the window is one subtraction on both back ends); rows older than the window are pruned.
pace_admissions = Table(
    "pace_admissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("route", String(64), nullable=False),
    Column("admitted_at", Float(precision=53), nullable=False),
    Index("ix_pace_admissions_route_admitted_at", "route", "admitted_at"),
)
