"""Check the parser against a corpus of saved pages, each with the records a person expects.

A corpus is a folder of pages (`name.html`) and expectations (`name.expected.json`). An
expectation names only what it cares about: the page's kind, some report fields, the records in
order (each compared on the keys it lists), quarantined rows (reason compared as a substring),
facts that must be among those found, and for articles where the body starts and ends. A page
published over several parts lists them under "series" (URL → file); the parts after the first
are found with `content_pages` and read with `parse_series`, as the crawler does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lianxin.parsing.gazetteer import configured_tree
from lianxin.parsing.page import parse_page
from lianxin.parsing.series import content_pages, parse_series
from lianxin.records import ParseResult, Region

FETCHED_AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
BASE_URL = "http://corpus.example/"
RECORD_LISTS = ("workers", "cadres", "checkins", "problems")


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    expected: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.expected.get("url") or f"{BASE_URL}{self.name}.html")

    @property
    def kind(self) -> str:
        return str(self.expected["kind"])


@dataclass
class Comparison:
    case: Case
    kind_found: str
    differences: list[str] = field(default_factory=list)
    records_expected: int = 0
    records_matched: int = 0
    fields_expected: int = 0
    fields_matched: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences


def load_cases(folder: Path) -> list[Case]:
    """Return every case of the corpus in `folder`, sorted by name."""
    cases = []
    for path in sorted(folder.glob("*.expected.json")):
        name = path.name.removesuffix(".expected.json")
        cases.append(Case(name, folder, json.loads(path.read_text(encoding="utf-8"))))
    return cases


def run_case(case: Case) -> ParseResult:
    """Parse the case's page (or its series of pages) as the pipeline would.

    A corpus of a fictional county says its region tree in `regions.json` (level, name,
    parent), as a deployment configures its own: places are read only when they are real.
    """
    tree = case.folder / "regions.json"
    regions = json.loads(tree.read_text(encoding="utf-8")) if tree.exists() else []
    with configured_tree(Region.model_validate(r) for r in regions):
        return _run_case(case)


def _run_case(case: Case) -> ParseResult:
    charset = case.expected.get("http_charset")
    first = (case.folder / f"{case.name}.html").read_bytes()
    series: dict[str, str] | None = case.expected.get("series")
    if not series:
        return parse_page(
            first, case.url, source="corpus", fetched_at=FETCHED_AT, http_charset=charset
        )
    pages: list[tuple[bytes, str, str | None]] = [(first, case.url, charset)]
    queue = content_pages(first, case.url, charset)
    seen = {case.url}
    # Like the crawler: a part may only link the next one (下一页), so each part is asked too.
    while queue:
        url = queue.pop(0)
        file = series.get(url)
        if url in seen or file is None:
            continue  # a continuation the corpus does not hold: the comparison will show it
        seen.add(url)
        content = (case.folder / file).read_bytes()
        pages.append((content, url, charset))
        queue.extend(u for u in content_pages(content, url, charset) if u not in seen)
    return parse_series(pages, source="corpus", fetched_at=FETCHED_AT)


def compare(case: Case, result: ParseResult) -> Comparison:
    """Return how `result` differs from what the case expects, and how many records match."""
    expected = case.expected
    out = Comparison(case, result.report.kind.value)
    if out.kind_found != case.kind:
        out.differences.append(f"kind: expected {case.kind}, found {out.kind_found}")
    _compare_report(expected, result, out)
    for name in RECORD_LISTS:
        if name in expected:
            found = [r.model_dump(mode="json") for r in getattr(result, name)]
            _compare_ordered(name, expected[name], found, out)
    if "quarantined" in expected:
        _compare_quarantine(expected["quarantined"], result, out)
    if "facts" in expected:
        _compare_facts(expected["facts"], result, out)
    if "links" in expected:
        _compare_ordered("links", expected["links"], result.links, out)
    if "next_page" in expected:
        _field(out, "next_page", expected["next_page"], result.next_page)
    return out


def _compare_report(expected: dict[str, Any], result: ParseResult, out: Comparison) -> None:
    report = result.report.model_dump(mode="json")
    for key, value in expected.get("report", {}).items():
        _field(out, f"report.{key}", value, report.get(key))
    body = result.report.body
    if "body_starts" in expected:
        ok = body.startswith(expected["body_starts"])
        _field(out, "body start", expected["body_starts"], body[:60], ok)
    if "body_ends" in expected:
        ok = body.endswith(expected["body_ends"])
        _field(out, "body end", expected["body_ends"], body[-60:], ok)
    for word in expected.get("body_excludes", []):
        _field(out, f"body without {word!r}", "absent", "present" if word in body else "absent")


def _field(out: Comparison, label: str, want: Any, got: Any, ok: bool | None = None) -> None:
    out.fields_expected += 1
    if ok if ok is not None else want == got:
        out.fields_matched += 1
    else:
        out.differences.append(f"{label}: expected {want!r}, found {got!r}")


def _compare_ordered(name: str, want: list[Any], got: list[Any], out: Comparison) -> None:
    out.records_expected += len(want)
    if len(want) != len(got):
        out.differences.append(f"{name}: expected {len(want)}, found {len(got)}")
    for index, (wanted, found) in enumerate(zip(want, got, strict=False)):
        problems = _mismatches(wanted, found)
        if problems:
            out.differences.append(f"{name}[{index}]: " + "; ".join(problems))
        else:
            out.records_matched += 1


def _mismatches(wanted: Any, found: Any) -> list[str]:
    if not isinstance(wanted, dict):
        return [] if wanted == found else [f"expected {wanted!r}, found {found!r}"]
    return [
        f"{key}: expected {value!r}, found {found.get(key)!r}"
        for key, value in wanted.items()
        if found.get(key) != value
    ]


def _compare_quarantine(want: list[dict[str, Any]], result: ParseResult, out: Comparison) -> None:
    got = [q.model_dump(mode="json") for q in result.quarantined]
    out.records_expected += len(want)
    if len(want) != len(got):
        shown = [(q["row"], q["severity"], q["reason"][:60]) for q in got]
        out.differences.append(f"quarantined: expected {len(want)}, found {len(got)}: {shown}")
    for index, (wanted, found) in enumerate(zip(want, got, strict=False)):
        same = (
            wanted.get("row") == found["row"]
            and wanted.get("severity", "error") == found["severity"]
            and wanted["reason"].lower() in found["reason"].lower()
        )
        if same:
            out.records_matched += 1
        else:
            out.differences.append(
                f"quarantined[{index}]: expected {wanted!r}, found "
                f"{(found['row'], found['severity'], found['reason'])!r}"
            )


def _compare_facts(want: list[dict[str, Any]], result: ParseResult, out: Comparison) -> None:
    got = [f.model_dump(mode="json") for f in result.facts]
    out.records_expected += len(want)
    for wanted in want:
        if any(not _mismatches(wanted, found) for found in got):
            out.records_matched += 1
        else:
            out.differences.append(f"fact missing: {wanted!r}")
