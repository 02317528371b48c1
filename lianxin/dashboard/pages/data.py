"""The data page (导入导出): export a table of the viewer's place, import a roster or check-in
table after a preview.

Exports hold the rows of the viewer's place only (`place_clause` on the table exported) and
mask phones and ID numbers, unless the viewer may read every phone in the export and asks for
them in full: a village lead for their village, a cadre for their own workers (`can_see_phone`
asked of the viewer's own place, which the rows are limited to). Every export is audited.

An upload is kept under data_dir/uploads/ between its preview and the confirmation, under a
random name (never one the user chose), and removed once applied, once its uploader previews
another file (one preview a person), or after `UPLOAD_HOURS`. Files are checked and parsed in a
child process within limits (`dashboard.uploads`), never in the handler.
A lead's import is held to their place by `transfer.ImportScope`: rows elsewhere fail in the
preview, with the reason.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from functools import partial
from pathlib import Path, PurePath
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy import Connection, Engine, FromClause, Table, func, select
from sqlalchemy.sql.elements import False_
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from lianxin.archive import Archive, content_hash
from lianxin.clock import utc_now
from lianxin.dashboard import audit, auth, inputs, uploads
from lianxin.dashboard import data as dashboard_data
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words, language_of, requested_language
from lianxin.dashboard.scope import COUNTY_WIDE, Action, Viewer, can_see_phone, may, place_clause
from lianxin.dashboard.web import EngineDep, client_address, read_form, render
from lianxin.errors import ImportRejected, UploadRefused
from lianxin.reasons import localize
from lianxin.services.export import MEDIA_TYPES, ExportFormat, export_table
from lianxin.services.export_tables import EXPORTS, export_columns, export_filename, export_rows
from lianxin.services.reevaluate import evaluate_after_import
from lianxin.services.transfer import (
    ImportKind,
    ImportPreview,
    ImportScope,
    apply_import,
    preview_import,
)
from lianxin.store import schema as t

router = APIRouter()

FORMATS: tuple[ExportFormat, ...] = ("xlsx", "csv")
KINDS: tuple[ImportKind, ...] = ("auto", "roster", "checkin_table")
SUFFIXES = (".xlsx", ".csv", ".xls")  # what the attachment reader reads; .xls is WPS's default
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_HOURS = 6  # an upload nobody confirmed is removed after this long
EXPORT_MAX_ROWS = 50_000  # a county's roster is ~100,000: narrow it by village or month
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{22}")
DONE = ("data.imported", "data.already")
SOURCE = "upload"

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
        if isinstance(place_clause(viewer, spec.table), False_):
            continue  # a table the viewer's place never reaches (a cadre's compliance, say)
        if name == "quarantine" and not may(viewer, Action.see_operations):
            continue
        names.append(name)
    return names


def may_export_in_full(viewer: Viewer) -> bool:
    """Return whether every phone of an export limited to `viewer`'s place is theirs to read:
    a village lead's village, a cadre's own workers (per export, not per row)."""
    return can_see_phone(viewer, village=viewer.village, cadre_key=viewer.cadre_key)


def import_scope(viewer: Viewer) -> ImportScope | None:
    """Return the place `viewer`'s imports are held to; None for a viewer who sees everything."""
    if viewer.role in COUNTY_WIDE and not viewer.county:
        return None
    name = viewer.village or viewer.town or viewer.county or viewer.username

    def where(table: FromClause) -> Any:
        return place_clause(viewer, cast(Table, table))  # duck-typed: it reads table.c only

    return ImportScope(name=name, where=where)


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
    return _page(request, viewer, engine, message=message)


def _count(request: Request, name: str) -> int:
    return inputs.ascii_int(request.query_params.get(name)) or 0


def _page(
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
        period = _latest_period(conn, viewer)
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


def _latest_period(conn: Connection, viewer: Viewer) -> str:
    """Return the latest month of calls in `viewer`'s place, the export form's default."""
    c = t.checkins
    found = conn.execute(select(func.max(c.c.period)).where(place_clause(viewer, c))).scalar()
    return str(found or utc_now().strftime("%Y-%m"))


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
        return _page(
            request, viewer, engine, error=error, error_args=args, status_code=422, chosen=asked
        )

    if name not in EXPORTS:
        return refuse("data.error.table")
    if name not in export_tables(viewer):
        raise auth.forbid()
    if fmt not in FORMATS:
        return refuse("data.error.format")
    if asked["period"] and not dashboard_data.PERIOD.fullmatch(asked["period"]):
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


# --- import ----------------------------------------------------------------------------------


@router.post("/data/import")
async def upload(request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    """Keep the uploaded file and show what importing it would change; nothing is written."""
    if not may(viewer, Action.import_table):
        raise auth.forbid()
    fields = await read_form(request)
    kind = fields.get("kind", "auto")
    chosen = {"kind": kind}

    def refuse(error: str, status_code: int = 422, **args: Any) -> Response:
        return _page(
            request,
            viewer,
            engine,
            error=error,
            error_args=args,
            status_code=status_code,
            chosen=chosen,
        )

    if kind not in KINDS:
        return refuse("data.error.kind")
    file = (await request.form()).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return refuse("data.error.no_file", 400)
    try:
        filename = PurePath(file.filename.replace("\\", "/")).name[:120]
        suffix = PurePath(filename).suffix.lower()
        content = await file.read(MAX_UPLOAD_BYTES + 1) if suffix in SUFFIXES else b""
    finally:
        await file.close()
    if suffix not in SUFFIXES:
        return refuse("data.error.suffix", 415)
    if len(content) > MAX_UPLOAD_BYTES:
        return refuse("data.error.too_big", 413)
    if not content.strip():
        return refuse("data.error.empty")
    scope, now = import_scope(viewer), utc_now()
    try:
        parsed = await uploads.parse_upload_apart(
            request,
            viewer.username,
            content,
            filename,
            cast(ImportKind, kind),
            SOURCE,
            now,
            scope.name if scope else None,
        )
        preview = await run_in_threadpool(
            partial(preview_import, scope=scope, parsed=parsed),
            engine,
            content,
            filename,
            cast(ImportKind, kind),
            SOURCE,
            now,
        )
    except UploadRefused as exc:
        return refuse(exc.code, uploads.status_of(exc.code), **exc.details)
    except ImportRejected as exc:
        return refuse("data.error.rejected", reason=localize(exc.reason, language_of(request)))
    folder = _uploads(request)
    _sweep(folder)
    _forget(folder, viewer.username)  # one preview a person: the new one replaces the last
    upload_id = secrets.token_urlsafe(16)
    (folder / f"{upload_id}.bin").write_bytes(content)
    meta = {"user": viewer.username, "filename": filename, "kind": kind}
    (folder / f"{upload_id}.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return _preview_page(request, preview, upload_id)


@router.get("/data/import")
@router.get("/data/import/confirm")
def back_to_the_page(request: Request, viewer: CurrentViewer) -> Response:
    """Send a GET of an import step (the language switch on a preview links there) to /data."""
    language = requested_language(request)
    return RedirectResponse(f"/data?lang={language}" if language else "/data", status_code=303)


def _preview_page(
    request: Request,
    preview: ImportPreview,
    upload_id: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"preview": preview, "upload_id": upload_id, "error": error}
    return render(request, "data_preview.html", context, status_code=status_code)


@router.post("/data/import/confirm")
async def confirm(request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    """Apply the previewed upload if the store is still as the preview saw it, then evaluate."""
    if not may(viewer, Action.import_table):
        raise auth.forbid()
    fields = await read_form(request)
    upload_id, token = fields.get("upload", ""), fields.get("token", "")
    folder = _uploads(request)
    kept = _kept(folder, upload_id)
    if kept is None:
        return _page(request, viewer, engine, error="data.error.gone", status_code=410)
    meta, content = kept
    if meta.get("user") != viewer.username:
        raise auth.forbid()  # another person's upload: as if it were not there
    filename, kind = str(meta["filename"]), cast(ImportKind, meta["kind"])
    settings = request.app.state.settings
    scope = import_scope(viewer)
    now = utc_now()

    def audited(conn: Connection, preview: ImportPreview) -> None:
        detail = {
            "kind": preview.kind,
            "written": not preview.already_imported,
            **{k: getattr(preview, k) for k in ("added", "changed", "removed", "failed")},
        }
        audit.record(conn, viewer, "import", filename, detail, client_address(request))

    if token.split(".")[0] != content_hash(content):
        return _page(request, viewer, engine, error="data.error.gone", status_code=410)
    try:
        place = scope.name if scope else None
        parsed = await uploads.parse_upload_apart(
            request, viewer.username, content, filename, kind, SOURCE, now, place
        )
    except UploadRefused as exc:
        status = uploads.status_of(exc.code)
        return _page(
            request, viewer, engine, error=exc.code, error_args=exc.details, status_code=status
        )
    except ImportRejected as exc:  # it was read for the preview: only a changed reader
        reason = localize(exc.reason, language_of(request))
        return _page(
            request, viewer, engine, error="data.error.rejected", error_args={"reason": reason}
        )
    try:
        result = await run_in_threadpool(
            partial(
                apply_import,
                # Archived, `lianxin reparse` would parse the whole file again, without the
                # place it was held to: a held import is kept out of the archive ("missing").
                archive=Archive(settings.archive_dir) if scope is None else None,
                scope=scope,
                on_applied=audited,
                parsed=parsed,
            ),
            engine,
            content,
            filename,
            kind,
            SOURCE,
            now,
            token,
        )
    except ImportRejected:
        # The file is the one previewed, the store is not: show what it would do now.
        fresh = await run_in_threadpool(
            partial(preview_import, scope=scope, parsed=parsed),
            engine,
            content,
            filename,
            kind,
            SOURCE,
            now,
        )
        return _preview_page(request, fresh, upload_id, "data.error.stale", status_code=409)
    await run_in_threadpool(evaluate_after_import, engine, result, settings.rules, now)
    for path in (folder / f"{upload_id}.bin", folder / f"{upload_id}.json"):
        path.unlink(missing_ok=True)
    written = result.stats.workers + result.stats.checkins
    done = "data.imported" if result.written else "data.already"
    target = f"/data?done={done}&written={written}&failed={result.preview.failed}"
    return RedirectResponse(target, status_code=303)


def _uploads(request: Request) -> Path:
    folder = Path(request.app.state.settings.data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _kept(folder: Path, upload_id: str) -> tuple[dict[str, Any], bytes] | None:
    """Return the meta and bytes of upload `upload_id`, or None (expired, applied, made up)."""
    if not UPLOAD_ID.fullmatch(upload_id):
        return None
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text("utf-8"))
        return meta, (folder / f"{upload_id}.bin").read_bytes()
    except (OSError, ValueError):
        return None


def _forget(folder: Path, username: str) -> None:
    """Remove the uploads `username` previewed and did not confirm."""
    for path in folder.glob("*.json"):
        try:
            if json.loads(path.read_text("utf-8")).get("user") == username:
                path.with_suffix(".bin").unlink(missing_ok=True)
                path.unlink(missing_ok=True)
        except (OSError, ValueError):
            continue  # removed meanwhile, or not a preview's


def _sweep(folder: Path, now: float | None = None) -> None:
    """Remove uploads older than UPLOAD_HOURS: previewed, never confirmed."""
    cutoff = (now or time.time()) - UPLOAD_HOURS * 3600
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue  # removed by a concurrent sweep
