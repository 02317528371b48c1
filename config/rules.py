"""The [rules] of follow-up: who owes what by when, and when lateness escalates."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, field_validator, model_validator

from config.checks import Section, refuse
from lianxin.records import WorkStatus


def _work_status(status: str) -> str:
    statuses = sorted(status.value for status in WorkStatus)
    if status not in statuses:
        refuse(f"{status!r} is not a work status: use {', '.join(statuses)}")
    return status


class RulesSettings(Section):
    """The follow-up rules: who owes what by when, and when lateness escalates."""

    timezone: str = Field(
        default="Asia/Shanghai",
        description="The IANA time zone calendar days, quiet hours, the watchdog's daily_by and "
        "the schedules are reckoned in.",
    )
    checkin_first_day: int = Field(
        default=1,
        ge=1,
        le=28,
        description="每月上旬: the day of the month the check-in window opens.",
    )
    checkin_last_day: int = Field(
        default=10, ge=1, le=28, description="每月上旬: the day of the month the call is due."
    )
    move_due_past_holidays: bool = Field(
        default=True, description="A due date in an official holiday moves to the next working day."
    )
    days_left_stage: int = Field(
        default=3, ge=1, le=20, description='Days before the due date of the "days left" digest.'
    )
    checkin_statuses: list[Annotated[str, AfterValidator(_work_status)]] = Field(
        default_factory=lambda: ["employed", "looking"],
        description="Work statuses whose workers owe a monthly call (employed, looking, "
        "returned, other).",
    )
    home_visit_after_months: int = Field(
        default=2,
        ge=2,
        le=6,
        description="Unreachable (未接通) in this many consecutive months: a home visit (入户走访) "
        "is owed.",
    )
    home_visit_due_days: int = Field(
        default=14, ge=1, description="Days within which that home visit is due."
    )
    assistance_due_days: int = Field(
        default=7,
        ge=1,
        description="Job lost or zero income: employment assistance (就业帮扶) is due within "
        "these days.",
    )
    income_risk_share: float = Field(
        default=0.6,
        gt=0,
        lt=1,
        description="Income risk (防返贫监测): an income below this share of the worker's median "
        "over the previous three reported months flags the worker for the county.",
    )
    monitoring_line_yuan: int = Field(
        default=700, ge=0, description="… as does a monthly income below this line, in yuan."
    )
    problem_reminder_days: list[int] = Field(
        default_factory=lambda: [7, 3, 1],
        description="Problem deadlines (整改时限): reminders so many days before, then daily "
        "once overdue.",
    )
    return_visit_days: int = Field(
        default=30,
        ge=1,
        description="A problem marked rectified (已整改) gets a return visit (杀回马枪) within "
        "this many days.",
    )
    escalate_village_after_days: int = Field(
        default=3, ge=0, description="Days past due before the village lead hears of it."
    )
    escalate_town_after_days: int = Field(
        default=7, ge=0, description="Days past due before the town hears of it."
    )
    escalate_county_after_days: int = Field(
        default=14,
        ge=0,
        description="Days past due before the county bureau (乡村振兴局) hears of it.",
    )
    sqlite_cache_mb: int = Field(
        default=1024,
        ge=2,
        description="SQLite only: the page cache of the evaluation's connection, in MB, while "
        "it runs (other connections keep 256). A full evaluation of a province writes millions "
        "of obligations into seven indexes; with the cache below their size it reads the same "
        "pages again and again. Memory is taken as pages are read, and given back after.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            refuse(f'{value!r} is not a time zone: write an IANA name such as "Asia/Shanghai"')
        return value

    @field_validator("problem_reminder_days")
    @classmethod
    def _distinct_days(cls, value: list[int]) -> list[int]:
        if any(day < 1 for day in value) or len(set(value)) != len(value):
            refuse(
                f"{value} must be distinct whole days before the deadline, 1 or more: "
                "write e.g. [7, 3, 1]"
            )
        return value

    @model_validator(mode="after")
    def _ladder_in_order(self) -> RulesSettings:
        if not (
            self.escalate_village_after_days
            < self.escalate_town_after_days
            < self.escalate_county_after_days
        ):
            raise ValueError(
                "rules.escalate_*_after_days must grow from village to town to county "
                f"(got {self.escalate_village_after_days}, {self.escalate_town_after_days}, "
                f"{self.escalate_county_after_days})"
            )
        if self.checkin_first_day > self.checkin_last_day:
            raise ValueError("rules.checkin_first_day must not come after rules.checkin_last_day")
        return self
