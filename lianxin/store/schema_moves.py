"""The tables that follow a person: moves between rosters and handovers between cadres.

Re-exported by `lianxin.store.schema` (use them as `schema.worker_moves`).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from lianxin.store.metadata import metadata

# A person who turned up in another village's or town's roster (same ID number, or same phone
# and name): one row per move, from the old worker key to the new, with where it was seen.
worker_moves = Table(
    "worker_moves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("from_key", String(160), nullable=False, unique=True),
    Column("to_key", String(160), nullable=False, index=True),
    Column("from_village", String(64)),
    Column("from_town", String(64)),
    Column("from_cadre", String(160)),
    Column("to_village", String(64)),
    Column("to_town", String(64)),
    Column("to_cadre", String(160)),
    Column("matched_on", String(16), nullable=False),  # id_number | phone_name
    Column("source_url", Text),
    Column("moved_at", DateTime(timezone=True), nullable=False),
)

# A caseload handed from one cadre to another (all of it, or one village's): applied again to
# every roster ingest, so that a re-published page naming the old cadre does not undo it.
cadre_handovers = Table(
    "cadre_handovers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("old_cadre", String(160), nullable=False, index=True),
    Column("new_cadre", String(160), nullable=False),
    Column("village", String(64)),  # None: the whole caseload
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
