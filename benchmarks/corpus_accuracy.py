"""Print the parser's accuracy on the corpus (tests/corpus) as JSON lines, computed from a run.

Per kind (the kind each page is expected to be):
  corpus.<kind>.record_accuracy  expected records (rows, quarantined rows, facts, links) found
                                 with every expected field right / expected records
  corpus.<kind>.field_accuracy   expected report fields (title, dates, byline, body) right
  corpus.<kind>.kind_accuracy    pages whose kind was detected right / pages
and overall corpus.pages_passing (pages matching their expectation entirely / pages).

Run: .venv/bin/python benchmarks/corpus_accuracy.py [corpus folder]
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from lianxin.parsing.corpus import Comparison, compare, load_cases, run_case

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def main(folder: Path = DEFAULT_CORPUS) -> None:
    started = time.perf_counter()
    by_kind: dict[str, list[Comparison]] = defaultdict(list)
    for case in load_cases(folder):
        by_kind[case.kind].append(compare(case, run_case(case)))
    elapsed = time.perf_counter() - started
    every = [c for comparisons in by_kind.values() for c in comparisons]
    for kind in sorted(by_kind):
        comparisons = by_kind[kind]
        records = sum(c.records_expected for c in comparisons)
        fields = sum(c.fields_expected for c in comparisons)
        _emit(
            f"corpus.{kind}.record_accuracy",
            _ratio(sum(c.records_matched for c in comparisons), records),
        )
        _emit(
            f"corpus.{kind}.field_accuracy",
            _ratio(sum(c.fields_matched for c in comparisons), fields),
        )
        _emit(
            f"corpus.{kind}.kind_accuracy",
            _ratio(sum(c.kind_found == kind for c in comparisons), len(comparisons)),
        )
        _emit(f"corpus.{kind}.pages", len(comparisons), "pages")
    _emit("corpus.pages_passing", _ratio(sum(c.ok for c in every), len(every)))
    _emit("corpus.parse_seconds", round(elapsed, 3), "s")


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def _emit(name: str, value: float, unit: str = "ratio") -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit}, ensure_ascii=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS)
