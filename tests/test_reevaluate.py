"""One day rule for re-evaluating after a person's change, however the change came in: a call
typed at `lianxin checkin record` and the same call in an imported table leave the same
obligations, evaluated as of the same day.

Today is noon on 12 November 2026 in Shanghai; the rules last ran as of 5 November (a replayed
day). 刘洋 of 青山村 is called on 10 November.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from test_hostile_time import obligation_states
from typer.testing import CliRunner

from config.settings import RulesSettings, Settings
from lianxin.cli.app import app
from lianxin.rules.evaluate import evaluate
from lianxin.services.reevaluate import day_after_change, evaluate_after_import
from lianxin.services.transfer import apply_import, preview_import
from lianxin.store import reads
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import FETCHED, SHANGHAI, checkins, roster

TODAY = date(2026, 11, 12)
REPLAYED = date(2026, 11, 5)
CALLED = date(2026, 11, 10)
NOON = datetime(2026, 11, 12, 12, 0, tzinfo=SHANGHAI)
RULES = RulesSettings()


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


def test_the_day_is_the_last_run_moved_on_to_the_change_never_past_today() -> None:
    assert day_after_change(REPLAYED, CALLED, TODAY) == CALLED
    assert day_after_change(REPLAYED, date(2026, 11, 1), TODAY) == REPLAYED
    assert day_after_change(REPLAYED, None, TODAY) == REPLAYED
    assert day_after_change(None, CALLED, TODAY) == TODAY  # before any run: today
    assert day_after_change(None, None, TODAY) == TODAY
    assert day_after_change(date(2030, 1, 1), CALLED, TODAY) == TODAY
    assert day_after_change(REPLAYED, CALLED, TODAY, as_of=date(2026, 11, 6)) == date(2026, 11, 6)
    assert day_after_change(REPLAYED, CALLED, TODAY, as_of=date(2030, 1, 1)) == TODAY


def seeded(url: str) -> Engine:
    """A store with the personas' roster and 张伟's 3 November call, evaluated as of the 5th."""
    engine = engine_for(url)
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], FETCHED)
    evaluate(engine, REPLAYED, RULES, FETCHED)
    return engine


def test_a_call_typed_and_the_same_call_imported_leave_the_same_obligation_states(
    settings: Settings, tmp_path: Path, clock: None
) -> None:
    typed = seeded(settings.database_url)
    imported = seeded(f"sqlite:///{tmp_path}/imported.db")
    before = obligation_states(typed)
    assert before == obligation_states(imported)

    done = CliRunner().invoke(app, ["checkin", "record", "刘洋", "--date", CALLED.isoformat()])
    assert done.exit_code == 0, done.output

    table = "序号,姓名,联系电话,回访时间,是否接通\r\n1,刘洋,138****2222,2026-11-10,是\r\n"
    now = datetime.now(SHANGHAI)
    args = (table.encode("utf-8-sig"), "青山村11月回访.csv", "checkin_table", "upload", now)
    preview = preview_import(imported, *args)
    assert preview.matched == 1 and preview.added == 1
    result = apply_import(imported, *args, preview.token)
    assert result.last_call == CALLED
    stats = evaluate_after_import(imported, result, RULES, now)
    assert stats is not None and stats.as_of == CALLED

    assert reads.last_evaluated_day(typed) == reads.last_evaluated_day(imported) == CALLED
    after = obligation_states(typed)
    assert after != before  # the call closed 刘洋's November check-in
    assert after == obligation_states(imported)
