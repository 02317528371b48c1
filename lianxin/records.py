"""The records every stage speaks: what a published report says, typed and validated.

Parsers produce these, the store keeps them, the rules read them. Personal data (phones,
ID numbers, incomes) lives in plain fields here; masking happens at the edges that show it
(logs, messages, artifacts, exports), see `lianxin.privacy`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReportKind(StrEnum):
    roster = "roster"  # 就业服务一览表
    checkin_table = "checkin_table"  # 电话回访情况表
    problem_list = "problem_list"  # 督查通报 / 问题清单
    article = "article"  # 新闻报道
    listing = "listing"  # 栏目列表页 (links to reports, with pagination)


class ParseStatus(StrEnum):
    ok = "ok"
    partial = "partial"  # some rows quarantined
    failed = "failed"  # the whole page quarantined


class RegionLevel(StrEnum):
    province = "province"
    county = "county"
    town = "town"
    village = "village"


class WorkStatus(StrEnum):
    employed = "employed"  # 在岗 / 务工
    looking = "looking"  # 待业 / 求职
    returned = "returned"  # 返乡
    other = "other"


class ObligationKind(StrEnum):
    monthly_checkin = "monthly_checkin"  # 每月上旬电话回访
    problem_deadline = "problem_deadline"  # 整改时限
    return_visit = "return_visit"  # 杀回马枪
    employment_assistance = "employment_assistance"
    home_visit = "home_visit"


# Every kind, for a query across kinds that should still read (kind, status, due): a condition
# on the status alone would walk every obligation.
OBLIGATION_KINDS = tuple(kind.value for kind in ObligationKind)


class ObligationStatus(StrEnum):
    open = "open"
    done = "done"
    overdue = "overdue"
    escalated = "escalated"
    waived = "waived"


class ProblemStatus(StrEnum):
    open = "open"
    rectifying = "rectifying"  # 整改中
    rectified = "rectified"  # 已整改
    verified = "verified"  # 已销号 (verified on a return visit)


def period_index(period: str) -> int:
    """Return a YYYY-MM period as a month count (year*12 + month-1), so SQL can step months."""
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def period_from_index(index: int) -> str:
    """Return the YYYY-MM period of a month count made by `period_index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def validate_period(value: str) -> str:
    if not PERIOD_PATTERN.match(value):
        raise ValueError(f"period must be YYYY-MM, got {value!r}")
    return value


class Region(Record):
    level: RegionLevel
    name: str = Field(min_length=1)
    code: str | None = Field(default=None, pattern=r"^\d{12}$")  # 统计用区划代码
    parent: str | None = None  # name of the enclosing region


class ReportPart(Record):
    """One fetched page of a report published over several pages (or an attachment)."""

    url: str
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    charset: str | None = None


class Report(Record):
    source: str
    url: str
    kind: ReportKind
    title: str = ""
    published: date | None = None
    published_time: time | None = None  # 发布时间 to the minute, when the page gives it
    authors: list[str] = Field(default_factory=list)
    editor: str | None = None
    content_source: str | None = None  # 来源
    body: str = ""
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    fetched_at: datetime
    parse_status: ParseStatus = ParseStatus.ok
    errors: list[str] = Field(default_factory=list)
    county: str | None = None
    town: str | None = None
    village: str | None = None
    charset: str | None = None  # the HTTP charset the page came with, for re-parsing
    parts: list[ReportPart] = Field(default_factory=list)  # for a report over several pages
    referrer: str | None = None  # for an attachment: the page that links it
    referrer_title: str | None = None  # … and its title, which often names village and month


class Cadre(Record):
    """包户干部: an assigned cadre."""

    name: str = Field(min_length=1, max_length=40)
    unit: str = ""  # 工作单位
    phone: str | None = None
    village: str | None = None
    town: str | None = None
    routes: list[str] = Field(default_factory=list)  # Apprise URLs or outbox://
    supervisor: str | None = None

    @property
    def key(self) -> str:
        return cadre_key(self.town, self.name)


class Worker(Record):
    """外出务工人员 from the employment service table (就业服务一览表)."""

    household: str | None = None  # 户主
    name: str = Field(min_length=1, max_length=40)
    phone: str | None = None
    id_number: str | None = None
    village: str
    town: str | None = None
    cadre: str | None = None  # assigned cadre's name
    wish: str | None = None  # 就业意愿
    skills: str | None = None
    training: str | None = None
    employer: str | None = None
    work_place: str | None = None
    start_date: date | None = None
    status: WorkStatus = WorkStatus.employed
    extra: dict[str, str] = Field(default_factory=dict)  # columns we do not map, kept

    @property
    def key(self) -> str:
        return worker_key(self.village, self.name, self.phone)


class CheckIn(Record):
    """One monthly phone call (每月上旬电话回访) as published."""

    worker_name: str = Field(min_length=1, max_length=40)
    worker_phone: str | None = None  # often masked on public pages
    village: str
    cadre: str | None = None
    period: str
    call_date: date | None = None
    reached: bool = True
    status: WorkStatus | None = None
    employer: str | None = None
    place: str | None = None
    income_yuan: int | None = Field(default=None, ge=0, le=200_000)  # 上月收入
    demands: str | None = None  # 诉求
    policy_explained: bool | None = None
    followup_needed: bool = False
    notes: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("period")
    @classmethod
    def _check_period(cls, value: str) -> str:
        return validate_period(value)


class Problem(Record):
    """One item of a supervision problem list (问题清单)."""

    number: str  # as printed: "一(二)3"
    found: date | None = None
    place: str | None = None
    description: str = Field(min_length=1)
    category: str | None = None
    responsible_unit: str | None = None
    deadline: date | None = None  # 整改时限
    status: ProblemStatus = ProblemStatus.open


class Obligation(Record):
    kind: ObligationKind
    subject: str  # worker key or problem key
    owner: str  # cadre key or unit
    period: str | None = None
    window_start: date
    due: date
    status: ObligationStatus = ObligationStatus.open


class Reminder(Record):
    idempotency_key: str
    stage: str
    recipient: str
    channel: str
    obligations: list[int] = Field(default_factory=list)
    sent_at: datetime | None = None
    outcome: str = "pending"


class Severity(StrEnum):
    """How bad a quarantined row is."""

    error = "error"  # the row or page was rejected: no record came of it
    skipped = "skipped"  # not data (totals 合计, signatures, notes, exact duplicates)
    warning = "warning"  # a record was kept, but something in it needs a person's eye


class Quarantined(Record):
    """A row or page that failed validation: kept, with the reason, never dropped."""

    url: str
    row: int | None = None  # 1-based row in the table; None for the whole page
    reason: str
    severity: Severity = Severity.error
    raw: dict[str, Any] = Field(default_factory=dict)


class FindingKind(StrEnum):
    """What reconciling a month's check-in tables against the roster can find."""

    missing_checkin = "missing_checkin"  # roster worker with no check-in record
    unknown_worker = "unknown_worker"  # a check-in that matches no roster worker
    duplicate_checkin = "duplicate_checkin"  # the same worker twice in one period
    outside_window = "outside_window"  # a call dated outside the check-in window
    shared_phone = "shared_phone"  # one phone number for several workers


class Finding(Record):
    kind: FindingKind
    period: str
    subject: str  # worker key, or the phone tail for shared phones
    village: str | None = None
    detail: str
    source_url: str | None = None


class FactKind(StrEnum):
    """What a fact stated in a report's text measures."""

    quantity = "quantity"  # 120多个问题, 4户, 3场次
    money = "money"  # 20万元 → 200000 (yuan)
    place = "place"  # 新化县, 奉家镇, 口前村


class Fact(Record):
    """A figure or place a report states in its prose, with the words it was read from."""

    kind: FactKind
    value: int | None = None  # whole units (yuan for money); None for places
    unit: str  # 个, 户, 个基站, 场次, 元; the region level for places (county/town/village)
    approximate: bool = False  # 多, 余, 约, 近, 左右
    text: str  # the phrase as written


class ParseResult(Record):
    """Everything one page yields. Listing pages yield links instead of records."""

    report: Report
    regions: list[Region] = Field(default_factory=list)
    cadres: list[Cadre] = Field(default_factory=list)
    workers: list[Worker] = Field(default_factory=list)
    checkins: list[CheckIn] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    quarantined: list[Quarantined] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)  # figures and places stated in the text
    links: list[str] = Field(default_factory=list)  # report pages found on a listing
    next_page: str | None = None  # 下一页 on a listing

    @property
    def record_count(self) -> int:
        return len(self.cadres) + len(self.workers) + len(self.checkins) + len(self.problems)


_EVERY_FIELD: dict[type, set[str]] = {}  # model → every field name
M = TypeVar("M")


def shared_fields_set(record: M) -> M:
    """Return `record` sharing one set of given field names with the records that gave them all.

    A validated model keeps its own set of the field names it was given: 728 bytes for a
    CheckIn, more than its values. Records built row by row name every field, so 220,000 of
    them can share one set. Setting a field adds its name to the set, a no-op here.
    """
    every = _EVERY_FIELD.get(type(record))
    if every is None:
        if not isinstance(record, BaseModel):
            return record
        every = _EVERY_FIELD.setdefault(type(record), set(type(record).model_fields))
    fields_set = record.__pydantic_fields_set__  # type: ignore[attr-defined]
    if len(fields_set) == len(every):  # a subset of the fields: the same size, the same set
        object.__setattr__(record, "__pydantic_fields_set__", every)
    return record


def phone_tail(phone: str | None) -> str:
    """Return the last four digits of a phone, masked or not; '' when there are none."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone.split("*")[-1])
    return digits[-4:] if len(digits) >= 4 else ""


def compact_name(name: str) -> str:
    """Return `name` without the spaces clerks pad two-character names with ("张　伟" → "张伟")."""
    return re.sub(r"\s+", "", name)


def person_key(village: str, name: str) -> str:
    """Return village and name as one key, for matching records that lack a phone."""
    return f"{compact_name(village)}|{compact_name(name)}"


def worker_key(village: str, name: str, phone: str | None) -> str:
    """Return the natural key of a worker: village, name and phone tail (tolerates masking)."""
    return f"{person_key(village, name)}|{phone_tail(phone)}"


def cadre_key(town: str | None, name: str) -> str:
    """Return the natural key of a cadre: the town they serve in and their name."""
    return f"{compact_name(town or '')}|{compact_name(name)}"
