from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select

from config.settings import RulesSettings
from lianxin.dashboard.queries import cadres, common, operations, overview, problems, workers
from lianxin.dashboard.scope import Role, Viewer, place_filter, within
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
        view = overview.overview(conn, "2026-11", date(2026, 11, 12), county=COUNTY)
        province = overview.overview(conn, "2026-11", date(2026, 11, 12))
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
        mine = overview.overview(conn, "2026-11", date(2026, 11, 12), town=TOWN)
        other = overview.overview(conn, "2026-11", date(2026, 11, 12), town="白云乡")
    assert mine.level == "village" and VILLAGE in [p["name"] for p in mine.places]
    assert other.places == [] and other.totals["due"] == 0 and other.totals["rate"] is None


def test_a_cadres_row_counts_their_calls(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        rows = cadres.cadres(conn, "2026-11", town=TOWN)
    assert sum(r["due"] for r in rows) == 3
    assert sum(r["done"] for r in rows) == 1
    assert all(r["name"] for r in rows)


def test_a_workers_page_has_calls_income_and_a_maskable_phone(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        key = conn.execute(select(t.workers.c.key).where(t.workers.c.name == "张伟")).scalar_one()
        page = workers.worker_page(conn, key)
        assert workers.worker_page(conn, "nobody") is None
    assert page is not None
    assert [c["period"] for c in page.checkins] == ["2026-10", "2026-11"]
    assert {o["period"] for o in page.obligations} == {"2026-10", "2026-11"}
    assert page.profile["phone"] == "13800001111" and page.profile["phone_masked"] is False
    masked = workers.mask_worker(page.profile, can_see_phone=False)
    assert masked["phone"] != "13800001111" and masked["phone_masked"] is True
    assert workers.mask_worker(page.profile, can_see_phone=True)["phone"] == "13800001111"


def test_sources_runs_and_problems_read_without_error_on_a_fresh_store(engine: Engine) -> None:
    _store(engine)
    with engine.connect() as conn:
        src = operations.sources(conn)
        board = problems.problems_board(conn, date(2026, 11, 12))
        assert operations.runs(conn) == []
    assert set(board) == {"open", "rectifying", "rectified", "verified"}
    assert src.quarantine == [] or "reason" in src.quarantine[0]


def test_previous_periods_cross_the_new_year() -> None:
    assert common.previous_periods("2027-02", 4) == ["2026-11", "2026-12", "2027-01", "2027-02"]


def test_a_masked_worker_hides_every_personal_field_by_the_one_rule() -> None:
    row = {"phone": "13800001111", "cadre_phone": "13900002222", "id_number": "430124199001011234"}
    masked = workers.mask_worker({**row, "name": "张伟"}, can_see_phone=False)
    assert masked == {
        "phone": "138****1111",
        "cadre_phone": "139****2222",  # the cadre's phone is personal too
        "id_number": "430***********1234",
        "name": "张伟",
        "phone_masked": True,
    }
    assert workers.mask_worker(row, can_see_phone=True) == {**row, "phone_masked": False}


def test_one_place_filter_narrows_any_table_and_within_keeps_the_viewer_in_theirs(
    engine: Engine,
) -> None:
    _store(engine)
    lead = Viewer("lead", Role.town_lead, town=TOWN)
    with engine.connect() as conn:
        everyone = conn.execute(select(func.count()).select_from(t.workers)).scalar_one()
        assert everyone > 0
        # workers have no county column: the county reaches them through the region tree
        assert overview.worker_count(conn, place_filter(county=COUNTY)) == everyone
        assert overview.worker_count(conn, place_filter(county="别的县")) == 0
        assert overview.worker_count(conn, place_filter(town=TOWN, village=VILLAGE)) > 0
        assert overview.worker_count(conn, within(lead, county=COUNTY)) == everyone
        assert overview.worker_count(conn, within(lead, town="白云乡")) == 0
        # a cadre's own workers, by their key, through the same filter
        cadre = conn.execute(select(t.workers.c.cadre_key).limit(1)).scalar_one()
        mine = place_filter(cadre_key=cadre)
        assert 0 < overview.worker_count(conn, mine) <= everyone
