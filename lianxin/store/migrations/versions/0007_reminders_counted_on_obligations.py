"""reminders counted on their obligations; attempts in the ledger

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(
            sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_reminder", sa.String(length=32), nullable=True))
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("attempts")
    with op.batch_alter_table("obligations") as batch:
        batch.drop_column("last_reminder")
        batch.drop_column("last_reminded_at")
        batch.drop_column("reminders_sent")
