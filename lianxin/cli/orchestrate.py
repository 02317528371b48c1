"""Run flows now, on this machine, against a properly managed local Prefect server."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from config.settings import get_settings
from lianxin.cli.prefect_server import local_prefect_server, shared_server
from lianxin.errors import LianxinError
from lianxin.rules.replay import days_between


def run_flow(
    name: str,
    as_of: date | None,
    dry_run: bool = False,
    sources: list[str] | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Run flow `name` (ingest, followups, remind, daily, watchdog) once and return its result.

    The watchdog checks the present moment and alerts (`lianxin watchdog --now … --dry-run`
    checks another moment without sending).
    """
    from flows.daily import daily
    from flows.followups import followups
    from flows.ingest import ingest
    from flows.remind import remind
    from flows.watchdog import watchdog

    home = get_settings().data_dir / "prefect"
    with local_prefect_server(home):
        if name == "ingest":
            return ingest(as_of=as_of, sources=sources, dry_run=dry_run)
        if name == "followups":
            return followups(as_of=as_of, dry_run=dry_run, mode="full" if full else "incremental")
        if name == "remind":
            return remind(as_of=as_of, dry_run=dry_run)
        if name == "watchdog":
            return watchdog()
        return daily(as_of=as_of, sources=sources, dry_run=dry_run)


def fetch_verdict(name: str, result: dict[str, Any]) -> tuple[list[str], int]:
    """Return one line per source whose fetch failed in flow `name`'s result, and the exit
    code: 1 when there were sources and every one failed (the run fetched nothing), else 0.

    Only ingest and daily fetch; any other flow gets no lines and 0.
    """
    ingest = result if name == "ingest" else result.get("ingest") if name == "daily" else None
    if not isinstance(ingest, dict):
        return [], 0
    failed = [str(f) for f in ingest.get("failed_sources") or []]
    lines = [f"source failed: {f}" for f in failed]
    total = int(ingest.get("sources") or 0)
    if total and len(failed) == total:
        lines.append(f"error: all {total} sources failed to fetch; nothing was fetched")
        return lines, 1
    if failed:
        lines.append(f"{len(failed)} of {total} sources failed to fetch; the others were stored")
    return lines, 0


@dataclass
class DayReplay:
    """One replayed day: what each flow returned, or the error that stopped the backfill."""

    day: date
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: BaseException | None = None
    failed_step: str | None = None
    written: dict[str, int] | None = None  # the replay's net history rows, on its last day

    def line(self) -> str:
        """Return what changed that day, in one line."""
        if self.error is not None:
            return f"{self.day} FAILED in {self.failed_step}: {self.error}"
        parts = [str(self.day)]
        if "ingest" in self.results:
            stored = self.results["ingest"].get("stored") or {}
            parts.append(
                f"ingest {stored.get('pages', 0)} new or changed pages "
                f"({stored.get('unchanged_pages', 0)} unchanged)"
            )
        followups = self.results.get("followups", {})
        moved = followups.get("transitions") or {}
        parts.append(
            f"followups ({followups.get('mode', '?')}) {followups.get('created', 0)} new, "
            + (", ".join(f"{n} {step}" for step, n in sorted(moved.items())) or "no transitions")
        )
        if self.written is not None:
            parts.append(
                "replay wrote "
                + (
                    ", ".join(f"{n} {step}" for step, n in sorted(self.written.items()))
                    or "no change"
                )
            )
        if "remind" in self.results:
            sent = self.results["remind"]
            parts.append(
                f"remind {sent.get('sent', 0)} sent, {sent.get('already_sent', 0)} already sent, "
                f"{sent.get('failed', 0)} failed"
            )
        return " · ".join(parts)


def backfill(
    first: date,
    last: date,
    with_ingest: bool = False,
    remind: bool = False,
    dry_run: bool = False,
    sources: list[str] | None = None,
) -> Iterator[DayReplay]:
    """Replay the days from `first` to `last`; yield each day, stop after a failure.

    With `with_ingest`, each day's ingest runs first, in order. Then the follow-up rules replay
    every day in full in one transaction (flows/replay.py): a replay over an existing store
    records only what really changed, once, dated with the day it took effect, never a pair
    that cancels out (done → open → done). Then, with `remind`, each day's reminders, in order,
    from where the obligations stand after the replay. Replaying a range twice changes nothing
    the second time: records are upserted, the replay writes no history when nothing changed,
    and the reminders ledger knows every message already sent.
    """
    from flows.ingest import ingest
    from flows.remind import remind as remind_flow
    from flows.replay import followups_replay

    days = [DayReplay(day) for day in days_between(first, last)]
    home = get_settings().data_dir / "prefect"
    with local_prefect_server(home):
        for replay in days if with_ingest else []:
            if not _run(
                replay, "ingest", ingest, as_of=replay.day, sources=sources, dry_run=dry_run
            ):
                yield replay
                return
        whole = DayReplay(first)
        if not _run(whole, "followups", followups_replay, first, last, dry_run=dry_run):
            yield whole
            return
        result = whole.results["followups"]
        for replay, stats in zip(days, result["days"], strict=False):
            replay.results["followups"] = stats
        days[-1].written = result["written"]
        for replay in days:
            if remind and not _run(
                replay, "remind", remind_flow, as_of=replay.day, dry_run=dry_run
            ):
                yield replay
                return
            yield replay


def _run(replay: DayReplay, step: str, flow: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Run one flow for `replay` and keep its result, or its error; return whether it passed."""
    try:
        replay.results[step] = flow(*args, **kwargs)
    except Exception as exc:  # the flow's own error, already recorded by its hook
        replay.error, replay.failed_step = exc, step
        return False
    return True


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    # Until Prefect's runner takes SIGTERM over, stop like Ctrl-C does, so that the local
    # server is stopped on the way out instead of being left behind.
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def serve(port: int | None, say: Callable[[str], None]) -> None:
    """Serve every deployment (flows/deployments.py) in this process until SIGINT or SIGTERM.

    Without PREFECT_API_URL, a lasting local server with its UI runs alongside, on `port`
    (default: a free one); other `lianxin` commands with the same data folder use it too.
    """
    from prefect import serve as prefect_serve

    from flows.automations import apply_automations
    from flows.deployments import build_deployments
    from lianxin.clock import local_zone

    settings = get_settings()
    # Built first: a schedule Prefect refuses stops us before any server starts.
    deployments = build_deployments(settings.schedules)
    home = settings.data_dir / "prefect"
    own = not os.environ.get("PREFECT_API_URL")
    if own and (running := shared_server(home)):
        raise LianxinError(f"lianxin serve already runs for {settings.data_dir} at {running}")
    with _sigterm_as_interrupt(), local_prefect_server(home, ui=True, port=port, share=own) as api:
        if own:
            say(f"Prefect UI: {api.removesuffix('/api')}  (server log: {home / 'server.log'})")
        say(f"To trigger runs from another shell:  export PREFECT_API_URL={api}")
        for d in deployments:
            crons = ", ".join(
                f"{getattr(s.schedule, 'cron', s.schedule)}" + ("" if s.active else " (off)")
                for s in d.schedules or []
            )
            say(f"  {f'{d.flow_name}/{d.name}':<22} {crons:<20} {local_zone().key}")
        for line in automation_lines(apply_automations(settings.watchdog), settings.watchdog):
            say(line)
        say(
            "e.g.  prefect deployment run 'daily/morning' -p as_of=2026-12-08\n"
            "Serving; Ctrl-C stops."
        )
        prefect_serve(
            *deployments,
            limit=settings.schedules.concurrent_runs,
            print_starting_message=False,
        )


def automation_lines(applied: list[Any], watch: Any) -> list[str]:
    """Return what became of the Prefect automations on late and failed runs, line by line."""
    if applied:
        return ["Prefect automations (late and failed runs alert the operator):"] + [
            f"  {a.line()}" for a in applied
        ]
    if not watch.prefect_automations:
        return ["Prefect automations: off (watchdog.prefect_automations = false)"]
    return [
        "Prefect automations: none, late and failed runs alert no one: set "
        "watchdog.prefect_block or watchdog.prefect_webhook"
    ]
