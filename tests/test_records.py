from datetime import date

import pytest
from pydantic import ValidationError

from lianxin.records import CheckIn, Worker, phone_tail, worker_key


def test_it_keys_a_worker_the_same_whether_the_phone_is_masked_or_not() -> None:
    full = Worker(name="张伟", phone="13800001111", village="青山村")
    masked = worker_key("青山村", "张伟", "138****1111")
    assert full.key == masked == "青山村|张伟|1111"


def test_it_takes_the_last_four_digits_of_a_phone_with_separators() -> None:
    assert phone_tail("138-0000-1234") == "1234"
    assert phone_tail("") == ""
    assert phone_tail("12") == ""


def test_it_rejects_a_period_that_is_not_year_and_month() -> None:
    with pytest.raises(ValidationError, match="YYYY-MM"):
        CheckIn(worker_name="张伟", village="青山村", period="2026-13")


def test_it_rejects_a_negative_or_absurd_income() -> None:
    for income in (-1, 1_000_000):
        with pytest.raises(ValidationError):
            CheckIn(worker_name="张伟", village="青山村", period="2026-11", income_yuan=income)


def test_it_refuses_unknown_fields_so_a_parser_typo_cannot_lose_data() -> None:
    with pytest.raises(ValidationError):
        CheckIn(worker_name="张伟", village="青山村", period="2026-11", incme=3000)  # type: ignore[call-arg]


def test_it_strips_whitespace_from_names() -> None:
    call = CheckIn(
        worker_name=" 张伟 ", village="青山村", period="2026-11", call_date=date(2026, 11, 3)
    )
    assert call.worker_name == "张伟"


def test_it_keys_a_name_padded_with_a_full_width_space_like_the_plain_name() -> None:
    assert worker_key("青山村", "张\u3000伟", "13800001111") == "青山村|张伟|1111"
    assert worker_key("青山村", "张 伟", "138****1111") == "青山村|张伟|1111"
