"""The fetch log: one row per fetched URL, and a quarantine row for each page that failed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from lianxin.clock import utc_now
from lianxin.ingest.fetching import FetchedPage
from lianxin.store import schema as t
from lianxin.store.upsert import upsert


def log_fetches(engine: Engine, pages: Sequence[FetchedPage]) -> None:
    """Append every fetch to the log; pages that failed are also quarantined with the reason."""
    if not pages:
        return
    with engine.begin() as conn:
        conn.execute(
            t.fetches.insert(),
            [
                {
                    "source": p.source,
                    "url": p.url,
                    "fetched_at": p.fetched_at,
                    "http_status": p.status,
                    "content_type": p.content_type,
                    "content_hash": p.content_hash if p.content else None,
                    "size": len(p.content),
                    "error": p.error,
                }
                for p in pages
            ],
        )
        failed = [
            {
                "url": p.url,
                "content_hash": p.content_hash,
                "row": 0,
                "reason": p.error,
                "raw": {"http_status": p.status, "size": len(p.content)},
                "created_at": utc_now(),
            }
            for p in pages
            if p.error
        ]
        upsert(conn, t.quarantine, failed, keys=["content_hash", "row", "reason"], update=())
