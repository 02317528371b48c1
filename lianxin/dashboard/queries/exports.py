"""The data page's read model: which tables a viewer's place reaches, the month an export
defaults to, and the clause an import is held to."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, FromClause, Table, func, select
from sqlalchemy.sql.elements import False_

from lianxin.clock import utc_now
from lianxin.dashboard.scope import Viewer, place_clause
from lianxin.store import schema as t


def place_reaches(viewer: Viewer, table: Table) -> bool:
    """Return whether `viewer`'s place reaches any row of `table` (a cadre's reaches no
    compliance, say): `place_clause` is not plainly false for it."""
    return not isinstance(place_clause(viewer, table), False_)


def latest_call_period(conn: Connection, viewer: Viewer) -> str:
    """Return the latest month of calls in `viewer`'s place, the export form's default."""
    c = t.checkins
    found = conn.execute(select(func.max(c.c.period)).where(place_clause(viewer, c))).scalar()
    return str(found or utc_now().strftime("%Y-%m"))


def import_where(viewer: Viewer) -> Any:
    """Return the `ImportScope.where` holding an import to `viewer`'s place."""

    def where(table: FromClause) -> Any:
        return place_clause(viewer, cast(Table, table))  # duck-typed: it reads table.c only

    return where
