"""Importing a roster or check-in table on the data page (导入导出), after a preview.

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

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from lianxin.archive import Archive, content_hash
from lianxin.clock import utc_now
from lianxin.dashboard import audit, auth, uploads
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import language_of, requested_language
from lianxin.dashboard.pages.data import KINDS, show_page
from lianxin.dashboard.queries.common import Connection
from lianxin.dashboard.queries.exports import import_where
from lianxin.dashboard.scope import COUNTY_WIDE, Action, Viewer, may
from lianxin.dashboard.web import EngineDep, client_address, read_form, render
from lianxin.errors import ImportRejected, UploadRefused
from lianxin.reasons import localize
from lianxin.services.reevaluate import evaluate_after_import
from lianxin.services.transfer import (
    ImportKind,
    ImportPreview,
    ImportScope,
    apply_import,
    preview_import,
)

router = APIRouter()

SUFFIXES = (".xlsx", ".csv", ".xls")  # what the attachment reader reads; .xls is WPS's default
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_HOURS = 6  # an upload nobody confirmed is removed after this long
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{22}")
SOURCE = "upload"


def import_scope(viewer: Viewer) -> ImportScope | None:
    """Return the place `viewer`'s imports are held to; None for a viewer who sees everything."""
    if viewer.role in COUNTY_WIDE and not viewer.county:
        return None
    name = viewer.village or viewer.town or viewer.county or viewer.username

    return ImportScope(name=name, where=import_where(viewer))


# --- the import ----------------------------------------------------------------------------------


@router.post("/data/import")
async def upload(request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    """Keep the uploaded file and show what importing it would change; nothing is written."""
    if not may(viewer, Action.import_table):
        raise auth.forbid()
    fields = await read_form(request)
    kind = fields.get("kind", "auto")
    chosen = {"kind": kind}

    def refuse(error: str, status_code: int = 422, **args: Any) -> Response:
        return show_page(
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
        return show_page(request, viewer, engine, error="data.error.gone", status_code=410)
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
        return show_page(request, viewer, engine, error="data.error.gone", status_code=410)
    try:
        place = scope.name if scope else None
        parsed = await uploads.parse_upload_apart(
            request, viewer.username, content, filename, kind, SOURCE, now, place
        )
    except UploadRefused as exc:
        status = uploads.status_of(exc.code)
        return show_page(
            request, viewer, engine, error=exc.code, error_args=exc.details, status_code=status
        )
    except ImportRejected as exc:  # it was read for the preview: only a changed reader
        reason = localize(exc.reason, language_of(request))
        return show_page(
            request, viewer, engine, error="data.error.rejected", error_args={"reason": reason}
        )
    read = (engine, content, filename, kind, SOURCE, now)  # what applying and previewing read
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
            *read,
            token,
        )
    except ImportRejected:
        # The file is the one previewed, the store is not: show what it would do now.
        fresh = await run_in_threadpool(partial(preview_import, scope=scope, parsed=parsed), *read)
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
