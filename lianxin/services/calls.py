"""Record a call by hand (`lianxin checkin record`, the dashboard, the phone page): the loop closes.

The call is stored like a published check-in row, marked as entered by a person, and the rules
are evaluated for that worker at once, so their reminders stop and escalations are withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, select

from config.settings import RulesSettings
from lianxin.clock import today_local
from lianxin.dates_allowed import check_day
from lianxin.errors import UnknownWorker
from lianxin.records import CheckIn, WorkStatus, period_index, person_key, phone_tail
from lianxin.rules.checkin import period_of
from lianxin.rules.evaluate import EvaluationStats
from lianxin.services.reevaluate import evaluate_after_change
from lianxin.store import schema as t
from lianxin.store.upsert import upsert


@dataclass(frozen=True)
class RecordedCall:
    worker_key: str
    period: str
    stats: EvaluationStats


def find_worker(engine: Engine, text: str) -> str:
    """Return the key of the one roster worker `text` names (a key, or a name)."""
    w = t.workers
    with engine.connect() as conn:
        keys = (
            conn.execute(
                select(w.c.key).where((w.c.key == text) | (w.c.name == text)).order_by(w.c.key)
            )
            .scalars()
            .all()
        )
    if len(keys) == 1:
        return keys[0]
    if not keys:
        raise UnknownWorker(f"no roster worker is called or keyed {text!r}")
    raise UnknownWorker(f"{len(keys)} workers are called {text!r}; give the key: {', '.join(keys)}")


def record_call(
    engine: Engine,
    worker: str,
    call_date: date,
    reached: bool,
    rules: RulesSettings,
    now: datetime,
    income_yuan: int | None = None,
    status: WorkStatus | None = None,
    note: str | None = None,
    by: str = "cli",
    demands: str | None = None,
) -> RecordedCall:
    """Store a call for `worker` on `call_date` and re-evaluate; return what the rules did.

    Raise DateOutOfRange (nothing stored) when `call_date` is after today in Shanghai or before
    `dates_allowed.earliest_day`: the call's month follows from its day, so a day out of range
    would owe or close a month no one is in.
    """
    check_day("call_date", call_date, today_local(now))
    key = find_worker(engine, worker)
    with engine.connect() as conn:
        row = conn.execute(select(t.workers).where(t.workers.c.key == key)).one()
    period = period_of(call_date)
    call = CheckIn(
        worker_name=row.name,
        worker_phone=row.phone,
        village=row.village,
        period=period,
        call_date=call_date,
        reached=reached,
        status=status,
        income_yuan=income_yuan,
        demands=demands,
        notes=note,
    )  # validates income bounds and the rest like a published row
    with engine.begin() as conn:
        upsert(
            conn,
            t.checkins,
            [
                {
                    "worker_key": key,
                    "village": call.village,
                    "worker_name": call.worker_name,
                    "worker_phone": call.worker_phone,
                    "cadre": None,
                    "period": period,
                    "call_date": call_date,
                    "reached": reached,
                    "status": status.value if status else None,
                    "employer": None,
                    "place": None,
                    "income_yuan": income_yuan,
                    "demands": call.demands,
                    "policy_explained": None,
                    "followup_needed": False,
                    "notes": note,
                    "extra": {"entered_by": by},
                    "source_url": f"manual:{by}",
                    "content_hash": None,
                    "fetched_at": now,
                    "phone_tail": phone_tail(call.worker_phone),
                    "person_key": person_key(call.village, call.worker_name),
                    "matched_key": key,
                    "period_index": period_index(period),
                    "changed_at": now,
                }
            ],
            keys=["worker_key", "period"],
        )
    stats = evaluate_after_change(
        engine, call_date, rules, now, also=[(period, (row.town, row.village))]
    )
    return RecordedCall(worker_key=key, period=period, stats=stats)
