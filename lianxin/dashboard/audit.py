"""The audit log: one row per action taken through the dashboard or on someone's behalf."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert

from lianxin.dashboard.scope import Viewer
from lianxin.privacy import scrub
from lianxin.store import schema as t


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {str(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def record(
    conn: Connection,
    viewer: Viewer | None,
    action: str,
    target: str = "",
    detail: Mapping[str, Any] | None = None,
    address: str | None = None,
    *,
    username: str | None = None,
) -> None:
    """Write one audit row; phones and ID numbers in `target` and `detail` are masked first.

    `viewer` is None for an action by someone not logged in (a failed log-in): then
    `username` names who they claimed to be.
    """
    conn.execute(
        insert(t.audit_log).values(
            at=datetime.now(UTC),
            username=(viewer.username if viewer else username or "")[:64],
            role=str(viewer.role) if viewer else "",
            action=action,
            target=scrub(target)[:400],
            detail=_masked(dict(detail or {})),
            address=(address or "")[:64] or None,
        )
    )
