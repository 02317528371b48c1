"""A chunk of villages, drawn: names, phones and keys of their workers and cadres, and the
history of calls each worker had (`lianxin.synth.history`). `generate` writes it into the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lianxin.records import cadre_key, person_key, worker_key
from lianxin.synth import names as nm
from lianxin.synth.geography import Geography
from lianxin.synth.history import History, draw_history

TODAY_DAY = 8  # the last period is generated as if today were its 8th


@dataclass
class Chunk:
    """Villages v0..v1: their names, workers (in key order), cadres and drawn history."""

    v0: int
    vnames: list[str]
    towns: list[str]
    per_village: np.ndarray  # workers per village
    cadre_starts: np.ndarray  # chunk-local first cadre of each village, and the end
    village_of: list[int]  # per worker: chunk-local village
    names: list[str]
    phones: list[str]
    keys: list[str]
    cadre_of: list[int]  # per worker: chunk-local cadre
    cadre_names: list[str]
    cadre_keys: list[str]
    history: History


def draw_chunk(geo: Geography, months: int, v0: int, v1: int, rng: np.random.Generator) -> Chunk:
    """Draw villages v0..v1 of `geo`: their workers, cadres and `months` of history."""
    firsts = np.array([geo.first_worker(v) for v in range(v0, v1 + 1)])
    per_village = np.diff(firsts)
    cadre_firsts = np.array([geo.first_cadre(v) for v in range(v0, v1 + 1)])
    c0 = int(cadre_firsts[0])
    vnames = [geo.village_name(v) for v in range(v0, v1)]
    towns = [geo.town_name(geo.town_of(v)) for v in range(v0, v1)]

    village_of = np.repeat(np.arange(v1 - v0), per_village)
    names: list[str] = []
    for k, v in enumerate(range(v0, v1)):
        names += nm.unique_names(v * 7877, int(per_village[k]))
    phones = nm.phones(rng, len(names))
    vlist = village_of.tolist()
    keys = [
        f"{vnames[vi]}|{name}|{phone[-4:]}"
        for vi, name, phone in zip(vlist, names, phones, strict=True)
    ]
    # Workers in key order (village names grow with v, so villages stay together): the unique
    # index on workers.key, and on check-ins' (worker_key, period), then only grows at its end.
    order = sorted(range(len(keys)), key=keys.__getitem__)
    names = [names[i] for i in order]
    phones = [phones[i] for i in order]
    keys = [keys[i] for i in order]

    # Each village's cadres; its workers split over them in order.
    cadres_of_village = np.diff(cadre_firsts)
    position = np.arange(len(keys)) - (firsts[village_of] - firsts[0])
    cadre_of = (cadre_firsts[village_of] - c0) + position * cadres_of_village[
        village_of
    ] // np.maximum(per_village[village_of], 1)
    cadre_names = _cadre_names(geo, c0, int(cadre_firsts[-1]))
    cadre_village = np.repeat(np.arange(v1 - v0), cadres_of_village).tolist()
    cadre_keys = [f"{towns[cadre_village[c]]}|{name}" for c, name in enumerate(cadre_names)]
    if keys:
        first, cadre = vlist[0], int(cadre_of[0])
        _check_keys(vnames[first], towns[first], names[0], phones[0], keys[0],
                    cadre_names[cadre], cadre_keys[cadre])  # fmt: skip
    history = draw_history(rng, cadre_of, len(cadre_names), months, len(nm.EMPLOYERS), TODAY_DAY)
    return Chunk(
        v0=v0,
        vnames=vnames,
        towns=towns,
        per_village=per_village,
        cadre_starts=cadre_firsts - c0,
        village_of=vlist,
        names=names,
        phones=phones,
        keys=keys,
        cadre_of=cadre_of.tolist(),
        cadre_names=cadre_names,
        cadre_keys=cadre_keys,
        history=history,
    )


def _check_keys(
    village: str, town: str, name: str, phone: str, key: str, cadre: str, ckey: str
) -> None:
    # The fast spellings must stay what the store's writers compute, or the rules join nothing.
    if key != worker_key(village, name, phone) or ckey != cadre_key(town, cadre):
        raise AssertionError(f"synthetic keys drifted from lianxin.records: {key!r}, {ckey!r}")
    if f"{village}|{name}" != person_key(village, name):
        raise AssertionError("synthetic person keys drifted from lianxin.records")


def _cadre_names(geo: Geography, c0: int, c1: int) -> list[str]:
    """Return the names of cadres c0..c1, distinct within each town."""
    scale = geo.scale
    out: list[str] = []
    c = c0
    while c < c1:
        town = geo.town_of(c * scale.villages // scale.cadres)
        first = geo.first_cadre(geo.first_village(town))
        end = geo.first_cadre(geo.first_village(town + 1))
        out += nm.unique_names(town * 7919 + 3, end - first)[c - first : min(c1, end) - first]
        c = min(c1, end)
    return out
