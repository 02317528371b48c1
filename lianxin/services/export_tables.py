"""The standard tables Lianxin exports (`EXPORTS`): their columns, filters and rows.

What Lianxin exports of workers and check-ins it imports back unchanged
(`lianxin.services.transfer`): statuses are written in the words the column parser reads
(在岗, 待业 …), the cadre by name, every column the importer reads is there, and a record's
unmapped columns (`extra`) come out as columns of their own headers. The file itself is
written by `lianxin.services.export.export_table`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, Table, select

from lianxin.errors import ExportRefused
from lianxin.records import OBLIGATION_KINDS
from lianxin.services.export import Columns, ExportFormat, export_table
from lianxin.store import schema as t

EXTRA = "extra:"  # a row key holding one of the record's unmapped columns, by its header
# The words for each work status that `parsing.text.parse_work_status` reads back as it.
WORK_STATUS_WORDS = {"employed": "在岗", "looking": "待业", "returned": "返乡", "other": "其他"}


@dataclass(frozen=True)
class ExportSpec:
    """A standard table: its columns, the filters it takes and how to select its rows."""

    title: str
    columns: Columns
    filters: tuple[str, ...]
    query: Callable[[Mapping[str, str]], Select[Any]]
    table: Table  # the rows' table, which a caller's `where` limits (to a viewer's place, say)
    # Turns a stored row into the words the importer reads back (None: the table is not imported).
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def _importable(row: dict[str, Any]) -> dict[str, Any]:
    """Return a worker or check-in row as the importer reads it back: the status in words, the
    cadre by name, each unmapped column (`extra`) under its own header."""
    if row.get("status"):
        row["status"] = WORK_STATUS_WORDS.get(row["status"], row["status"])
    if "cadre_key" in row:
        # The key is town|name of the worker's own town: the name gives it back on import.
        key = row["cadre_key"] or ""
        row["cadre"] = row.pop("cadre_name", None) or key.rpartition("|")[2] or None
    for header, value in (row.get("extra") or {}).items():
        row[EXTRA + header] = value
    return row


def export_columns(name: str, rows: Sequence[Mapping[str, Any]]) -> Columns:
    """Return the columns to export standard table `name`'s `rows` with: its own, then the
    rows' unmapped columns (by header, first seen first) that none of its own is called."""
    columns = list(EXPORTS[name].columns)
    taken = {header for _, header in columns}
    for row in rows:
        for key in row:
            header = key.removeprefix(EXTRA)
            if key.startswith(EXTRA) and header not in taken:
                taken.add(header)
                columns.append((key, header))
    return columns


def _equal(
    query: Select[Any], table: Any, filters: Mapping[str, str], names: tuple[str, ...]
) -> Select[Any]:
    """Return `query` keeping the rows whose columns `names` equal the filters given for them."""
    for name in names:
        if filters.get(name):
            query = query.where(table.c[name] == filters[name])
    return query


def _workers(filters: Mapping[str, str]) -> Select[Any]:
    w, c = t.workers, t.cadres
    query = (
        select(w, c.c.name.label("cadre_name"))
        .join(c, c.c.key == w.c.cadre_key, isouter=True)
        .order_by(w.c.town, w.c.village, w.c.name, w.c.key)
    )
    return _equal(query, w, filters, ("town", "village", "status"))


def _checkins(filters: Mapping[str, str]) -> Select[Any]:
    c = t.checkins
    query = (
        select(c)
        .where(c.c.period == filters["period"])
        .order_by(c.c.village, c.c.worker_name, c.c.worker_key)
    )
    if filters.get("village"):
        query = query.where(c.c.village == filters["village"])
    return query


def _obligations(filters: Mapping[str, str]) -> Select[Any]:
    o = t.obligations
    statuses = [filters["status"]] if filters.get("status") else ["open", "overdue", "escalated"]
    query = (
        select(o)
        .where(o.c.kind.in_(OBLIGATION_KINDS), o.c.status.in_(statuses))
        .order_by(o.c.due, o.c.village, o.c.subject)
    )
    return _equal(query, o, filters, ("period", "town", "village", "kind"))


def _compliance(filters: Mapping[str, str]) -> Select[Any]:
    c = t.compliance
    query = select(c).order_by(c.c.period.desc(), c.c.county, c.c.town, c.c.village)
    return _equal(query, c, filters, ("period", "county", "town", "village"))


def _quarantine(filters: Mapping[str, str]) -> Select[Any]:
    q = t.quarantine
    query = select(q).order_by(q.c.created_at.desc(), q.c.url, q.c.row)
    if filters.get("severity"):
        query = query.where(q.c.severity == filters["severity"])
    return query


def _findings(filters: Mapping[str, str]) -> Select[Any]:
    f = t.findings
    query = select(f).order_by(f.c.period.desc(), f.c.kind, f.c.village, f.c.subject)
    return _equal(query, f, filters, ("period", "kind", "village"))


def _cadres(filters: Mapping[str, str]) -> Select[Any]:
    cc, c = t.cadre_compliance, t.cadres
    query = (
        select(cc, c.c.name.label("cadre_name"))
        .join(c, c.c.key == cc.c.owner, isouter=True)
        .order_by(cc.c.period.desc(), cc.c.town, cc.c.village, cc.c.owner)
    )
    return _equal(query, cc, filters, ("period", "town", "village"))


def _problems(filters: Mapping[str, str]) -> Select[Any]:
    p = t.problems
    query = select(p).order_by(p.c.deadline.is_(None), p.c.deadline, p.c.number)
    return _equal(query, p, filters, ("status", "category"))


# The columns of a compliance count, a place's or a cadre's.
_COUNTS = [
    ("due", "应回访"),
    ("done", "已回访"),
    ("open", "未回访"),
    ("overdue", "逾期"),
    ("escalated", "已督办"),
    ("waived", "豁免"),
]

EXPORTS: dict[str, ExportSpec] = {
    "workers": ExportSpec(
        "务工人员",
        [
            ("town", "乡镇"),
            ("village", "村"),
            ("household", "户主"),
            ("name", "姓名"),
            ("phone", "联系电话"),
            ("id_number", "身份证号"),
            ("cadre", "包户干部"),
            ("status", "务工状态"),
            ("employer", "务工单位"),
            ("work_place", "务工地点"),
            ("start_date", "务工时间"),
            ("wish", "就业意愿"),
            ("skills", "技能特长"),
            ("training", "培训情况"),
            ("key", "编号"),
            ("source_url", "来源"),
            ("fetched_at", "获取时间"),
        ],
        ("town", "village", "status"),
        _workers,
        t.workers,
        _importable,
    ),
    "checkins": ExportSpec(
        "电话回访",
        [
            ("period", "月份"),
            ("village", "村"),
            ("worker_name", "姓名"),
            ("worker_phone", "联系电话"),
            ("cadre", "包户干部"),
            ("call_date", "回访日期"),
            ("reached", "是否接通"),
            ("status", "务工状态"),
            ("employer", "务工单位"),
            ("place", "务工地点"),
            ("income_yuan", "上月收入（元）"),
            ("demands", "诉求"),
            ("policy_explained", "是否宣讲政策"),
            ("followup_needed", "是否需跟进"),
            ("notes", "备注"),
            ("matched_key", "匹配人员"),
            ("source_url", "来源"),
        ],
        ("period", "village"),
        _checkins,
        t.checkins,
        _importable,
    ),
    "obligations": ExportSpec(
        "待办事项",
        [
            ("kind", "类别"),
            ("subject", "对象"),
            ("owner", "责任人"),
            ("period", "月份"),
            ("window_start", "开始"),
            ("due", "期限"),
            ("status", "状态"),
            ("level", "督办层级"),
            ("town", "乡镇"),
            ("village", "村"),
            ("detail", "说明"),
        ],
        ("status", "period", "town", "village", "kind"),
        _obligations,
        t.obligations,
    ),
    "compliance": ExportSpec(
        "回访完成情况",
        [
            ("period", "月份"),
            ("county", "县"),
            ("town", "乡镇"),
            ("village", "村"),
            *_COUNTS,
            ("risk_flags", "收入风险"),
        ],
        ("period", "county", "town", "village"),
        _compliance,
        t.compliance,
    ),
    "cadres": ExportSpec(
        "包户干部回访情况",
        [
            ("period", "月份"),
            ("county", "县"),
            ("town", "乡镇"),
            ("village", "村"),
            ("cadre_name", "包户干部"),
            ("owner", "干部编号"),
            *_COUNTS,
        ],
        ("period", "town", "village"),
        _cadres,
        t.cadre_compliance,
    ),
    "problems": ExportSpec(
        "问题清单",
        [
            ("number", "序号"),
            ("found", "发现时间"),
            ("place", "地点"),
            ("description", "问题描述"),
            ("category", "类别"),
            ("responsible_unit", "责任单位"),
            ("deadline", "整改时限"),
            ("status", "状态"),
            ("rectified_on", "整改完成"),
            ("verified_on", "销号"),
            ("source_url", "来源"),
        ],
        ("status", "category"),
        _problems,
        t.problems,
    ),
    "quarantine": ExportSpec(
        "隔离行",
        [
            ("url", "来源"),
            ("row", "行号"),
            ("severity", "级别"),
            ("reason", "原因"),
            ("raw", "原始内容"),
            ("created_at", "时间"),
        ],
        ("severity",),
        _quarantine,
        t.quarantine,
    ),
    "findings": ExportSpec(
        "核对发现",
        [
            ("period", "月份"),
            ("kind", "类别"),
            ("subject", "对象"),
            ("village", "村"),
            ("detail", "说明"),
            ("source_url", "来源"),
        ],
        ("period", "kind", "village"),
        _findings,
        t.findings,
    ),
}


def export_query(
    engine: Engine,
    name: str,
    filters: Mapping[str, str] | None,
    fmt: ExportFormat,
    mask: bool = True,
) -> bytes:
    """Return one of the standard tables (see EXPORTS) as XLSX or CSV bytes.

    `filters` narrows the rows (each table lists the ones it takes; check-ins need `period`).
    Raises ExportRefused for an unknown table, an unknown filter or a missing period.
    """
    rows = export_rows(engine, name, filters)
    return export_table(rows, export_columns(name, rows), fmt, mask, title=EXPORTS[name].title)


def export_rows(
    engine: Engine,
    name: str,
    filters: Mapping[str, str] | None,
    *,
    where: Callable[[Table], ColumnElement[bool]] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Return the rows of standard table `name` that `filters` and `where(table)` keep, at most
    `limit` of them (ask for one more than you allow to know there were more).

    Raises ExportRefused for an unknown table, an unknown filter or a missing period.
    """
    spec = EXPORTS.get(name)
    if spec is None:
        raise ExportRefused(f"unknown table {name!r}: one of {', '.join(EXPORTS)}")
    given = {k: v for k, v in (filters or {}).items() if v}
    unknown = sorted(set(given) - set(spec.filters))
    if unknown:
        raise ExportRefused(f"{name} takes no filter {', '.join(unknown)}: only {spec.filters}")
    if name == "checkins" and not given.get("period"):
        raise ExportRefused("checkins needs a period (YYYY-MM)")
    query = spec.query(given)
    if where is not None:
        query = query.where(where(spec.table))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return [spec.prepare(row) for row in rows] if spec.prepare else rows


def export_filename(name: str, filters: Mapping[str, str] | None, fmt: ExportFormat) -> str:
    """Return a file name for an export: the table, its filter values, the format."""
    parts = [name, *(v for _, v in sorted((filters or {}).items()) if v)]
    return re.sub(r"[^\w.-]+", "_", "-".join(parts)) + "." + fmt
