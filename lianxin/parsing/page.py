"""Parse one fetched page (or the parts of one report) into a ParseResult; never raises.

bytes ─ decode ─► text ─ document ─► meta, title, date, places, main container
                               └─ tables, listing view ─ detect ─► kind ─► records, facts

A report published over several pages is read as one: the tables of later parts continue the
first part's (see `lianxin.parsing.series`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache, partial

from config.settings import ParsingSettings, get_settings
from lianxin.archive import content_hash
from lianxin.errors import TableTooLarge, UndecodableError
from lianxin.parsing.article import body_paragraphs, read_byline
from lianxin.parsing.checkins import checkins_from_table
from lianxin.parsing.columns import Vocabulary, load_vocabulary
from lianxin.parsing.decode import decode_page
from lianxin.parsing.detect import Detection, detect, not_a_report, table_kind
from lianxin.parsing.document import Document, load_document
from lianxin.parsing.facts import facts_in
from lianxin.parsing.listing import read_listing
from lianxin.parsing.places import report_places
from lianxin.parsing.problems import notice_wide_deadline, problems_from_table, problems_from_text
from lianxin.parsing.problems import text_lines as problem_lines
from lianxin.parsing.roster import regions_of, roster_from_table
from lianxin.parsing.tables import (
    Table,
    continue_tables,
    find_tables,
)
from lianxin.records import ParseResult, ParseStatus, Quarantined, Report, ReportKind, Severity

log = logging.getLogger(__name__)
BIG_PAGE_BYTES = 1_000_000  # pages past this are read with the cycle collector paused
_KINDS = {k.value for k in ReportKind}
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")


def parse_page(
    content: bytes,
    url: str,
    *,
    source: str,
    fetched_at: datetime,
    kind: str = "auto",
    http_charset: str | None = None,
    content_type: str | None = None,
) -> ParseResult:
    """Return what the page at `url` says; a page that cannot be read comes back quarantined.

    `kind` forces a report kind ("auto" detects it); `http_charset` is the charset the server
    (or the source's configuration) named. Bad rows are quarantined and the report marked
    partial; an unreadable page is one quarantined entry and the report marked failed.
    """
    return parse_parts(
        [(content, url, http_charset)],
        source=source,
        fetched_at=fetched_at,
        kind=kind,
        content_type=content_type,
        digest=content_hash(content),
    )


def parse_parts(
    parts: list[tuple[bytes, str, str | None]],
    *,
    source: str,
    fetched_at: datetime,
    kind: str,
    digest: str,
    content_type: str | None = None,
) -> ParseResult:
    """Return the report the parts (content, url, http charset) make, read as one; never raises.

    The report's URL is the first part's. A later part that cannot be read is quarantined and
    the rest is kept.
    """
    url = parts[0][1]
    limits = _limits()  # outside the try: a bad setting is the operator's to fix, not the page's
    try:
        with _collector_paused(sum(len(part[0]) for part in parts) > BIG_PAGE_BYTES):
            return _parse(parts, source, fetched_at, kind, content_type, digest, limits)
    except TableTooLarge as exc:
        return _failed(url, source, fetched_at, digest, _kind_or_article(kind), str(exc))
    except _PageFailure as failure:
        return _failed(url, source, fetched_at, digest, failure.kind, str(failure))
    except Exception as exc:  # noqa: BLE001  (a parser bug must not stop the batch)
        log.exception("Parser error on %s", url)
        return _failed(
            url,
            source,
            fetched_at,
            digest,
            _kind_or_article(kind),
            f"parser error: {type(exc).__name__}: {exc}",
        )


class _PageFailure(Exception):
    def __init__(self, reason: str, kind: ReportKind = ReportKind.article) -> None:
        super().__init__(reason)
        self.kind = kind


def _parse(
    parts: list[tuple[bytes, str, str | None]],
    source: str,
    fetched_at: datetime,
    kind: str,
    content_type: str | None,
    digest: str,
    limits: ParsingSettings,
) -> ParseResult:
    content, url, http_charset = parts[0]
    forced = _kind_or_article(kind) if kind != "auto" else None
    if kind != "auto" and kind not in _KINDS:
        raise _PageFailure(f"unknown kind {kind!r}: use auto or one of {sorted(_KINDS)}")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and not mime.startswith(_HTML_TYPES):
        raise _PageFailure(
            f"unsupported content type {mime} (only HTML pages are parsed)",
            forced or ReportKind.article,
        )
    _check_size(content, limits, forced)
    doc = _document(content, url, http_charset, forced)
    vocabulary = load_vocabulary()
    rows = limits.max_table_rows
    tables = list(find_tables(doc.main, vocabulary, rows)) or list(
        find_tables(doc.root, vocabulary, rows)
    )
    part_errors: list[Quarantined] = []
    for part_content, part_url, part_charset in parts[1:]:
        try:
            _check_size(part_content, limits, forced)
            part = _document(part_content, part_url, part_charset, forced)
        except _PageFailure as failure:
            part_errors.append(Quarantined(url=part_url, reason=f"part {part_url}: {failure}"))
            continue
        continue_tables(tables, part.main, vocabulary, rows)
    if not tables:
        reason = not_a_report(doc)
        if reason:
            raise _PageFailure(reason, forced or ReportKind.article)
    listing = cache(partial(read_listing, doc))  # read only when the kind depends on it
    detection = detect(doc, tables, listing, vocabulary)
    if forced is not None and forced is not detection.kind:
        detection = _forced(forced, tables, vocabulary)
    report = Report(
        source=source,
        url=url,
        kind=detection.kind,
        title=doc.title,
        published=doc.published,
        published_time=doc.published_time,
        content_source=doc.content_source,
        content_hash=digest,
        fetched_at=fetched_at,
        county=doc.places.county,
        town=doc.places.town,
        village=doc.places.village,
    )
    result = ParseResult(report=report, quarantined=part_errors)
    if detection.kind is ReportKind.listing:
        view = listing()
        result.links, result.next_page = view.links, view.next_page
    elif detection.kind is ReportKind.checkin_table:
        _checkins(result, doc, tables, detection)
    elif detection.kind is ReportKind.roster:
        _roster(result, doc, tables, detection)
    elif detection.kind is ReportKind.problem_list:
        _problems(result, doc, tables, detection)
    else:
        _article(result, doc)
    if detection.table is not None:
        _places_from_tables(result, tables)
    return _finish(result)


def _limits() -> ParsingSettings:
    return get_settings().parsing  # read per page: tests and flows set it in the environment


@contextmanager
def _collector_paused(big: bool) -> Iterator[None]:
    # A big table makes millions of objects, none in a cycle, and the cycle collector walks the
    # live ones again and again: 40 % of reading a 50,000-row grid. Paused for big pages only.
    if not big or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_size(content: bytes, limits: ParsingSettings, forced: ReportKind | None) -> None:
    # Refused before decoding: the tree of a page costs about 25 times its bytes.
    megabytes = len(content) / 1_000_000
    if megabytes > limits.max_page_mb:
        raise _PageFailure(
            f"page of {megabytes:,.1f} MB is over parsing.max_page_mb ({limits.max_page_mb:g}): "
            "raise it (LIANXIN_PARSING__MAX_PAGE_MB, or max_page_mb under [parsing] in the "
            "config file) to read it",
            forced or ReportKind.article,
        )


def _document(
    content: bytes, url: str, http_charset: str | None, forced: ReportKind | None
) -> Document:
    try:
        decoded = decode_page(content, http_charset)
    except UndecodableError as exc:
        raise _PageFailure(str(exc), forced or ReportKind.article) from exc
    return load_document(decoded.text, url)


def _places_from_tables(result: ParseResult, tables: list[Table]) -> None:
    # A county or town named only in a table's title (龙潭乡枫林村…台账) is the page's too.
    report = result.report
    for table in tables:
        for text in (*table.titles, *table.context):
            found = report_places(text)
            report.county = report.county or found.county
            report.town = report.town or found.town


def _forced(kind: ReportKind, tables: list[Table], vocabulary: Vocabulary) -> Detection:
    for table in tables:
        found, _ = table_kind(table, vocabulary)
        if found is kind:
            return Detection(kind, table, "kind given by the source")
    if kind in (ReportKind.checkin_table, ReportKind.roster):
        raise _PageFailure(
            f"no {kind.value} table found on the page (headers not recognised)", kind
        )
    return Detection(kind, None, "kind given by the source")


def _tables_of(kind: ReportKind, tables: list[Table], detection: Detection) -> list[Table]:
    # Several villages may share a page: every table of the same kind is read.
    vocabulary = load_vocabulary()
    found = [t for t in tables if table_kind(t, vocabulary)[0] is kind]
    return found or ([detection.table] if detection.table else [])


def _checkins(result: ParseResult, doc: Document, tables: list[Table], d: Detection) -> None:
    for table in _tables_of(ReportKind.checkin_table, tables, d):
        checkins, quarantined = checkins_from_table(table, doc, result.report.url)
        result.checkins.extend(checkins)
        result.quarantined.extend(quarantined)
    villages = {c.village for c in result.checkins}
    if len(villages) == 1 and not result.report.village:
        result.report.village = villages.pop()


def _roster(result: ParseResult, doc: Document, tables: list[Table], d: Detection) -> None:
    for table in _tables_of(ReportKind.roster, tables, d):
        workers, cadres, quarantined = roster_from_table(table, doc, result.report.url)
        result.workers.extend(workers)
        result.cadres.extend(cadres)
        result.quarantined.extend(quarantined)
    result.regions = regions_of(doc, result.workers)


def _problems(result: ParseResult, doc: Document, tables: list[Table], d: Detection) -> None:
    url = result.report.url
    problem_tables = _tables_of(ReportKind.problem_list, tables, d)
    if problem_tables:
        wide = notice_wide_deadline(problem_lines(doc.main, doc), doc.year)
        for table in problem_tables:
            problems, quarantined = problems_from_table(table, doc, url, wide)
            result.problems.extend(problems)
            result.quarantined.extend(quarantined)
    else:
        problems, quarantined, _ = problems_from_text(doc, url)
        result.problems.extend(problems)
        result.quarantined.extend(quarantined)
    result.report.body = "\n".join(problem_lines(doc.main, doc))
    result.facts = facts_in(result.report.body)


def _article(result: ParseResult, doc: Document) -> None:
    byline = read_byline(doc)
    result.report.authors = byline.authors
    result.report.editor = byline.editor
    result.report.content_source = result.report.content_source or byline.source
    result.report.body = "\n".join(body_paragraphs(doc))
    if not result.report.title and not result.report.body:
        raise _PageFailure("no title and no text: nothing on the page reads as a report")
    result.facts = facts_in(result.report.body)


def _finish(result: ParseResult) -> ParseResult:
    # Totals and note rows are kept visible in quarantine but are not errors of the page.
    data_errors = [q for q in result.quarantined if q.severity == Severity.error]
    if data_errors:
        result.report.parse_status = ParseStatus.partial
        result.report.errors = [f"row {q.row}: {q.reason}" for q in data_errors]
    return result


def _kind_or_article(kind: str) -> ReportKind:
    return ReportKind(kind) if kind in _KINDS else ReportKind.article


def _failed(
    url: str, source: str, fetched_at: datetime, digest: str, kind: ReportKind, reason: str
) -> ParseResult:
    report = Report(
        source=source,
        url=url,
        kind=kind,
        content_hash=digest,
        fetched_at=fetched_at,
        parse_status=ParseStatus.failed,
        errors=[reason],
    )
    return ParseResult(report=report, quarantined=[Quarantined(url=url, reason=reason)])
