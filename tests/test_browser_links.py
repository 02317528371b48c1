"""The phone page in a real Chromium on a 390×844 phone screen: the cadre reads their digest
in the outbox, opens its link (no log-in), records two calls — one of them while offline, kept
on the phone and saved once back online — and sees both workers leave the list; the village
lead's cadres page then shows 已读. An altered, expired or revoked link is refused (403/410) and
records nothing. Screenshots go to the test's tmp folder; their names are printed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from links_site import LEAD, NOON, build_link_site
from playwright.sync_api import Browser, Page, expect

from browser import SCREENSHOTS_ENV, serve_app, shot
from lianxin.dashboard.app import create_app
from lianxin.services.links import revoke
from lianxin.signing import link_id_of, secret_key_for
from lianxin.store.db import migrate
from lianxin.store.engine import engine_for

PHONE = {"width": 390, "height": 844}


def phone_page(browser: Browser) -> Page:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    return context.new_page()


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 390-px screen"


def test_a_cadre_records_two_calls_from_the_digest_link_on_a_phone(
    browser: Browser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(SCREENSHOTS_ENV, str(tmp_path / "screenshots"))
    shots: list[Path] = []
    engine = engine_for(f"sqlite:///{tmp_path}/lianxin.db")
    migrate(engine)
    with time_machine.travel(NOON, tick=True):
        site = build_link_site(engine, tmp_path)
        assert site.send(NOON).sent == 2
        token = site.token_of("李建国")  # read from the outbox, as the cadre reads the digest
        with serve_app(create_app(site.settings, engine=engine)) as url:
            page = phone_page(browser)
            answer = page.goto(f"{url}/m/{token}")
            assert answer is not None and answer.status == 200
            expect(page.locator("h1")).to_contain_text("本月电话回访")
            cards = page.locator(".phone-card")
            expect(cards).to_have_count(2)
            tel = page.locator("#call-{} a.phone-tel".format(site.obligation("张伟")))
            expect(tel).to_have_attribute("href", "tel:13800001111")
            fits_the_screen(page)
            shots.append(shot(page, "phone-opened"))

            # 张伟: reached, working, 3800 yuan, a demand. Saved with fetch(): the card goes.
            card = page.locator(f"#call-{site.obligation('张伟')}")
            card.locator('input[name="reached"][value="yes"]').check()
            card.locator('select[name="status"]').select_option("employed")
            card.locator('input[name="income"]').fill("3800")
            card.locator('textarea[name="demands"]').fill("想参加电工培训")
            card.locator('button[type="submit"]').click()
            expect(page.locator("#phone-status")).to_contain_text("已保存：张伟")
            expect(cards).to_have_count(1)
            assert site.status("张伟") == "done"
            shots.append(shot(page, "phone-first-saved"))

            # 刘洋: typed while offline. The save fails, the page says so, the typing is kept.
            card = page.locator(f"#call-{site.obligation('刘洋')}")
            card.locator('input[name="reached"][value="no"]').check()
            card.locator('textarea[name="note"]').fill("关机，明天再打")
            page.context.set_offline(True)
            card.locator('button[type="submit"]').click()
            expect(page.locator("#phone-status")).to_contain_text("网络不好，未能保存")
            shots.append(shot(page, "phone-offline"))
            page.context.set_offline(False)
            assert site.status("刘洋") == "overdue"
            page.reload()
            expect(page.locator("#phone-status")).to_contain_text("已恢复")
            card = page.locator(f"#call-{site.obligation('刘洋')}")
            expect(card.locator('textarea[name="note"]')).to_have_value("关机，明天再打")
            expect(card.locator('input[name="reached"][value="no"]')).to_be_checked()
            card.locator('button[type="submit"]').click()
            expect(page.locator("#phone-status")).to_contain_text("已保存：刘洋")
            expect(cards).to_have_count(0)
            expect(page.locator("#phone-none")).to_be_visible()
            assert site.status("刘洋") == "done" and site.calls() == 2
            page.reload()
            expect(page.locator(".phone-card")).to_have_count(0)  # gone on the server too
            shots.append(shot(page, "phone-all-called"))

            # The village lead, on a phone too, sees the digest read on the cadres page.
            lead = phone_page(browser)
            lead.goto(f"{url}/login?next=/cadres")
            lead.fill('input[name="username"]', LEAD[0])
            lead.fill('input[name="password"]', LEAD[1])
            lead.click('form[action="/login"] button[type="submit"]')
            expect(lead).to_have_url(f"{url}/cadres")
            row = lead.locator("#cadres-list tbody tr", has_text="李建国")
            expect(row.locator(".cadre-read")).to_contain_text("已读")
            shots.append(shot(lead, "phone-lead-cadres-read"))

            # Refused links record nothing: altered (403), expired (410), revoked (403).
            other = site.token_of("周敏")
            link_id, _dot, signature = other.partition(".")
            altered = f"{link_id}.{signature[:-1]}{'a' if signature[-1] != 'a' else 'b'}"
            refused = page.goto(f"{url}/m/{altered}")
            assert refused is not None and refused.status == 403
            shots.append(shot(page, "phone-altered-403"))
            with time_machine.travel(NOON + timedelta(days=6), tick=True):
                refused = page.goto(f"{url}/m/{other}")
                assert refused is not None and refused.status == 410
                expect(page.locator("body")).to_contain_text("链接已过期")
                shots.append(shot(page, "phone-expired-410"))
            opened = page.goto(f"{url}/m/{other}")
            assert opened is not None and opened.status == 200
            card = page.locator(f"#call-{site.obligation('王磊')}")
            card.locator('input[name="income"]').fill("4000")
            key = secret_key_for(site.settings)
            assert revoke(engine, NOON, link_id=link_id_of(key, other)) == 1
            card.locator('button[type="submit"]').click()  # the page was open when revoked
            expect(page.locator("#phone-status")).to_contain_text("链接已被收回")
            refused = page.goto(f"{url}/m/{other}")
            assert refused is not None and refused.status == 403
            shots.append(shot(page, "phone-revoked-403"))
            assert site.status("王磊") == "overdue" and site.calls() == 2
    with capsys.disabled():
        print("\nphone-page screenshots:", *(p.name for p in shots), sep="\n  ")
    assert all(p.is_file() and p.stat().st_size > 0 for p in shots)
