"""The data page (导入导出): export a table of the viewer's place; importing a roster or
check-in table after a preview is `pages.imports`'.

Exports hold the rows of the viewer's place only (`place_clause` on the table exported) and
mask phones and ID numbers, unless the viewer may read every phone in the export and asks for
them in full: a village lead for their village, a cadre for their own workers (`can_see_phone`
asked of the viewer's own place, which the rows are limited to). Every export is audited.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.dashboard import audit, auth, inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.queries.common import PERIOD, Engine
from lianxin.dashboard.queries.exports import latest_call_period, place_reaches
from lianxin.dashboard.scope import Action, Viewer, can_see_phone, may, place_clause
from lianxin.dashboard.web import EngineDep, client_address, render
from lianxin.services.export import MEDIA_TYPES, ExportFormat, export_table
from lianxin.services.export_tables import EXPORTS, export_columns, export_filename, export_rows
from lianxin.services.transfer import ImportKind

router = APIRouter()

FORMATS: tuple[ExportFormat, ...] = ("xlsx", "csv")
KINDS: tuple[ImportKind, ...] = ("auto", "roster", "checkin_table")
EXPORT_MAX_ROWS = 50_000  # a county's roster is ~100,000: narrow it by village or month
DONE = ("data.imported", "data.already")

WORDS: dict[str, tuple[str, str]] = {
    "data.title": ("导入导出", "Import / export"),
    "data.export": ("导出表格", "Export a table"),
    "data.export_hint": (
        "只导出您管辖范围内的记录；电话和身份证号默认隐去中间几位。",
        "Only the records of your area are exported; phones and ID numbers are masked.",
    ),
    "data.table": ("表格", "Table"),
    "data.format": ("格式", "Format"),
    "data.period": ("月份（如 2026-11）", "Month (e.g. 2026-11)"),
    "data.village": ("村（可不填）", "Village (optional)"),
    "data.full": (
        "包含完整电话和身份证号（仅限本村/本人联系的务工人员，将记入日志）",
        "Include full phones and ID numbers (your own village or workers; logged)",
    ),
    "data.download": ("下载", "Download"),
    "data.import": ("导入花名册或回访台账", "Import a roster or check-in table"),
    "data.import_hint": (
        "上传 XLSX 或 CSV 文件（不超过 20 MB），先预览变化，确认后才写入。",
        "Upload an XLSX or CSV file (up to 20 MB): see what changes before anything is written.",
    ),
    "data.file": ("文件", "File"),
    "data.kind": ("类型", "Kind"),
    "data.kind.auto": ("自动识别", "Detect"),
    "data.kind.roster": ("就业服务一览表（花名册）", "Roster (employment service table)"),
    "data.kind.checkin_table": ("电话回访台账", "Check-in table"),
    "data.preview_button": ("预览", "Preview"),
    "data.table.workers": ("务工人员", "Migrant workers"),
    "data.table.checkins": ("电话回访", "Check-in calls"),
    "data.table.obligations": ("待办事项", "Follow-ups owed"),
    "data.table.compliance": ("回访完成情况", "Calls done by village"),
    "data.table.cadres": ("包户干部回访情况", "Calls done by cadre"),
    "data.table.problems": ("问题清单", "Supervision problems"),
    "data.table.quarantine": ("隔离行", "Quarantined rows"),
    "data.table.findings": ("核对发现", "Reconciliation findings"),
    "data.imported": (
        "已导入 {written} 条记录；{failed} 行未导入。",
        "Imported {written} records; {failed} rows not imported.",
    ),
    "data.already": (
        "该文件此前已导入，未写入任何内容。",
        "This file was imported already: nothing written.",
    ),
    "data.preview": ("导入预览", "Import preview"),
    "data.preview_hint": (
        "尚未写入。请核对以下变化，确认后导入。",
        "Nothing is written yet. Check the changes below, then confirm.",
    ),
    "data.confirm": ("确认导入", "Confirm the import"),
    "data.cancel": ("取消", "Cancel"),
    "data.added": ("新增", "New"),
    "data.changed": ("有变化", "Changed"),
    "data.unchanged": ("无变化", "Unchanged"),
    "data.removed": ("将删除（上次上传有、本次没有）", "Removed (in the last upload, not this)"),
    "data.failed": ("未导入的行", "Rows not imported"),
    "data.skipped": ("非数据行（如合计）", "Not data (totals)"),
    "data.warnings": ("需人工核对", "Need a look"),
    "data.matched": ("匹配到花名册", "Match the roster"),
    "data.unmatched": ("花名册中找不到的人", "Match nobody on the roster"),
    "data.record": ("记录", "Record"),
    "data.field": ("字段", "Field"),
    "data.old": ("原值", "Was"),
    "data.new": ("新值", "Now"),
    "data.row": ("行", "Row"),
    "data.reason": ("原因", "Reason"),
    "data.values": ("内容", "Values"),
    "data.more": ("另有 {n} 条未列出", "{n} more not listed"),
    "data.nothing_to_write": (
        "该文件此前已导入，确认也不会写入任何内容。",
        "This file is imported already: confirming writes nothing.",
    ),
    "data.periods": ("月份", "Months"),
    "data.error.table": ("请选择要导出的表格", "Choose a table to export"),
    "data.error.format": ("请选择 XLSX 或 CSV", "Choose XLSX or CSV"),
    "data.error.period": ("月份格式应为 2026-11", "A month reads like 2026-11"),
    "data.error.period_needed": (
        "导出电话回访需要填写月份",
        "Check-in calls are exported a month at a time: give the month",
    ),
    "data.error.too_many": (
        "记录超过 {n} 条，请按月份或村缩小范围后再导出",
        "More than {n} records: narrow the export by month or village",
    ),
    "data.error.no_file": ("请选择要上传的文件", "Choose a file to upload"),
    "data.error.suffix": (
        "只能导入 .xlsx、.xls 或 .csv 文件",
        "Only .xlsx, .xls or .csv files can be imported",
    ),
    "data.error.too_big": ("文件超过 20 MB", "The file is over 20 MB"),
    "data.error.empty": ("文件是空的", "The file is empty"),
    "data.error.kind": ("请选择文件类型", "Choose the kind of table"),
    "data.error.rejected": ("文件无法导入：{reason}", "The file cannot be imported: {reason}"),
    "data.error.gone": (
        "上传的文件已过期或已导入，请重新上传",
        "The upload has expired or was imported already: upload it again",
    ),
    "data.error.stale": (
        "预览之后数据已有变化，请核对新的预览后再确认",
        "The records changed since the preview: check this new preview, then confirm",
    ),
}
_FIELDS = {
    "household": ("户主", "Household"),
    "name": ("姓名", "Name"),
    "phone": ("联系电话", "Phone"),
    "id_number": ("身份证号", "ID number"),
    "village": ("村", "Village"),
    "town": ("乡镇", "Town"),
    "cadre_key": ("包户干部", "Cadre"),
    "wish": ("就业意愿", "Wish to work"),
    "skills": ("技能", "Skills"),
    "training": ("培训", "Training"),
    "employer": ("务工单位", "Employer"),
    "work_place": ("务工地点", "Place of work"),
    "start_date": ("务工时间", "Started"),
    "status": ("务工状态", "Status"),
    "extra": ("其他列", "Other columns"),
    "worker_name": ("姓名", "Name"),
    "worker_phone": ("联系电话", "Phone"),
    "cadre": ("包户干部", "Cadre"),
    "call_date": ("回访日期", "Call date"),
    "reached": ("是否接通", "Reached"),
    "place": ("务工地点", "Place of work"),
    "income_yuan": ("上月收入（元）", "Last month's income (yuan)"),
    "demands": ("诉求", "Demands"),
    "policy_explained": ("政策宣传", "Policy explained"),
    "followup_needed": ("需跟进", "Follow-up needed"),
    "notes": ("备注", "Notes"),
}
WORDS.update({f"data.field.{name}": words for name, words in _FIELDS.items()})
add_words(WORDS)


# --- who may do what -------------------------------------------------------------------------


def export_tables(viewer: Viewer) -> list[str]:
    """Return the standard tables `viewer` may export: those their place reaches.

    The quarantine names no place (its rows are a page's, not a village's): only the operations
    roles, and only when their place is the whole store, get it.
    """
    names = []
    for name, spec in EXPORTS.items():
        if not place_reaches(viewer, spec.table):
            continue  # a table the viewer's place never reaches (a cadre's compliance, say)
        if name == "quarantine" and not may(viewer, Action.see_operations):
            continue
        names.append(name)
    return names


def may_export_in_full(viewer: Viewer) -> bool:
    """Return whether every phone of an export limited to `viewer`'s place is theirs to read:
    a village lead's village, a cadre's own workers (per export, not per row)."""
    return can_see_phone(viewer, village=viewer.village, cadre_key=viewer.cadre_key)


# --- the page --------------------------------------------------------------------------------


@router.get("/data")
def data_page(request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    if not may(viewer, Action.export_table):
        raise auth.forbid()
    message = None
    done = request.query_params.get("done")
    if done in DONE:
        message = {"key": done, "written": _count(request, "written")}
        message["failed"] = _count(request, "failed")
    return show_page(request, viewer, engine, message=message)


def _count(request: Request, name: str) -> int:
    return inputs.ascii_int(request.query_params.get(name)) or 0


def show_page(
    request: Request,
    viewer: Viewer,
    engine: Engine,
    *,
    message: dict[str, Any] | None = None,
    error: str | None = None,
    error_args: dict[str, Any] | None = None,
    status_code: int = 200,
    chosen: dict[str, str] | None = None,
) -> Response:
    with engine.connect() as conn:
        period = latest_call_period(conn, viewer)
    form = {"table": "", "format": "xlsx", "period": period, "village": "", "kind": "auto"}
    form.update(chosen or {})
    context = {
        "tables": export_tables(viewer),
        "formats": FORMATS,
        "kinds": KINDS,
        "may_import": may(viewer, Action.import_table),
        "may_full": may_export_in_full(viewer),
        "form": form,
        "message": message,
        "error": error,
        "error_args": error_args or {},
        "max_rows": EXPORT_MAX_ROWS,
    }
    return render(request, "data.html", context, status_code=status_code)


# --- export ----------------------------------------------------------------------------------


@router.get("/data/export")
def export(request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    """Stream one standard table of the viewer's place as XLSX or CSV (masked unless allowed)."""
    if not may(viewer, Action.export_table):
        raise auth.forbid()
    asked = {k: request.query_params.get(k, "").strip()[:64] for k in ("table", "format")}
    asked |= {k: request.query_params.get(k, "").strip()[:64] for k in ("period", "village")}
    name, fmt = asked["table"], asked["format"]

    def refuse(error: str, **args: Any) -> Response:
        return show_page(
            request, viewer, engine, error=error, error_args=args, status_code=422, chosen=asked
        )

    if name not in EXPORTS:
        return refuse("data.error.table")
    if name not in export_tables(viewer):
        raise auth.forbid()
    if fmt not in FORMATS:
        return refuse("data.error.format")
    if asked["period"] and not PERIOD.fullmatch(asked["period"]):
        return refuse("data.error.period")
    spec = EXPORTS[name]
    filters: dict[str, str] = {
        k: asked[k] for k in ("period", "village") if k in spec.filters and asked[k]
    }
    if name == "checkins" and "period" not in filters:
        return refuse("data.error.period_needed")
    rows = export_rows(
        engine, name, filters, where=partial(place_clause, viewer), limit=EXPORT_MAX_ROWS + 1
    )
    if len(rows) > EXPORT_MAX_ROWS:
        return refuse("data.error.too_many", n=EXPORT_MAX_ROWS)
    full = request.query_params.get("full") == "1" and may_export_in_full(viewer)
    kind = cast(ExportFormat, fmt)
    columns = export_columns(name, rows)
    content = export_table(rows, columns, kind, mask=not full, title=spec.title)
    with engine.begin() as conn:
        detail = {"format": kind, "filters": filters, "rows": len(rows), "masked": not full}
        audit.record(conn, viewer, "export", name, detail, client_address(request))
    filename = export_filename(name, filters, kind)
    headers = {"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"}
    return Response(content, media_type=MEDIA_TYPES[kind], headers=headers)


def content_disposition(filename: str) -> str:
    """Return an attachment header naming `filename`: UTF-8 (RFC 5987) plus an ASCII fallback
    for clients that read only `filename=`."""
    fallback = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9.-]", "_", filename)) or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
