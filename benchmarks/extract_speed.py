"""Time Lianxin's page reader against trafilatura on the same saved pages, in one run.

Run: .venv/bin/pip install -e '.[bench]'   (trafilatura, for the comparison only)
     .venv/bin/python benchmarks/extract_speed.py PAGES [--repeat 3] [--limit N]

PAGES is a folder of saved pages (*.html, *.htm, *.html.gz, searched recursively), for example
a labelled set such as the realworld development half. Each page is read from memory, so disk
and process start are left out; for every page both readers run alternately, best of
--repeat, on the same bytes:

- lianxin: `lianxin.parsing.parse_page(bytes, kind="auto")`, which decodes, builds the tree and
  gives the title, date, authors, body and records;
- trafilatura: `trafilatura.bare_extraction(bytes, with_metadata=True)`, its own decoding,
  body and metadata (title, date, author), the comparable job.

Figures, one JSON line each: the median and total milliseconds per page of each reader, and
`ratio_median` / `ratio_total` (lianxin ÷ trafilatura; the target is at most 0.5).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from lianxin.parsing import parse_page

FETCHED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def pages_in(folder: Path, limit: int | None) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of every saved page under `folder`, gzip ones unpacked."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.name.endswith((".html", ".htm")):
            found.append((str(path.relative_to(folder)), path.read_bytes()))
        elif path.name.endswith((".html.gz", ".htm.gz")):
            found.append((str(path.relative_to(folder)), gzip.decompress(path.read_bytes())))
    return found[:limit]


def best_ms(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def emit(name: str, value: float, unit: str, **extra: object) -> None:
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit, **extra}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, help="a folder of saved pages")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    try:
        import trafilatura
    except ImportError:
        print("trafilatura is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    pages = pages_in(args.pages, args.limit)
    if not pages:
        print(f"no saved pages under {args.pages}", file=sys.stderr)
        return 2
    ours: list[float] = []
    theirs: list[float] = []
    for number, (name, content) in enumerate(pages, 1):
        url = "file:///" + name
        ours.append(
            best_ms(
                args.repeat,
                partial(parse_page, content, url, source="bench", fetched_at=FETCHED_AT),
            )
        )
        theirs.append(
            best_ms(
                args.repeat,
                partial(trafilatura.bare_extraction, content, url=url, with_metadata=True),
            )
        )
        if number % 20 == 0:
            print(f"{number}/{len(pages)} pages", file=sys.stderr)
    pages_n = len(pages)
    emit("extract.lianxin.median_ms", statistics.median(ours), "ms", pages=pages_n)
    emit("extract.trafilatura.median_ms", statistics.median(theirs), "ms", pages=pages_n)
    emit("extract.lianxin.total_ms", sum(ours), "ms", pages=pages_n)
    emit("extract.trafilatura.total_ms", sum(theirs), "ms", pages=pages_n)
    emit("extract.ratio_median", statistics.median(ours) / statistics.median(theirs), "ratio")
    emit("extract.ratio_total", sum(ours) / sum(theirs), "ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
