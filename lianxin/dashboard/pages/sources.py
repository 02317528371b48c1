"""Sources (数据源): how fetching and parsing fare, the quarantine (隔离区) and the findings.

For the county bureau, the supervision group and the admin (`Action.see_operations`). Every
string here came from a fetched page: the template escapes it and links only http(s) URLs.
Quarantined rows and findings hold people's phones and ID numbers, masked for every role.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.dashboard import auth, inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.charts import bar_chart
from lianxin.dashboard.i18n import add_words, language_of, translate
from lianxin.dashboard.links import http_url
from lianxin.dashboard.queries import operations
from lianxin.dashboard.scope import Action, may, place_clause
from lianxin.dashboard.web import EngineDep, render
from lianxin.privacy import mask_field, scrub
from lianxin.reasons import localize, severity
from lianxin.records import FindingKind
from lianxin.services.watchdog import as_utc

router = APIRouter()

PAGE = 30  # quarantine rows per page, and findings shown
INGEST_RUNS = 10  # the ingest runs whose records per source are listed
LAST_PAGE = 1000  # deeper than this, narrow the filter instead
KINDS = [k.value for k in FindingKind]
PHONE_HEADER = re.compile(r"电话|手机|联系方式|phone|mobile", re.IGNORECASE)
ID_HEADER = re.compile(r"身份证|证件|id.?number", re.IGNORECASE)

WORDS: dict[str, tuple[str, str]] = {
    "sources.title": ("数据源", "Sources"),
    "sources.health": ("抓取与解析", "Fetching and parsing"),
    "sources.source": ("数据源", "Source"),
    "sources.last_fetch": ("最近抓取", "Last fetched"),
    "sources.fetches": ("抓取次数", "Fetches"),
    "sources.errors": ("出错", "Errors"),
    "sources.last_error": ("最近错误", "Last error"),
    "sources.pages": ("本次页面", "Pages, latest ingest"),
    "sources.records": ("本次记录", "Records, latest ingest"),
    "sources.none": ("暂无", "None yet"),
    "sources.by_run": ("近几次抓取的记录数", "Records per source, recent ingests"),
    "sources.chart": ("最近一次抓取的记录数（按数据源）", "Records per source, latest ingest"),
    "sources.run": ("抓取时间", "Ingest started"),
    "sources.dropped_note": (
        "标红：上一次有记录、这一次为零，页面结构可能变了",
        "In red: records before, none now; the page's layout may have changed",
    ),
    "sources.quarantine": ("隔离区", "Quarantine"),
    "sources.quarantine_note": (
        "未能入库的行和页面，附原因；电话、身份证号已脱敏",
        "Rows and pages kept aside, with the reason; phones and ID numbers masked",
    ),
    "sources.filter_source": ("数据源", "Source"),
    "sources.filter_url": ("网址包含", "URL contains"),
    "sources.all": ("全部", "All"),
    "sources.filter": ("筛选", "Filter"),
    "sources.page": ("页面", "Page"),
    "sources.row": ("行", "Row"),
    "sources.severity": ("级别", "Severity"),
    "sources.reason": ("原因", "Reason"),
    "sources.raw": ("原始内容", "Raw row"),
    "sources.at": ("时间", "When"),
    "sources.previous": ("上一页", "Previous"),
    "sources.next": ("下一页", "Next"),
    "sources.page_n": ("第 {n} 页", "Page {n}"),
    "sources.findings": ("与花名册核对", "Reconciliation with the roster"),
    "sources.findings_count": ("共 {total} 条，显示 {shown} 条", "{shown} of {total} shown"),
    "sources.kind": ("类型", "Kind"),
    "sources.period": ("月份", "Month"),
    "sources.subject": ("对象", "Subject"),
    "sources.village": ("村", "Village"),
    "sources.detail": ("说明", "Detail"),
    "sources.kind.missing_checkin": ("花名册有人无回访", "On the roster, no call"),
    "sources.kind.unknown_worker": ("回访对象不在花名册", "Call for a worker not on the roster"),
    "sources.kind.duplicate_checkin": ("同月重复回访", "Called twice in a month"),
    "sources.kind.outside_window": ("回访不在上旬", "Call outside the first ten days"),
    "sources.kind.shared_phone": ("多人共用电话", "One phone for several workers"),
}
add_words(WORDS)


def masked(text: Any) -> str:
    """Return `text` with every phone and ID number in it masked (full-width digits too)."""
    return scrub(unicodedata.normalize("NFKC", "" if text is None else str(text)))


def masked_cell(header: str, value: Any) -> str:
    """Return a raw cell for display: a phone or ID column masked whole, other text scrubbed.

    A phone column holding something else (a totals row's 共回访33人) keeps its text.
    """
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    digits = sum(ch.isdigit() for ch in text)
    # Which column is which is read from the fetched table's header; how a value of that kind
    # is masked is the one rule of `lianxin.privacy` (`mask_field`, by the field's kind).
    kind = "phone" if PHONE_HEADER.search(header) and digits >= 7 else None
    if kind is None and ID_HEADER.search(header) and digits >= 15:
        kind = "id_number"
    return str(mask_field(kind, text)) if kind else scrub(text)


def masked_raw(raw: Any) -> list[tuple[str, str]]:
    """Return a quarantined row's raw content as (header, masked cell), empty cells left out."""
    if isinstance(raw, dict):
        pairs = [(str(k), masked_cell(str(k), v)) for k, v in raw.items()]
    elif isinstance(raw, list):
        pairs = [(str(i + 1), masked(v)) for i, v in enumerate(raw)]
    else:
        pairs = [("", masked(raw))]
    return [(header, cell) for header, cell in pairs if cell.strip()]


def records_history(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the ingest runs (oldest first) with their records per source and the sources
    that yielded nothing after yielding in the run before (a sign of selector drift)."""
    history: list[dict[str, Any]] = []
    before: dict[str, Any] = {}
    for run in runs:
        records = run["records_by_source"]
        dropped = {name for name, n in records.items() if n == 0 and (before.get(name) or 0) > 0}
        history.append({"at": clock(run["started_at"]), "records": records, "dropped": dropped})
        before = records
    return history


def clock(value: Any) -> datetime | None:
    """Return a stored instant as an aware UTC datetime (the page writes it: `| moment`)."""
    return as_utc(value) if value is not None else None


@router.get("/sources")
def sources(
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
    source: str = "",
    url: str = "",
    page: str = "1",
    kind: str = "",
) -> Response:
    """Fetching and parsing per source, the quarantine (filtered, paged) and the findings."""
    if not may(viewer, Action.see_operations):
        raise auth.forbid()
    source, url = source.strip()[:128], url.strip()[: inputs.limit_of("url")]
    kind = kind if kind in KINDS else ""
    where = partial(place_clause, viewer)
    with engine.connect() as conn:
        number, found = inputs.last_page_rows(  # past the end: the last page
            inputs.page_number(page, LAST_PAGE),
            lambda n: operations.sources(
                conn,
                where,
                source=source or None,
                url=url or None,
                limit=PAGE + 1,  # one more tells whether a next page exists
                offset=(n - 1) * PAGE,
                kind=kind or None,
                findings_limit=PAGE,
                ingest_runs=INGEST_RUNS,
            ),
            lambda: operations.quarantine_count(
                conn, where, source=source or None, url=url or None
            ),
            PAGE,
            empty=lambda found: not found.quarantine,
        )
    language = language_of(request)
    latest = [(h["source"], float(h["records"])) for h in found.health if h["records"] is not None]
    chart = bar_chart(latest, translate("sources.chart", language), unit="") if latest else ""
    names = sorted({h["source"] for h in found.health} | ({source} if source else set()))
    history = records_history(found.records_by_run)
    history_sources = sorted({name for x in history for name in x["records"]})
    quarantine = [
        {
            **row,
            "href": http_url(row["url"]),
            "at": clock(row["created_at"]),
            "reason": localize(masked(row["reason"]), language),
            "severity_words": severity(row["severity"], language),
            "raw": masked_raw(row["raw"]),
        }
        for row in found.quarantine[:PAGE]
    ]
    findings = [
        {
            **f,
            "subject": masked(localize(f["subject"], language)),  # "phone …1234" read before NFKC
            "detail": localize(masked(f["detail"]), language),
            "href": http_url(f["source_url"]),
        }
        for f in found.findings
    ]
    health = [
        {
            **h,
            "at": clock(h["last_fetched_at"]),
            "last_error": localize(masked(h["last_error"]), language),
        }
        for h in found.health
    ]
    return render(
        request,
        "sources.html",
        {
            "health": health,
            "chart": chart,
            "history": history,
            "history_sources": history_sources,
            "names": names,
            "quarantine": quarantine,
            "findings": findings,
            "findings_total": found.findings_total,
            "filter": {"source": source, "url": url, "kind": kind},
            "kinds": KINDS,
            "page": number,
            "more": len(found.quarantine) > PAGE,
        },
    )
