from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from lianxin.archive import Archive
from lianxin.ingest.fetching import FetchedPage
from lianxin.ingest.pipeline import parse_fetched, reparser
from lianxin.ingest.reparse import reparse
from lianxin.portal import build_site
from lianxin.records import ParseResult
from lianxin.store import schema as t
from lianxin.store.writes import save_results

FETCHED = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)


def _ingest(engine: Engine, archive: Archive) -> None:
    site = build_site()
    rosters = sorted(p for p in site if p.startswith("/jyfw/2026"))
    tables = sorted(p for p in site if p.startswith("/cwgk/202611/"))
    wanted = rosters[:1] + tables[:2]
    results = []
    for path in wanted:
        content, content_type = site[path]
        archive.put(content)
        charset = content_type.split("charset=")[-1] if "charset=" in content_type else None
        page = FetchedPage(
            source="test",
            url=f"http://portal.test{path}",
            fetched_at=FETCHED,
            charset=charset,
            content=content,
        )
        results.append(parse_fetched(page))
    save_results(engine, results, FETCHED)


def _new_parser(archive: Archive, row: Any) -> ParseResult:
    """A 'changed parser': forgets each roster's first worker, reads incomes 100 yuan higher."""
    result = reparser(archive, row)
    result.workers = result.workers[1:]
    result.checkins = [
        c.model_copy(update={"income_yuan": (c.income_yuan or 0) + 100}) for c in result.checkins
    ]
    return result


def test_reparsing_with_the_same_parser_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    _ingest(engine, archive)
    report = reparse(engine, archive, reparser, NOW)
    assert report.pages == 3 and report.changes == [] and report.missing == []


def test_reparsing_after_a_parser_change_lists_and_stores_what_changed(
    engine: Engine, tmp_path: Path
) -> None:
    archive = Archive(tmp_path / "archive")
    _ingest(engine, archive)
    with engine.connect() as conn:
        workers_before = conn.execute(select(t.workers.c.key)).scalars().all()
    report = reparse(engine, archive, _new_parser, NOW)
    counts = report.counts()
    assert counts["worker"] == {"removed": 1}
    assert counts["checkin"]["altered"] > 0
    assert all(c.fields == ("income_yuan",) for c in report.changes if c.kind == "checkin")
    with engine.connect() as conn:
        assert len(conn.execute(select(t.workers.c.key)).scalars().all()) == len(workers_before) - 1
    assert reparse(engine, archive, _new_parser, NOW).changes == []


def test_a_dry_run_reparse_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    _ingest(engine, archive)
    dry = reparse(engine, archive, _new_parser, NOW, apply=False)
    assert dry.changes
    assert reparse(engine, archive, _new_parser, NOW, apply=False).changes == dry.changes


def test_reparse_names_reports_whose_bytes_are_not_archived(engine: Engine, tmp_path: Path) -> None:
    _ingest(engine, Archive(tmp_path / "archive"))
    report = reparse(engine, Archive(tmp_path / "elsewhere"), reparser, NOW)
    assert len(report.missing) == 3 and report.changes == []


def test_reparse_since_a_later_day_touches_no_earlier_report(
    engine: Engine, tmp_path: Path
) -> None:
    archive = Archive(tmp_path / "archive")
    _ingest(engine, archive)
    assert reparse(engine, archive, _new_parser, NOW, since=date(2026, 11, 10)).pages == 0
    assert reparse(engine, archive, _new_parser, NOW, since=date(2026, 11, 8)).pages == 3
