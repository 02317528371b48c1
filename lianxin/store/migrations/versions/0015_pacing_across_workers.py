"""pace_locks and pace_admissions, and the ledger's claims: pacing shared by every worker

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pace_locks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("touched_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pace_locks")),
    )
    op.create_table(
        "pace_admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("admitted_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pace_admissions")),
    )
    op.create_index(
        "ix_pace_admissions_route_admitted_at",
        "pace_admissions",
        ["route", "admitted_at"],
        unique=False,
    )
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
    op.drop_index("ix_pace_admissions_route_admitted_at", table_name="pace_admissions")
    op.drop_table("pace_admissions")
    op.drop_table("pace_locks")
