"""`rules.timezone` is the clock Lianxin reasons on: its "today", export times and schedules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine

from config.settings import get_settings
from flows.deployments import build_deployments
from lianxin.clock import local_zone, today_local
from lianxin.services.export import export_table

# 20:30 UTC on 30 November: already 1 December in Shanghai, still 30 November in London.
BOUNDARY = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LIANXIN_RULES__TIMEZONE", "Europe/London")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # after monkeypatch undoes the variable: the default again


def test_today_is_the_shanghai_day_by_default() -> None:
    get_settings.cache_clear()
    with time_machine.travel(BOUNDARY, tick=False):
        assert local_zone().key == "Asia/Shanghai"
        assert today_local() == date(2026, 12, 1)


def test_another_zone_moves_today_at_the_boundary(zone: None) -> None:
    with time_machine.travel(BOUNDARY, tick=False):
        assert today_local() == date(2026, 11, 30)  # the check-in window has not opened yet


def test_exported_times_and_schedules_follow_the_zone(zone: None) -> None:
    rows = [{"at": BOUNDARY}]
    table = export_table(rows, [("at", "时间")], "csv")
    assert "2026-11-30 20:30" in table.decode("utf-8-sig")
    zones = {s.schedule.timezone for d in build_deployments() for s in d.schedules or []}
    assert zones == {"Europe/London"}
