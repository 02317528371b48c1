"""The [[sources]] Lianxin reads, and the [parsing] limits on how big a page it reads."""

from __future__ import annotations

import codecs

from pydantic import Field, field_validator

from config.checks import Section, is_http_url, refuse
from lianxin.records import ReportKind

SOURCE_KINDS = ("auto", *(kind.value for kind in ReportKind))


class SourceSettings(Section):
    """A published place Lianxin reads: a listing page (with pagination) or a single report."""

    name: str = Field(
        description="A name of its own: records, quarantine and the drift check go by it."
    )
    url: str = Field(
        description="The http(s) page to read: a listing page (栏目列表页), whose reports and "
        "下一页 pages are followed, or a single report."
    )
    kind: str = Field(
        default="auto",
        description="What the page is: auto (detect it), listing, roster (就业服务一览表), "
        "checkin_table, problem_list or article.",
    )
    max_pages: int = Field(
        default=20, ge=1, le=10_000, description="Listing pages followed at most."
    )
    encoding: str | None = Field(
        default=None,
        description="A codec to force (e.g. gb18030) when a site lies about its charset.",
    )

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            refuse(
                "is empty: give every source a name of its own, records and the watchdog go by it"
            )
        return value

    @field_validator("url")
    @classmethod
    def _fetched_over_http(cls, value: str) -> str:
        if not is_http_url(value):
            refuse(
                "is not an http(s) URL, and sources are fetched over HTTP: write the page's "
                "https:// address; try a saved page first with `lianxin parse FILE`"
            )
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SOURCE_KINDS:
            refuse(f"{value!r} is not a kind Lianxin reads: use one of {', '.join(SOURCE_KINDS)}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str | None) -> str | None:
        if value:
            try:
                codecs.lookup(value)
            except LookupError:
                refuse(
                    f"{value!r} is not a codec Python knows: write a codec such as "
                    '"gb18030" or "utf-8", or remove it'
                )
        return value


class ParsingSettings(Section):
    """How big a page the parser reads; a bigger one is refused with its size and this setting."""

    max_page_mb: float = Field(
        default=64.0,
        gt=0,
        description="A page (or part of a report) larger than this many megabytes is refused "
        "before it is read. A 220,000-row check-in table is about 20 MB.",
    )
    max_table_rows: int = Field(
        default=300_000,
        ge=1,
        description="A table with more rows than this is refused before its rows are read: "
        "time and memory grow with the rows (about 0.1 ms and 4 KB a row).",
    )
