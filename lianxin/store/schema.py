"""The tables behind the records, as SQLAlchemy Core metadata (SQLite and PostgreSQL alike).

Natural keys (worker key, cadre key, report URL, obligation (kind, subject, period),
reminder idempotency key) carry unique constraints so that every write is an idempotent
upsert and reruns never duplicate rows.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
    literal_column,
    text,
    true,
)

from lianxin.store.metadata import Json as Json
from lianxin.store.metadata import metadata as metadata

regions = Table(
    "regions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("level", String(16), nullable=False),
    Column("name", String(64), nullable=False),
    Column("code", String(12)),  # 统计用区划代码
    Column("parent", String(64), nullable=False, server_default=""),
    UniqueConstraint("level", "name", "parent"),
)

# Every fetch, kept as a log; the raw bytes sit in the archive under their content hash.
fetches = Table(
    "fetches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(128), nullable=False),
    Column("url", Text, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("http_status", Integer),
    Column("content_type", String(128)),
    Column("content_hash", String(64)),
    Column("size", Integer),
    Column("error", Text),
    Index("ix_fetches_source_fetched_at", "source", "fetched_at"),  # the sources page
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("source", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("published", Date),
    Column("published_time", Time),
    Column("authors", Json, nullable=False),
    Column("editor", String(64)),
    Column("content_source", String(128)),
    Column("body", Text, nullable=False, server_default=""),
    Column("content_hash", String(64), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("parse_status", String(16), nullable=False),
    Column("errors", Json, nullable=False),
    Column("county", String(64)),
    Column("town", String(64)),
    Column("village", String(64)),
    Column("record_count", Integer, nullable=False, server_default="0"),
    Column("charset", String(32)),  # the HTTP charset it came with, for re-parsing
    # For a report published over several pages: [[url, content_hash, charset], …] in order.
    Column("parts", Json),
    Column("referrer", Text),  # for an attachment: the report page that links it
    Column("referrer_title", Text),
    # Facts an article states: counts, money and places ([{kind, value, unit, …}, …]).
    Column("facts", Json),
)

cadres = Table(
    "cadres",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(160), nullable=False, unique=True),
    Column("name", String(40), nullable=False),
    Column("unit", String(128), nullable=False, server_default=""),
    Column("phone", String(32)),
    Column("village", String(64)),
    Column("town", String(64)),
    Column("routes", Json, nullable=False),
    Column("supervisor", String(64)),
    Column("source_url", Text),
    Column("content_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True)),
)

workers = Table(
    "workers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(160), nullable=False, unique=True),
    Column("household", String(40)),
    Column("name", String(40), nullable=False),
    Column("phone", String(32)),
    Column("id_number", String(32)),
    Column("village", String(64), nullable=False),
    Column("town", String(64)),
    Column("cadre_key", String(160), index=True),
    Column("wish", Text),
    Column("skills", Text),
    Column("training", Text),
    Column("employer", Text),
    Column("work_place", Text),
    Column("start_date", Date),
    Column("status", String(16), nullable=False),
    Column("extra", Json, nullable=False),
    Column("source_url", Text),
    Column("content_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True)),
    Column("person_key", String(140), nullable=False, server_default="", index=True),
    # When this row last changed: incremental evaluation looks only at subjects changed since.
    Column("changed_at", DateTime(timezone=True)),
    Index("ix_workers_status", "status"),
    Index("ix_workers_changed_at", "changed_at"),
    # A village's or town's workers, for the dashboard's scoped lists and counts.
    Index("ix_workers_village", "village"),
    Index("ix_workers_town", "town"),
    # The dashboard's search (查找): a name or a household as typed, and the phone tail below.
    Index("ix_workers_name", "name"),
    Index("ix_workers_household", "household"),
    # The same person in another roster (store/moves.py): by ID number, by phone and name.
    Index("ix_workers_id_number", "id_number"),
    Index("ix_workers_phone_name", "phone", "name"),
)

# A worker's phone tail (手机尾号) is the last four characters of their key (village|name|tail):
# one expression, indexed, that SQLite and PostgreSQL both write the same way. The 3 is literal
# SQL, not a bound parameter, so that a query's expression is the index's.
WORKER_KEY_TAIL = func.substr(workers.c.key, func.length(workers.c.key) - literal_column("3"))
Index("ix_workers_key_tail", WORKER_KEY_TAIL)

# Partial indexes of the follow-up rules (rules/worker_rules.py): what each reads of a call.
FOLLOWUP_COLUMNS = ("matched_key", "period_index", "call_date", "period")
NEEDS_HELP = text("income_yuan = 0 OR status = 'looking'")  # out of work: employment assistance

checkins = Table(
    "checkins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("worker_key", String(160), nullable=False),
    Column("village", String(64), nullable=False),
    Column("worker_name", String(40), nullable=False),
    Column("worker_phone", String(32)),
    Column("cadre", String(40)),
    Column("period", String(7), nullable=False),
    Column("call_date", Date),
    Column("reached", Boolean, nullable=False),
    Column("status", String(16)),
    Column("employer", Text),
    Column("place", Text),
    Column("income_yuan", Integer),
    Column("demands", Text),
    Column("policy_explained", Boolean),
    Column("followup_needed", Boolean, nullable=False),
    Column("notes", Text),
    Column("extra", Json, nullable=False),
    Column("source_url", Text),
    Column("content_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True)),
    Column("phone_tail", String(4), nullable=False, server_default=""),
    Column("person_key", String(140), nullable=False, server_default=""),
    # The roster worker this call is about, once matched (tolerant to masking and spacing).
    Column("matched_key", String(160), index=True),
    Column("period_index", Integer, nullable=False, server_default="0"),  # year*12 + month-1
    Column("changed_at", DateTime(timezone=True)),
    UniqueConstraint("worker_key", "period"),
    # Covering what the rules read of a worker's calls, so their probes never visit the rows.
    Index(
        "ix_checkins_matched_period",
        "matched_key",
        "period_index",
        "call_date",
        "reached",
        "income_yuan",
        "status",
        "period",
    ),
    # The calls that owe a follow-up, each rule's own few in a partial index: a full evaluation
    # reads 1.2 M and 0.8 M entries at province scale instead of every call. The rules' WHERE
    # repeats these conditions as they are written here, which is how both databases know the
    # index holds every row they ask for.
    Index(
        "ix_checkins_needs_help",
        *FOLLOWUP_COLUMNS,
        "income_yuan",
        "status",
        sqlite_where=NEEDS_HELP,
        postgresql_where=NEEDS_HELP,
    ),
    Index(
        "ix_checkins_unreached",
        *FOLLOWUP_COLUMNS,
        "reached",
        sqlite_where=text("reached = 0"),
        postgresql_where=text("reached = false"),
    ),
    Index("ix_checkins_changed_at", "changed_at"),
    Index("ix_checkins_period", "period"),
)

problems = Table(
    "problems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(400), nullable=False, unique=True),
    Column("number", String(32), nullable=False),
    Column("found", Date),
    Column("place", Text),
    Column("description", Text, nullable=False),
    Column("category", String(64)),
    Column("responsible_unit", Text),
    Column("deadline", Date),
    Column("status", String(16), nullable=False),
    Column("source_url", Text, nullable=False),
    Column("content_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True)),
    Column("rectified_on", Date),  # 已整改: starts the return-visit clock
    Column("verified_on", Date),  # 已销号 after the return visit
    Column("changed_at", DateTime(timezone=True)),
)

obligations = Table(
    "obligations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("owner", String(160), nullable=False),
    Column("period", String(7), nullable=False, server_default=""),
    Column("window_start", Date, nullable=False),
    Column("due", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    # Escalation along the hierarchy: 0 cadre, 1 village lead, 2 town, 3 county bureau.
    Column("level", Integer, nullable=False, server_default="0"),
    Column("village", String(64)),  # where the subject lives, for escalation and dashboards
    Column("town", String(64)),
    Column("detail", Text),  # why it exists, in a line (the rule's words)
    # Reminders delivered about it: written in the same transaction as the ledger's "sent".
    Column("reminders_sent", Integer, nullable=False, server_default="0"),
    Column("last_reminded_at", DateTime(timezone=True)),
    Column("last_reminder", String(32)),  # the stage of the last reminder delivered
    UniqueConstraint("kind", "subject", "period"),
    Index("ix_obligations_owner_status", "owner", "status"),
    # A month's calls by status and due day (the dashboard's lists), by village and by town
    # (its scopes), and each kind by status and due day: the late ones (escalation), those
    # falling due (incremental runs), the live ones (the reminder digests).
    Index("ix_obligations_kind_period_status_due", "kind", "period", "status", "due"),
    Index("ix_obligations_kind_period_village", "kind", "period", "village"),
    Index("ix_obligations_kind_period_town", "kind", "period", "town"),
    Index("ix_obligations_kind_status_due", "kind", "status", "due"),
)

# Each state change of an obligation is a row: what changed, when, by which rule or person, why.
# Its obligation_id has no foreign-key constraint: the rules write history rows only from the
# obligations they create or move (in the same statement), and nothing deletes an obligation
# without its history (services/clock_repair.py). The constraint's check locked every obligation
# a history row names: 13 % of a full evaluation on PostgreSQL, for rows that cannot miss.
obligation_events = Table(
    "obligation_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("obligation_id", Integer, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("old_status", String(16)),
    Column("new_status", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", Text, nullable=False),
)

# Waivers (豁免): a person's decision that a subject owes no more follow-up, with the reason.
waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject", String(400), nullable=False, index=True),
    Column("kind", String(32), nullable=False, server_default="*"),  # an obligation kind or *
    Column("category", String(32), nullable=False),  # returned_for_good, moved_out, deceased, …
    Column("reason", Text, nullable=False),
    Column("given_by", String(64), nullable=False),
    Column("given_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Flags for the county (防返贫监测): a worker's income fell below the line or their own median.
risk_flags = Table(
    "risk_flags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("subject", String(160), nullable=False),
    Column("period", String(7), nullable=False),
    Column("village", String(64)),
    Column("town", String(64)),
    Column("income_yuan", Integer),
    Column("reference_yuan", Integer),  # the median or the monitoring line it fell below
    Column("detail", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "subject", "period"),
)

# One row per evaluation: its mode and the high-water mark incremental runs start from.
rule_runs = Table(
    "rule_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mode", String(16), nullable=False),  # full | incremental
    Column("as_of", Date, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("watermark", DateTime(timezone=True), nullable=False),
    Column("stats", Json, nullable=False),
)

# The reminder ledger: one row per intended message, unique by idempotency key.
reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(400), nullable=False, unique=True),
    Column("stage", String(32), nullable=False),
    Column("recipient", String(160), nullable=False),
    Column("channel", Text, nullable=False),
    Column("obligations", Json, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),  # runs that tried it
    # The run that holds a `sending` row, and when it last said it is alive: another worker
    # leaves the row alone until notify.claim_lease_s has passed without a word.
    Column("claimed_by", String(36)),
    Column("claimed_at", DateTime(timezone=True)),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("row", Integer, nullable=False, server_default="0"),  # 0: the whole page
    Column("reason", Text, nullable=False),
    Column("severity", String(16), nullable=False, server_default="error"),
    Column("raw", Json, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("content_hash", "row", "reason"),
    Index("ix_quarantine_created_at", "created_at"),  # the latest first, on the sources page
)

# Reconciliation of a month's check-in tables against the roster: one row per finding,
# replaced whole for a period each time that period is reconciled.
findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("period", String(7), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("village", String(64)),
    Column("detail", Text, nullable=False),
    Column("source_url", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_findings_period_kind", "period", "kind"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("flow", String(32), nullable=False),
    Column("as_of", Date),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("stats", Json, nullable=False),
    Column("prefect_flow_run_id", String(64)),
    Index("ix_runs_started_at", "started_at"),  # the runs page, the watchdog
    Index("ix_runs_flow_started_at", "flow", "started_at"),
)

# --- the dashboard ----------------------------------------------------------------------------

# People who log in. A role sees its own part of the region tree: a cadre their workers, a
# village or town lead their place, the county bureau and supervision group their county.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False, server_default=""),
    Column("password_hash", String(255), nullable=False),  # argon2id, never the password
    # cadre, village_lead, town_lead, county, supervision or admin
    Column("role", String(16), nullable=False),
    Column("county", String(64)),
    Column("town", String(64)),
    Column("village", String(64)),
    Column("cadre_key", String(160)),  # for a cadre: their key in `cadres`
    Column("language", String(8), nullable=False, server_default="zh"),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    # Carried in every session cookie; bumped by log-out, a new password or disabling, which
    # ends every session signed with the old number at its next request.
    Column("session_version", Integer, nullable=False, server_default="0"),
)

# Every action taken through the dashboard or the CLI on someone's behalf: who, what, on what.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(48), nullable=False),
    Column("target", String(400), nullable=False, server_default=""),
    Column("detail", Json, nullable=False),  # masked: never a full phone or ID number
    Column("address", String(64)),
)


def _call_counts() -> list[Column[int]]:
    """The check-in counts of an aggregate row: calls due, and how many are in each status."""
    names = ("due", "done", "open", "overdue", "escalated", "waived")
    return [Column(name, Integer, nullable=False, server_default="0") for name in names]


# Check-in compliance per village and month, kept up to date by the flows (not per request), so
# that the overview of a province reads tens of thousands of rows, not millions.
compliance = Table(
    "compliance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period", String(7), nullable=False),
    Column("county", String(64), nullable=False, server_default=""),
    Column("town", String(64), nullable=False, server_default=""),
    Column("village", String(64), nullable=False),
    *_call_counts(),
    Column("risk_flags", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("period", "county", "town", "village"),
    Index("ix_compliance_period_town", "period", "town"),
)

# The same counts per cadre (包户干部) and village, refreshed with `compliance`, so the cadres
# page ranks a province's 150,000 cadres without grouping its millions of calls per request.
cadre_compliance = Table(
    "cadre_compliance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period", String(7), nullable=False),
    Column("owner", String(160), nullable=False),  # the cadre's key
    Column("county", String(64), nullable=False, server_default=""),
    Column("town", String(64), nullable=False, server_default=""),
    Column("village", String(64), nullable=False),
    *_call_counts(),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("period", "owner", "town", "village"),
    Index("ix_cadre_compliance_period_village", "period", "village"),
    Index("ix_cadre_compliance_period_town", "period", "town"),
    Index("ix_cadre_compliance_period_county", "period", "county"),
)


# Digest links, moves, handovers and pacing live in modules of their own, on the same metadata.
from lianxin.store.schema_links import digest_links as digest_links  # noqa: E402
from lianxin.store.schema_moves import cadre_handovers as cadre_handovers  # noqa: E402
from lianxin.store.schema_moves import worker_moves as worker_moves  # noqa: E402
from lianxin.store.schema_pacing import pace_admissions as pace_admissions  # noqa: E402
from lianxin.store.schema_pacing import pace_locks as pace_locks  # noqa: E402
