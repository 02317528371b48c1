"""indexes for the dashboard's scoped lists and the reminder digests

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_workers_village", "workers", ["village"]),
    ("ix_workers_town", "workers", ["town"]),
    ("ix_obligations_kind_period_status_due", "obligations", ["kind", "period", "status", "due"]),
    ("ix_obligations_kind_period_village", "obligations", ["kind", "period", "village"]),
    ("ix_obligations_kind_period_town", "obligations", ["kind", "period", "town"]),
    ("ix_obligations_kind_status_window", "obligations", ["kind", "status", "window_start"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
