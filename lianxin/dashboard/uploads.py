"""Read an uploaded table without letting it hurt the dashboard: checked, then parsed apart.

`parse_upload_apart` first checks the file's declared sizes and rows
(`lianxin.ingest.upload_guard`), then parses it (`transfer.parse_upload`), both in a child process
held to the
`dashboard.upload_parse_seconds` and `upload_parse_memory_mb` limits (`lianxin.sandbox`). The
handler awaits it from a thread of its own, so the event loop and the page threads go on
serving everyone else. At most `upload_parsers` files are read at once and one per person;
every refusal is an `UploadRefused` whose code this module gives words for, and whose HTTP
status `status_of` says: never a 500.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Request

from config.settings import DashboardSettings
from lianxin.dashboard.i18n import add_words
from lianxin.errors import ImportRejected, SandboxFailed, UploadRefused
from lianxin.ingest.upload_guard import MIB, UploadLimits, check_upload
from lianxin.records import ParseResult
from lianxin.sandbox import near_memory_cap, run_limited
from lianxin.services.transfer import ImportKind, parse_upload

WORDS: dict[str, tuple[str, str]] = {
    "upload.too_many_rows": (
        "表格超过 {limit} 行，请按村或乡镇拆分后分别上传",
        "The table has more than {limit} rows: split it by village or town and upload each part",
    ),
    "upload.unpacked_too_big": (
        "文件解压后有 {mb} MB，超过上限 {limit} MB，请拆分后再上传",
        "The file unpacks to {mb} MB, over the {limit} MB allowed: split it and upload the parts",
    ),
    "upload.ratio": (
        "文件中的 {member} 压缩比异常（{ratio} 倍，上限 {limit} 倍），疑似压缩炸弹，已拒绝",
        "{member} in the file is packed {ratio} to 1, over the {limit} allowed: it looks like "
        "a zip bomb and was refused",
    ),
    "upload.too_many_members": (
        "文件内含 {n} 个部件，超过上限 {limit} 个，不像是正常的表格",
        "The file holds {n} parts inside, more than the {limit} a spreadsheet needs",
    ),
    "upload.too_slow": (
        "读取文件超过 {seconds} 秒，已停止；请拆分后再上传",
        "Reading the file took over {seconds} s and was stopped: split it and upload the parts",
    ),
    "upload.too_much_memory": (
        "读取文件需要超过 {mb} MB 内存，已停止；请拆分后再上传",
        "Reading the file needed over {mb} MB of memory and was stopped: split it and upload "
        "the parts",
    ),
    "upload.worker_died": (
        "读取文件的进程意外退出，请检查文件后重试",
        "The process reading the file stopped unexpectedly: check the file and try again",
    ),
    "upload.busy": (
        "服务器正忙于读取其他上传的文件，请一分钟后再试",
        "The server is busy reading other uploads: try again in a minute",
    ),
    "upload.yours_in_progress": (
        "您上传的上一个文件还在读取中，请等它完成后再上传",
        "Your previous file is still being read: wait for it before uploading another",
    ),
}
add_words(WORDS)

# Refusals of the file itself are 413 (too large in some way); the rest say why here.
_STATUS = {
    "upload.too_slow": 422,
    "upload.worker_died": 422,
    "upload.yours_in_progress": 429,
    "upload.busy": 503,
}


def status_of(code: str) -> int:
    """Return the HTTP status of a refusal by its code."""
    return _STATUS.get(code, 413)


def limits_of(settings: DashboardSettings) -> UploadLimits:
    """Return the upload limits `settings` give."""
    return UploadLimits(
        max_unpacked_bytes=settings.upload_max_unpacked_mb * MIB,
        max_ratio=settings.upload_max_ratio,
        max_members=settings.upload_max_members,
        max_rows=settings.upload_max_rows,
    )


async def parse_upload_apart(
    request: Request,
    username: str,
    content: bytes,
    filename: str,
    kind: ImportKind,
    source: str,
    now: datetime,
    place: str | None,
) -> ParseResult:
    """Return `transfer.parse_upload`'s records of `content`, checked and parsed in a child
    process within the dashboard's limits.

    Raises UploadRefused (a limit: `status_of` its code) or ImportRejected (an unreadable
    file). `username` may have one upload being read at a time.
    """
    settings: DashboardSettings = request.app.state.settings.dashboard
    state = request.app.state
    if not hasattr(state, "upload_parsers"):
        state.upload_parsers = threading.BoundedSemaphore(settings.upload_parsers)
        state.uploads_reading = set()
    readers: set[str] = state.uploads_reading
    if username in readers:
        raise UploadRefused(filename, "upload.yours_in_progress", "an upload is being read")
    readers.add(username)
    job = partial(_check_and_parse, content, filename, kind, source, now, place)
    try:
        # A limiter of its own: waiting uploads must not hold the threads sync pages run on.
        outcome = await anyio.to_thread.run_sync(
            partial(_run, state.upload_parsers, settings, filename, job),
            limiter=CapacityLimiter(1),
        )
    finally:
        readers.discard(username)
    return outcome


def _run(
    parsers: threading.BoundedSemaphore,
    settings: DashboardSettings,
    filename: str,
    job: partial[tuple[Any, ...]],
) -> ParseResult:
    seconds = settings.upload_parse_seconds
    if not parsers.acquire(timeout=seconds):
        raise UploadRefused(filename, "upload.busy", "every upload reader is busy")
    try:
        memory = settings.upload_parse_memory_mb * MIB or None
        outcome = run_limited(job, limits_of(settings), seconds=seconds, memory_bytes=memory)
    except SandboxFailed as exc:
        raise _refusal(filename, exc, settings) from exc
    finally:
        parsers.release()
    if outcome[0] == "refused":
        _, code, reason, details = outcome
        raise UploadRefused(filename, code, reason, **details)
    if outcome[0] == "rejected":
        raise ImportRejected(filename, outcome[1])
    if outcome[0] == "memory":
        raise _refusal(filename, SandboxFailed("memory", outcome[1]), settings)
    result: ParseResult = outcome[1]
    return result


def _check_and_parse(
    content: bytes,
    filename: str,
    kind: ImportKind,
    source: str,
    now: datetime,
    place: str | None,
    limits: UploadLimits,
) -> tuple[Any, ...]:
    """Return ("parsed", result), ("refused", code, reason, details), ("rejected", reason) or
    ("memory", reason): run in the child, whose exceptions do not cross back."""
    try:
        check_upload(content, filename, limits)
        return ("parsed", parse_upload(content, filename, kind, source, now, place))
    except UploadRefused as exc:
        return ("refused", exc.code, exc.reason, exc.details)
    except ImportRejected as exc:
        if "MemoryError" in exc.reason or near_memory_cap():  # caught and reported as such
            return ("memory", exc.reason)
        return ("rejected", exc.reason)


def _refusal(filename: str, failed: SandboxFailed, settings: DashboardSettings) -> UploadRefused:
    if failed.failure == "timeout":
        seconds = f"{settings.upload_parse_seconds:g}"
        return UploadRefused(filename, "upload.too_slow", str(failed), seconds=seconds)
    if failed.failure == "memory":
        mb = settings.upload_parse_memory_mb
        return UploadRefused(filename, "upload.too_much_memory", str(failed), mb=mb)
    return UploadRefused(filename, "upload.worker_died", str(failed))
