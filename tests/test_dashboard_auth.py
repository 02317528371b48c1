"""The dashboard's foundation: log-in, sessions, CSRF, who may see what, the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from config.settings import Settings
from lianxin.cli.app import app as cli_app
from lianxin.dashboard import auth
from lianxin.dashboard.app import SESSION_COOKIE, create_app
from lianxin.dashboard.scope import Role, Viewer, can_see_phone, place_clause
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.store.writes import save_results
from personas import FETCHED, VILLAGE, roster

PASSWORD = "青山-correct-horse-7"


def seeded_store(database_url: str) -> Engine:
    """Return a migrated store with 李建国's and 周敏's workers, and four accounts: 王芳 (lead
    of 青山村), 何万 (lead of 河湾村), 赵局 (county) and admin."""
    engine = make_engine(database_url)
    migrate(engine)
    save_results(engine, [roster()], FETCHED)
    with engine.begin() as conn:
        auth.create_user(conn, "wangfang", PASSWORD, Role.village_lead, village=VILLAGE)
        auth.create_user(conn, "hewan", PASSWORD, Role.village_lead, village="河湾村")
        auth.create_user(conn, "zhaoju", PASSWORD, Role.county, display_name="赵局")
        auth.create_user(conn, "admin", PASSWORD, Role.admin)
    return engine


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    """A tmp SQLite store with 李建国's and 周敏's workers, and four accounts."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/lianxin.db", data_dir=tmp_path)
    engine = seeded_store(settings.database_url)
    yield settings, engine
    engine.dispose()


@pytest.fixture
def client(store: tuple[Settings, Engine]) -> TestClient:
    settings, engine = store
    return TestClient(create_app(settings, engine=engine))


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def worker_key(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(t.workers.c.key).where(t.workers.c.name == name)).scalar_one()


def audit_actions(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.audit_log.c.username, t.audit_log.c.action)).all()
    return [(r[0], r[1]) for r in rows]


def test_a_page_without_a_session_redirects_to_the_log_in(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/"
    assert client.get("/healthz").text == "ok"


def test_the_village_lead_logs_in_and_the_cookie_is_httponly_and_samesite(
    client: TestClient, store: tuple[Settings, Engine]
) -> None:
    answer = log_in(client, "wangfang")
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    overview = client.get("/")
    assert overview.status_code == 200
    assert "总览" in overview.text and VILLAGE in overview.text
    assert ("wangfang", "login") in audit_actions(store[1])


def test_a_wrong_password_is_refused_and_audited(
    client: TestClient, store: tuple[Settings, Engine]
) -> None:
    answer = log_in(client, "wangfang", "wrong")
    assert answer.status_code == 401
    assert "用户名或密码错误" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 303
    assert ("wangfang", "login_failed") in audit_actions(store[1])


def test_the_password_is_stored_as_an_argon2id_hash(store: tuple[Settings, Engine]) -> None:
    with store[1].connect() as conn:
        stored = conn.execute(
            select(t.users.c.password_hash).where(t.users.c.username == "wangfang")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    csrf_of(client)
    answer = client.post("/login", data={"username": "wangfang", "password": PASSWORD})
    assert answer.status_code == 403
    log_in(client, "wangfang")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_log_out_ends_the_session(client: TestClient, store: tuple[Settings, Engine]) -> None:
    log_in(client, "wangfang")
    token = csrf_of(client, "/")
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    assert ("wangfang", "logout") in audit_actions(store[1])


def test_a_disabled_account_is_out_at_its_next_click(
    client: TestClient, store: tuple[Settings, Engine]
) -> None:
    log_in(client, "wangfang")
    with store[1].begin() as conn:
        auth.set_active(conn, "wangfang", False)
    assert client.get("/", follow_redirects=False).status_code == 303
    assert log_in(client, "wangfang").status_code == 401


def test_a_village_lead_cannot_open_another_villages_worker(
    client: TestClient, store: tuple[Settings, Engine]
) -> None:
    engine = store[1]
    log_in(client, "hewan")  # the lead of 河湾村
    assert client.get(f"/workers/{worker_key(engine, '张伟')}").status_code == 404
    mine = client.get(f"/workers/{worker_key(engine, '王磊')}")
    assert mine.status_code == 200 and "王磊" in mine.text


def test_the_scope_helper_keeps_each_role_in_its_place(store: tuple[Settings, Engine]) -> None:
    engine = store[1]

    def names(viewer: Viewer) -> set[str]:
        with engine.connect() as conn:
            query = select(t.workers.c.name).where(place_clause(viewer, t.workers))
            return set(conn.execute(query).scalars())

    with engine.connect() as conn:
        li = conn.execute(select(t.cadres.c.key).where(t.cadres.c.name == "李建国")).scalar_one()
    assert names(Viewer("wangfang", Role.village_lead, village=VILLAGE)) == {"张伟", "刘洋", "陈静"}
    assert names(Viewer("li", Role.cadre, cadre_key=li)) == {"张伟", "刘洋", "陈静"}
    assert names(Viewer("town", Role.town_lead, town="石桥镇")) == {"张伟", "刘洋", "陈静", "王磊"}
    assert names(Viewer("zhaoju", Role.county)) == {"张伟", "刘洋", "陈静", "王磊"}
    assert names(Viewer("elsewhere", Role.town_lead, town="别的镇")) == set()
    assert names(Viewer("nobody", Role.village_lead)) == set()


def test_phones_are_masked_for_the_county_and_shown_to_the_village_lead(
    client: TestClient, store: tuple[Settings, Engine]
) -> None:
    key = worker_key(store[1], "张伟")
    log_in(client, "zhaoju")
    page = client.get(f"/workers/{key}").text
    assert "138****1111" in page and "13800001111" not in page
    other = TestClient(client.app)
    log_in(other, "wangfang")
    assert "13800001111" in other.get(f"/workers/{key}").text
    lead = Viewer("wangfang", Role.village_lead, village=VILLAGE)
    assert can_see_phone(lead, village=VILLAGE, cadre_key=None)
    assert not can_see_phone(lead, village="河湾村", cadre_key=None)


def test_the_audit_log_never_holds_a_full_phone(store: tuple[Settings, Engine]) -> None:
    from lianxin.dashboard import audit

    viewer = Viewer("wangfang", Role.village_lead, village=VILLAGE)
    with store[1].begin() as conn:
        audit.record(conn, viewer, "checkin", "张伟 13800001111", {"phone": "13800001111"})
    with store[1].connect() as conn:
        row = conn.execute(select(t.audit_log).where(t.audit_log.c.action == "checkin")).one()
    assert "13800001111" not in row.target and "13800001111" not in str(row.detail)


def test_the_english_switch_is_remembered_in_a_cookie(client: TestClient) -> None:
    log_in(client, "admin")
    english = client.get("/?lang=en")
    assert "Overview" in english.text and "lang=en" in english.headers["set-cookie"]
    assert "Overview" in client.get("/").text
    assert "总览" in client.get("/?lang=zh").text


def test_failed_log_ins_of_a_name_wait_longer_each_time(client: TestClient) -> None:
    with time_machine.travel("2026-11-30 09:00 +0800", tick=False) as clock:
        first = log_in(client, "wangfang", "wrong")
        again = log_in(client, "wangfang", PASSWORD)  # refused unchecked, however right
        clock.shift(1)
        second = log_in(client, "wangfang", "wrong")
        clock.shift(1)
        early = log_in(client, "wangfang", "wrong")
    assert [first.status_code, again.status_code, second.status_code] == [401, 429, 401]
    assert again.headers["retry-after"] == "1"
    assert early.status_code == 429 and early.headers["retry-after"] == "1"  # 2 s after two


def test_the_signing_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/x.db", data_dir=tmp_path)
    key = auth.secret_key_for(settings)
    assert auth.secret_key_for(settings) == key
    assert (tmp_path / "dashboard.secret").stat().st_mode & 0o777 == 0o600


def test_lianxin_users_add_reads_the_password_from_stdin(
    settings: Settings, tmp_path: Path
) -> None:
    seeded_store(settings.database_url).dispose()  # the village must be one the store knows
    runner = CliRunner()
    answer = runner.invoke(
        cli_app,
        [
            "users",
            "add",
            "lijianguo",
            "--role",
            "village_lead",
            "--village",
            VILLAGE,
            "--password-stdin",
        ],
        input=f"{PASSWORD}\n",
    )
    assert answer.exit_code == 0, answer.output
    assert PASSWORD not in answer.output
    listed = runner.invoke(cli_app, ["users", "list"], env={"COLUMNS": "160"})
    assert "lijianguo" in listed.output and "village_lead" in listed.output
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        assert auth.authenticate(conn, "lijianguo", PASSWORD) is not None
    assert runner.invoke(cli_app, ["users", "disable", "lijianguo"]).exit_code == 0
    with engine.connect() as conn:
        assert auth.authenticate(conn, "lijianguo", PASSWORD) is None
    missing_place = runner.invoke(
        cli_app, ["users", "add", "x", "--role", "village_lead", "--password-stdin"], input="p\n"
    )
    assert missing_place.exit_code != 0


def test_the_demo_logins_open_the_dashboard(store: tuple[Settings, Engine]) -> None:
    from lianxin.cli.demo import demo_logins

    settings, engine = store
    with engine.begin() as conn:  # the store already has an admin: the demo renews its password
        conn.execute(t.users.delete().where(t.users.c.username == "admin"))
    logins = demo_logins(engine)
    assert [u for u, _, _ in logins] == ["admin", "village"]
    again = dict((u, p) for u, p, _ in demo_logins(engine))  # `lianxin demo --keep`
    client = TestClient(create_app(settings, engine=engine))
    assert log_in(client, "village", again["village"]).status_code == 303
    assert client.get(f"/workers/{worker_key(engine, '王磊')}").status_code == 200


def test_a_county_officer_sees_only_the_towns_of_their_county(
    store: tuple[Settings, Engine],
) -> None:
    engine = store[1]
    with engine.begin() as conn:
        conn.execute(t.regions.delete())
        conn.execute(
            t.regions.insert(),
            [
                {"level": "county", "name": "新化县", "parent": ""},
                {"level": "town", "name": "石桥镇", "parent": "新化县"},
                {"level": "town", "name": "别的镇", "parent": "别的县"},
            ],
        )

    def names(viewer: Viewer) -> set[str]:
        with engine.connect() as conn:
            query = select(t.workers.c.name).where(place_clause(viewer, t.workers))
            return set(conn.execute(query).scalars())

    assert names(Viewer("zhaoju", Role.county, county="新化县")) == {"张伟", "刘洋", "陈静", "王磊"}
    assert names(Viewer("other", Role.supervision, county="别的县")) == set()


def test_problems_are_scoped_by_the_place_they_name() -> None:
    from lianxin.dashboard.scope import problem_clause

    engine = make_engine("sqlite://")
    migrate(engine)
    base = {"source_url": "http://portal.test/p.html", "description": "台账不全", "status": "open"}
    with engine.begin() as conn:
        conn.execute(
            t.problems.insert(),
            [
                {**base, "key": "1", "number": "1", "place": "石桥镇青山村"},
                {**base, "key": "2", "number": "2", "place": "石桥镇河湾村"},
                {**base, "key": "3", "number": "3", "place": "100%_村"},
            ],
        )

    def numbers(viewer: Viewer) -> set[str]:
        with engine.connect() as conn:
            query = select(t.problems.c.number).where(problem_clause(viewer))
            return set(conn.execute(query).scalars())

    assert numbers(Viewer("wangfang", Role.village_lead, village=VILLAGE)) == {"1"}
    assert numbers(Viewer("town", Role.town_lead, town="石桥镇")) == {"1", "2"}
    assert numbers(Viewer("odd", Role.village_lead, village="%")) == {"3"}  # a literal %
    assert numbers(Viewer("duchazu", Role.supervision)) == {"1", "2", "3"}


def test_a_name_from_a_hostile_page_is_escaped_and_no_inline_script_may_run(
    client: TestClient, store: tuple[Settings, Engine]
) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    with store[1].begin() as conn:
        conn.execute(t.workers.update().where(t.workers.c.name == "张伟").values(name=hostile))
    log_in(client, "wangfang")
    page = client.get(f"/workers/{worker_key(store[1], hostile)}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    policy = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
