"""worker_moves and cadre_handovers: a moved worker is one person; a caseload can change hands

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_workers_id_number", "workers", ["id_number"], unique=False)
    op.create_index("ix_workers_phone_name", "workers", ["phone", "name"], unique=False)
    op.create_table(
        "worker_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_key", sa.String(length=160), nullable=False),
        sa.Column("to_key", sa.String(length=160), nullable=False),
        sa.Column("from_village", sa.String(length=64), nullable=True),
        sa.Column("from_town", sa.String(length=64), nullable=True),
        sa.Column("from_cadre", sa.String(length=160), nullable=True),
        sa.Column("to_village", sa.String(length=64), nullable=True),
        sa.Column("to_town", sa.String(length=64), nullable=True),
        sa.Column("to_cadre", sa.String(length=160), nullable=True),
        sa.Column("matched_on", sa.String(length=16), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_moves")),
        sa.UniqueConstraint("from_key", name=op.f("uq_worker_moves_from_key")),
    )
    op.create_index(op.f("ix_worker_moves_to_key"), "worker_moves", ["to_key"], unique=False)
    op.create_table(
        "cadre_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_cadre", sa.String(length=160), nullable=False),
        sa.Column("new_cadre", sa.String(length=160), nullable=False),
        sa.Column("village", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadre_handovers")),
    )
    op.create_index(
        op.f("ix_cadre_handovers_old_cadre"), "cadre_handovers", ["old_cadre"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_cadre_handovers_old_cadre"), table_name="cadre_handovers")
    op.drop_table("cadre_handovers")
    op.drop_index(op.f("ix_worker_moves_to_key"), table_name="worker_moves")
    op.drop_table("worker_moves")
    op.drop_index("ix_workers_phone_name", table_name="workers")
    op.drop_index("ix_workers_id_number", table_name="workers")
