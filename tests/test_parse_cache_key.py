"""The parse cache keys on the parser's code as Python imports it, not on file paths: a module
added in a new sub-folder of `lianxin.parsing`, or a changed one, parses every page again."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lianxin import parsing
from lianxin.ingest.fetching import CrawlResult, FetchedPage
from personas import FETCHED
from tasks.parse import parse_cache_key, parser_fingerprint, parser_modules

CRAWL = CrawlResult(
    source="青山村村务公开",
    pages=[
        FetchedPage(
            source="青山村村务公开",
            url="https://example.gov.cn/qsc/t20261107_1.html",
            fetched_at=FETCHED,
            status=200,
            content="<html><body>十一月电话回访</body></html>".encode(),
        )
    ],
)


def _key() -> str | None:
    parser_fingerprint.cache_clear()  # the process keeps it; a new parser means a new process
    return parse_cache_key(None, {"crawl": CRAWL})


@pytest.fixture
def extra_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A second folder of the lianxin.parsing package, as a namespace or an install could add."""
    monkeypatch.setattr(parsing, "__path__", [*parsing.__path__, str(tmp_path)])
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("lianxin.parsing.extra")]:
        del sys.modules[name]
    parser_fingerprint.cache_clear()


def test_the_key_is_the_same_while_the_parser_and_the_pages_are() -> None:
    assert _key() == _key()
    assert {"lianxin.parsing.dates", "lianxin.ingest.pipeline", "lianxin.records"} <= {
        module.__name__ for module in parser_modules()
    }


def test_a_parser_module_added_in_a_new_sub_folder_or_changed_gives_a_new_key(
    extra_folder: Path,
) -> None:
    before = _key()
    package = extra_folder / "extra"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    rule = package / "rule.py"
    rule.write_text("LIMIT_ROWS = 1\n", encoding="utf-8")

    added = _key()
    assert "lianxin.parsing.extra.rule" in {module.__name__ for module in parser_modules()}
    assert added != before  # the new folder is part of the parser

    rule.write_text("LIMIT_ROWS = 2\n", encoding="utf-8")  # no file moved, one line changed
    assert _key() not in (before, added)
