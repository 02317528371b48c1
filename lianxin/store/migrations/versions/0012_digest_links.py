"""digest_links: the phone page's link in each personal check-in digest, and its read receipt

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("digest_key", sa.String(length=400), nullable=False),
        sa.Column("cadre_key", sa.String(length=160), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("obligations", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reads", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest_key"),
    )
    op.create_index("ix_digest_links_cadre_key", "digest_links", ["cadre_key"])
    op.create_index("ix_digest_links_cadre_period", "digest_links", ["cadre_key", "period"])


def downgrade() -> None:
    op.drop_index("ix_digest_links_cadre_period", table_name="digest_links")
    op.drop_index("ix_digest_links_cadre_key", table_name="digest_links")
    op.drop_table("digest_links")
