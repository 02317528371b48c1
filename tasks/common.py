"""What every task needs: the settings and the store engine of this process."""

from __future__ import annotations

from sqlalchemy import Engine

from config.settings import Settings, get_settings
from lianxin.store.engine import engine_for


def settings() -> Settings:
    return get_settings()


def engine() -> Engine:
    return engine_for(get_settings().database_url)
