"""Follow the person: a worker found in another village's roster is one person who moved.

刘洋 of 青山村 (cadre 李建国) turns up in 河湾村's roster (cadre 周敏) with the same phone and
name: her November call moves to 周敏, 李建国's digests drop her, nothing is sent twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from config.settings import NotifySettings, RulesSettings, Settings
from lianxin.cli.app import app
from lianxin.dashboard.queries.cadres import cadres
from lianxin.notify.deliver import deliver
from lianxin.notify.digests import build_checkin_digests
from lianxin.records import ParseResult, Report, ReportKind, Worker, WorkStatus, worker_key
from lianxin.rules.evaluate import evaluate
from lianxin.rules.reconcile import reconcile_periods
from lianxin.services.explain import moves_of
from lianxin.services.transfer import apply_import, preview_import
from lianxin.store import schema as t
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import FETCHED, TOWN, VILLAGE, checkins, page_hash, roster

RULES = RulesSettings()
MOVED_AT = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)
OLD_KEY = worker_key(VILLAGE, "刘洋", "13800002222")
NEW_KEY = worker_key("河湾村", "刘洋", "13800002222")


def river_roster(*people: Worker, version: str = "v1") -> ParseResult:
    """Return 河湾村's own roster page (cadre 周敏) listing `people`."""
    report = Report(
        source="test",
        url="http://portal.test/hewan-roster.html",
        kind=ReportKind.roster,
        title="河湾村务工人员名册",
        content_hash=page_hash(f"hewan {version}"),
        fetched_at=MOVED_AT,
        town=TOWN,
        village="河湾村",
    )
    return ParseResult(report=report, workers=list(people))


def liu_yang(phone: str = "13800002222", id_number: str | None = None) -> Worker:
    return Worker(
        name="刘洋",
        phone=phone,
        id_number=id_number,
        village="河湾村",
        town=TOWN,
        cadre="周敏",
        status=WorkStatus.looking,
    )


def live_for(engine: Engine, *keys: str) -> list[tuple[str, str, str]]:
    o = t.obligations
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(o.c.subject, o.c.owner, o.c.period)
                .where(
                    o.c.subject.in_(keys),
                    o.c.kind == "monthly_checkin",
                    o.c.status.in_(("open", "overdue", "escalated")),
                )
                .order_by(o.c.id)
            )
        ]


def digest_names(engine: Engine, as_of: date) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {
            d.cadre_name: [i.worker_name for i in d.items]
            for d in build_checkin_digests(conn, as_of, RULES)
        }


def test_a_worker_moving_village_ends_with_one_owner_and_no_duplicate_reminder(
    engine: Engine, tmp_path: Path
) -> None:
    notify = NotifySettings(outbox_dir=tmp_path / "outbox")
    save_results(engine, [roster(), checkins("2026-10", {"刘洋": date(2026, 10, 4)})], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    assert live_for(engine, OLD_KEY) == [(OLD_KEY, "石桥镇|李建国", "2026-11")]
    first = deliver(engine, build_checkin_digests_at(engine, date(2026, 11, 8)), notify, FETCHED)
    assert first.sent == 2  # 李建国 (张伟, 刘洋; 陈静 is home) and 周敏 (王磊)

    stats = save_results(engine, [river_roster(liu_yang())], MOVED_AT)
    assert (stats.moved, stats.moved_obligations, stats.ambiguous_moves) == (1, 1, 0)
    evaluate(engine, date(2026, 11, 9), RULES, MOVED_AT)
    # Exactly one live November call for the person, owned by the new cadre, on the new key.
    assert live_for(engine, OLD_KEY, NEW_KEY) == [(NEW_KEY, "石桥镇|周敏", "2026-11")]
    with engine.connect() as conn:
        workers = {r["cadre_key"]: r["workers"] for r in cadres(conn, "2026-11")}
    # The cadres page counts her once, under 周敏: her old entry is history, not 李建国's caseload.
    assert workers == {"石桥镇|李建国": 2, "石桥镇|周敏": 2}
    names = digest_names(engine, date(2026, 11, 10))
    assert names["李建国"] == ["张伟"]  # 刘洋's call moved away
    assert sorted(names["周敏"]) == ["刘洋", "王磊"]

    with engine.connect() as conn:
        ledger_before = conn.execute(select(func.count()).select_from(t.reminders)).scalar_one()
    again = deliver(engine, build_checkin_digests_at(engine, date(2026, 11, 9)), notify, MOVED_AT)
    assert (again.sent, again.already_sent) == (0, 2)  # the same stage: not sent twice
    last = deliver(engine, build_checkin_digests_at(engine, date(2026, 11, 10)), notify, MOVED_AT)
    assert last.sent == 2  # the last-day rung: 周敏's lists 刘洋, 李建国's only 张伟
    with engine.connect() as conn:
        ledger = conn.execute(select(t.reminders.c.idempotency_key)).scalars().all()
    assert len(ledger) == ledger_before + 2 == len(set(ledger))
    outbox = [p.read_text(encoding="utf-8") for p in (tmp_path / "outbox").iterdir()]
    about_her = [text.splitlines()[0] for text in outbox if "刘洋" in text]
    assert len(about_her) == 2 and "李建国" in about_her[0] + about_her[1]
    assert any("周敏" in line for line in about_her)

    with engine.connect() as conn:
        # History kept: the October call stays on file, matched to her old entry.
        october = conn.execute(
            select(t.checkins.c.matched_key).where(t.checkins.c.period == "2026-10")
        ).scalar_one()
        reasons = (
            conn.execute(
                select(t.obligation_events.c.reason).where(
                    t.obligation_events.c.actor == "ingest:moved"
                )
            )
            .scalars()
            .all()
        )
        moves = moves_of(conn, NEW_KEY)
    assert october == OLD_KEY
    assert reasons == ["moved from 青山村 to 河湾村 (roster http://portal.test/hewan-roster.html)"]
    assert [(m["from_village"], m["to_village"], m["matched_on"]) for m in moves] == [
        ("青山村", "河湾村", "phone_name")
    ]

    # Ingesting both pages again (or a changed 河湾村 page) moves nothing twice.
    again_stats = save_results(engine, [river_roster(liu_yang(), version="v2")], MOVED_AT)
    assert again_stats.moved == 0
    assert live_for(engine, OLD_KEY, NEW_KEY) == [(NEW_KEY, "石桥镇|周敏", "2026-11")]


def build_checkin_digests_at(engine: Engine, as_of: date):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return build_checkin_digests(conn, as_of, RULES)


def test_the_same_id_number_is_the_same_person_even_with_a_new_phone(engine: Engine) -> None:
    first = roster()
    first.workers[1] = first.workers[1].model_copy(update={"id_number": "430100199001011234"})
    save_results(engine, [first], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    new_key = worker_key("河湾村", "刘洋", "13700009999")
    stats = save_results(
        engine, [river_roster(liu_yang("13700009999", "430100199001011234"))], MOVED_AT
    )
    assert stats.moved == 1
    assert live_for(engine, OLD_KEY, new_key) == [(new_key, "石桥镇|周敏", "2026-11")]
    with engine.connect() as conn:
        assert moves_of(conn, OLD_KEY)[0]["matched_on"] == "id_number"


def test_a_row_matching_two_people_on_file_is_quarantined_not_guessed(engine: Engine) -> None:
    first = roster()
    # 张伟 carries the ID number the new row gives; 刘洋 its phone and name: two people.
    first.workers[0] = first.workers[0].model_copy(update={"id_number": "430100199001011234"})
    save_results(engine, [first], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    stats = save_results(engine, [river_roster(liu_yang(id_number="430100199001011234"))], MOVED_AT)
    assert (stats.moved, stats.ambiguous_moves) == (0, 1)
    with engine.connect() as conn:
        reason = conn.execute(
            select(t.quarantine.c.reason).where(t.quarantine.c.url.contains("hewan"))
        ).scalar_one()
        assert conn.execute(select(func.count()).select_from(t.worker_moves)).scalar_one() == 0
    assert "未自动合并" in reason
    assert live_for(engine, OLD_KEY) == [(OLD_KEY, "石桥镇|李建国", "2026-11")]


def test_explain_tells_of_the_move_on_both_roster_entries(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    save_results(engine, [roster()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    save_results(engine, [river_roster(liu_yang())], MOVED_AT)
    result = CliRunner().invoke(app, ["explain", "刘洋"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    told = (
        "moved from 青山村 (石桥镇|李建国) to 河湾村 (石桥镇|周敏) on 2026-11-09, "
        "same phone and name"
    )
    assert result.output.count(told) == 2  # under the old key and under the new one
    assert (
        "moved from 青山村 to 河湾村 (roster http://portal.test/hewan-roster.html)" in result.output
    )


def test_an_uploaded_roster_moves_the_person_the_same_way(engine: Engine) -> None:
    save_results(engine, [roster()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RULES, FETCHED)
    lines = [
        "石桥镇河湾村就业服务一览表,,,,,,,",
        "序号,姓名,联系电话,身份证号,包户干部,务工单位,务工状态,就业意愿",
        "1,刘洋,13800002222,,周敏,,待业,",
    ]
    content = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    name = "河湾村就业服务一览表.csv"
    preview = preview_import(engine, content, name, "auto", "upload", MOVED_AT)
    result = apply_import(engine, content, name, "auto", "upload", MOVED_AT, preview.token)
    assert result.written
    with engine.connect() as conn:
        move = conn.execute(select(t.worker_moves)).one()
    assert (move.from_key, move.to_key, move.to_cadre) == (OLD_KEY, NEW_KEY, "石桥镇|周敏")
    assert move.source_url.startswith("upload://")
    assert live_for(engine, OLD_KEY, NEW_KEY) == [(NEW_KEY, "石桥镇|周敏", "2026-11")]


def test_the_old_village_is_not_told_the_moved_person_missed_its_call(engine: Engine) -> None:
    save_results(engine, [roster()], FETCHED)
    save_results(engine, [river_roster(liu_yang())], MOVED_AT)
    save_results(engine, [checkins("2026-11", {"张伟": date(2026, 11, 3)})], MOVED_AT)
    reconcile_periods(engine, ["2026-11"], RULES, MOVED_AT)
    with engine.connect() as conn:
        missing = conn.execute(
            select(t.findings.c.subject).where(t.findings.c.kind == "missing_checkin")
        ).scalars()
        assert OLD_KEY not in set(missing)


def test_masked_numbers_and_one_batch_listing_both_entries_move_nobody(engine: Engine) -> None:
    first = roster()
    first.workers[1] = first.workers[1].model_copy(
        update={"phone": "138****2222", "id_number": "4301**********1234"}
    )
    save_results(engine, [first], FETCHED)
    # 刘洋 as published, masked: the same masked numbers are no evidence of one person.
    masked = liu_yang("138****2222", "4301**********1234")
    assert save_results(engine, [river_roster(masked)], MOVED_AT).moved == 0
    # Both rosters in one batch, full numbers: which is the newer cannot be told.
    fresh = roster("v2")
    assert (
        save_results(engine, [fresh, river_roster(liu_yang(), version="v2")], MOVED_AT).moved == 0
    )
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.worker_moves)).scalar_one() == 0


def test_one_person_in_two_new_rosters_at_once_is_quarantined_not_guessed(engine: Engine) -> None:
    save_results(engine, [roster()], FETCHED)
    elsewhere = river_roster(liu_yang().model_copy(update={"village": "松坪村"}), version="sp")
    elsewhere.report = elsewhere.report.model_copy(
        update={"url": "http://portal.test/songping-roster.html", "village": "松坪村"}
    )
    stats = save_results(engine, [river_roster(liu_yang()), elsewhere], MOVED_AT)
    assert (stats.moved, stats.ambiguous_moves) == (0, 2)
    with engine.connect() as conn:
        urls = conn.execute(
            select(t.quarantine.c.url).where(t.quarantine.c.reason.contains("未自动合并"))
        ).scalars()
        assert sorted(urls) == [
            "http://portal.test/hewan-roster.html",
            "http://portal.test/songping-roster.html",
        ]
