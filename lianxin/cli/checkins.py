"""`lianxin checkin record` and `lianxin waive`: a call or a waiver recorded by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from config.settings import get_settings
from lianxin.cli.errors import exit_with_error, income_in_range
from lianxin.cli.shared import as_day, console
from lianxin.errors import LianxinError
from lianxin.records import WorkStatus

checkin_app = typer.Typer(
    help="Record monthly phone calls (每月上旬电话回访) by hand. "
    "Example: lianxin checkin record 张伟 --date 2026-11-12 --reached"
)


@checkin_app.command("record")
def checkin_record(
    worker: Annotated[str, typer.Argument(help="The worker's name or key (see explain).")],
    on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Day of the call.")],
    reached: Annotated[
        bool, typer.Option("--reached/--unreached", help="Did the call get through?")
    ] = True,
    income: Annotated[
        int | None, typer.Option(callback=income_in_range, help="Last month's income in yuan.")
    ] = None,
    work_status: Annotated[
        WorkStatus | None,
        typer.Option("--status", help="employed, looking, returned or other."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="What was said: policy explained, …")] = None,
    demands: Annotated[str | None, typer.Option(help="The worker's demands (诉求).")] = None,
    by: Annotated[str, typer.Option(help="Who made the call.")] = "cli",
) -> None:
    """Record a call; the worker's reminders stop and escalations are withdrawn at once.

    Example: lianxin checkin record 张伟 --date 2026-11-12 --reached --income 4200
    """
    from lianxin.clock import utc_now
    from lianxin.services.calls import record_call
    from lianxin.store.engine import engine_for

    settings = get_settings()
    try:
        status_value = WorkStatus(work_status) if work_status else None
        done = record_call(
            engine_for(settings.database_url),
            worker,
            on.date(),
            reached,
            settings.rules,
            utc_now(),
            income_yuan=income,
            status=status_value,
            note=note,
            by=by,
            demands=demands,
        )
    except (LianxinError, ValidationError) as exc:
        exit_with_error(exc)
    moved = ", ".join(f"{n} {label}" for label, n in sorted(done.stats.transitions.items()))
    console.print(f"Recorded the {done.period} call of {done.worker_key}. {moved or ''}".strip())


def waive(
    subject: Annotated[str, typer.Argument(help="A worker's or problem's key (see explain).")],
    category: Annotated[
        str,
        typer.Option(help="returned_for_good, moved_out, deceased or other."),
    ],
    reason: Annotated[str, typer.Option(help="Why, in a sentence.")],
    by: Annotated[str, typer.Option(help="Who decides (name and role).")],
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day of the decision.")
    ] = None,
    kind: Annotated[str, typer.Option(help="Only this obligation kind; * for all.")] = "*",
) -> None:
    """Waive a subject's follow-up with a reason and who gave it; the next evaluation applies it.

    Example: lianxin waive '青山村|张伟|1111' --category returned_for_good \
        --reason '回乡创业' --by '王芳（村支书）'
    """
    from lianxin.clock import today_local, utc_now
    from lianxin.rules.waivers import add_waiver
    from lianxin.store.engine import engine_for

    with engine_for(get_settings().database_url).begin() as conn:
        try:
            add_waiver(
                conn,
                subject,
                category,
                reason,
                by,
                as_day(on) or today_local(),
                utc_now(),
                kind=kind,
            )
        except LianxinError as exc:
            exit_with_error(exc)
    console.print(f"Waived {subject} ({category}); run `lianxin run followups` to apply it.")
