"""Months of history for a chunk of workers, drawn as whole arrays (workers × months).

Each worker follows a small Markov chain over employed / looking / returned, keeps or changes
employer, earns an income that drifts and sometimes falls sharply, and is reachable or not
(an unreachable worker is often unreachable again the next month). Each cadre, each month,
calls on time (most), late (after the 10th) or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EMPLOYED, LOOKING, RETURNED = 0, 1, 2
STATES = ("employed", "looking", "returned")
ON_TIME, LATE, SILENT = 0, 1, 2

START_SHARES = (0.82, 0.10, 0.08)
# Monthly moves: (from, to, probability).
MOVES = (
    (EMPLOYED, LOOKING, 0.025),  # lost the job: income 0, looking for work
    (EMPLOYED, RETURNED, 0.010),  # came home
    (LOOKING, EMPLOYED, 0.35),
    (LOOKING, RETURNED, 0.05),
    (RETURNED, EMPLOYED, 0.08),
    (RETURNED, LOOKING, 0.04),
)
JOB_CHANGE = 0.04  # employed, but with another employer
UNREACHABLE = 0.04
UNREACHABLE_AGAIN = 0.35  # after an unreachable month: 失联 two months running
SHARP_FALL = 0.02  # income falls to 20–50 % and stays there
SILENT_CADRES = 0.03  # cadres who call nobody in a month
LATE_CADRES = 0.10  # cadres who call after the 10th
MISSED_CALL = 0.02  # a worker a calling cadre forgets
RETURNED_CALLED = 0.30  # returned workers still phoned now and then


@dataclass
class History:
    """Per worker and month (shape n × m) unless said otherwise."""

    state: np.ndarray  # int8: EMPLOYED / LOOKING / RETURNED
    employer: np.ndarray  # index into names.EMPLOYERS
    income: np.ndarray  # yuan; -1 where there is no income to report (returned home)
    fell: np.ndarray  # bool: income fell sharply this month
    called: np.ndarray  # bool: a call exists (and was published)
    day: np.ndarray  # day of the month of the call
    reached: np.ndarray  # bool
    behaviour: np.ndarray  # per cadre × month: ON_TIME / LATE / SILENT
    last_change: np.ndarray  # per worker: the last month whose status or employer changed


def draw_behaviour(rng: np.random.Generator, cadres: int, months: int) -> np.ndarray:
    """Return each cadre's behaviour each month; at least one silent and one late cadre a month."""
    behaviour = np.full((cadres, months), ON_TIME, dtype=np.int8)
    if cadres == 0:
        return behaviour
    silent = max(1, round(SILENT_CADRES * cadres))
    late = max(1, round(LATE_CADRES * cadres))
    for t in range(months):
        order = rng.permutation(cadres)
        behaviour[order[:silent], t] = SILENT
        behaviour[order[silent : silent + late], t] = LATE
    return behaviour


def draw_history(
    rng: np.random.Generator,
    cadre_of: np.ndarray,
    cadres: int,
    months: int,
    employers: int,
    last_day: int,
) -> History:
    """Return `months` of history for workers whose (chunk-local) cadres are `cadre_of`.

    Calls of the last month are only those made before `last_day` (the month is still running).
    """
    n, m = len(cadre_of), months
    state = np.empty((n, m), dtype=np.int8)
    state[:, 0] = rng.choice(3, size=n, p=START_SHARES)
    employer = np.empty((n, m), dtype=np.int32)
    employer[:, 0] = rng.integers(0, employers, n)
    factor = np.ones((n, m))
    fell = np.zeros((n, m), dtype=bool)
    last_change = np.zeros(n, dtype=np.int32)
    for t in range(1, m):
        prev, u = state[:, t - 1], rng.random(n)
        nxt = prev.copy()
        low = np.zeros(n)
        for source, target, share in MOVES:
            moving = (prev == source) & (u >= low) & (u < low + share)
            nxt[moving] = target
            low = np.where(prev == source, low + share, low)
        state[:, t] = nxt
        new_job = ((nxt == EMPLOYED) & (prev != EMPLOYED)) | (
            (nxt == EMPLOYED) & (rng.random(n) < JOB_CHANGE)
        )
        employer[:, t] = np.where(new_job, rng.integers(0, employers, n), employer[:, t - 1])
        changed = new_job | (nxt != prev)
        last_change[changed] = t
        fell[:, t] = (nxt == EMPLOYED) & ~new_job & (rng.random(n) < SHARP_FALL)
        drift = 1 + rng.normal(0, 0.05, n)
        factor[:, t] = factor[:, t - 1] * np.where(fell[:, t], rng.uniform(0.2, 0.5, n), drift)
        factor[new_job, t] = rng.uniform(0.8, 1.2, int(new_job.sum()))
    base = np.clip(np.exp(rng.normal(np.log(4500), 0.35, n)), 1500, 20000)
    income = np.where(
        state == EMPLOYED,
        np.round(base[:, None] * factor / 10) * 10,
        np.where(state == LOOKING, 0, -1),
    ).astype(np.int64)

    behaviour = draw_behaviour(rng, cadres, m)
    of_worker = behaviour[cadre_of] if cadres else np.full((n, m), SILENT, dtype=np.int8)
    day = np.where(of_worker == LATE, rng.integers(11, 26, (n, m)), rng.integers(1, 11, (n, m)))
    previous = np.concatenate([state[:, :1], state[:, :-1]], axis=1)
    owed = (state != RETURNED) | (previous != RETURNED) | (rng.random((n, m)) < RETURNED_CALLED)
    called = owed & (of_worker != SILENT) & (rng.random((n, m)) >= MISSED_CALL)
    called[:, -1] &= day[:, -1] < last_day

    reached = np.ones((n, m), dtype=bool)
    reached[:, 0] = rng.random(n) >= UNREACHABLE
    for t in range(1, m):
        again = ~reached[:, t - 1] & called[:, t - 1]
        reached[:, t] = rng.random(n) >= np.where(again, UNREACHABLE_AGAIN, UNREACHABLE)
    return History(
        state=state,
        employer=employer,
        income=income,
        fell=fell,
        called=called,
        day=day,
        reached=reached,
        behaviour=behaviour,
        last_change=last_change,
    )
