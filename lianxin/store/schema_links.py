"""The links personal digests carry to the phone page (/m/<token>), with their read receipts.

Re-exported by `lianxin.store.schema` (use it as `schema.digest_links`).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table

from lianxin.store.metadata import Json, metadata

# One row per personal check-in digest that carries a link to the phone page (/m/<token>):
# the token is this id signed with the dashboard's key (lianxin.signing), never stored itself.
digest_links = Table(
    "digest_links",
    metadata,
    Column("id", String(32), primary_key=True),  # random, letters only
    Column("digest_key", String(400), nullable=False, unique=True),
    Column("cadre_key", String(160), nullable=False, index=True),
    Column("period", String(7), nullable=False),
    Column("obligations", Json, nullable=False),  # the digest's obligation ids: the link's scope
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),  # window's end + grace
    Column("revoked_at", DateTime(timezone=True)),
    Column("first_read_at", DateTime(timezone=True)),  # 已读: the first opening of the link
    Column("last_read_at", DateTime(timezone=True)),
    Column("reads", Integer, nullable=False, server_default="0"),
    Index("ix_digest_links_cadre_period", "cadre_key", "period"),
)
