"""Links from personal check-in digests to the phone page, and the repeat of unread digests.

Before delivery, every check-in digest with a personal route gets a link: one `digest_links`
row per digest key (made once; a rerun finds it), its token the row's id signed with the
dashboard's key (`lianxin.signing`). The link is scoped to that cadre and that digest's
obligations and works until the window's due day ends (Asia/Shanghai; or until it was sent,
when later: an overdue digest) plus `dashboard.link_grace_hours`.

A digest whose link nobody opened `notify.reread_after_hours` after it was sent gets one
repeat: same words, same link, same routes, its own idempotency key (digest key + `/repeat`),
so the ledger sends it at most once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, Engine, select

from config.settings import NotifySettings, Settings
from lianxin.clock import local_zone
from lianxin.notify.channels import channel_kind
from lianxin.notify.deliver import AnyDigest, routes_for
from lianxin.notify.digests import Digest
from lianxin.signing import link_token, new_link_id, secret_key_for
from lianxin.store import schema as t
from lianxin.store.upsert import upsert

REPEAT_SUFFIX = "/repeat"
_CHUNK = 500


@dataclasses.dataclass(frozen=True)
class LinkMaker:
    """What minting needs: the signing key, the dashboard's public address and the grace."""

    key: str
    base_url: str
    grace: timedelta

    def url(self, link_id: str) -> str:
        """Return the phone page's address for link `link_id`."""
        return f"{self.base_url.rstrip('/')}/m/{link_token(self.key, link_id)}"


def personal_routes(digest: AnyDigest, notify: NotifySettings) -> list[str]:
    """Return the routes of `digest` that one person reads (every kind but a group)."""
    return [r for r in routes_for(digest, notify) if channel_kind(r, notify) != "group"]


def expires_at(due_local_day: date, grace: timedelta, sent: datetime) -> datetime:
    """Return when a link stops working: the end of its window's due day in Asia/Shanghai, or
    the sending when later (an overdue digest, a replayed day), plus `grace`; aware, in UTC."""
    day_end = datetime.combine(due_local_day + timedelta(days=1), time(0), local_zone())
    return (max(day_end, sent) + grace).astimezone(UTC)


def with_links(
    engine: Engine,
    digests: Sequence[AnyDigest],
    notify: NotifySettings,
    maker: LinkMaker,
    now: datetime,
) -> list[AnyDigest]:
    """Return `digests` with a phone-page link on each check-in digest that has a personal
    route; the links' rows are made here (once per digest key) in one transaction."""
    wanted = [d for d in digests if isinstance(d, Digest) and personal_routes(d, notify)]
    linked = {id(d) for d in wanted}
    if not wanted:
        return list(digests)
    with engine.begin() as conn:
        upsert(
            conn,
            t.digest_links,
            [
                {
                    "id": new_link_id(),
                    "digest_key": d.key.removesuffix(REPEAT_SUFFIX),
                    "cadre_key": d.cadre_key,
                    "period": d.period,
                    "obligations": d.obligation_ids,
                    "created_at": now,
                    "expires_at": expires_at(d.due, maker.grace, now),
                    "revoked_at": None,
                    "first_read_at": None,
                    "last_read_at": None,
                    "reads": 0,
                }
                for d in wanted
            ],
            keys=["digest_key"],
            update=(),  # made once: a rerun keeps the link (and the token) it sent
        )
        ids = _link_ids(conn, [d.key.removesuffix(REPEAT_SUFFIX) for d in wanted])
    out: list[AnyDigest] = []
    for digest in digests:
        link_id = ids.get(digest.key.removesuffix(REPEAT_SUFFIX))
        if isinstance(digest, Digest) and link_id and id(digest) in linked:
            digest = dataclasses.replace(digest, link=maker.url(link_id))
        out.append(digest)
    return out


def _link_ids(conn: Connection, keys: list[str]) -> dict[str, str]:
    dl = t.digest_links
    found: dict[str, str] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = conn.execute(
            select(dl.c.digest_key, dl.c.id).where(
                dl.c.digest_key.in_(keys[start : start + _CHUNK])
            )
        )
        found.update((k, i) for k, i in rows)
    return found


def unread_repeats(
    engine: Engine,
    digests: Sequence[AnyDigest],
    notify: NotifySettings,
    now: datetime,
) -> list[Digest]:
    """Return the one repeat due for each check-in digest still unread, or none.

    Due when `notify.reread_after_hours` (not 0) have passed since the digest was sent on a
    personal route and its link was never opened, is not revoked and has not expired. The
    repeat goes to the personal routes the digest was sent on, with key digest key + /repeat.
    """
    if not notify.reread_after_hours:
        return []
    cutoff = now - timedelta(hours=notify.reread_after_hours)
    candidates = {d.key: d for d in digests if isinstance(d, Digest) and not d.repeat and d.items}
    if not candidates:
        return []
    dl, r = t.digest_links, t.reminders
    unread: set[str] = set()
    sent_on: dict[str, list[str]] = {}
    keys = list(candidates)
    with engine.connect() as conn:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            unread.update(
                conn.execute(
                    select(dl.c.digest_key).where(
                        dl.c.digest_key.in_(chunk),
                        dl.c.first_read_at.is_(None),
                        dl.c.revoked_at.is_(None),
                        dl.c.expires_at > now,
                    )
                ).scalars()
            )
        # (a route may hold an @ itself, as mailto:// does: the key is looked up, not split)
        ledger_keys = {
            f"{key}@{route}": key
            for key in unread
            for route in personal_routes(candidates[key], notify)
        }
        listed = list(ledger_keys)
        for start in range(0, len(listed), _CHUNK):
            for ledger_key, route in conn.execute(
                select(r.c.idempotency_key, r.c.channel).where(
                    r.c.idempotency_key.in_(listed[start : start + _CHUNK]),
                    r.c.outcome == "sent",
                    r.c.sent_at <= cutoff,
                )
            ):
                sent_on.setdefault(ledger_keys[ledger_key], []).append(route)
    return [
        dataclasses.replace(
            candidates[key],
            key=key + REPEAT_SUFFIX,
            repeat=True,
            only_routes=tuple(sorted(routes)),
        )
        for key, routes in sorted(sent_on.items())
    ]


def link_maker(settings: Settings) -> LinkMaker:
    """Return the link maker of these settings: the dashboard's key, its public address
    (`dashboard.public_url`, else http://host:port) and `dashboard.link_grace_hours`."""
    board = settings.dashboard
    base = board.public_url or f"http://{board.host}:{board.port}"
    return LinkMaker(secret_key_for(settings), base, timedelta(hours=board.link_grace_hours))


def prepare(
    engine: Engine,
    digests: Sequence[AnyDigest],
    settings: Settings,
    now: datetime,
    dry_run: bool = False,
) -> list[AnyDigest]:
    """Return what to deliver: `digests` and the repeats of unread ones, each personal
    check-in digest carrying its link (a dry run makes no links)."""
    planned = [*digests, *unread_repeats(engine, digests, settings.notify, now)]
    if dry_run:
        return planned
    return with_links(engine, planned, settings.notify, link_maker(settings), now)
