"""The engine bench's own options: per-statement profile, a reused store, the closing summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lianxin.store.maintenance import shipped_heads

ROOT = Path(__file__).resolve().parent.parent


def _bench(*args: str) -> tuple[list[dict[str, Any]], str]:
    done = subprocess.run(
        [sys.executable, "benchmarks/engine_bench.py", "--scale", "village", "--backend", "sqlite",
         "--naive-sample", "50", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


HEAD = "-".join(shipped_heads())


def test_a_reused_store_gives_the_same_evaluation_and_the_profile_names_each_rule(
    tmp_path: Path,
) -> None:
    first, first_log = _bench("--profile", "--reuse", str(tmp_path))
    # Named by the scale, months, seed and the schema's migration head.
    [cached] = tmp_path.glob("village-m6-s7-r*.db")
    assert cached.name.removeprefix("village-m6-s7-r").removesuffix(".db") == HEAD
    assert cached.with_suffix(".json").exists()
    assert "reused" not in first_log
    second, second_log = _bench("--reuse", str(tmp_path))
    assert f"generate: reused {cached}" in second_log

    def figures(lines: list[dict[str, Any]]) -> dict[str, Any]:
        return {line["name"]: line["value"] for line in lines}

    a, b = figures(first), figures(second)
    # The reused store is the generated one: the same overdue list, the same trickle.
    assert a["village.sqlite.floor.overdue"] == b["village.sqlite.floor.overdue"] > 0
    assert a["village.sqlite.daily.checkins"] == b["village.sqlite.daily.checkins"] > 0
    assert a["village.sqlite.generate.checkins"] == b["village.sqlite.generate.checkins"]

    summary = next(line for line in second if line["name"] == "village.summary")
    assert summary["sqlite"]["full_s"] == round(b["village.sqlite.full.wall"], 2)
    assert summary["sqlite"]["incremental_s"] is not None
    assert summary["sqlite"]["full_peak_rss_mb"] > 0
    assert summary["postgresql_vs_sqlite"] == {}  # one backend: no ratio to quote

    profile = [json.loads(x) for x in first_log.splitlines() if x.startswith('{"profile"')]
    rules = {p["rule"] for p in profile if p["profile"] == "full"}
    assert {"worker_rules.monthly_checkins", "worker_rules.income_risk", "escalation.escalate"} <= (
        rules
    )
    assert {p["profile"] for p in profile} == {"full", "incremental"}
    assert all(p["s"] >= 0 and p["sql"] for p in profile)
    assert not [x for x in second_log.splitlines() if x.startswith('{"profile"')]
