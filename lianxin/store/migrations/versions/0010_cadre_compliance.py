"""cadre_compliance: check-in counts per cadre, village and month, for the cadres page; and
indexes for the sources and runs pages

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COUNTS = ("due", "done", "open", "overdue", "escalated", "waived")
INDEXES = [
    ("ix_cadre_compliance_period_village", ["period", "village"]),
    ("ix_cadre_compliance_period_town", ["period", "town"]),
    ("ix_cadre_compliance_period_county", ["period", "county"]),
]
OPERATIONS_INDEXES = [
    ("ix_fetches_source_fetched_at", "fetches", ["source", "fetched_at"]),
    ("ix_quarantine_created_at", "quarantine", ["created_at"]),
    ("ix_runs_started_at", "runs", ["started_at"]),
    ("ix_runs_flow_started_at", "runs", ["flow", "started_at"]),
]


def upgrade() -> None:
    op.create_table(
        "cadre_compliance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("owner", sa.String(length=160), nullable=False),
        sa.Column("county", sa.String(length=64), server_default="", nullable=False),
        sa.Column("town", sa.String(length=64), server_default="", nullable=False),
        sa.Column("village", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTS),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadre_compliance")),
        sa.UniqueConstraint(
            "period", "owner", "town", "village", name=op.f("uq_cadre_compliance_period")
        ),
    )
    for name, columns in INDEXES:
        op.create_index(name, "cadre_compliance", columns, unique=False)
    for name, table, columns in OPERATIONS_INDEXES:
        op.create_index(name, table, columns, unique=False)
    _fill()
    _analyze()


def _analyze() -> None:
    """Give the planner statistics of the tables whose indexes 0009 and this revision added.

    Without them SQLite weighs an index it has no statistics for against ones it has, and can
    pick a month-wide index to find one cadre's calls (the cadres page: 47 s at province scale
    instead of 0.3 s). `analysis_limit` keeps it to a sample: well under a second.
    """
    tables = ("obligations", "workers", "cadre_compliance", "fetches", "quarantine", "runs")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit=1000")
    for table in tables:
        op.execute(f"ANALYZE {table}")


def _fill() -> None:
    """Count every month's calls per cadre and village now, as the refresh would, so the cadres
    page is right before the next flow run. (Written out here: a migration must not change
    with the application's code.)"""
    obligations = sa.table(
        "obligations",
        *(sa.column(n) for n in ("kind", "period", "owner", "town", "village", "status")),
    )
    regions = sa.table("regions", sa.column("level"), sa.column("name"), sa.column("parent"))
    o = obligations.c
    calls = (
        sa.select(
            o.period, o.owner, sa.func.coalesce(o.town, "").label("town"), o.village, o.status
        )
        .where(o.kind == "monthly_checkin", o.village.is_not(None), o.period != "")
        .subquery("calls")
    )
    county = (
        sa.select(sa.func.coalesce(sa.func.max(regions.c.parent), ""))
        .where(regions.c.level == "town", regions.c.name == calls.c.town)
        .scalar_subquery()
    )
    counts = [sa.func.count()] + [
        sa.func.sum(sa.case((calls.c.status == status, 1), else_=0)) for status in COUNTS[1:]
    ]
    keys = [calls.c.period, calls.c.owner, calls.c.town, calls.c.village]
    grouped = sa.select(
        calls.c.period,
        calls.c.owner,
        county,
        calls.c.town,
        calls.c.village,
        *counts,
        sa.func.current_timestamp(),
    ).group_by(*keys)
    target = sa.table(
        "cadre_compliance",
        *(sa.column(n) for n in ("period", "owner", "county", "town", "village", *COUNTS)),
        sa.column("updated_at"),
    )
    op.execute(target.insert().from_select([c.name for c in target.c], grouped))


def downgrade() -> None:
    for name, table, _columns in reversed(OPERATIONS_INDEXES):
        op.drop_index(name, table_name=table)
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="cadre_compliance")
    op.drop_table("cadre_compliance")
