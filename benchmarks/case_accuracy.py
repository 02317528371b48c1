"""Measure the date and number readers on the public case tables in tests/fixtures/cases/.

Run: .venv/bin/python benchmarks/case_accuracy.py [--show-wrong]

One JSON line a suite on stdout: {"name": "cases.<suite>.accuracy", "value": …, "n": …} (for
the cn2an `error_*` suites the value is the refusal rate, named `cases.<suite>.refusal`), then
`cases.<suite>.wrong` (silent wrong values: the count that must stay 0 outside disputed cases).
Which cases count, and how each is compared: lianxin.parsing.casebook. With cn2an installed
(`pip install cn2an==0.5.24`, the bench extra) its own reader is scored on its tables too, as
`cases.cn2an_lib.<table>.*`, for comparison.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

from lianxin.parsing.casebook import all_suites, load

CASES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "cases"


def cn2an_library() -> list[dict[str, object]]:
    """Return cn2an 0.5.24's own figures on its tables, or nothing when it is not installed."""
    try:
        import cn2an  # type: ignore[import-not-found]
    except ImportError:
        return []
    figures: dict[str, list[int]] = {}
    for case in load(CASES / "cn2an_cases.jsonl"):
        table = case["table"]
        if case["file"] != "cn2an_test.py":
            continue
        mode = next((m for m in ("strict", "smart") if m in table), "normal")
        try:
            value = cn2an.cn2an(case["input"], mode)
            right = not table.startswith("error") and Decimal(str(value)) == Decimal(
                str(case["expected"])
            )
        except Exception:  # noqa: BLE001 - cn2an raises several kinds for refused input
            right = table.startswith("error")
        figures.setdefault(table, [0, 0])[0] += int(right)
        figures[table][1] += 1
    return [
        {"name": f"cases.cn2an_lib.{table}.accuracy", "value": round(r / n, 4), "n": n}
        for table, (r, n) in figures.items()
    ]


def main() -> None:
    show = "--show-wrong" in sys.argv
    for tally in all_suites(CASES):
        measure = "refusal" if tally.expects_error else "accuracy"
        print(
            json.dumps(
                {
                    "name": f"cases.{tally.name}.{measure}",
                    "value": round(tally.accuracy, 4),
                    "n": tally.n,
                }
            )
        )
        if not tally.expects_error:
            print(
                json.dumps(
                    {"name": f"cases.{tally.name}.refused", "value": tally.refused, "n": tally.n}
                )
            )
        print(
            json.dumps(
                {"name": f"cases.{tally.name}.wrong", "value": len(tally.wrong), "n": tally.n}
            )
        )
        if show:
            for line in tally.wrong:
                print("  wrong:", line, file=sys.stderr)
    for figure in cn2an_library():
        print(json.dumps(figure, ensure_ascii=False))


if __name__ == "__main__":
    main()
