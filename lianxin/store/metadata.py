"""The one MetaData of Lianxin's tables (with its naming convention) and the JSON type they use.

Every table module (`schema`, `schema_moves`) defines its tables on this metadata; Alembic and
the tests read it through `lianxin.store.schema`, which imports them all.
"""

from __future__ import annotations

from sqlalchemy import JSON, MetaData
from sqlalchemy.dialects.postgresql import JSONB

# JSONB on PostgreSQL: plain JSON has no equality operator there, and upserts compare values.
Json = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
