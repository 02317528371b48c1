"""Chinese throughout the Chinese interface: every quarantine reason, severity, finding, obligation
explanation and import failure is said in the viewer's language, on the pages and in the CLI.

Personas: cadre 李建国 looks after 张伟, 刘洋 and 陈静 of 青山村, where 孙丽 (on the roster, never
called) shares 刘洋's phone and 赵六 was called though nobody of that name is on the roster.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Engine, select
from test_dashboard_auth import PASSWORD, log_in
from test_dashboard_data_page import checkin_csv, make_site, upload
from typer.testing import CliRunner

from config.settings import RulesSettings, Settings
from lianxin.cli.app import app as cli
from lianxin.dashboard import auth
from lianxin.dashboard.app import create_app
from lianxin.dashboard.scope import Role
from lianxin.parsing.corpus import load_cases, run_case
from lianxin.reasons import (
    FIELD_ERRORS,
    FINDINGS,
    OBLIGATIONS,
    PHRASES,
    QUARANTINE,
    SEVERITIES,
    WORDS,
    Phrase,
    localize,
    read,
)
from lianxin.records import CheckIn, FindingKind, Severity, Worker, WorkStatus
from lianxin.rules.evaluate import evaluate
from lianxin.rules.reconcile import reconcile_periods
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import FETCHED, SHANGHAI, TOWN, VILLAGE, checkins, roster

T0 = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 12)
CORPUS = Path(__file__).parent / "corpus"
HAN = re.compile(r"[\u4e00-\u9fff]")
# A value of each kind a phrase may hold: a nested reason, a list of field errors, words.
SAMPLE = {
    "inner": "duplicate of row 2",
    "items": "name: Field required; income_yuan: Value error, not a number: '三千'",
    "kind": "roster",
    "category": "moved_out",
    "field": "phone",
    "rest": "",
}


def example(phrase: Phrase) -> str:
    """Return the English the code would write for `phrase`, with sample values."""
    names = {n for _, n, _, _ in string.Formatter().parse(phrase.en) if n}
    return phrase.en.format(**{n: SAMPLE.get(n, f"7{n[:1]}") for n in names})


def english_fragments(phrase: Phrase) -> list[str]:
    """Return the English words of `phrase` a Chinese page must not show (runs of 8+ chars)."""
    literal = re.sub(r"\{\w+\}", "\0", phrase.en)
    return [
        part.strip(" :;,()")
        for part in literal.split("\0")
        if len(re.sub(r"[^A-Za-z]", "", part)) >= 8
    ]


def test_every_phrase_has_chinese_and_english_with_the_same_values() -> None:
    codes = [p.code for p in (*PHRASES, *FIELD_ERRORS)]
    assert len(codes) == len(set(codes)), "a code used twice"
    for phrase in (*PHRASES, *FIELD_ERRORS):
        # Chinese words, or only values joined the Chinese way ("{field}：{inner}")
        assert phrase.en.strip() and (HAN.search(phrase.zh) or "：" in phrase.zh), phrase.code
        english = {n for _, n, _, _ in string.Formatter().parse(phrase.en) if n}
        chinese = {n for _, n, _, _ in string.Formatter().parse(phrase.zh) if n}
        assert chinese <= english, phrase.code  # Chinese may leave a value out, not invent one
    for vocabulary in WORDS.values():
        for zh, en in vocabulary.values():
            assert HAN.search(zh) and en
    assert set(SEVERITIES) == {s.value for s in Severity}
    assert all(HAN.search(zh) and en for zh, en in SEVERITIES.values())


def test_every_phrase_is_read_back_from_its_english_to_its_own_code() -> None:
    for phrase in (*PHRASES, *FIELD_ERRORS):
        text = example(phrase)
        found = read(text, PHRASES if phrase in PHRASES else FIELD_ERRORS)
        assert found is not None and found[0].code == phrase.code, (phrase.code, text)


def test_every_finding_kind_has_its_phrase() -> None:
    codes = {p.code for p in FINDINGS}
    assert {f"finding_{k.value}" for k in FindingKind} <= codes


def test_text_written_by_no_phrase_is_shown_as_stored() -> None:
    old = "called twice (an older version's words)"
    assert localize(old, "zh") == old and localize(old, "en") == old
    assert localize("", "zh") == "" and localize(None, "zh") == ""


def test_birth_rows_of_either_form_are_translated() -> None:
    # Since migration 0017 a birth row says only how the obligation started; history written
    # before it also repeated the rule's detail, and is still read.
    before = (
        "2026-11 monthly check-in (每月上旬电话回访): the worker is employed or looking for "
        "work; call due by 2026-11-10 — a call of this month is recorded"
    )
    assert localize(before, "zh") == (
        "2026-11每月上旬电话回访：该人员在岗或正在找工作，须在2026-11-10前回访；本月已有回访记录"
    )
    assert localize("a call of this month is recorded", "zh") == "本月已有回访记录"
    assert localize("created", "zh") == "新建"


def test_nested_reasons_and_field_errors_are_translated_all_the_way_down() -> None:
    text = "row 4: cadre: invalid value: name: String should have at most 40 characters"
    assert localize(text, "zh") == "第4行：包户干部：数值无效：姓名：最多40个字"
    assert localize(text, "en") == text


def test_every_reason_the_parser_writes_for_the_corpus_is_known() -> None:
    reasons = {
        q.reason for case in load_cases(CORPUS) for q in run_case(case).quarantined if q.reason
    }
    assert len(reasons) >= 10
    unknown = sorted(r for r in reasons if read(r) is None)
    assert not unknown


# --- a real store: the rules' and the reconciliation's own words --------------------------


def _hostile_store(engine: Engine) -> None:
    """The personas' roster with 孙丽 sharing 刘洋's phone, three months of calls (刘洋 never
    reached, 张伟 earning nothing in November), and a November table with every finding."""
    people = roster()
    people.workers.append(
        Worker(
            name="孙丽",
            phone="13800002222",
            village=VILLAGE,
            town=TOWN,
            cadre="李建国",
            status=WorkStatus.employed,
        )
    )
    months = []
    for period, day in (("2026-09", date(2026, 9, 4)), ("2026-10", date(2026, 10, 5))):
        page = checkins(period, {"张伟": day, "刘洋": day})
        page.checkins[1] = page.checkins[1].model_copy(update={"reached": False})
        months.append(page)
    november = checkins("2026-11", {"张伟": date(2026, 11, 3), "刘洋": date(2026, 11, 15)})
    november.checkins[0] = november.checkins[0].model_copy(update={"income_yuan": 0})
    november.checkins[1] = november.checkins[1].model_copy(update={"reached": False})
    november.checkins += [
        # 张伟 again, published without a phone: the same worker called twice
        november.checkins[0].model_copy(
            update={"call_date": date(2026, 11, 4), "worker_phone": None}
        ),
        CheckIn(
            worker_name="赵六",
            worker_phone="139****0000",
            village=VILLAGE,
            period="2026-11",
            call_date=date(2026, 11, 5),
            reached=True,
        ),
    ]
    save_results(engine, [people, *months, november], FETCHED)
    reconcile_periods(engine, ["2026-11"], RulesSettings(), T0)
    evaluate(engine, AS_OF, RulesSettings(), T0)


def _stored_words(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {
            "finding": [r for (r,) in conn.execute(select(t.findings.c.detail))],
            "subject": [
                r
                for (r,) in conn.execute(
                    select(t.findings.c.subject).where(t.findings.c.kind == "shared_phone")
                )
            ],
            "detail": [r for (r,) in conn.execute(select(t.obligations.c.detail))],
            "event": [r for (r,) in conn.execute(select(t.obligation_events.c.reason))],
            "flag": [r for (r,) in conn.execute(select(t.risk_flags.c.detail))],
        }


def test_every_finding_and_explanation_the_rules_write_is_known(engine: Engine) -> None:
    _hostile_store(engine)
    stored = _stored_words(engine)
    with engine.connect() as conn:
        kinds = set(conn.execute(select(t.findings.c.kind)).scalars())
        owed = set(conn.execute(select(t.obligations.c.kind)).scalars())
    assert kinds == {k.value for k in FindingKind}
    assert {"monthly_checkin", "home_visit", "employment_assistance"} <= owed
    assert stored["flag"], "no income-risk flag"
    unknown = sorted({text for texts in stored.values() for text in texts if read(text) is None})
    assert not unknown


@pytest.fixture
def local_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/lianxin.db")
    migrate(engine)
    yield engine
    engine.dispose()


def _client(engine: Engine, tmp_path: Path, username: str = "admin") -> TestClient:
    with engine.begin() as conn:
        auth.create_user(conn, username, PASSWORD, Role.admin)
    settings = Settings(database_url="sqlite://", data_dir=tmp_path)
    client = TestClient(create_app(settings, engine=engine))
    assert log_in(client, username).status_code == 303
    return client


def _quarantined(engine: Engine, n: int, reason: str, severity: str) -> None:
    """Store quarantined row `n` of a page of its own, as the parser would have."""
    with engine.begin() as conn:
        conn.execute(
            t.quarantine.insert(),
            {
                "url": f"http://portal.test/q/{n}.html",
                "content_hash": f"{n:064x}",
                "row": n + 1,
                "reason": reason,
                "severity": severity,
                "raw": {"姓名": f"某人{n}"},
                "created_at": T0 - timedelta(seconds=n),
            },
        )


def _quarantine_every_reason(engine: Engine) -> list[Phrase]:
    """Store one quarantined row per reason the code can write, each severity among them."""
    severities = [s.value for s in Severity]
    for n, phrase in enumerate(QUARANTINE):
        _quarantined(engine, n, example(phrase), severities[n % len(severities)])
    return list(QUARANTINE)


def _sources_pages(client: TestClient, language: str) -> str:
    pages = [client.get(f"/sources?page={n}&lang={language}") for n in (1, 2, 3)]
    assert all(p.status_code == 200 for p in pages)
    return "".join(p.text for p in pages)


def test_the_sources_page_says_every_reason_severity_and_finding_in_chinese(
    local_engine: Engine, tmp_path: Path
) -> None:
    phrases = _quarantine_every_reason(local_engine)
    _hostile_store(local_engine)  # the reconciliation's own findings
    client = _client(local_engine, tmp_path)
    zh = _sources_pages(client, "zh")
    for phrase in phrases:
        said = localize(example(phrase), "zh")
        assert said != example(phrase) and escape(said) in zh, phrase.code
    for zh_words, _ in SEVERITIES.values():
        assert f"<td>{zh_words}</td>" in zh
    assert "花名册上2人共用一个电话" in zh and "电话 ...2222" in zh
    assert "同一人本月有2条回访记录" in zh and "不在2026-11-01至2026-11-10的回访期内" in zh
    leaked = [
        fragment
        for phrase in (*phrases, *FINDINGS)
        for fragment in english_fragments(phrase)
        if fragment in zh
    ]
    assert not leaked
    assert "<td>skipped</td>" not in zh and "<td>warning</td>" not in zh
    en = _sources_pages(client, "en")
    for phrase in phrases:
        assert escape(example(phrase)) in en, phrase.code
    assert "2 roster workers share one phone" in en and "<td>skipped</td>" in en


def test_an_old_rows_english_reason_still_shows_on_the_chinese_page(
    local_engine: Engine, tmp_path: Path
) -> None:
    _quarantined(local_engine, 0, "row looked odd (written by version 0.3)", "error")
    page = _client(local_engine, tmp_path).get("/sources?lang=zh").text
    assert "row looked odd (written by version 0.3)" in page


def test_the_worker_page_explains_each_follow_up_and_flag_in_chinese(
    local_engine: Engine, tmp_path: Path
) -> None:
    _hostile_store(local_engine)
    with local_engine.connect() as conn:
        key = conn.execute(select(t.workers.c.key).where(t.workers.c.name == "张伟")).scalar_one()
        liu = conn.execute(select(t.workers.c.key).where(t.workers.c.name == "刘洋")).scalar_one()
    with time_machine.travel(datetime(2026, 11, 12, 12, 0, tzinfo=SHANGHAI), tick=True):
        client = _client(local_engine, tmp_path)
        zh = client.get(f"/workers/{key}?lang=zh").text + client.get(f"/workers/{liu}").text
        en = client.get(f"/workers/{key}?lang=en").text + client.get(f"/workers/{liu}").text
    assert "每月上旬电话回访：该人员在岗或正在找工作，须在2026-11-10前回访" in zh
    assert "上月无收入：请提供就业信息、培训或公益性岗位" in zh
    assert "连续2个月电话未接通：请入户走访" in zh
    assert "收入低于" in zh
    leaked = [f for p in OBLIGATIONS for f in english_fragments(p) if f in zh]
    assert not leaked
    assert "no income last month: offer job information" in en
    assert "unreachable by phone 2 months running" in en


def test_the_import_preview_says_each_failure_in_chinese(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/lianxin.db")
    migrate(engine)
    site = make_site(engine, tmp_path)
    with engine.begin() as conn:
        auth.create_user(conn, "wangfang", PASSWORD, Role.village_lead, village=VILLAGE)
    client = TestClient(site.app)
    assert log_in(client, "wangfang").status_code == 303
    rows = [
        ["1", VILLAGE, "", "138****1111", "李建国", "2026-11-03", "是", "4500"],
        ["2", VILLAGE, "刘洋", "138****2222", "李建国", "2026-11-02", "是", "-500"],
        ["3", VILLAGE, "张伟", "138****1111", "李建国", "2026-11-03", "是", "880000"],
        ["4", VILLAGE, "陈静", "138****3333", "李建国", "2月30日", "是", "3000"],
        ["5", "河湾村", "王磊", "138****4444", "周敏", "2026-11-04", "是", "5200"],
    ]
    zh = upload(client, "青山村2026年11月回访.csv", checkin_csv(rows)).text
    for words in (
        "缺少务工人员姓名（姓名列）",
        "金额为负数",
        "月收入不合理：880000元超过200000元",
        "没有这一天：",
        "河湾村不在您的管辖范围（青山村）内：未导入",
        "错误",
    ):
        assert words in zh, words
    english = [
        "missing worker name",
        "negative amount",
        "implausible monthly income",
        "not a real day",
        "outside your place",
        "a typo or a yearly figure",
    ]
    assert not [e for e in english if e in zh]
    refused = upload(client, "坏文件.csv", b"\x00\x01\x02binary\x00" * 20).text
    assert "不是 .csv 文件：内容是二进制的" in refused and "binary content" not in refused
    client.cookies.set("lang", "en")
    en = upload(client, "青山村2026年11月回访.csv", checkin_csv(rows)).text
    assert "missing worker name (姓名)" in en and "outside your place" in en
    engine.dispose()


def test_the_cli_explains_and_reports_in_the_messages_language(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_for(settings.database_url)
    _hostile_store(engine)
    _quarantined(engine, 0, "totals row (合计), not a person", "skipped")
    runner = CliRunner()
    zh = runner.invoke(cli, ["explain", "刘洋"], env={"COLUMNS": "200"})
    assert zh.exit_code == 0, zh.output
    assert "连续2个月电话未接通：请入户走访" in zh.output
    assert "到期仍无回访记录" in zh.output or "尚无回访记录" in zh.output
    assert "unreachable by phone" not in zh.output
    status = runner.invoke(cli, ["status"], env={"COLUMNS": "200"})
    assert "合计行（合计），不是人员" in status.output and "跳过" in status.output
    monkeypatch.setenv("LIANXIN_NOTIFY__LANGUAGE", "en")
    from config.settings import reset_settings

    reset_settings()
    en = runner.invoke(cli, ["explain", "刘洋"], env={"COLUMNS": "200"})
    assert "unreachable by phone 2 months running" in en.output
    reset_settings()
