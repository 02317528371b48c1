"""Lianxin's store: SQLAlchemy Core tables, Alembic migrations and batch upserts."""
