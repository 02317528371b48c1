from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from config.settings import NotifySettings, RulesSettings
from lianxin.notify.deliver import deliver
from lianxin.notify.digests import build_checkin_digests
from lianxin.rules.checkin import Stage
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.writes import save_results
from personas import checkins, roster
from sinks import webhook_sink

NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
RULES = RulesSettings()


def _prepared(engine: Engine, as_of: date) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, as_of, RULES, NOW)


def _digests(engine: Engine, as_of: date):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return build_checkin_digests(conn, as_of, RULES)


def test_it_builds_one_digest_per_cadre_listing_only_the_uncalled(engine: Engine) -> None:
    _prepared(engine, date(2026, 11, 8))
    digests = {d.cadre_name: d for d in _digests(engine, date(2026, 11, 8))}
    assert set(digests) == {"李建国", "周敏"}
    assert [i.worker_name for i in digests["李建国"].items] == ["刘洋"]
    assert digests["李建国"].stage == Stage.days_left
    assert digests["李建国"].key == "checkin/2026-11/days_left/石桥镇|李建国"


def test_it_writes_a_readable_outbox_file_with_masked_phones(
    engine: Engine, tmp_path: Path
) -> None:
    _prepared(engine, date(2026, 11, 8))
    notify = NotifySettings(outbox_dir=tmp_path / "outbox")
    stats = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    assert (stats.intended, stats.sent, stats.failed) == (2, 2, 0)
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "outbox").iterdir()]
    letter = next(x for x in texts if "李建国" in x.splitlines()[0])
    assert "刘洋" in letter and "138****2222" in letter and "13800002222" not in letter
    assert "电话回访还剩2天" in letter and "张伟" not in letter
    assert "Idempotency-Key: checkin/2026-11/days_left/石桥镇|李建国@outbox://" in letter


def test_it_never_sends_the_same_stage_twice(engine: Engine, tmp_path: Path) -> None:
    _prepared(engine, date(2026, 11, 8))
    notify = NotifySettings(outbox_dir=tmp_path / "outbox")
    deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    again = deliver(engine, _digests(engine, date(2026, 11, 9)), notify, NOW)  # same stage
    assert (again.sent, again.already_sent) == (0, 2)
    assert len(list((tmp_path / "outbox").iterdir())) == 2


def test_it_sends_the_next_rung_when_the_stage_changes(engine: Engine, tmp_path: Path) -> None:
    _prepared(engine, date(2026, 11, 8))
    notify = NotifySettings(outbox_dir=tmp_path / "outbox")
    deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    evaluate(engine, date(2026, 11, 10), RULES, NOW)
    last_day = deliver(engine, _digests(engine, date(2026, 11, 10)), notify, NOW)
    assert last_day.by_stage == {"last_day": 2}


def test_it_writes_english_when_configured(engine: Engine, tmp_path: Path) -> None:
    _prepared(engine, date(2026, 11, 12))
    notify = NotifySettings(outbox_dir=tmp_path / "outbox", language="en")
    deliver(engine, _digests(engine, date(2026, 11, 12)), notify, NOW)
    text = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "outbox").iterdir())
    assert "check-in calls are overdue" in text and "2 days overdue" in text


def test_it_caps_a_long_list_and_points_to_the_dashboard(engine: Engine, tmp_path: Path) -> None:
    _prepared(engine, date(2026, 11, 2))
    notify = NotifySettings(outbox_dir=tmp_path / "outbox", max_listed=1)
    deliver(engine, _digests(engine, date(2026, 11, 2)), notify, NOW)
    text = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "outbox").iterdir())
    assert "另有 1 人，请打开连心看板查看" in text


def test_it_delivers_through_an_apprise_json_webhook(engine: Engine, tmp_path: Path) -> None:
    _prepared(engine, date(2026, 11, 8))
    with webhook_sink() as sink:
        notify = NotifySettings(outbox_dir=tmp_path / "outbox", default_routes=[sink.url])
        stats = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    assert stats.sent == 2
    bodies = [m["message"] for m in sink.received]
    assert any("刘洋" in b and "138****2222" in b for b in bodies)
    assert all("[checkin/2026-11/days_left/" in b for b in bodies)  # the key travels along


def test_it_records_a_failed_channel_and_retries_it_next_run(
    engine: Engine, tmp_path: Path
) -> None:
    _prepared(engine, date(2026, 11, 8))
    with webhook_sink() as sink:
        notify = NotifySettings(
            outbox_dir=tmp_path / "outbox", default_routes=[sink.url], retries=0
        )
        sink.fail_with = 503
        first = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
        sink.fail_with = None
        second = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    assert (first.failed, second.sent) == (2, 2)
    assert len(sink.received) == 2
    with engine.connect() as conn:
        outcomes = conn.execute(select(t.reminders.c.outcome)).scalars().all()
    assert outcomes == ["sent", "sent"]


def test_it_keeps_going_past_a_route_apprise_cannot_use(engine: Engine, tmp_path: Path) -> None:
    _prepared(engine, date(2026, 11, 8))
    notify = NotifySettings(outbox_dir=tmp_path / "outbox", routes={"李建国": ["nosuchscheme://x"]})
    stats = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    assert (stats.sent, stats.failed) == (1, 1)  # 周敏 via the outbox; 李建国's route refused
    assert "Apprise does not understand" in stats.errors[0]


def test_problem_stages_fire_seven_three_and_one_day_before_then_daily() -> None:
    from lianxin.notify.problem_digests import problem_stage

    due = date(2026, 11, 30)
    stages = {d: problem_stage(date(2026, 11, d), due, [7, 3, 1]) for d in range(22, 31)}
    assert {d: s for d, s in stages.items() if s} == {23: "7_days", 27: "3_days", 29: "1_days"}
    assert problem_stage(date(2026, 12, 1), due, [7, 3, 1]) == "overdue"


def test_a_responsible_unit_gets_a_problem_digest_each_late_day(
    engine: Engine, tmp_path: Path
) -> None:
    from lianxin.notify.problem_digests import build_problem_digests
    from lianxin.records import Problem

    page = roster()
    page.workers, page.cadres = [], []
    page.problems = [
        Problem(
            number="1",
            place="青山村",
            description="饮水工程水量不稳定",
            responsible_unit="石桥镇人民政府",
            deadline=date(2026, 11, 30),
        )
    ]
    save_results(engine, [page], NOW)
    notify = NotifySettings(outbox_dir=tmp_path / "outbox")
    sent = []
    for as_of in (
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 12, 1),
        date(2026, 12, 1),
        date(2026, 12, 2),
    ):
        evaluate(engine, as_of, RULES, NOW)
        with engine.connect() as conn:
            digests = build_problem_digests(conn, as_of, RULES)
        sent.append(deliver(engine, digests, notify, NOW).by_stage)
    assert sent == [{"7_days": 1}, {}, {"overdue": 1}, {}, {"overdue": 1}]
    letters = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "outbox").iterdir())
    assert "整改已逾期" in letters and "石桥镇人民政府" in letters and "饮水工程" in letters


def test_escalations_reach_the_village_lead_then_the_town_by_their_role_routes(
    engine: Engine, tmp_path: Path
) -> None:
    from lianxin.notify.escalation_digests import build_escalation_digests

    save_results(engine, [roster()], NOW)
    with webhook_sink() as sink:
        notify = NotifySettings(
            outbox_dir=tmp_path / "outbox", roles={"village:青山村": [sink.url]}
        )
        evaluate(engine, date(2026, 11, 14), RULES, NOW)  # 4 days late: village leads
        with engine.connect() as conn:
            digests = build_escalation_digests(conn, date(2026, 11, 14), notify)
        assert sorted(d.cadre_key for d in digests) == ["village:河湾村", "village:青山村"]
        deliver(engine, digests, notify, NOW)
        evaluate(engine, date(2026, 11, 18), RULES, NOW)  # 8 days late: the town
        with engine.connect() as conn:
            later = build_escalation_digests(conn, date(2026, 11, 18), notify)
    assert [d.cadre_key for d in later] == ["town:石桥镇"]
    (message,) = sink.received
    assert "青山村村委（村支书）" in message["title"]
    assert "李建国：电话回访 2 项" in message["message"]
    assert "138" not in message["message"]  # counts only, no personal data
    outbox = [p.read_text(encoding="utf-8") for p in (tmp_path / "outbox").iterdir()]
    assert len(outbox) == 1 and "周敏：电话回访 1 项" in outbox[0]  # no role route: outbox


def test_it_delivers_a_digest_by_email_to_a_real_smtp_server(
    engine: Engine, tmp_path: Path
) -> None:
    from sinks import smtp_sink

    _prepared(engine, date(2026, 11, 8))
    with smtp_sink(to="lijianguo@example.org") as sink:
        notify = NotifySettings(outbox_dir=tmp_path / "outbox", routes={"李建国": [sink.url]})
        stats = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    assert stats.sent == 2  # 李建国 by e-mail, 周敏 to the outbox
    (mail,) = sink.received
    assert mail["To"] == "lijianguo@example.org"
    assert "电话回访还剩2天" in str(mail["Subject"])
    body = mail.get_body(("plain", "html")).get_content()
    assert "刘洋" in body and "138****2222" in body and "[checkin/2026-11/days_left/" in body


def test_a_route_takes_its_secret_from_the_environment_not_the_file() -> None:
    import pytest

    from lianxin.errors import PermanentChannelError
    from lianxin.notify.channels import expand_secrets

    route = "mailto://lianxin:${SMTP_PASSWORD}@mail.example.org?to=a@example.org"
    assert expand_secrets(route, {"SMTP_PASSWORD": "p@ss/word"}) == (
        "mailto://lianxin:p%40ss%2Fword@mail.example.org?to=a@example.org"
    )
    with pytest.raises(PermanentChannelError, match="SMTP_PASSWORD is not set"):
        expand_secrets(route, {})


def test_a_missing_secret_fails_that_route_only_and_never_logs_it(
    engine: Engine, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("WEBHOOK_TOKEN", raising=False)
    _prepared(engine, date(2026, 11, 8))
    notify = NotifySettings(
        outbox_dir=tmp_path / "outbox", routes={"李建国": ["json://127.0.0.1:9/${WEBHOOK_TOKEN}"]}
    )
    stats = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    assert (stats.sent, stats.failed) == (1, 1)
    assert "WEBHOOK_TOKEN is not set" in stats.errors[0]


def test_a_refused_send_is_retried_with_doubling_waits_before_giving_up(
    engine: Engine, tmp_path: Path
) -> None:
    _prepared(engine, date(2026, 11, 8))
    waits: list[float] = []
    with webhook_sink() as sink:
        notify = NotifySettings(
            outbox_dir=tmp_path / "outbox",
            default_routes=[sink.url],
            retries=2,
            retry_backoff_s=1.5,
        )
        sink.fail_with = 503
        stats = deliver(
            engine, _digests(engine, date(2026, 11, 8)), notify, NOW, sleep=waits.append
        )
    # Two messages, each waiting 1.5 s then 3 s; they go side by side, so the waits interleave.
    assert stats.failed == 2 and sorted(waits) == [1.5, 1.5, 3.0, 3.0]


def test_quiet_hours_defer_group_and_personal_messages_but_not_the_outbox(
    engine: Engine, tmp_path: Path
) -> None:
    from datetime import timedelta

    _prepared(engine, date(2026, 11, 8))
    night = datetime(2026, 11, 8, 15, 30, tzinfo=UTC)  # 23:30 in Asia/Shanghai
    with webhook_sink() as sink:
        notify = NotifySettings(outbox_dir=tmp_path / "outbox", routes={"李建国": [sink.url]})
        at_night = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, night)
        morning = deliver(
            engine, _digests(engine, date(2026, 11, 8)), notify, night + timedelta(hours=8)
        )  # 07:30 the next morning
    assert (at_night.sent, at_night.deferred) == (1, 1)  # 周敏's outbox file only
    assert (morning.sent, morning.already_sent) == (1, 1) and len(sink.received) == 1


def test_a_recipient_gets_no_more_than_the_daily_cap(engine: Engine, tmp_path: Path) -> None:
    _prepared(engine, date(2026, 11, 8))
    notify = NotifySettings(
        outbox_dir=tmp_path / "outbox",
        daily_cap=1,
        routes={"李建国": ["outbox://", f"outbox://{tmp_path}/copy"]},
    )
    first = deliver(engine, _digests(engine, date(2026, 11, 8)), notify, NOW)
    assert (first.sent, first.deferred) == (2, 1)  # 李建国's second route waits a day
