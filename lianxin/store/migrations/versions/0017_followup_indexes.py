"""Partial indexes for the follow-up rules, one index fewer on obligations, no history FK

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

What a full evaluation at province scale spent its time on (issue 16):

- the follow-up rules found their calls by reading all of them: employment assistance the 1.2 M
  calls of workers out of work, home visits the 0.8 M unanswered ones, each among 15 M. Each now
  has a partial index holding only its own calls, with the columns it reads;
- obligations had eight indexes, and each new obligation pays for every one. (status, due) and
  (kind, status, window_start) give way to one (kind, status, due), which serves what both did:
  the late ones for escalation, those falling due, the live ones for the digests;
- the foreign key from obligation_events to obligations locked the obligation of every history
  row written, millions per full run (see the comment at obligation_events in schema.py).
  SQLite cannot drop a constraint in place: the table is copied once (about a second per
  million history rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FOLLOWUP_COLUMNS = ["matched_key", "period_index", "call_date", "period"]
NEEDS_HELP = "income_yuan = 0 OR status = 'looking'"
FK = "fk_obligation_events_obligation_id_obligations"


def upgrade() -> None:
    op.create_index(
        "ix_checkins_needs_help",
        "checkins",
        [*FOLLOWUP_COLUMNS, "income_yuan", "status"],
        sqlite_where=sa.text(NEEDS_HELP),
        postgresql_where=sa.text(NEEDS_HELP),
    )
    op.create_index(
        "ix_checkins_unreached",
        "checkins",
        [*FOLLOWUP_COLUMNS, "reached"],
        sqlite_where=sa.text("reached = 0"),
        postgresql_where=sa.text("reached = false"),
    )
    op.drop_index("ix_obligations_status_due", table_name="obligations")
    op.drop_index("ix_obligations_kind_status_window", table_name="obligations")
    op.create_index("ix_obligations_kind_status_due", "obligations", ["kind", "status", "due"])
    with op.batch_alter_table("obligation_events") as batch:
        batch.drop_constraint(FK, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("obligation_events") as batch:
        batch.create_foreign_key(FK, "obligations", ["obligation_id"], ["id"])
    op.drop_index("ix_obligations_kind_status_due", table_name="obligations")
    op.create_index(
        "ix_obligations_kind_status_window", "obligations", ["kind", "status", "window_start"]
    )
    op.create_index("ix_obligations_status_due", "obligations", ["status", "due"])
    op.drop_index("ix_checkins_unreached", table_name="checkins")
    op.drop_index("ix_checkins_needs_help", table_name="checkins")
