"""The sample portal: a believable, deterministic county whose pages carry known records."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import requests

from config.settings import Settings, SourceSettings
from lianxin.portal import PORTAL_TODAY, Site, build_site, portal_sources, serve_portal, write_site
from lianxin.records import ReportKind, WorkStatus


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site()


def test_two_builds_are_byte_identical(site: Site) -> None:
    again = build_site()
    assert list(again) == list(site)
    assert all(again[path] == site[path] for path in site)


def test_another_seed_makes_other_people(site: Site) -> None:
    other = build_site(seed=7)
    assert {w.name for w in other.truth.workers} != {w.name for w in site.truth.workers}


def test_the_county_has_three_towns_six_villages_fifteen_cadres_three_hundred_workers(
    site: Site,
) -> None:
    truth = site.truth
    assert truth.county.name == "云溪县" and re.fullmatch(r"\d{12}", truth.county.code or "")
    assert len(truth.towns) == 3 and len(truth.villages) == 6
    assert len(truth.cadres) == 15 and len(truth.workers) == 300
    per_cadre = Counter(w.cadre for w in truth.workers)
    assert set(per_cadre.values()) == {20}
    villages_per_cadre = {c.name: c.village for c in truth.cadres}
    assert all(villages_per_cadre[w.cadre] == w.village for w in truth.workers)
    assert len({(w.village, w.name) for w in truth.workers}) == 300


def test_people_have_fake_eleven_digit_phones_and_masked_id_numbers(site: Site) -> None:
    for worker in site.truth.workers:
        assert re.fullmatch(r"1\d{10}", worker.phone or "")
        assert re.fullmatch(r"\d{4}\*{10}\d{3}[\dX]", worker.id_number or "")
    assert all(re.fullmatch(r"1\d{10}", c.phone or "") for c in site.truth.cadres)


def test_most_workers_are_employed_some_looking_a_few_home(site: Site) -> None:
    statuses = Counter(w.status for w in site.truth.workers)
    assert statuses[WorkStatus.employed] > 200
    assert 10 <= statuses[WorkStatus.looking] <= 50
    assert 5 <= statuses[WorkStatus.returned] <= 30


def test_september_and_october_calls_fall_mostly_in_the_first_ten_days(site: Site) -> None:
    for period in ("2026-09", "2026-10"):
        calls = site.truth.checkins[period]
        assert len(calls) >= 280
        late = [c for c in calls if c.call_date and c.call_date.day > 10]
        unreached = [c for c in calls if not c.reached]
        assert 0 < len(late) < 0.1 * len(calls)
        assert 0 < len(unreached) < 0.1 * len(calls)


def test_november_is_under_way_on_the_portals_today(site: Site) -> None:
    calls = site.truth.checkins["2026-11"]
    assert PORTAL_TODAY.isoformat() == "2026-11-08"
    assert all(c.call_date and c.call_date.day <= 7 for c in calls)
    due = [w for w in site.truth.workers if w.status is not WorkStatus.returned]
    assert 0.55 <= len(calls) / len(due) <= 0.65
    silent = {c.name for c in site.truth.cadres} - {c.cadre for c in calls}
    assert 1 <= len(silent) <= 3


def test_every_page_kind_is_published_with_listings_linking_them(site: Site) -> None:
    kinds = Counter(p.kind for p in site.truth.pages.values())
    assert kinds[ReportKind.checkin_table] == 18  # 6 villages × 3 months
    assert kinds[ReportKind.roster] == 3
    assert kinds[ReportKind.problem_list] == 2
    assert kinds[ReportKind.article] == 3
    linked = {link for p in site.truth.pages_of(ReportKind.listing) for link in p.links}
    reports = {path for path, p in site.truth.pages.items() if p.kind is not ReportKind.listing}
    assert reports <= linked


def test_some_village_pages_are_gbk_with_a_matching_declaration(site: Site) -> None:
    gbk = {path: page for path, page in site.items() if "gb" in page[1]}
    assert gbk
    for content, content_type in gbk.values():
        declared = content_type.split("charset=")[1]
        head = content[:600].decode("ascii", "replace")
        assert f"charset={declared}" in head or f'charset="{declared}"' in head
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
        assert "电话回访" in content.decode("gb18030")


def test_pages_carry_government_meta_tags_and_content_containers(site: Site) -> None:
    for path in (p.path for p in site.truth.pages_of(ReportKind.checkin_table)):
        content, content_type = site[path]
        text = content.decode(content_type.split("charset=")[1].replace("gb2312", "gbk"))
        for name in ("SiteName", "ColumnName", "ArticleTitle", "PubDate", "ContentSource"):
            assert f'name="{name}"' in text
        assert 'class="TRS_Editor"' in text or 'id="zoom"' in text


def test_served_portal_answers_over_http_on_loopback(site: Site) -> None:
    with serve_portal(site=site) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        path = site.truth.pages_of(ReportKind.checkin_table)[1].path
        response = requests.get(base_url.rstrip("/") + path, timeout=5)
        assert response.status_code == 200
        assert response.content == site[path][0]
        assert response.headers["Content-Type"] == site[path][1]
        missing = requests.get(base_url + "no/such/page.html", timeout=5)
        assert missing.status_code == 404


def test_serving_writes_no_request_log_lines(site: Site, capfd: pytest.CaptureFixture[str]) -> None:
    with serve_portal(site=site) as base_url:
        requests.get(base_url + "index.html", timeout=5)
    assert capfd.readouterr().err == ""


def test_portal_sources_are_valid_source_settings() -> None:
    sources = portal_sources("http://127.0.0.1:8000/")
    settings = Settings(sources=[SourceSettings(**s) for s in sources])
    assert [s.url for s in settings.sources] == [
        "http://127.0.0.1:8000/jyfw/index.html",
        "http://127.0.0.1:8000/cwgk/index.html",
        "http://127.0.0.1:8000/dctb/index.html",
        "http://127.0.0.1:8000/news/index.html",
    ]
    assert len({s.name for s in settings.sources}) == 4


def test_write_site_dumps_every_page_to_files(site: Site, tmp_path: Path) -> None:
    files = write_site(tmp_path, site)
    assert len(files) == len(site)
    assert (tmp_path / "cwgk" / "index.html").read_bytes() == site["/cwgk/index.html"][0]
