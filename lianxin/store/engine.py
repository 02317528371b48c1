"""One engine per database URL per process, migrated on first use."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine

from lianxin.store.db import make_engine, migrate


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """Return the (cached) engine for `url`, with the schema brought up to date."""
    engine = make_engine(url)
    migrate(engine)
    return engine
