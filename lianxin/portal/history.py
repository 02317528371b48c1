"""Make the monthly phone calls (每月上旬电话回访) the cadres of the sample county made.

September and October 2026 are complete (nearly everyone called by the 10th, a few late, a few
unreachable); November is under way: the portal's today is 2026-11-08, so calls are dated the
1st to the 7th, roughly six in ten workers are done and a couple of cadres have called no one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from lianxin.portal.county import County, PortalWorker
from lianxin.records import WorkStatus

PERIODS = ("2026-09", "2026-10", "2026-11")
CURRENT_PERIOD = "2026-11"
SILENT_CADRES = 2  # cadres who have called nobody yet this month
DEMANDS = (
    "希望提供技能培训信息",
    "咨询医保缴费政策",
    "工资未按时发放，请求协助",
    "希望推荐就近岗位",
    "咨询子女入学政策",
    "咨询务工交通补贴申领",
)


@dataclass(frozen=True)
class Call:
    """One phone call as the village clerk will publish it."""

    worker: PortalWorker
    period: str
    call_date: date
    reached: bool
    status: WorkStatus | None
    employer: str | None
    place: str | None
    income_yuan: int | None  # last month's income
    demands: str | None
    notes: str | None


def make_calls(county: County, seed: int) -> dict[str, list[Call]]:
    """Return every call by period, in table order (village, then cadre, then worker)."""
    rng = random.Random(seed + 1)
    pay = {w.name: rng.randrange(28, 91) * 100 for w in county.workers}
    # Two workers nobody could reach in September nor October: the home-visit rule's case.
    twice_unreached = {
        w.name
        for w in rng.sample([w for w in county.workers if w.status is WorkStatus.employed], 2)
    }
    silent = {c.name for c in rng.sample(county.cadres, SILENT_CADRES)}
    calls: dict[str, list[Call]] = {}
    for period in PERIODS:
        month = int(period[5:])
        current = period == CURRENT_PERIOD
        out: list[Call] = []
        for worker in county.workers:
            status = _status_in(worker, period)
            if status is None:
                continue
            if current and (worker.cadre in silent or rng.random() > 0.70):
                continue
            if current:
                day = rng.randint(1, 7)
            else:
                day = rng.randint(1, 10) if rng.random() < 0.95 else rng.randint(11, 16)
            reached = rng.random() > 0.04 and worker.name not in twice_unreached
            if current and worker.name in twice_unreached:
                reached = True
            out.append(
                _call(
                    rng, worker, period, date(2026, month, day), reached, status, pay[worker.name]
                )
            )
        calls[period] = out
    return calls


def _status_in(worker: PortalWorker, period: str) -> WorkStatus | None:
    """Return the worker's status in `period`, or None when nobody calls them that month."""
    if worker.status is WorkStatus.employed:
        return WorkStatus.employed
    if worker.changed_in and worker.changed_in < period:
        # Looking since before the month: still called; back home since before: not called.
        if worker.status is WorkStatus.looking:
            return WorkStatus.looking
        return None
    if worker.changed_in == period:
        return worker.status  # the call that learned of the change
    return WorkStatus.employed


def _call(
    rng: random.Random,
    worker: PortalWorker,
    period: str,
    day: date,
    reached: bool,
    status: WorkStatus,
    pay: int,
) -> Call:
    late = day.day > 10
    if not reached:
        unreached_note = rng.choice(("电话无人接听，已发短信", "关机，已联系家属"))
        return Call(worker, period, day, False, None, None, None, None, None, unreached_note)
    worked_last_month = status is WorkStatus.employed or worker.changed_in == period
    income = max(0, pay + rng.randrange(-3, 4) * 100) if worked_last_month else 0
    demands = rng.choice(DEMANDS) if rng.random() < 0.12 else None
    note: str | None = None
    if status is WorkStatus.looking:
        demands = demands or "希望推荐就近岗位"
        note = "已推送岗位信息"
    elif status is WorkStatus.returned:
        note = "本人返乡，已登记"
    elif late:
        note = "本人上夜班，延后回访"
    employed = status is WorkStatus.employed
    return Call(
        worker=worker,
        period=period,
        call_date=day,
        reached=True,
        status=status,
        employer=worker.employer if employed else None,
        place=worker.work_place if employed else None,
        income_yuan=income,
        demands=demands,
        notes=note,
    )
