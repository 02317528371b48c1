"""indexes for the dashboard's search: workers by name, household and phone tail

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_workers_name", ["name"]),
    ("ix_workers_household", ["household"]),
    # The phone tail is the key's last four characters (schema.WORKER_KEY_TAIL, the same text).
    ("ix_workers_key_tail", [sa.text("substr(key, length(key) - 3)")]),
]


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "workers", columns, unique=False)


def downgrade() -> None:
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="workers")
