"""`lianxin links list|revoke` and `lianxin checkin record --demands`: a revoked link answers
403 at once, the list never prints a token, every revocation is audited."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from links_site import NOON, LinkSite, build_link_site
from sqlalchemy import select
from typer.testing import CliRunner

from config.settings import Settings
from lianxin.cli.app import app
from lianxin.errors import LinkRefused
from lianxin.services.links import check_link
from lianxin.signing import link_id_of, secret_key_for
from lianxin.store import schema as t
from lianxin.store.engine import engine_for

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> LinkSite:
    with time_machine.travel(NOON, tick=True):
        site = build_link_site(engine_for(settings.database_url), tmp_path)
        assert site.send(NOON).sent == 2
    return site


def test_list_shows_each_link_unread_without_its_token(site: LinkSite) -> None:
    result = runner.invoke(app, ["links", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    token = site.token_of("李建国")
    link_id, _dot, signature = token.partition(".")
    assert link_id in result.output and signature not in result.output
    assert result.output.count("未读") == 2


def test_revoking_one_link_then_a_cadres_links_refuses_them_and_is_audited(
    site: LinkSite,
) -> None:
    key = secret_key_for(site.settings)
    li, zhou = site.token_of("李建国"), site.token_of("周敏")
    li_id = link_id_of(key, li)
    result = runner.invoke(app, ["links", "revoke", str(li_id)])
    assert result.exit_code == 0 and "Revoked 1 link." in result.output
    with pytest.raises(LinkRefused, match="revoked"):
        check_link(site.engine, key, li, NOON)
    assert check_link(site.engine, key, zhou, NOON).cadre_name == "周敏"
    with site.engine.connect() as conn:
        zhou_key = conn.execute(
            select(t.cadres.c.key).where(t.cadres.c.name == "周敏")
        ).scalar_one()
    result = runner.invoke(app, ["links", "revoke", "--cadre", zhou_key])
    assert result.exit_code == 0 and "Revoked 1 link." in result.output
    with pytest.raises(LinkRefused, match="revoked"):
        check_link(site.engine, key, zhou, NOON)
    targets = [target for _who, target, _detail in site.audit("revoke_link")]
    assert targets == [li_id, zhou_key]
    assert "已读" not in runner.invoke(app, ["links", "list"], env=WIDE).output


def test_revoke_needs_one_link_or_one_cadre(site: LinkSite) -> None:
    result = runner.invoke(app, ["links", "revoke"])
    assert result.exit_code == 2 and "one of the two" in result.output
    both = runner.invoke(app, ["links", "revoke", "x", "--cadre", "y"])
    assert both.exit_code == 2


def test_checkin_record_stores_the_demands_told_on_the_call(site: LinkSite) -> None:
    with time_machine.travel(NOON, tick=True):
        result = runner.invoke(
            app,
            ["checkin", "record", "刘洋", "--date", "2026-11-12", "--demands", "想回县城就业"],
        )
    assert result.exit_code == 0, result.output
    with site.engine.connect() as conn:
        demands = conn.execute(
            select(t.checkins.c.demands).where(t.checkins.c.worker_name == "刘洋")
        ).scalar_one()
    assert demands == "想回县城就业" and site.status("刘洋") == "done"
