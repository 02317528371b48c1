"""The link in a personal digest to the one-tap phone page: its token (signed, scoped, expiring,
revocable), the save path (the same record_call, audited as the link), CSRF, the pace, read
receipts and the one repeat of an unread digest; and no token in a log, an artifact or a
group message."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from links_site import AS_OF, LEAD, NOON, LinkSite, build_link_site
from sqlalchemy import Engine, select
from test_dashboard_auth import log_in

from browser import serve_app
from config.settings import NotifySettings
from lianxin.dashboard.app import create_app
from lianxin.errors import LinkRefused
from lianxin.notify.escalation_digests import build_escalation_digests
from lianxin.notify.links import expires_at
from lianxin.notify.render import Renderer
from lianxin.privacy import scrub
from lianxin.rules.evaluate import evaluate
from lianxin.services.links import check_link, list_links, revoke
from lianxin.signing import link_id_of, link_token, new_link_id, secret_key_for
from lianxin.store import schema as t
from sinks import webhook_sink

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sent_site(site: LinkSite) -> tuple[str, TestClient]:
    """Send the digests; return 李建国's token (from the outbox) and a client without a login."""
    site.send(NOON)
    return site.token_of("李建国"), web(site)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[LinkSite]:
    with time_machine.travel(NOON, tick=True):
        yield build_link_site(engine, tmp_path)


def web(site: LinkSite) -> TestClient:
    return TestClient(create_app(site.settings, engine=site.engine))


def form_of(client: TestClient, token: str, **fields: str) -> dict[str, str]:
    page = client.get(f"/m/{token}")
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found
    form = {"csrf_token": found.group(1), "reached": "yes", "status": "employed"}
    form.update(income="3800", demands="想参加电工培训", note="在东莞")
    form.update(fields)
    return form


def save(client: TestClient, token: str, obligation: int, form: dict[str, str]) -> httpx.Response:
    return client.post(f"/m/{token}/calls/{obligation}", data=form, follow_redirects=False)


def test_a_personal_digest_links_to_a_page_of_exactly_its_workers_with_full_tel_links(
    site: LinkSite,
) -> None:
    stats = site.send(NOON)
    assert stats.sent == 2  # 李建国's and 周敏's digests, to the outbox
    token = site.token_of("李建国")
    page = web(site).get(f"/m/{token}")
    assert page.status_code == 200
    html = page.text
    assert 'href="tel:13800001111"' in html and 'href="tel:13800002222"' in html  # 张伟, 刘洋
    assert "王磊" not in html and "13800004444" not in html  # 周敏's worker
    assert "陈静" not in html  # returned home: owes no call
    assert html.count('class="phone-call"') == 2
    assert "逾期 2 天" in html and "9月4日" in html  # days past due, 张伟's last call, in Chinese
    assert "本月电话回访" in html  # Chinese by default


def test_saving_records_the_call_through_record_call_audited_as_the_link(site: LinkSite) -> None:
    token, client = sent_site(site)
    answer = save(client, token, site.obligation("刘洋"), form_of(client, token))
    assert answer.status_code == 303
    assert site.status("刘洋") == "done" and site.status("张伟") == "overdue"
    with site.engine.connect() as conn:
        call = conn.execute(
            select(t.checkins.c.demands, t.checkins.c.income_yuan, t.checkins.c.source_url).where(
                t.checkins.c.worker_name == "刘洋", t.checkins.c.period == "2026-11"
            )
        ).one()
    link_id = link_id_of(secret_key_for(site.settings), token)
    assert call == ("想参加电工培训", 3800, f"manual:link:{link_id}")
    [(who, _target, detail)] = site.audit("record_checkin_link")
    assert who == f"link:{link_id} (李建国)" and detail["obligation"] == site.obligation("刘洋")
    assert token not in str(detail)
    page = client.get(f"/m/{token}").text
    assert "刘洋" not in page and "张伟" in page  # the called worker left the list


def test_a_save_through_fetch_answers_json_and_a_second_save_of_the_same_call_is_409(
    site: LinkSite,
) -> None:
    token, client = sent_site(site)
    form = form_of(client, token)
    path = f"/m/{token}/calls/{site.obligation('张伟')}"
    first, again = (
        client.post(path, data=form, headers={"Accept": "application/json"}) for _ in range(2)
    )
    assert first.status_code == 200 and first.json()["ok"] is True
    assert again.status_code == 409 and again.json()["error"] == "phone.refused.closed"
    assert site.calls() == 1


def test_a_save_for_a_worker_outside_the_digest_is_refused_and_records_nothing(
    site: LinkSite,
) -> None:
    token, client = sent_site(site)
    answer = save(client, token, site.obligation("王磊"), form_of(client, token))
    assert answer.status_code == 403
    assert site.status("王磊") == "overdue" and site.calls() == 0
    assert site.audit("record_checkin_link") == []


def test_altered_revoked_and_expired_tokens_are_refused_and_record_nothing(
    site: LinkSite,
) -> None:
    token, client = sent_site(site)
    form = form_of(client, token)
    oid = site.obligation("刘洋")
    link_id, _dot, signature = token.partition(".")
    altered = f"{link_id}.{signature[:-1]}{'a' if signature[-1] != 'a' else 'b'}"
    other_id = f"{'B' if link_id[0] != 'B' else 'C'}{link_id[1:]}"
    for bad in (
        altered,
        link_token("another-key", link_id),
        link_token(secret_key_for(site.settings), other_id),
        "nonsense",
    ):
        assert client.get(f"/m/{bad}").status_code == 403
        assert save(client, bad, oid, form).status_code == 403
    assert site.calls() == 0

    with time_machine.travel(NOON + timedelta(days=6), tick=False):  # past the 10th + 72 h
        assert client.get(f"/m/{token}").status_code == 410
        assert save(client, token, oid, form).status_code == 410
        with pytest.raises(LinkRefused) as refused:
            check_link(site.engine, secret_key_for(site.settings), token, NOON + timedelta(days=6))
        assert refused.value.status == 410 and token not in str(refused.value)
    assert site.calls() == 0

    assert revoke(site.engine, NOON, link_id=link_id) == 1
    assert client.get(f"/m/{token}").status_code == 403
    assert save(client, token, oid, form).status_code == 403
    assert site.calls() == 0 and site.status("刘洋") == "overdue"


def test_a_post_without_the_links_csrf_token_is_refused(site: LinkSite) -> None:
    site.send(NOON)
    token = site.token_of("李建国")
    other = site.token_of("周敏")
    client = web(site)
    form = form_of(client, token)
    oid = site.obligation("刘洋")
    assert save(client, token, oid, {**form, "csrf_token": ""}).status_code == 403
    # Another link's CSRF token does not fit this link.
    assert save(client, token, oid, {**form_of(client, other)}).status_code == 403
    assert site.calls() == 0
    assert save(client, token, oid, form).status_code == 303


def test_the_pace_refuses_a_link_past_its_rate_with_429_and_records_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    with time_machine.travel(NOON, tick=True):
        site = build_link_site(engine, tmp_path, link_rate="3/minute")
        site.send(NOON)
        token = site.token_of("李建国")
        client = web(site)
        form = form_of(client, token)  # 1
        assert client.get(f"/m/{token}").status_code == 200  # 2
        assert client.get(f"/m/{token}").status_code == 200  # 3
        assert save(client, token, site.obligation("刘洋"), form).status_code == 429
        assert site.calls() == 0


def cadre_row(client: TestClient, name: str) -> str:
    """Return the read receipt cell of `name`'s row on the cadres page."""
    html = client.get("/cadres").text
    table = html[html.index('id="cadres-list"') :]
    row = table[table.index(name) :]
    row = row[: row.index("</tr>")]
    return row[row.index('class="cadre-read"') :]


def test_opening_the_link_marks_the_digest_read_on_the_cadres_page(site: LinkSite) -> None:
    site.send(NOON)
    lead = web(site)
    assert log_in(lead, LEAD[0], LEAD[1]).status_code == 303
    assert "未读" in cadre_row(lead, "李建国")
    assert web(site).get(f"/m/{site.token_of('李建国')}").status_code == 200
    row = cadre_row(lead, "李建国")
    assert "已读" in row and "11月12日 12:" in row  # the one date filter: Chinese on a Chinese page
    [link] = [r for r in list_links(site.engine) if r["cadre_key"].endswith("李建国")]
    assert link["reads"] == 1 and link["first_read_at"] is not None


def test_an_unread_digest_is_repeated_once_on_the_same_route_and_a_read_one_never(
    site: LinkSite,
) -> None:
    first = site.send(NOON)
    assert first.sent == 2
    web(site).get(f"/m/{site.token_of('周敏')}")  # 周敏 reads hers; 李建国 does not
    assert site.send(NOON + timedelta(hours=2)).sent == 0  # not yet 24 hours
    later = NOON + timedelta(hours=25)
    repeat = site.send(later)
    assert (repeat.sent, repeat.already_sent) == (1, 2)
    with site.engine.connect() as conn:
        keys = conn.execute(select(t.reminders.c.idempotency_key)).scalars().all()
    [repeated] = [k for k in keys if "/repeat@" in k]
    assert "李建国" in repeated and repeated.endswith("@outbox://")
    again = site.send(later + timedelta(hours=1))
    assert (again.sent, again.already_sent) == (0, 3)  # the repeat has its own key: once
    texts = [
        p.read_text(encoding="utf-8")
        for p in Path(site.settings.notify.outbox_dir).rglob("*")
        if p.is_file()
    ]
    assert sum("再次提醒" in text for text in texts) == 1


def test_escalation_digests_say_whether_the_cadre_read_their_digest(site: LinkSite) -> None:
    site.send(NOON)
    web(site).get(f"/m/{site.token_of('李建国')}")
    later = AS_OF + timedelta(days=2)  # three days past the 10th: escalated to the village
    evaluate(site.engine, later, site.settings.rules, NOON + timedelta(days=2))
    with site.engine.connect() as conn:
        digests = build_escalation_digests(conn, later, site.settings.notify)
    bodies = [Renderer("zh").render(d, kind="group")[1] for d in digests]
    text = "\n".join(bodies)
    assert re.search(r"李建国：.*（提醒已读 11-12 12:\d\d）", text), text
    assert re.search(r"周敏：.*（提醒未读）", text), text


def test_a_group_bot_gets_no_token_while_the_personal_copy_carries_it(
    engine: Engine, tmp_path: Path
) -> None:
    with webhook_sink() as sink, time_machine.travel(NOON, tick=True):
        notify = NotifySettings(
            outbox_dir=tmp_path / "outbox",
            routes={"李建国": ["outbox://"], "青山村": [sink.url]},
            channel_kinds={"json": "group"},
            pacing={},
        )
        site = build_link_site(engine, tmp_path, notify=notify)
        site.send(NOON)
        token = site.token_of("李建国")
        assert sink.received, "the group bot got the village's digest"
        sent = str(sink.received) + str(sink.paths) + str(sink.headers)
        assert token not in sent and "/m/" not in sent
        assert token.partition(".")[0] not in sent


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_no_token_reaches_a_log_line_even_with_uvicorns_access_log_on(
    site: LinkSite, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    site.send(NOON)
    token = site.token_of("李建国")
    app = create_app(site.settings, engine=site.engine)
    seen = Lines()
    with serve_app(app, log_level="info") as url:  # urllib: a client that logs nothing itself
        for name in ("uvicorn.access", "uvicorn.error"):
            logging.getLogger(name).addHandler(seen)
        try:
            assert urlopen(f"{url}/m/{token}").status == 200
            with pytest.raises(HTTPError) as refused:
                urlopen(f"{url}/m/{token[:-2]}xy")
            assert refused.value.code == 403
        finally:
            for name in ("uvicorn.access", "uvicorn.error"):
                logging.getLogger(name).removeHandler(seen)
    printed = capfd.readouterr()
    lines = [*seen.lines, *(r.getMessage() for r in caplog.records)]
    lines += (printed.out + printed.err).splitlines()
    assert sum("GET /m/… HTTP/1.1" in line for line in seen.lines) == 2, seen.lines
    link_id = token.partition(".")[0]
    assert not [line for line in lines if token in line or link_id in line]


def test_a_link_lasts_until_its_windows_end_or_its_sending_if_later_plus_the_grace() -> None:
    grace = timedelta(hours=72)
    on_time = expires_at(date(2026, 11, 10), grace, datetime(2026, 11, 3, 1, 0, tzinfo=UTC))
    assert on_time == datetime(2026, 11, 13, 16, 0, tzinfo=UTC)  # 11 Nov 00:00 Shanghai + 72 h
    overdue = expires_at(date(2026, 11, 10), grace, datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    assert overdue == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_tokens_are_letters_only_so_masking_never_touches_them() -> None:
    for _ in range(200):
        link_id = new_link_id()
        token = link_token("the-key", link_id)
        assert re.fullmatch(r"[A-Za-z]{16}\.[A-Za-z]{24}", token)
        assert scrub(f"打开 {token} 登记") == f"打开 {token} 登记"
        assert link_id_of("the-key", token) == link_id
        assert link_id_of("another-key", token) is None


def test_the_pace_counts_an_address_across_links(engine: Engine, tmp_path: Path) -> None:
    with time_machine.travel(NOON, tick=True):
        site = build_link_site(engine, tmp_path, link_rate="3/minute")
        site.send(NOON)
        client = web(site)
        li, zhou = site.token_of("李建国"), site.token_of("周敏")
        assert [client.get(f"/m/{li}").status_code for _ in range(2)] == [200, 200]
        assert client.get(f"/m/{zhou}").status_code == 200  # the address's third request
        assert client.get(f"/m/{zhou}").status_code == 429  # 周敏's link has had only one


def test_the_phone_page_speaks_english_when_asked(site: LinkSite) -> None:
    token, client = sent_site(site)
    page = client.get(f"/m/{token}?lang=en").text
    assert "This month&#39;s calls" in page and "Not reached" in page and "本月电话回访" not in page
