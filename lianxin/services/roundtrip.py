"""Read a file back as the store holds it: what Lianxin exported imports back unchanged.

An export guards formulas (a leading `'`), carries columns the importer has no field for
(编号, 来源, 获取时间, 匹配人员) and, by default, masks phones and ID numbers. Reading it back,
`undo_export` removes the guard and those columns, and `resolve_masked` gives each masked value
the full one the store holds when the mask is the stored value's own: an unchanged masked export
then changes nothing. A masked value that stands for no stored one (a new row, another number)
never replaces a full one: its row fails with the reason, and the stored record stays.

`refuse_future_calls` fails a check-in whose call date lies after today in Asia/Shanghai.
Everything here but `resolve_masked` is pure; that one only reads the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, tuple_

from lianxin.dates_allowed import day_refusal
from lianxin.errors import DateOutOfRange
from lianxin.parsing.roster import MASKED_PHONE
from lianxin.privacy import mask_id_number, mask_phone, scrub
from lianxin.records import CheckIn, ParseResult, Quarantined, Worker, worker_key
from lianxin.services.export import unguard
from lianxin.services.export_tables import EXPORTS
from lianxin.store import schema as t

# Exported for people, not read back: each would land in the record's unmapped columns.
EXPORT_ONLY_HEADERS = frozenset(
    header
    for name in ("workers", "checkins")
    for key, header in EXPORTS[name].columns
    if key in ("key", "source_url", "fetched_at", "matched_key")
)
_MASKED = re.compile(r"\d{3}\*{4}\d{4}|\d{3}\*{11}[\dXx]{4}")  # as lianxin.privacy masks
_WORKER_TEXT = ("household", "wish", "skills", "training", "employer", "work_place")
_CHECKIN_TEXT = ("cadre", "employer", "place", "demands", "notes")
_CHUNK = 400


def undo_export(result: ParseResult) -> None:
    """Remove the export's formula guards and its export-only columns from `result`'s records."""
    records: list[Worker | CheckIn] = [*result.workers, *result.checkins]
    for record in records:
        for name, value in list(record):
            if isinstance(value, str) and name != "period":
                setattr(record, name, unguard(value))
        record.extra = {
            unguard(header): unguard(value)
            for header, value in record.extra.items()
            if header not in EXPORT_ONLY_HEADERS
        }


def refuse_future_calls(result: ParseResult, today: date) -> None:
    """Move the check-ins of `result` dated after `today` (Asia/Shanghai) to its quarantine."""
    kept = []
    for checkin in result.checkins:
        day = checkin.call_date
        if day is None or day_refusal(day, date.min, today) is None:
            kept.append(checkin)
            continue
        reason = str(DateOutOfRange("call date", day, date.min, today, "future"))
        result.quarantined.append(_failed(result, checkin, reason))
    result.checkins = kept


def resolve_masked(conn: Connection, result: ParseResult) -> None:
    """Give `result`'s masked values the stored full ones they mask; fail the rows whose masked
    values stand for nothing stored (see the module docstring).

    A check-in table may name a new worker by a masked phone (the portals publish them so);
    a roster may not: it is where Lianxin learns whom to call.
    """
    workers = _stored(conn, t.workers, ("key",), [(w.key,) for w in result.workers])
    kept_workers = []
    for worker in result.workers:
        reason = _resolve(worker, workers.get((worker.key,)), _WORKER_TEXT, new_may_mask=False)
        if reason is None:
            kept_workers.append(worker)
        else:
            result.quarantined.append(_failed(result, worker, reason))
    # Every masked phone kept now is the stored one; the others failed with their reason.
    result.quarantined = [q for q in result.quarantined if q.reason != MASKED_PHONE]
    result.workers = kept_workers
    _keep_stored_cadres(conn, result)
    keys = [(_checkin_key(c), c.period) for c in result.checkins]
    checkins = _stored(conn, t.checkins, ("worker_key", "period"), keys)
    kept_checkins = []
    for checkin in result.checkins:
        old = checkins.get((_checkin_key(checkin), checkin.period))
        reason = _resolve(checkin, old, _CHECKIN_TEXT, new_may_mask=True)
        if reason is None:
            kept_checkins.append(checkin)
        else:
            result.quarantined.append(_failed(result, checkin, reason))
    result.checkins = kept_checkins


def _resolve(
    record: Worker | CheckIn,
    old: Mapping[str, Any] | None,
    texts: tuple[str, ...],
    new_may_mask: bool,
) -> str | None:
    """Put the stored values behind `record`'s masked ones in place; return why it fails."""
    stored = old or {}
    phone_field = "phone" if isinstance(record, Worker) else "worker_phone"
    phone = getattr(record, phone_field)
    if phone and "*" in phone:
        full = stored.get(phone_field)
        if full and phone in (full, mask_phone(full)):
            setattr(record, phone_field, full)
        elif full or not new_may_mask:
            return f"phone is masked ({phone}); give the full number"
    if isinstance(record, Worker) and record.id_number and "*" in record.id_number:
        full = stored.get("id_number")
        if full and record.id_number in (full, mask_id_number(full)):
            record.id_number = full
        else:
            masked = record.id_number
            return f"ID number is masked ({masked}); give it in full or leave it blank"
    for name in texts:
        value, reason = _unmasked_text(name, getattr(record, name), stored.get(name))
        if reason:
            return reason
        setattr(record, name, value)
    extra = stored.get("extra") or {}
    for header, text in list(record.extra.items()):
        value, reason = _unmasked_text(header, text, extra.get(header))
        if reason:
            return reason
        record.extra[header] = value or ""
    return None


def _unmasked_text(name: str, value: str | None, stored: str | None) -> tuple[str | None, str]:
    """Return the text to keep for `value` and an empty reason, or why it may not be kept: it
    holds a number masked that `stored` holds in full."""
    if not value or not stored or value == stored or not _MASKED.search(value):
        return value, ""
    if scrub(stored) == value:
        return stored, ""
    hidden = set(_MASKED.findall(scrub(stored))) - set(_MASKED.findall(stored))
    masked = sorted(set(_MASKED.findall(value)) & hidden)
    if masked:
        return value, f"{name} holds a masked number ({masked[0]}) the store has in full"
    return value, ""


def _keep_stored_cadres(conn: Connection, result: ParseResult) -> None:
    """Drop the cadres a roster names only by name when the store knows them: a file naming a
    cadre does not blank the unit, phone, routes or supervisor the store holds."""
    stored = _stored(conn, t.cadres, ("key",), [(c.key,) for c in result.cadres])
    kept = []
    for cadre in result.cadres:
        old = stored.get((cadre.key,))
        if old is None:
            kept.append(cadre)
            continue
        phone = cadre.phone
        if phone and old["phone"] and phone == mask_phone(old["phone"]):
            phone = old["phone"]
        given = {"unit": cadre.unit or old["unit"], "phone": phone or old["phone"]}
        if any(given[k] != old[k] for k in given):
            kept_as = {"village": old["village"], "routes": list(old["routes"] or [])}
            kept.append(
                cadre.model_copy(update={**given, **kept_as, "supervisor": old["supervisor"]})
            )
    result.cadres = kept


def _stored(
    conn: Connection, table: t.Table, columns: tuple[str, ...], keys: Sequence[tuple[str, ...]]
) -> dict[tuple[str, ...], dict[str, Any]]:
    """Return the rows of `table` whose `columns` hold one of `keys`, by those values."""
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    wanted = sorted(set(keys))
    cols = [table.c[c] for c in columns]
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        where = cols[0].in_([k[0] for k in chunk]) if len(cols) == 1 else tuple_(*cols).in_(chunk)
        for row in conn.execute(select(table).where(where)):
            found[tuple(row._mapping[c] for c in columns)] = dict(row._mapping)
    return found


def _checkin_key(checkin: CheckIn) -> str:
    return worker_key(checkin.village, checkin.worker_name, checkin.worker_phone)


def _failed(result: ParseResult, record: Worker | CheckIn, reason: str) -> Quarantined:
    if isinstance(record, Worker):
        raw = {"村": record.village, "姓名": record.name, "联系电话": record.phone or ""}
    else:
        raw = {"村": record.village, "姓名": record.worker_name, "月份": record.period}
        raw["联系电话"] = record.worker_phone or ""
        raw["回访日期"] = record.call_date.isoformat() if record.call_date else ""
    return Quarantined(url=result.report.url, reason=reason, raw=raw)
