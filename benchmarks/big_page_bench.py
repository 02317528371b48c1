"""Measure `lianxin parse --json` on big check-in table pages: time and peak memory per row.

Run: .venv/bin/python benchmarks/big_page_bench.py [--rows 10000,50000,220000] [--keep DIR]

For each size it writes one page, a 5-column monthly check-in table (序号, 姓名, 联系电话,
回访时间, 是否接通) of fake people under a village's title, ~98 bytes a row (220,000 rows make
a 21.7 MB page), and runs the whole command as a user would, `lianxin parse PAGE --json`, in a
child process in a scratch folder, its JSON written to a file. The child's peak RSS comes from
os.wait4 when it exits. The JSON is read back to check every row came out as a check-in.
Seconds are wall time, cpu_seconds the child's user + system time (a busy machine stretches the
first, hardly the second). Every figure is one JSON line on stdout:
{"name": "big_page.<rows>.<measure>", "value": …, "unit": …}; a command that fails or times out
prints `big_page.<rows>.failed` with its reason.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LIANXIN = Path(sys.executable).with_name("lianxin")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰德文海波"


def names(count: int, seed: int = 13) -> list[str]:
    """Return `count` fake two- or three-character names, the same for the same seed."""
    pick = random.Random(seed).choice
    return [pick(SURNAMES) + pick(GIVEN) + (pick(GIVEN) if i % 3 else "") for i in range(count)]


def checkin_page(rows: int) -> bytes:
    """Return a UTF-8 check-in page of `rows` data rows, one table, title naming the month."""
    people = names(rows)
    parts = [
        "<html><head><meta charset='utf-8'><title>石门村2026年11月外出务工人员电话回访情况表"
        "</title></head><body><div class='TRS_Editor'><p>石门村2026年11月外出务工人员电话回访"
        "情况表</p><table border='1'><tr><th>序号</th><th>姓名</th><th>联系电话</th>"
        "<th>回访时间</th><th>是否接通</th></tr>\n"
    ]
    for i, name in enumerate(people):
        parts.append(
            f"<tr><td>{i + 1}</td><td>{name}</td><td>138{i % 100000000:08d}</td>"
            f"<td>2026年11月{1 + i % 10}日</td><td>{'否' if i % 9 == 0 else '是'}</td></tr>\n"
        )
    parts.append("</table><p>填表人：王芳</p></div></body></html>\n")
    return "".join(parts).encode("utf-8")


def run_parse(page: Path, out: Path, timeout: float) -> tuple[float, float, float, int, str]:
    """Run `lianxin parse PAGE --json` > out; return (seconds, CPU seconds, peak RSS MB, exit
    code, stderr)."""
    with out.open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(LIANXIN), "parse", str(page), "--json"],
            stdout=sink,
            stderr=subprocess.PIPE,
            cwd=page.parent,
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        assert process.stderr is not None
        errors = process.stderr.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, process.returncode, errors


def emit(name: str, value: float, unit: str, **context: object) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, **context}), flush=True)


def measure(rows: int, folder: Path, timeout: float) -> None:
    page = folder / f"checkin_{rows}.html"
    page.write_bytes(checkin_page(rows))
    size_mb = page.stat().st_size / 1e6
    out = folder / f"checkin_{rows}.json"
    seconds, cpu, peak_mb, code, errors = run_parse(page, out, timeout)
    prefix = f"big_page.{rows}"
    if code != 0:
        reason = "timed out" if code < 0 else f"exit {code}: {errors.strip()[-300:]}"
        emit(f"{prefix}.failed", seconds, "s", reason=reason, page_mb=round(size_mb, 2))
        return
    checkins = len(json.loads(out.read_text(encoding="utf-8"))["checkins"])
    if errors.strip():
        print(f"[{rows}] stderr: {errors.strip()[-500:]}", file=sys.stderr)
    emit(f"{prefix}.seconds", seconds, "s", page_mb=round(size_mb, 2), checkins=checkins)
    emit(f"{prefix}.cpu_seconds", cpu, "s")  # user + system: less sensitive to a busy machine
    emit(f"{prefix}.peak_rss_mb", peak_mb, "MB")
    emit(f"{prefix}.rows_per_s", rows / seconds, "rows/s")
    emit(f"{prefix}.mb_per_10k_rows", peak_mb / rows * 10_000, "MB")
    if checkins != rows:
        emit(f"{prefix}.rows_missing", rows - checkins, "rows")


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rows", default="10000,50000,220000", help="comma-separated sizes")
    options.add_argument("--timeout", type=float, default=300.0, help="seconds per command")
    options.add_argument("--keep", type=Path, help="write the pages and JSON here, kept")
    args = options.parse_args(argv)
    sizes = [int(n) for n in args.rows.split(",") if n.strip()]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for rows in sizes:
            measure(rows, args.keep, args.timeout)
        return 0
    with tempfile.TemporaryDirectory(prefix="big_page_") as scratch:
        for rows in sizes:
            measure(rows, Path(scratch), args.timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
