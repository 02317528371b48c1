"""Write a synthetic region into a migrated store: regions, cadres, workers, check-ins, problems.

Villages are generated in chunks of about CHUNK_WORKERS workers, each from its own random
stream (seeded by the run's seed and the chunk's first village), so peak memory is one chunk
and the same seed gives the same rows. Keys are those `lianxin.store.writes` computes; a cheap
spelling is used for speed and checked against `lianxin.records` on every chunk.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import Engine

from lianxin.records import period_from_index, period_index
from lianxin.synth import names as nm
from lianxin.synth.chunk import TODAY_DAY, Chunk, draw_chunk
from lianxin.synth.geography import PROVINCE, SCALES, Geography
from lianxin.synth.history import EMPLOYED, LATE, LOOKING, SILENT, STATES
from lianxin.synth.load import Loader

CHUNK_WORKERS = 20_000
UNKNOWN_SHARE = 0.003  # check-ins of people on no roster
PHONE_CHANGED = 0.005  # workers whose recent check-ins carry a new phone
MASKED_TABLES = 0.3  # village tables that print phones as 138****5678
PROBLEMS_PER_VILLAGE = 2.5
JSON_EMPTY_OBJECT, JSON_EMPTY_LIST = "{}", "[]"

REGION_COLUMNS = ("level", "name", "code", "parent")
CADRE_COLUMNS = (
    "key", "name", "unit", "phone", "village", "town", "routes", "supervisor",
    "source_url", "content_hash", "fetched_at",
)  # fmt: skip
WORKER_COLUMNS = (
    "key", "household", "name", "phone", "id_number", "village", "town", "cadre_key", "wish",
    "skills", "training", "employer", "work_place", "start_date", "status", "extra",
    "source_url", "content_hash", "fetched_at", "person_key", "changed_at",
)  # fmt: skip
CHECKIN_COLUMNS = (
    "worker_key", "village", "worker_name", "worker_phone", "cadre", "period", "call_date",
    "reached", "status", "employer", "place", "income_yuan", "demands", "policy_explained",
    "followup_needed", "notes", "extra", "source_url", "content_hash", "fetched_at",
    "phone_tail", "person_key", "matched_key", "period_index", "changed_at",
)  # fmt: skip
PROBLEM_COLUMNS = (
    "key", "number", "found", "place", "description", "category", "responsible_unit",
    "deadline", "status", "source_url", "content_hash", "fetched_at", "rectified_on",
    "verified_on", "changed_at",
)  # fmt: skip

Progress = Callable[[str], None]


@dataclass
class SynthStats:
    scale: str
    periods: list[str]
    today: date
    regions: int = 0
    cadres: int = 0
    workers: int = 0
    checkins: int = 0
    unmatched_checkins: int = 0
    problems: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)  # roster status → workers

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "today": self.today.isoformat()}


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _at(day: date, hour: int = 1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class _Run:
    """What every chunk shares: the geography, the periods, and the loader's spellings."""

    def __init__(self, geo: Geography, months: int, end_period: str, seed: int, load: Loader):
        self.geo, self.seed, self.load = geo, seed, load
        end = period_index(end_period)
        self.indexes = list(range(end - months + 1, end + 1))
        self.periods = [period_from_index(i) for i in self.indexes]
        year, month = (int(x) for x in end_period.split("-"))
        self.today = date(year, month, TODAY_DAY)
        self.now = _at(self.today)  # when generation "happens"
        self.firsts = [date(i // 12, i % 12 + 1, 1) for i in self.indexes]
        # call_date text by (month, day); days past 28 are never drawn.
        self.dates = [
            [(first + timedelta(days=d - 1)).isoformat() for d in range(29)]
            for first in self.firsts
        ]

    def published(self, t: int, day: int) -> str:
        """Return when a call of month `t` on `day` was published: the 11th or 26th, or next day."""
        if t == len(self.periods) - 1:
            moment = min(_at(self.firsts[t] + timedelta(days=day)), self.now)
        else:
            moment = _at(self.firsts[t] + timedelta(days=10 if day <= 10 else 25))
        return self.load.stamp(moment)


def generate(
    engine: Engine,
    scale: str,
    months: int = 6,
    end_period: str = "2026-11",
    seed: int = 7,
    progress: bool | Progress | None = None,
    analyze: bool = True,
) -> SynthStats:
    """Fill the migrated store behind `engine` with `months` of a synthetic `scale` region.

    The store should be empty: keys of a second run collide with the first (unique constraints).
    With `analyze`, planner statistics are gathered after the load (ANALYZE).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    if months < 1:
        raise ValueError("months must be at least 1")
    report = _reporter(progress)
    started = time.perf_counter()
    geo = Geography(SCALES[scale])
    with Loader(engine, analyze=analyze) as load:
        run = _Run(geo, months, end_period, seed, load)
        stats = SynthStats(scale=scale, periods=run.periods, today=run.today)
        stats.regions = _write_regions(run)
        villages = geo.scale.villages
        step = max(1, CHUNK_WORKERS * villages // geo.scale.workers)
        for v0 in range(0, villages, step):
            _write_chunk(run, v0, min(villages, v0 + step), stats)
            if report:
                report(
                    f"synth {scale}: villages {min(villages, v0 + step)}/{villages}, "
                    f"workers {stats.workers:,}, check-ins {stats.checkins:,}, "
                    f"{time.perf_counter() - started:.1f}s"
                )
        if report:
            report(f"synth {scale}: building indexes")
    stats.seconds = round(time.perf_counter() - started, 3)
    if report:
        report(f"synth {scale}: done in {stats.seconds:.1f}s")
    return stats


def _reporter(progress: bool | Progress | None) -> Progress | None:
    if progress is True:
        return lambda line: print(line, file=sys.stderr, flush=True)
    return progress or None


def _write_regions(run: _Run) -> int:
    geo, scale = run.geo, run.geo.scale
    rows: list[tuple[str, str, str, str]] = [("province", PROVINCE, "430000000000", "")]
    for c in range(scale.counties):
        rows.append(("county", geo.county_name(c), geo.region_code(c), PROVINCE))
    for town in range(scale.towns):
        county = geo.county_of(town)
        rows.append(
            ("town", geo.town_name(town), geo.region_code(county, town), geo.county_name(county))
        )
    for v in range(scale.villages):
        town = geo.town_of(v)
        code = geo.region_code(geo.county_of(town), town, v)
        rows.append(("village", geo.village_name(v), code, geo.town_name(town)))
    run.load.insert("regions", REGION_COLUMNS, rows)
    return len(rows)


def _write_chunk(run: _Run, v0: int, v1: int, stats: SynthStats) -> None:
    chunk = draw_chunk(run.geo, len(run.periods), v0, v1, np.random.default_rng([run.seed, v0]))
    rng = np.random.default_rng([run.seed, v0, 1])
    _write_cadres(run, rng, chunk)
    _write_workers(run, rng, chunk, stats)
    _write_checkins(run, rng, chunk, stats)
    _write_problems(run, rng, chunk, stats)
    stats.cadres += len(chunk.cadre_names)


def _write_cadres(run: _Run, rng: np.random.Generator, chunk: Chunk) -> None:
    phones = nm.phones(rng, len(chunk.cadre_names))
    stamp = run.load.stamp(_at(run.firsts[0]))
    rows = []
    for vi, (start, end) in enumerate(itertools.pairwise(chunk.cadre_starts.tolist())):
        town, village = chunk.towns[vi], chunk.vnames[vi]
        url = f"synth://cadres/{town}"
        lead = chunk.cadre_names[start] if end > start else None  # the village's first cadre
        for c in range(start, end):
            name = chunk.cadre_names[c]
            rows.append((
                chunk.cadre_keys[c], name, f"{town}人民政府", phones[c], village, town,
                JSON_EMPTY_LIST, None if c == start else lead, url, _hash(url), stamp,
            ))  # fmt: skip
    rows.sort(key=itemgetter(0))
    run.load.insert("cadres", CADRE_COLUMNS, rows)


def _write_workers(run: _Run, rng: np.random.Generator, chunk: Chunk, stats: SynthStats) -> None:
    h, n = chunk.history, len(chunk.keys)
    last = len(run.periods) - 1
    state = h.state[:, last].tolist()
    employer = h.employer[:, last].tolist()
    changed = h.last_change.tolist()
    start_day = rng.integers(1, 29, n).tolist()
    wish = rng.integers(0, len(nm.WISHES), n).tolist()
    skill = rng.integers(0, len(nm.SKILLS), n).tolist()
    training = rng.integers(-len(nm.TRAININGS) * 2, len(nm.TRAININGS), n).tolist()
    per_surname = len(nm.NAMES) // len(nm.SURNAMES)
    head = rng.integers(0, per_surname, n).tolist()  # 户主: someone of the same surname
    born = [date(1970, 1, 1) + timedelta(days=d) for d in rng.integers(0, 365 * 35, n).tolist()]
    id_tail = rng.integers(0, 10_000, n).tolist()
    stamps = [run.load.stamp(_at(first + timedelta(days=1))) for first in run.firsts]
    urls = [f"synth://roster/{village}" for village in chunk.vnames]
    hashes = [_hash(url) for url in urls]
    rows = []
    for i in range(n):
        vi, name, st = chunk.village_of[i], chunk.names[i], state[i]
        employed = st == EMPLOYED
        employer_name, place = nm.EMPLOYERS[employer[i]] if employed else (None, None)
        household = nm.NAMES[nm.SURNAMES.index(name[0]) * per_surname + head[i]]
        stamp = stamps[changed[i]]  # the roster was republished when this worker last changed
        rows.append((
            chunk.keys[i], household, name, chunk.phones[i],
            f"43{(chunk.v0 + vi) % 10000:04d}{born[i]:%Y%m%d}{id_tail[i]:04d}",
            chunk.vnames[vi], chunk.towns[vi], chunk.cadre_keys[chunk.cadre_of[i]],
            nm.WISHES[wish[i]], nm.SKILLS[skill[i]],
            nm.TRAININGS[training[i]] if training[i] >= 0 else None, employer_name, place,
            run.dates[changed[i]][start_day[i]] if employed else None, STATES[st],
            JSON_EMPTY_OBJECT, urls[vi], hashes[vi], stamp, f"{chunk.vnames[vi]}|{name}", stamp,
        ))  # fmt: skip
        stats.by_status[STATES[st]] = stats.by_status.get(STATES[st], 0) + 1
    run.load.insert("workers", WORKER_COLUMNS, rows)
    stats.workers += n


def _write_checkins(run: _Run, rng: np.random.Generator, chunk: Chunk, stats: SynthStats) -> None:
    h = chunk.history
    n, m = h.state.shape
    masked_table = (rng.random((len(chunk.vnames), m)) < MASKED_TABLES).tolist()
    new_phone = np.asarray(rng.random(len(h.state)) < PHONE_CHANGED)
    fresh_phones = nm.phones(rng, n)
    urls = [[f"synth://checkins/{village}/{p}" for p in run.periods] for village in chunk.vnames]
    hashes = [[_hash(url) for url in row] for row in urls]
    wi, ti = np.nonzero(h.called)
    count = len(wi)
    states = h.state[wi, ti].tolist()
    reached = h.reached[wi, ti].tolist()
    incomes = h.income[wi, ti].tolist()
    fell = h.fell[wi, ti].tolist()
    days = h.day[wi, ti].tolist()
    employers = h.employer[wi, ti].tolist()
    demand = rng.integers(-20 * len(nm.DEMANDS), len(nm.DEMANDS), count).tolist()
    policy = (rng.random(count) < 0.9).tolist()
    note = rng.integers(0, len(nm.UNREACHED_NOTES), count).tolist()
    # The last two months of a worker with a new phone carry that phone, hence another key.
    renamed: list[bool] = (new_phone[wi] & (ti >= m - 2)).tolist()
    rows: list[tuple[Any, ...]] = []
    for k, (i, t) in enumerate(zip(wi.tolist(), ti.tolist(), strict=True)):
        vi, st, ok, name = chunk.village_of[i], states[k], reached[k], chunk.names[i]
        village = chunk.vnames[vi]
        phone = fresh_phones[i] if renamed[k] else chunk.phones[i]
        employer_name, place = nm.EMPLOYERS[employers[k]] if ok and st == EMPLOYED else (None, None)
        if not ok:
            demands = None
        elif st == LOOKING:
            demands = nm.DEMANDS[0]
        else:
            demands = nm.DEMANDS[demand[k]] if demand[k] >= 0 else None
        stamp = run.published(t, days[k])
        rows.append((
            f"{village}|{name}|{phone[-4:]}" if renamed[k] else chunk.keys[i], village, name,
            nm.masked(phone) if masked_table[vi][t] else phone,
            chunk.cadre_names[chunk.cadre_of[i]], run.periods[t], run.dates[t][days[k]], int(ok),
            STATES[st] if ok else None, employer_name, place,
            incomes[k] if ok and incomes[k] >= 0 else None, demands,
            int(policy[k]) if ok else None, int(not ok or st == LOOKING or fell[k]),
            None if ok else nm.UNREACHED_NOTES[note[k]], JSON_EMPTY_OBJECT, urls[vi][t],
            hashes[vi][t], stamp, phone[-4:], f"{village}|{name}", chunk.keys[i],
            run.indexes[t], stamp,
        ))  # fmt: skip
    unknown = _unknown_checkins(run, rng, chunk, urls, hashes)
    stats.unmatched_checkins += len(unknown)
    rows += unknown
    rows.sort(key=itemgetter(0, 5))
    run.load.insert("checkins", CHECKIN_COLUMNS, rows)
    stats.checkins += len(rows)


def _unknown_checkins(
    run: _Run,
    rng: np.random.Generator,
    chunk: Chunk,
    urls: list[list[str]],
    hashes: list[list[str]],
) -> list[tuple[Any, ...]]:
    """Return check-ins of people on no roster (a misheard name, a relative): left unmatched."""
    h, m = chunk.history, len(run.periods)
    counts = rng.binomial(chunk.per_village[:, None], UNKNOWN_SHARE, (len(chunk.vnames), m))
    starts = chunk.cadre_starts.tolist()
    rows: list[tuple[Any, ...]] = []
    for vi, village in enumerate(chunk.vnames):
        cadres = starts[vi + 1] - starts[vi]
        for t in range(m):
            k = int(counts[vi, t])
            if not k or not cadres:
                continue
            cadre = starts[vi] + int(rng.integers(0, cadres))
            behaviour = h.behaviour[cadre, t]
            day = int(rng.integers(11, 26) if behaviour == LATE else rng.integers(1, 11))
            if behaviour == SILENT or (t == m - 1 and day >= TODAY_DAY):
                continue
            stamp = run.published(t, day)
            people = nm.unique_names((chunk.v0 + vi) * 131 + t * 17, k, nm.UNKNOWN_NAMES)
            for name, phone in zip(people, nm.phones(rng, k), strict=True):
                rows.append((
                    f"{village}|{name}|{phone[-4:]}", village, name, phone,
                    chunk.cadre_names[cadre], run.periods[t], run.dates[t][day], 1, "employed",
                    None, None, None, None, 1, 1, "名单外人员", JSON_EMPTY_OBJECT, urls[vi][t],
                    hashes[vi][t], stamp, phone[-4:], f"{village}|{name}", None,
                    run.indexes[t], stamp,
                ))  # fmt: skip
    return rows


def _write_problems(run: _Run, rng: np.random.Generator, chunk: Chunk, stats: SynthStats) -> None:
    """Write a few supervision problems per village, with deadlines around today."""
    geo, today = run.geo, run.today
    rows: list[tuple[Any, ...]] = []
    counts = rng.poisson(PROBLEMS_PER_VILLAGE, len(chunk.vnames)).tolist()
    for vi, village in enumerate(chunk.vnames):
        v = chunk.v0 + vi
        county = geo.county_name(geo.county_of(geo.town_of(v)))
        for j in range(counts[vi]):
            found = today - timedelta(days=int(rng.integers(5, 90)))
            deadline = found + timedelta(days=int(rng.choice([15, 30, 45, 60])))
            status = _problem_status(rng.random(), overdue=deadline < today)
            rectified = verified = None
            if status in ("rectified", "verified"):
                span = max(1, min((deadline - found).days, (today - found).days - 1))
                rectified = min(
                    found + timedelta(days=int(rng.integers(1, span + 1))),
                    today - timedelta(days=1),
                )
            if status == "verified" and rectified is not None:
                verified = min(rectified + timedelta(days=int(rng.integers(3, 30))), today)
            changed = max(d for d in (found, rectified, verified) if d is not None)
            url = f"synth://problems/{county}/{found:%Y-%m}"  # the county's monthly 督查通报
            number = f"{v}-{j + 1}"
            stamp = run.load.stamp(min(_at(changed), run.now))
            rows.append((
                f"{url}#{number}", number, found.isoformat(), village,
                nm.PROBLEM_TEXTS[j % len(nm.PROBLEM_TEXTS)].format(village=village),
                nm.PROBLEM_CATEGORIES[j % len(nm.PROBLEM_CATEGORIES)],
                f"{chunk.towns[vi]}人民政府", deadline.isoformat(), status, url, _hash(url), stamp,
                rectified.isoformat() if rectified else None,
                verified.isoformat() if verified else None, stamp,
            ))  # fmt: skip
    rows.sort(key=itemgetter(0))
    run.load.insert("problems", PROBLEM_COLUMNS, rows)
    stats.problems += len(rows)


def _problem_status(u: float, overdue: bool) -> str:
    """Return a problem's status: past its deadline most are rectified, before it most are open."""
    if overdue:
        return (
            "rectified"
            if u < 0.5
            else "verified"
            if u < 0.7
            else ("rectifying" if u < 0.85 else "open")
        )
    return "open" if u < 0.5 else "rectifying" if u < 0.8 else "rectified"
