"""Sessions that end and a log-in pace that is honest, against someone who copies a cookie,
guesses passwords or forges X-Forwarded-For (issue #12, item 4)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import Engine, select
from test_dashboard_auth import PASSWORD, csrf_of, log_in, seeded_store
from typer.testing import CliRunner

from browser import serve_app
from config.settings import Settings
from lianxin.cli.app import app as cli_app
from lianxin.dashboard import auth
from lianxin.dashboard.app import SESSION_COOKIE, create_app
from lianxin.dashboard.pacing import LoginPace, backoff_seconds
from lianxin.store import schema as t

OFFICE, HOME = ("10.20.0.7", 41000), ("10.99.0.3", 52000)  # 村委会's NAT, a lead's phone at home
NEW_PASSWORD = "河湾-new-battery-staple-9"


@pytest.fixture
def store(settings: Settings) -> Iterator[Engine]:
    """The settings' own SQLite store (the one `lianxin users …` opens), with 王芳 (lead of
    青山村), 何万 (lead of 河湾村) and 赵局 (county) among its accounts."""
    engine = seeded_store(settings.database_url)
    yield engine
    engine.dispose()


def dashboard(settings: Settings, engine: Engine, **dashboard: object) -> Settings:
    """Return `settings` with these [dashboard] settings changed."""
    changed = settings.dashboard.model_copy(update=dashboard)
    return settings.model_copy(update={"dashboard": changed})


def from_address(settings: Settings, engine: Engine, address: tuple[str, int]) -> TestClient:
    return TestClient(create_app(settings, engine=engine), client=address)


def copy_of(client: TestClient) -> TestClient:
    """Return another browser holding the same session cookie (as a thief would)."""
    return replaying(client.app, client.cookies[SESSION_COOKIE])


def replaying(app: object, cookie: str) -> TestClient:
    """Return a browser that sends exactly this session cookie (replayed, never updated)."""
    thief = TestClient(app, client=HOME)  # type: ignore[arg-type]
    thief.cookies.set(SESSION_COOKIE, cookie)
    return thief


def opens_overview(client: TestClient | httpx.Client) -> bool:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code in (200, 303), answer.status_code
    return answer.status_code == 200


def audited(engine: Engine, action: str) -> list[tuple[str, str | None]]:
    query = select(t.audit_log.c.username, t.audit_log.c.address).where(
        t.audit_log.c.action == action
    )
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(query.order_by(t.audit_log.c.id))]


# --- sessions that end ---------------------------------------------------------------------


def test_a_copied_cookie_stops_working_when_its_owner_logs_out(
    settings: Settings, store: Engine
) -> None:
    lead = from_address(settings, store, OFFICE)
    assert log_in(lead, "wangfang").status_code == 303
    thief = copy_of(lead)
    assert opens_overview(thief)
    answer = lead.post("/logout", data={"csrf_token": csrf_of(lead, "/")}, follow_redirects=False)
    assert answer.status_code == 303
    assert not opens_overview(thief)
    assert not opens_overview(lead)
    assert log_in(lead, "wangfang").status_code == 303 and opens_overview(lead)
    assert not opens_overview(thief)  # a new log-in does not bring the old cookie back


def test_a_copied_cookie_stops_working_after_lianxin_users_passwd(
    settings: Settings, store: Engine
) -> None:
    lead = from_address(settings, store, OFFICE)
    log_in(lead, "wangfang")
    thief = copy_of(lead)
    other = from_address(settings, store, OFFICE)
    log_in(other, "hewan")
    changed = CliRunner().invoke(
        cli_app, ["users", "passwd", "wangfang", "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    assert changed.exit_code == 0, changed.output
    assert not opens_overview(thief) and not opens_overview(lead)
    assert opens_overview(other)  # 何万's session is not 王芳's: it goes on
    assert log_in(lead, "wangfang", PASSWORD).status_code == 401
    assert log_in(from_address(settings, store, HOME), "wangfang", NEW_PASSWORD).status_code == 303


def test_a_copied_cookie_stays_dead_after_users_disable_and_enable(
    settings: Settings, store: Engine
) -> None:
    lead = from_address(settings, store, OFFICE)
    log_in(lead, "wangfang")
    stolen = lead.cookies[SESSION_COOKIE]
    runner = CliRunner()
    assert runner.invoke(cli_app, ["users", "disable", "wangfang"]).exit_code == 0
    assert not opens_overview(replaying(lead.app, stolen))
    assert runner.invoke(cli_app, ["users", "disable", "wangfang", "--enable"]).exit_code == 0
    # Enabling again does not revive what disabling ended, however often the cookie is replayed.
    assert not opens_overview(replaying(lead.app, stolen))
    assert log_in(lead, "wangfang").status_code == 303 and opens_overview(lead)


def test_a_cookie_signed_without_a_session_number_is_refused(
    settings: Settings, store: Engine
) -> None:
    """A cookie signed before migration 0011 (no number) ends; one with the number goes on."""
    app = create_app(settings, engine=store)

    def signed(session: dict[str, object]) -> str:  # as Starlette's SessionMiddleware signs
        data = base64.b64encode(json.dumps(session).encode())
        return TimestampSigner(auth.secret_key_for(settings)).sign(data).decode()

    now = int(time.time())
    old = {"user": "wangfang", "login_at": now, "csrf": "x"}
    assert not opens_overview(replaying(app, signed(old)))
    assert opens_overview(replaying(app, signed({**old, "sv": 0})))
    with store.begin() as conn:
        auth.end_sessions(conn, "wangfang")
        assert auth.session_version(conn, "wangfang") == 1
    assert not opens_overview(replaying(app, signed({**old, "sv": 0})))


# --- the log-in pace -----------------------------------------------------------------------


def test_three_wrong_passwords_lock_neither_another_user_nor_another_address(
    settings: Settings, store: Engine
) -> None:
    office_a = from_address(settings, store, OFFICE)
    with time_machine.travel("2026-11-30 09:00 +0800", tick=False) as clock:
        codes = [log_in(office_a, "wangfang", "wrong").status_code]
        for failures in (1, 2):  # each tried once its wait (1 s, then 2 s) has passed
            clock.shift(backoff_seconds(failures, 1.0, 900.0))
            codes.append(log_in(office_a, "wangfang", "wrong").status_code)
        assert codes == [401, 401, 401]
        assert log_in(from_address(settings, store, OFFICE), "hewan").status_code == 303
        assert log_in(from_address(settings, store, HOME), "wangfang").status_code == 303
        refused = log_in(office_a, "wangfang")  # right, but 4 s after the third failure: wait
        assert refused.status_code == 429 and refused.headers["retry-after"] == "4"
        clock.shift(4)
        assert log_in(office_a, "wangfang").status_code == 303
        # The success cleared the failures: the next wrong one starts again at 1 s, not 8 s.
        assert log_in(office_a, "wangfang", "wrong").status_code == 401
        again = log_in(office_a, "wangfang", "wrong")
        assert again.status_code == 429 and again.headers["retry-after"] == "1"
    assert audited(store, "login_failed") == [("wangfang", OFFICE[0])] * 4
    assert audited(store, "login") == [
        ("hewan", OFFICE[0]),
        ("wangfang", HOME[0]),
        ("wangfang", OFFICE[0]),
    ]


def test_one_address_trying_many_names_is_capped_but_known_names_still_log_in(
    settings: Settings, store: Engine
) -> None:
    capped = dashboard(settings, store, login_rate="3/hour")
    office = from_address(capped, store, OFFICE)
    with time_machine.travel("2026-11-30 09:00 +0800", tick=False) as clock:
        assert log_in(office, "zhaoju").status_code == 303  # 赵局 logged in here this morning
        sprayed = [log_in(office, name, "123456").status_code for name in ("a", "b", "c")]
        assert sprayed == [401, 401, 401]
        assert log_in(office, "hewan").status_code == 429  # new to this address: the cap holds
        assert log_in(office, "zhaoju").status_code == 303  # known here: never locked out
        assert log_in(from_address(capped, store, HOME), "hewan").status_code == 303
        clock.shift(3600)
        assert log_in(office, "hewan").status_code == 303


def test_the_pace_is_bounded_and_forgets_a_quiet_pair() -> None:
    pace = LoginPace("1000/hour", backoff_base=1.0, backoff_max=8.0, max_keys=100)
    for n in range(500):
        pace.failed(f"name{n}", "10.0.0.1", 0.0)
    assert pace.wait("name499", "10.0.0.1", 0.0) == 1.0
    assert pace.wait("name0", "10.0.0.1", 0.0) == 0.0  # forgotten first, to bound memory
    for _ in range(6):
        pace.failed("WangFang", "10.0.0.2", 100.0)
    assert pace.wait("wangfang", "10.0.0.2", 100.0) == 8.0  # capped; case buys no fresh tries
    assert pace.wait("wangfang", "10.0.0.2", 116.0) == 0.0  # quiet for twice the cap


# --- proxy headers -------------------------------------------------------------------------


def live_log_in(base: str, username: str, password: str, forwarded: str) -> httpx.Response:
    with httpx.Client(base_url=base, headers={"X-Forwarded-For": forwarded}) as browser:
        return log_in(browser, username, password)  # type: ignore[arg-type]


def test_a_forged_x_forwarded_for_is_neither_audited_nor_a_way_round_the_pace(
    settings: Settings, store: Engine
) -> None:
    patient = dashboard(settings, store, login_backoff_seconds=60.0)  # no race with the clock
    with serve_app(create_app(patient, engine=store)) as base:
        assert live_log_in(base, "wangfang", "wrong", "203.0.113.9").status_code == 401
        # A fresh forged address for each guess would be a fresh pace: it is not believed.
        assert live_log_in(base, "wangfang", PASSWORD, "198.51.100.7").status_code == 429
    assert audited(store, "login_failed") == [("wangfang", "127.0.0.1")]
    assert audited(store, "login_throttled") == [("wangfang", "127.0.0.1")]


def test_the_configured_proxy_names_the_client_for_the_audit_log_and_the_pace(
    settings: Settings, store: Engine
) -> None:
    behind_proxy = dashboard(
        settings, store, forwarded_allow_ips=["127.0.0.1"], login_backoff_seconds=60.0
    )
    with serve_app(create_app(behind_proxy, engine=store)) as base:
        # nginx appends the peer it saw: the client's own claim to the left is not believed.
        chain = "192.0.2.66, 203.0.113.9"
        assert live_log_in(base, "wangfang", "wrong", chain).status_code == 401
        assert live_log_in(base, "wangfang", PASSWORD, "198.51.100.7").status_code == 303
        assert live_log_in(base, "wangfang", PASSWORD, chain).status_code == 429
    assert audited(store, "login_failed") == [("wangfang", "203.0.113.9")]
    assert audited(store, "login") == [("wangfang", "198.51.100.7")]
    assert audited(store, "login_throttled") == [("wangfang", "203.0.113.9")]


def test_forwarded_allow_ips_refuses_anything_but_addresses() -> None:
    with pytest.raises(ValueError, match="forwarded_allow_ips"):
        Settings(dashboard={"forwarded_allow_ips": ["*"]})  # type: ignore[arg-type]
    proxies = ["127.0.0.1", "10.0.0.0/8"]
    ok = Settings(dashboard={"forwarded_allow_ips": proxies})  # type: ignore[arg-type]
    assert ok.dashboard.forwarded_allow_ips == proxies
