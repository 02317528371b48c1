"""The words of reminders: templates per stage and channel kind, privacy, mentions, the key.

Personas: cadre 李建国 (phone 13900001111) looks after 刘洋 (13800002222) of 青山村.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from apprise.plugins.dingtalk import NotifyDingTalk
from sqlalchemy import Engine

from config.settings import TEMPLATES_DIR, NotifySettings, RulesSettings
from lianxin.notify.channels import (
    Message,
    WeComBotWithMentions,
    channel_kind,
    key_header_value,
    make_channel,
)
from lianxin.notify.compose import compose
from lianxin.notify.deliver import deliver
from lianxin.notify.digests import Digest, DigestItem, build_checkin_digests
from lianxin.notify.escalation_digests import CadreLate, EscalationDigest
from lianxin.notify.problem_digests import ProblemDigest, ProblemItem
from lianxin.notify.render import Renderer
from lianxin.rules.checkin import Stage
from lianxin.rules.evaluate import evaluate
from lianxin.store.writes import save_results
from personas import checkins, roster
from sinks import smtp_sink, webhook_sink

NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai, outside quiet hours
RULES = RulesSettings()
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CADRE_PHONE = "13900001111"
WORKER_PHONE = "13800002222"
ID_NUMBER = "430524199001011234"


def _checkin(stage: Stage = Stage.days_left, workers: int = 2) -> Digest:
    items = [
        DigestItem(i, f"刘洋{i}", f"1380000{2222 + i}", "青山村", date(2026, 11, 10), 2)
        for i in range(workers)
    ]
    return Digest(
        key=f"checkin/2026-11/{stage.value}/石桥镇|李建国",
        stage=stage,
        period="2026-11",
        due=date(2026, 11, 10),
        as_of=date(2026, 11, 8),
        cadre_key="石桥镇|李建国",
        cadre_name="李建国",
        village="青山村",
        town="石桥镇",
        routes=[],
        items=items,
        cadre_phone=CADRE_PHONE,
    )


def _problem(stage: str = "3_days") -> ProblemDigest:
    # Supervision notices sometimes print a contact's phone or ID number in the description.
    described = f"台账不全，联系人{WORKER_PHONE}，身份证{ID_NUMBER}"
    return ProblemDigest(
        key=f"problem/{stage}/2026-11-11/石桥镇卫生院",
        stage=stage,
        as_of=date(2026, 11, 8),
        cadre_key="石桥镇卫生院",
        cadre_name="石桥镇卫生院",
        village=None,
        town=None,
        items=[
            ProblemItem(1, "problem_deadline", "督-01", "青山村", described, date(2026, 11, 11), 3)
        ],
    )


def _escalation() -> EscalationDigest:
    return EscalationDigest(
        key="escalation/2026-11-14/village:青山村",
        stage="escalated_to_village",
        as_of=date(2026, 11, 14),
        level=1,
        place="青山村",
        cadre_key="village:青山村",
        cadre_name="青山村村委（村支书）",
        rows=[CadreLate(f"李建国 {CADRE_PHONE}", "monthly_checkin", 2, date(2026, 11, 10))],
    )


def _prepared(engine: Engine, as_of: date) -> list[Digest]:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, as_of, RULES, NOW)
    with engine.connect() as conn:
        return build_checkin_digests(conn, as_of, RULES)


# --- templates: names and lookup order -------------------------------------------------------


def test_the_most_specific_template_wins_stage_and_kind_then_kind_then_stage_then_plain(
    tmp_path: Path,
) -> None:
    names = [
        "problem_digest.7_days.personal.zh.j2",
        "problem_digest.personal.zh.j2",
        "problem_digest.7_days.zh.j2",
        "problem_digest.zh.j2",  # shipped too: the operator's copy comes first
    ]
    for name in names:
        (tmp_path / name).write_text(f"{name}\n", encoding="utf-8")
    for name in names:
        # A renderer (one per run) sees the templates as they were when it first looked.
        _, body = Renderer("zh", templates_dir=tmp_path).render(_problem("7_days"), kind="personal")
        assert body == name
        (tmp_path / name).unlink()
    renderer = Renderer("zh", templates_dir=tmp_path)
    _, shipped = renderer.render(_problem("7_days"), kind="personal")
    assert shipped.startswith("石桥镇卫生院：\n以下 1 个问题整改时限将到")


def test_an_operator_template_wins_over_the_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "checkin_digest.zh.j2").write_text(
        '{% set title = "本村提醒" %}{{ d.cadre_name }}：请回访 {{ items | length }} 人',
        encoding="utf-8",
    )
    notify = NotifySettings(templates_dir=tmp_path)
    personal = compose(Renderer("zh"), _checkin(), "mailto://a@b.example", "k", NOW, notify)
    group = compose(Renderer("zh"), _checkin(), "dingtalk://abc123", "k", NOW, notify)
    assert (personal.title, personal.body) == ("本村提醒", "李建国：请回访 2 人")
    assert "还有 2 人未回访" in group.body  # the shipped group variant is more specific


def test_a_stage_and_kind_variant_is_used_for_that_stage_only() -> None:
    renderer = Renderer("zh")
    _, overdue = renderer.render(_checkin(Stage.overdue), kind="group")
    _, days_left = renderer.render(_checkin(Stage.days_left), kind="group")
    _, personal = renderer.render(_checkin(Stage.overdue), kind="personal")
    assert "逾期未回访将升级至村、乡镇督办" in overdue
    assert "逾期未回访将升级" not in days_left and days_left.startswith("李建国（青山村）")
    assert personal.startswith("李建国同志：")


def test_a_missing_operator_folder_fails_naming_the_setting(tmp_path: Path) -> None:
    from lianxin.errors import ConfigError

    with pytest.raises(ConfigError, match="notify.templates_dir"):
        Renderer("zh", templates_dir=tmp_path / "nowhere").render(_checkin())


def test_every_kind_has_english_words() -> None:
    renderer = Renderer("en")
    for kind in ("group", "personal", "sms", "outbox"):
        title, body = renderer.render(_checkin(), kind=kind)
        assert "2 days left for check-in calls" in title + body
        assert not re.search(r"[回访连心]", title + body)


def test_an_sms_is_short_and_lists_at_most_three_workers() -> None:
    title, body = Renderer("zh").render(_checkin(workers=12), kind="sms")
    assert title == "" and "\n" not in body and len(body) <= 140
    assert "12人未回访" in body and "刘洋2" in body and "刘洋3" not in body and "等" in body


# --- privacy --------------------------------------------------------------------------------


def _every_shipped_digest_template() -> list[Path]:
    prefixes = ("checkin_digest.", "problem_digest.", "escalation_digest.")
    return sorted(p for p in TEMPLATES_DIR.glob("*.j2") if p.name.startswith(prefixes))


def _digest_for(template: Path) -> Digest | ProblemDigest | EscalationDigest:
    name = template.name
    if name.startswith("problem_digest."):
        return _problem("overdue" if ".overdue." in name else "3_days")
    if name.startswith("escalation_digest."):
        return _escalation()
    return _checkin(Stage.overdue if ".overdue." in name else Stage.days_left)


@pytest.mark.parametrize("template", _every_shipped_digest_template(), ids=lambda p: p.name)
def test_no_shipped_template_shows_a_full_phone_or_id_number_in_a_group(
    template: Path, tmp_path: Path
) -> None:
    digest = _digest_for(template)
    stage = str(getattr(digest.stage, "value", digest.stage))
    language = template.name.rsplit(".", 2)[1]
    name = template.name.split(".", 1)[0]
    # Install the shipped text under the most specific name, so that this very file renders.
    (tmp_path / f"{name}.{stage}.group.{language}.j2").write_text(
        template.read_text(encoding="utf-8"), encoding="utf-8"
    )
    title, body = Renderer(language, templates_dir=tmp_path).render(
        digest, kind="group", full_phone=True
    )
    assert body, template.name
    assert not FULL_PHONE.search(title + body), template.name
    assert ID_NUMBER not in title + body


def test_a_group_never_sees_a_full_phone_even_from_a_careless_template(tmp_path: Path) -> None:
    for name in ("checkin_digest.zh.j2", "checkin_digest.group.zh.j2"):
        (tmp_path / name).write_text(
            "{{ d.cadre_phone }} {% for i in d.items %}{{ i.phone }} {% endfor %}",
            encoding="utf-8",
        )
    notify = NotifySettings(templates_dir=tmp_path, personal_full_phone=True)
    for route in ("wecombot://abc", "dingtalk://abc123", "feishu://abc", "lark://abc"):
        message = compose(Renderer("zh"), _checkin(), route, "k", NOW, notify)
        assert message.kind == "group"
        assert message.body.count("****") == 3 and not FULL_PHONE.search(message.body)
    personal = compose(Renderer("zh"), _checkin(), "mailto://a@b.example", "k", NOW, notify)
    assert f"{CADRE_PHONE} {WORKER_PHONE}" in personal.body  # the careless template, allowed


def test_a_group_never_sees_incomes(tmp_path: Path) -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class ItemWithIncome:
        worker_name: str
        phone: str
        income_yuan: int | None

    for name in ("checkin_digest.zh.j2", "checkin_digest.group.zh.j2"):
        (tmp_path / name).write_text(
            "{% for i in items %}{{ i.worker_name }}:{{ i.income_yuan }};{% endfor %}",
            encoding="utf-8",
        )
    digest = replace(_checkin(), items=[ItemWithIncome("刘洋", WORKER_PHONE, 3200)])  # type: ignore[list-item]
    renderer = Renderer("zh", templates_dir=tmp_path)
    assert renderer.render(digest, kind="group")[1] == "刘洋:None;"
    assert renderer.render(digest, kind="personal")[1] == "刘洋:3200;"


def test_a_personal_message_shows_full_phones_only_when_allowed() -> None:
    digest, mail = _checkin(), "mailto://lianxin@mail.example.org?to=li@example.org"
    masked = compose(Renderer("zh"), digest, mail, "k", NOW, NotifySettings())
    allowed = NotifySettings(personal_full_phone=True)
    full = compose(Renderer("zh"), digest, mail, "k", NOW, allowed)
    sms = compose(
        Renderer("zh"), digest, "twilio://sid:token@15551234567/15557654321", "k", NOW, allowed
    )
    outbox = compose(Renderer("zh"), digest, "outbox://", "k", NOW, allowed)
    assert "138****2222" in masked.body and WORKER_PHONE not in masked.body
    assert WORKER_PHONE in full.body and "138****2222" not in full.body
    assert sms.kind == "sms" and WORKER_PHONE in sms.body
    assert outbox.kind == "outbox" and WORKER_PHONE not in outbox.body


# --- channel kinds --------------------------------------------------------------------------


def test_each_route_has_a_kind_and_the_operator_can_change_it() -> None:
    notify = NotifySettings()
    kinds = {
        route: channel_kind(route, notify)
        for route in (
            "wecombot://key",
            "dingtalk://token/13900001111",
            "feishu://token",
            "lark://token",
            "mailtos://user:${PW}@mail.example.org",
            "json://hooks.example.org/x",
            "twilio://sid:token@15551234567",
            "outbox://",
        )
    }
    assert list(kinds.values()) == [
        *["group"] * 4,
        "personal",
        "personal",
        "sms",
        "outbox",
    ]
    marked = NotifySettings(
        channel_kinds={"json": "group", "json://hooks.example.org/li": "personal"}
    )
    assert channel_kind("json://hooks.example.org/village", marked) == "group"
    assert channel_kind("json://hooks.example.org/li", marked) == "personal"
    assert channel_kind("JSON://hooks.example.org/other", marked) == "group"


# --- mentions, end to end against loopback servers ------------------------------------------


# Each bot's plugin, the API path it posts to (on loopback in these tests) and a route.
GROUP_BOTS: dict[str, tuple[type, str, str]] = {
    "dingtalk": (NotifyDingTalk, "/robot/send?access_token={token}", "dingtalk://abc123token/"),
    "wecom": (WeComBotWithMentions, "/cgi-bin/webhook/send?key={key}", "wecombot://bot-key-1"),
}


def _send_to_group_bot(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bot: str
) -> tuple[dict[str, Any], str]:
    """Deliver today's digests with 李建国's route a group bot whose API is a loopback sink;
    return the one JSON body it received and the path it was posted to."""
    plugin, api, route = GROUP_BOTS[bot]
    digests = _prepared(engine, date(2026, 11, 8))
    assert {d.cadre_name: d.cadre_phone for d in digests}["李建国"] == CADRE_PHONE
    with webhook_sink() as sink:
        monkeypatch.setattr(plugin, "notify_url", sink.base + api)
        notify = NotifySettings(outbox_dir=tmp_path / "outbox", routes={"李建国": [route]})
        stats = deliver(engine, digests, notify, NOW)
    assert (stats.sent, stats.failed) == (2, 0)  # 周敏's digest goes to the outbox
    (posted,) = sink.received
    return posted, sink.paths[0]


def test_a_dingtalk_group_ats_the_cadre_by_phone(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posted, path = _send_to_group_bot(engine, tmp_path, monkeypatch, "dingtalk")
    assert path == "/robot/send?access_token=abc123token"
    assert posted["at"]["atMobiles"] == [CADRE_PHONE]
    text = posted["text"]["content"]
    assert f"@{CADRE_PHONE}" in text and "刘洋 138****2222" in text and WORKER_PHONE not in text
    key = "checkin/2026-11/days_left/石桥镇|李建国@dingtalk://abc123token/"
    assert text.splitlines()[-1] == f"[{key}]"


def test_a_wecom_group_mentions_the_cadre_in_mentioned_mobile_list(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posted, path = _send_to_group_bot(engine, tmp_path, monkeypatch, "wecom")
    assert path == "/cgi-bin/webhook/send?key=bot-key-1"
    assert posted["msgtype"] == "text"
    assert posted["text"]["mentioned_mobile_list"] == [CADRE_PHONE]
    assert "刘洋 138****2222" in posted["text"]["content"]
    assert not FULL_PHONE.search(posted["text"]["content"])


def test_no_one_is_mentioned_when_the_operator_turns_mentions_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notify = NotifySettings(group_mentions=False)
    with webhook_sink() as sink:
        monkeypatch.setattr(
            WeComBotWithMentions, "notify_url", sink.base + "/cgi-bin/webhook/send?key={key}"
        )
        message = compose(Renderer("zh"), _checkin(), "wecombot://k", "k1", NOW, notify)
        make_channel("wecombot://k", Path("unused")).send(message)
    assert message.mentions == ()
    assert "mentioned_mobile_list" not in sink.received[0]["text"]


# --- the idempotency key, sent along --------------------------------------------------------


def test_a_json_webhook_receives_the_key_in_an_idempotency_key_header(
    engine: Engine, tmp_path: Path
) -> None:
    digests = _prepared(engine, date(2026, 11, 8))
    with webhook_sink() as sink:
        notify = NotifySettings(outbox_dir=tmp_path / "outbox", default_routes=[sink.url])
        deliver(engine, digests, notify, NOW)
    assert len(sink.received) == 2
    for body, headers in zip(sink.received, sink.headers, strict=True):
        key = body["message"].splitlines()[-1].strip("[]")
        assert key.startswith("checkin/2026-11/days_left/")
        assert headers["Idempotency-Key"] == key_header_value(key)
        assert unquote(headers["Idempotency-Key"]) == key


def test_an_email_carries_the_key_in_an_x_lianxin_key_header(
    engine: Engine, tmp_path: Path
) -> None:
    digests = _prepared(engine, date(2026, 11, 8))
    with smtp_sink(to="lijianguo@example.org") as sink:
        notify = NotifySettings(outbox_dir=tmp_path / "outbox", routes={"李建国": [sink.url]})
        deliver(engine, digests, notify, NOW)
    (mail,) = sink.received
    key = f"checkin/2026-11/days_left/石桥镇|李建国@{sink.url}"
    assert unquote(str(mail["X-Lianxin-Key"])) == key
    assert mail.get_body(("plain",)).get_content().rstrip().endswith(f"[{key}]")


def test_messages_sent_at_once_on_one_channel_each_carry_their_own_key() -> None:
    with webhook_sink() as sink:
        channel = make_channel(sink.url, Path("unused"))
        messages = [
            Message(key=f"key-{n}", recipient="李建国", title="t", body=f"body {n}", created_at=NOW)
            for n in range(8)
        ]
        threads = [threading.Thread(target=channel.send, args=(m,)) for m in messages]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    pairs: dict[str, Any] = {
        body["message"].splitlines()[0]: headers["Idempotency-Key"]
        for body, headers in zip(sink.received, sink.headers, strict=True)
    }
    assert pairs == {f"body {n}": f"key-{n}" for n in range(8)}
