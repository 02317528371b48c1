"""The watchdog on Lianxin itself: what Prefect cannot see. Each finding is an `Alert`; each
alert goes to the operator's routes once a day.

- `source_drift`: a source yielded records on its last N runs and yields none now, the mark of
  a portal whose pages changed under the parser's selectors (改版). Read from the records per
  source that every ingest keeps in its run's stats. Prefect sees a completed run.
- `channel_failing`: a cadre's or lead's route (企业微信/钉钉 bot, mail …) whose sends in the
  last days all failed, at least `channel_failures` of them: a revoked bot key, a full
  mailbox. Each failed send stays in the ledger and is retried; Prefect sees a completed run.
- `missed_run`: only for flows run from cron, without Prefect deployments: a flow with a
  cadence (`watchdog.cadence`, empty by default) has no run row in its window. A flow that has
  never run is not expected yet.

Late and failed runs of the deployments are Prefect's to see: the automations of
flows/automations.py alert on them (docs/operations.md, "Alerts: which comes from where").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Connection, Engine, Integer, and_, case, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy import true as sql_true

from config.settings import FlowCadence, NotifySettings, Settings, WatchdogSettings
from lianxin.clock import local_zone, today_local
from lianxin.notify.channels import redact_route
from lianxin.notify.deliver import AnyDigest, DeliveryStats, deliver
from lianxin.store import schema as t

OPERATOR = "operator"  # the ledger's recipient for every watchdog alert
FAILED_STATUSES = ("failed", "crashed")


class AlertKind(StrEnum):
    missed_run = "missed_run"
    source_drift = "source_drift"
    channel_failing = "channel_failing"


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    subject: str  # a flow name, a source name or a route (redacted)
    day: date  # the Shanghai day the alert belongs to: once per day per subject
    detail: str  # one line: the cadence missed, the records before
    at: datetime | None = None  # the last run or the zero-yield run (UTC)

    @property
    def key(self) -> str:
        return f"watchdog/{self.day.isoformat()}/{self.kind}/{self.subject}"

    @property
    def when(self) -> str:
        """Return `at` on the Shanghai clock, '' when there is none (for the templates)."""
        return shanghai_clock(self.at) if self.at else ""

    def line(self) -> str:
        """Return the alert in one line, for the command line and logs."""
        return f"{self.kind}\t{self.subject}\t{self.detail}"


@dataclass
class WatchdogDigest:
    """One alert as a digest `deliver` sends to the operator (template `watchdog_alert`)."""

    key: str
    stage: str
    as_of: date
    routes: list[str]
    alerts: list[Alert]
    cadre_key: str = OPERATOR
    cadre_name: str = "连心运维"
    village: str | None = None
    town: str | None = None
    template: str = "watchdog_alert"
    obligation_ids: list[int] = field(default_factory=list)

    @property
    def items(self) -> list[Alert]:
        return self.alerts


def check(engine: Engine, now: datetime, settings: Settings) -> list[Alert]:
    """Return every alert that holds at `now` (UTC): missed runs (cron only), drifting sources,
    failing channels."""
    watch = settings.watchdog
    now = as_utc(now)  # SQLite compares instants as text: always in UTC
    with engine.connect() as conn:
        return [
            *missed_runs(conn, now, watch.cadence),
            *drifting_sources(conn, now, watch),
            *failing_channels(conn, now, watch),
        ]


def missed_runs(conn: Connection, now: datetime, cadence: dict[str, FlowCadence]) -> list[Alert]:
    """Return a `missed_run` alert per watched flow whose last run started before its window.

    A flow with no run at all is not reported: nothing says it has been scheduled yet.
    """
    watched = {name: c for name, c in cadence.items() if c.enabled}
    if not watched:
        return []
    r = t.runs
    last: dict[str, datetime] = {
        flow: as_utc(started)
        for flow, started in conn.execute(
            select(r.c.flow, func.max(r.c.started_at))
            .where(r.c.flow.in_(list(watched)))
            .group_by(r.c.flow)
        ).all()
    }
    alerts = []
    for flow, c in sorted(watched.items()):
        started = last.get(flow)
        if started is None:
            continue
        window_start = expected_since(c, now)
        if window_start is not None and started < window_start:
            alerts.append(
                Alert(
                    AlertKind.missed_run,
                    flow,
                    today_local(now),
                    f"expected {describe(c)}; last run started {shanghai_clock(started)}",
                    started,
                )
            )
    return alerts


def expected_since(cadence: FlowCadence, now: datetime) -> datetime | None:
    """Return the instant (UTC) a run must have started after, or None if none is due yet.

    Daily flows are due from `daily_by` on the Shanghai clock; before that, nothing is.
    """
    if cadence.every_minutes is not None:
        return now - timedelta(minutes=cadence.every_minutes + cadence.grace_minutes)
    local = now.astimezone(local_zone())
    by = cadence.daily_by or time(0)
    if local.time() < by:
        return None
    return datetime.combine(local.date(), time(0), local_zone()).astimezone(UTC)


def describe(cadence: FlowCadence) -> str:
    """Return the cadence in words: 'every 60 min (+30 grace)' or 'daily by 09:30'."""
    if cadence.every_minutes is not None:
        return f"every {cadence.every_minutes} min (+{cadence.grace_minutes} grace)"
    return f"daily by {(cadence.daily_by or time(0)).strftime('%H:%M')} Asia/Shanghai"


def drifting_sources(conn: Connection, now: datetime, watch: WatchdogSettings) -> list[Alert]:
    """Return a `source_drift` alert per source whose records stopped in the latest ingest.

    Stopped: no records in the latest ingest, and records on each of the `drift_after_runs`
    runs before its streak of empty runs began (a source that never yielded is not drift). The
    alert lasts as long as the drift does (once a day); a source left out of the latest
    ingest (its fetch failed, or another source was chosen) is not judged by it.
    """
    r = t.runs
    recent = (
        select(
            r.c.id,
            r.c.started_at,
            r.c.stats,
            func.row_number().over(order_by=(r.c.started_at.desc(), r.c.id.desc())).label("run"),
        )
        .where(r.c.flow == "ingest", r.c.status == "completed")
        .order_by(r.c.started_at.desc(), r.c.id.desc())
        .limit(watch.drift_window_runs)
        .subquery("recent")
    )
    pairs = _source_counts(conn, recent.c.stats)
    counts = (
        select(
            pairs.c.key.label("source"),
            recent.c.run,
            recent.c.started_at,
            sql_cast(pairs.c.value, Integer).label("records"),
        )
        .select_from(recent)
        .join(pairs, sql_true())
        .subquery("counts")
    )
    # Rank each source's appearances, newest first: a run that left it out does not count.
    ranked = select(
        counts,
        func.row_number().over(partition_by=counts.c.source, order_by=counts.c.run).label("seen"),
    ).subquery("ranked")
    zero_now = select(ranked.c.source).where(ranked.c.run == 1, ranked.c.records == 0)
    last_yield = (
        select(ranked.c.source, func.min(ranked.c.seen).label("seen"))
        .where(ranked.c.records > 0, ranked.c.source.in_(zero_now))
        .group_by(ranked.c.source)
        .subquery("last_yield")
    )
    good = and_(
        ranked.c.source == last_yield.c.source,
        ranked.c.seen >= last_yield.c.seen,
        ranked.c.seen < last_yield.c.seen + watch.drift_after_runs,
        ranked.c.records > 0,
    )
    rows = conn.execute(
        select(
            last_yield.c.source,
            (last_yield.c.seen - 1).label("zero_runs"),
            func.max(case((ranked.c.seen == last_yield.c.seen, ranked.c.records))).label("last"),
            func.max(case((ranked.c.seen == last_yield.c.seen, ranked.c.started_at))).label(
                "last_at"
            ),
        )
        .join(ranked, good)
        .group_by(last_yield.c.source, last_yield.c.seen)
        .having(func.count() == watch.drift_after_runs)
        .order_by(last_yield.c.source)
    ).all()
    latest = conn.execute(select(recent.c.started_at).where(recent.c.run == 1)).scalar()
    return [
        Alert(
            AlertKind.source_drift,
            row.source,
            today_local(now),
            f"0 records in the last {row.zero_runs} ingest run(s); {row.last} in the run of "
            f"{shanghai_clock(as_utc(row.last_at))}",
            as_utc(latest) if latest is not None else None,
        )
        for row in rows
    ]


def _source_counts(conn: Connection, stats: Any) -> Any:
    # The run's {source: records} object as (key, value) rows, spelled per dialect; a function
    # in FROM may read the table before it on both (SQLite's json_each, PostgreSQL's LATERAL).
    if conn.dialect.name == "sqlite":
        return func.json_each(stats, "$.records_by_source").table_valued("key", "value")
    return func.jsonb_each_text(stats["records_by_source"]).table_valued("key", "value")


def failing_channels(conn: Connection, now: datetime, watch: WatchdogSettings) -> list[Alert]:
    """Return a `channel_failing` alert per route whose ledger rows of the last
    `channel_window_days` (Shanghai days, today included) hold `channel_failures` failed sends
    or more and not one sent. The operator's own routes are left out: their alert could not
    arrive on them."""
    r = t.reminders
    failed = r.c.outcome == "failed"
    since = today_local(now) - timedelta(days=watch.channel_window_days - 1)
    rows = conn.execute(
        select(
            r.c.channel,
            func.count().label("failures"),
            func.min(r.c.as_of).label("first"),
            func.max(r.c.detail).label("error"),
        )
        .where(r.c.as_of >= since, r.c.recipient != OPERATOR, r.c.outcome.in_(("failed", "sent")))
        .group_by(r.c.channel)
        .having(
            func.sum(case((failed, 1), else_=0)) >= watch.channel_failures,
            func.sum(case((failed, 0), else_=1)) == 0,
        )
        .order_by(r.c.channel)
    ).all()
    return [
        Alert(
            AlertKind.channel_failing,
            redact_route(row.channel),
            today_local(now),
            f"{row.failures} sends failed since {row.first}, none delivered; e.g. "
            + one_line(redact_route(row.error or "no error recorded"), 200),
        )
        for row in rows
    ]


def digests_for(alerts: Sequence[Alert], watch: WatchdogSettings) -> list[WatchdogDigest]:
    """Return one digest per alert, keyed `watchdog/{day}/{kind}/{subject}`."""
    return [
        WatchdogDigest(
            key=a.key,
            stage=f"watchdog_{a.kind}",
            as_of=a.day,
            routes=list(watch.operator_routes),
            alerts=[a],
        )
        for a in alerts
    ]


def send_alerts(
    engine: Engine, alerts: Sequence[Alert], settings: Settings, now: datetime
) -> DeliveryStats:
    """Send each alert to the operator's routes unless the ledger has it already."""
    notify = operator_notify(settings)
    # deliver() reads only the fields every digest has, which WatchdogDigest has too.
    digests = cast("list[AnyDigest]", digests_for(alerts, settings.watchdog))
    return deliver(engine, digests, notify, now)


def operator_notify(settings: Settings) -> NotifySettings:
    """Return the notify settings for the operator: no quiet hours unless asked for."""
    if settings.watchdog.respect_quiet_hours:
        return settings.notify
    return settings.notify.model_copy(update={"quiet_end": settings.notify.quiet_start})


def one_line(text: str, limit: int = 300) -> str:
    """Return `text` on one line, white space folded, cut to `limit` characters."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def as_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC instant (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def shanghai_clock(value: datetime) -> str:
    """Return an instant as 'YYYY-MM-DD HH:MM' on the Shanghai clock."""
    return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
