from datetime import date

import pytest

from lianxin.rules.checkin import Stage, checkin_window, period_of, stage_on


def test_it_opens_the_window_on_the_first_and_makes_it_due_on_the_tenth() -> None:
    window = checkin_window("2026-11")
    assert (window.start, window.due) == (date(2026, 11, 1), date(2026, 11, 10))


def test_it_moves_the_due_date_past_the_spring_festival_holiday() -> None:
    # 2024-02-10 was the first day of the Spring Festival holiday; 2024-02-18 a make-up workday.
    assert checkin_window("2024-02").due == date(2024, 2, 18)


def test_it_does_not_move_the_due_date_for_a_plain_weekend() -> None:
    # 2026-01-10 is a Saturday but no holiday: cadres phone from anywhere.
    assert checkin_window("2026-01").due == date(2026, 1, 10)


def test_it_keeps_the_due_date_when_holidays_moving_is_switched_off() -> None:
    assert checkin_window("2024-02", move_past_holidays=False).due == date(2024, 2, 10)


def test_it_handles_february_and_the_turn_of_the_year() -> None:
    assert checkin_window("2026-02").due == date(2026, 2, 10)
    assert period_of(date(2026, 12, 31)) == "2026-12"
    assert period_of(date(2027, 1, 1)) == "2027-01"


@pytest.mark.parametrize(
    ("today", "stage"),
    [
        (date(2026, 10, 31), None),  # the month before: nothing yet
        (date(2026, 11, 1), Stage.window_open),  # window opens
        (date(2026, 11, 6), Stage.window_open),  # 4 days left
        (date(2026, 11, 7), Stage.days_left),  # 3 days left
        (date(2026, 11, 9), Stage.days_left),  # 1 day left
        (date(2026, 11, 10), Stage.last_day),  # the due date itself
        (date(2026, 11, 11), Stage.overdue),  # the day after
        (date(2026, 11, 30), Stage.overdue),  # month end
    ],
)
def test_it_puts_each_day_of_the_month_on_the_right_rung(today: date, stage: Stage | None) -> None:
    assert stage_on(today, checkin_window("2026-11")) == stage


def test_it_counts_days_left_against_a_moved_due_date() -> None:
    window = checkin_window("2024-02")  # due 2024-02-18
    assert stage_on(date(2024, 2, 10), window) == Stage.window_open
    assert stage_on(date(2024, 2, 15), window) == Stage.days_left
    assert stage_on(date(2024, 2, 18), window) == Stage.last_day
    assert stage_on(date(2024, 2, 19), window) == Stage.overdue
