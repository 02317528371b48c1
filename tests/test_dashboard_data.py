from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from config.settings import RulesSettings
from lianxin.dashboard import data
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.writes import save_results
from personas import TOWN, VILLAGE, checkins, roster

NOW = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
RULES = RulesSettings()
COUNTY = "新化县"


def _store(engine: Engine) -> None:
    save_results(
        engine,
        [
            roster(),
            checkins("2026-10", {"张伟": date(2026, 10, 3), "刘洋": date(2026, 10, 4)}),
            checkins("2026-11", {"张伟": date(2026, 11, 3)}),
        ],
        NOW,
    )
    with engine.begin() as conn:
        conn.execute(
            t.regions.insert(),
            [
                {"level": "county", "name": COUNTY, "parent": "湖南省"},
                {"level": "town", "name": TOWN, "parent": COUNTY},
            ],
        )
    evaluate(engine, date(2026, 10, 12), RULES, NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    refresh_compliance(engine, ["2026-10", "2026-11"], NOW)


def test_the_county_officer_sees_the_months_calls_by_town_and_the_trend(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        view = data.overview(conn, "2026-11", date(2026, 11, 12), county=COUNTY)
        province = data.overview(conn, "2026-11", date(2026, 11, 12))
    # The county has one town: a one-row table says nothing, so its villages are listed.
    assert view.level == "village"
    assert {p["town"] for p in view.places} == {TOWN} and len(view.places) >= 2
    assert view.totals["due"] == 3 and view.totals["done"] == 1
    assert view.totals["rate"] == round(100 / 3, 1)
    assert [m["period"] for m in view.trend][-2:] == ["2026-10", "2026-11"]
    assert view.trend[-2]["done"] == 2
    assert province.level == "village" and province.places == view.places  # one county too
    assert [v["late"] for v in view.worst_villages] == [1, 1]


def test_the_town_lead_sees_villages_and_another_town_sees_nothing(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        mine = data.overview(conn, "2026-11", date(2026, 11, 12), town=TOWN)
        other = data.overview(conn, "2026-11", date(2026, 11, 12), town="白云乡")
    assert mine.level == "village" and VILLAGE in [p["name"] for p in mine.places]
    assert other.places == [] and other.totals["due"] == 0 and other.totals["rate"] is None


def test_a_cadres_row_counts_their_calls(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        rows = data.cadres(conn, "2026-11", town=TOWN)
    assert sum(r["due"] for r in rows) == 3
    assert sum(r["done"] for r in rows) == 1
    assert all(r["name"] for r in rows)


def test_a_workers_page_has_calls_income_and_a_maskable_phone(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        key = conn.execute(select(t.workers.c.key).where(t.workers.c.name == "张伟")).scalar_one()
        page = data.worker(conn, key)
        assert data.worker(conn, "nobody") is None
    assert page is not None
    assert [c["period"] for c in page.checkins] == ["2026-10", "2026-11"]
    assert {o["period"] for o in page.obligations} == {"2026-10", "2026-11"}
    assert page.profile["phone"] == "13800001111" and page.profile["phone_masked"] is False
    masked = data.mask_worker(page.profile, can_see_phone=False)
    assert masked["phone"] != "13800001111" and masked["phone_masked"] is True
    assert data.mask_worker(page.profile, can_see_phone=True)["phone"] == "13800001111"


def test_sources_runs_and_problems_read_without_error_on_a_fresh_store(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        src = data.sources(conn)
        board = data.problems_board(conn, date(2026, 11, 12))
        assert data.runs(conn) == []
    assert set(board) == {"open", "rectifying", "rectified", "verified"}
    assert src.quarantine == [] or "reason" in src.quarantine[0]


def test_previous_periods_cross_the_new_year() -> None:
    assert data.previous_periods("2027-02", 4) == ["2026-11", "2026-12", "2027-01", "2027-02"]
