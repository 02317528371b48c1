"""Named personas and the pages they appear on, for tests.

Cadre 李建国 (石桥镇) looks after three workers of 青山村: 张伟 (employed), 刘洋 (looking for
work) and 陈静 (returned home); cadre 周敏 looks after 王磊 of 河湾村.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from lianxin.records import (
    Cadre,
    CheckIn,
    ParseResult,
    Report,
    ReportKind,
    Worker,
    WorkStatus,
)

FETCHED = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
# The zone the personas live in: the default of rules.timezone.
SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWN = "石桥镇"
VILLAGE = "青山村"


def page_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def roster(version: str = "v1") -> ParseResult:
    """Return a roster page: 李建国 and his three workers, 周敏 and hers."""
    report = Report(
        source="test",
        url="http://portal.test/roster.html",
        kind=ReportKind.roster,
        title="石桥镇就业服务一览表",
        content_hash=page_hash(f"roster {version}"),
        fetched_at=FETCHED,
        town=TOWN,
    )
    return ParseResult(
        report=report,
        cadres=[
            Cadre(
                name="李建国",
                unit="石桥镇人民政府",
                phone="13900001111",
                village=VILLAGE,
                town=TOWN,
            ),
            Cadre(
                name="周敏", unit="石桥镇人民政府", phone="13900002222", village="河湾村", town=TOWN
            ),
        ],
        workers=[
            Worker(
                name="张伟",
                phone="13800001111",
                village=VILLAGE,
                town=TOWN,
                cadre="李建国",
                employer="东莞某电子厂",
                status=WorkStatus.employed,
            ),
            Worker(
                name="刘洋",
                phone="13800002222",
                village=VILLAGE,
                town=TOWN,
                cadre="李建国",
                status=WorkStatus.looking,
            ),
            Worker(
                name="陈静",
                phone="13800003333",
                village=VILLAGE,
                town=TOWN,
                cadre="李建国",
                status=WorkStatus.returned,
            ),
            Worker(
                name="王磊",
                phone="13800004444",
                village="河湾村",
                town=TOWN,
                cadre="周敏",
                employer="长沙某建筑公司",
                status=WorkStatus.employed,
            ),
        ],
    )


def checkins(period: str, calls: dict[str, date], version: str = "v1") -> ParseResult:
    """Return a check-in table page of 青山村/河湾村 with one call per named worker."""
    phones = {
        "张伟": ("13800001111", VILLAGE),
        "刘洋": ("13800002222", VILLAGE),
        "陈静": ("13800003333", VILLAGE),
        "王磊": ("13800004444", "河湾村"),
    }
    report = Report(
        source="test",
        url=f"http://portal.test/checkins-{period}.html",
        kind=ReportKind.checkin_table,
        title=f"{period} 电话回访情况",
        content_hash=page_hash(f"checkins {period} {version} {sorted(calls.items())}"),
        fetched_at=FETCHED,
        village=VILLAGE,
    )
    return ParseResult(
        report=report,
        checkins=[
            CheckIn(
                worker_name=name,
                worker_phone=phones[name][0][:3] + "****" + phones[name][0][-4:],
                village=phones[name][1],
                period=period,
                call_date=day,
                reached=True,
                income_yuan=4200,
            )
            for name, day in calls.items()
        ],
    )
