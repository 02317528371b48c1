"""Feishu (飞书) and Lark group bots, end to end against a loopback receiver: the responsible
cadre is @-mentioned by their Feishu id (Feishu cannot @ by phone) or named as plain text, the
post is signed when the bot has a secret, and a refusal Feishu answers with HTTP 200 counts as
a failure.

Personas as in test_words: cadre 李建国 (13900001111) looks after 刘洋 (13800002222) of 青山村.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.lark import NotifyLark
from pydantic import ValidationError
from sqlalchemy import Engine, select
from test_words import CADRE_PHONE, FULL_PHONE, NOW, WORKER_PHONE, _prepared

from config.settings import NotifySettings
from lianxin.notify.channels import make_channel
from lianxin.notify.deliver import DeliveryStats, deliver
from lianxin.notify.feishu import feishu_sign, mention_text
from lianxin.store import schema as t
from sinks import WebhookSink, webhook_sink

SECRET = "fs-Secret-0123456789abcdef"  # a fake signing key, from the environment below
OPEN_ID = "ou_7d8a6e6df7621556ce0d21922b676706"
FEISHU_API = "/open-apis/bot/v2/hook/{token}/"
LARK_API = "/open-apis/bot/v2/hook/"


def _send(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    route: str,
    answer: dict[str, Any] | None = None,
    **settings: Any,
) -> tuple[DeliveryStats, WebhookSink]:
    """Deliver 8 November's digests with 李建国's route `route`, whose bot API is a loopback
    receiver answering `answer`; return the delivery's figures and the receiver."""
    digests = _prepared(engine, NOW.date())
    monkeypatch.setenv("FEISHU_SECRET", SECRET)
    with webhook_sink() as sink:
        sink.answer = answer
        monkeypatch.setattr(NotifyFeishu, "notify_url", sink.base + FEISHU_API)
        monkeypatch.setattr(NotifyLark, "notify_url", sink.base + LARK_API)
        notify = NotifySettings(
            outbox_dir=tmp_path / "outbox", routes={"李建国": [route]}, **settings
        )
        stats = deliver(engine, digests, notify, NOW)
    return stats, sink


def test_a_feishu_group_ats_the_cadre_by_open_id_and_signs_the_post(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = int(time.time())
    stats, sink = _send(
        engine,
        tmp_path,
        monkeypatch,
        "feishu://bot-token-1?secret=${FEISHU_SECRET}",
        answer={"code": 0, "msg": "success", "data": {}},
        feishu_ids={"李建国": OPEN_ID},
    )
    assert (stats.sent, stats.failed) == (2, 0)  # 周敏's digest goes to the outbox
    (posted,) = sink.received
    assert sink.paths == ["/open-apis/bot/v2/hook/bot-token-1/"]
    assert set(posted) == {"timestamp", "sign", "msg_type", "content"}
    assert posted["msg_type"] == "text"
    text = posted["content"]["text"]
    assert text.startswith(f'<at user_id="{OPEN_ID}">李建国</at>\n')
    assert "刘洋 138****2222" in text and WORKER_PHONE not in text and CADRE_PHONE not in text
    assert not FULL_PHONE.search(text)
    stamp = int(posted["timestamp"])
    assert before - 1 <= stamp <= int(time.time()) + 1  # seconds, not milliseconds
    assert posted["sign"] == feishu_sign(SECRET, stamp)
    with engine.connect() as conn:
        ledger = conn.execute(select(t.reminders.c.channel, t.reminders.c.detail)).all()
    assert ledger and SECRET not in str(ledger)  # the key stays out of the ledger


def test_a_cadre_key_in_feishu_ids_wins_over_the_name(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stats, sink = _send(
        engine,
        tmp_path,
        monkeypatch,
        "feishu://bot-token-1",
        feishu_ids={"李建国": "ou_by_name", "石桥镇|李建国": "ou_by_key"},
    )
    (posted,) = sink.received
    assert posted["content"]["text"].startswith('<at user_id="ou_by_key">李建国</at>\n')
    assert "sign" not in posted and "timestamp" not in posted  # no secret, no signature


def test_a_lark_group_names_a_cadre_without_a_feishu_id_as_plain_text(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats, sink = _send(engine, tmp_path, monkeypatch, "lark://bot-token-2")
    assert (stats.sent, stats.failed) == (2, 0)
    (posted,) = sink.received
    assert sink.paths == ["/open-apis/bot/v2/hook/bot-token-2"]
    text = posted["content"]["text"]
    assert "<at " not in text  # @李建国 is text: Feishu shows it and notifies no one
    assert "\n@李建国\n" in f"\n{text}" and "刘洋 138****2222" in text


def test_no_one_is_mentioned_in_feishu_when_mentions_are_off(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stats, sink = _send(
        engine,
        tmp_path,
        monkeypatch,
        "feishu://bot-token-1",
        feishu_ids={"李建国": OPEN_ID},
        group_mentions=False,
    )
    (posted,) = sink.received
    assert "<at " not in posted["content"]["text"] and "@李建国" not in posted["content"]["text"]


def test_a_refusal_feishu_answers_with_http_200_is_a_failed_send(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    stats, sink = _send(
        engine,
        tmp_path,
        monkeypatch,
        "feishu://bot-token-1?secret=wrong",
        answer=refused,
        retries=0,
    )
    assert len(sink.received) == 1  # received, and refused
    assert (stats.sent, stats.failed) == (1, 1)


def test_a_feishu_id_that_could_break_out_of_the_mention_is_refused() -> None:
    with pytest.raises(ValidationError, match="feishu_ids"):
        NotifySettings(feishu_ids={"李建国": 'ou_1"><at user_id="all'})
    # A name cannot break out either: the markup characters are dropped.
    assert mention_text([("ou_1", '李<b>"建国'), ("", "周&敏")]) == (
        '<at user_id="ou_1">李b建国</at> @周敏'
    )


def test_a_feishu_routes_secret_never_shows_in_its_label(tmp_path: Path) -> None:
    channel = make_channel(f"feishu://bot-token-1?secret={SECRET}", tmp_path)
    assert SECRET not in channel.label and "secret=***" in channel.label
