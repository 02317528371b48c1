"""The corpus: pages written by other hands, in other layouts, read back as a person expects."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lianxin.parsing.corpus import Case, compare, load_cases, run_case

CORPUS = Path(__file__).parent / "corpus"
CASES = load_cases(CORPUS)


def test_the_corpus_holds_at_least_thirty_pages() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_corpus_page_reads_as_expected(case: Case) -> None:
    comparison = compare(case, run_case(case))
    assert comparison.ok, f"{case.name} differs from its expectation:\n  " + "\n  ".join(
        comparison.differences
    )


# --- the same table, columns shuffled and headers reworded ----------------------------------

# Each column: the header choices (synonyms a clerk might use) and the cells of three rows.
COLUMNS: list[tuple[tuple[str, ...], tuple[str, str, str]]] = [
    (("姓名", "务工人员", "外出务工人员"), ("王秀英", "张伟", "刘桂兰")),
    (("联系电话", "手机号码", "电话", "联系方式"), ("138****5601", "159****5602", "137****5603")),
    (("务工单位", "工作单位", "就业单位", "务工企业"), ("恒达电子厂", "海天机械", "无")),
    (("务工地点", "工作地点", "就业地点", "务工地"), ("广东东莞", "浙江宁波", "本县")),
    (("上月收入（元）", "月收入(元)", "月工资", "上月工资/元"), ("4800", "５６００", "0")),
    (("回访时间", "电访日期", "联系时间", "回访日期："), ("11月3日", "2026-11-04", "11月5日")),
    (("包户干部", "帮扶责任人", "结对帮扶人", "回访人"), ("李建国", "李建国", "陈静")),
    (("劳动力类型",), ("脱贫劳动力", "监测对象", "脱贫劳动力")),
]


def _table_page(order: list[int], wording: list[int]) -> bytes:
    headers = "".join(f"<th>{COLUMNS[c][0][wording[c]]}</th>" for c in order)
    rows = "".join(
        "<tr>" + "".join(f"<td>{COLUMNS[c][1][r]}</td>" for c in order) + "</tr>" for r in range(3)
    )
    return (
        "<html><head><meta charset='utf-8'><title>柳塘村2026年10月务工人员电话回访情况表</title>"
        f"</head><body><div class='TRS_Editor'><table><tr>{headers}</tr>{rows}</table></div>"
        "</body></html>"
    ).encode()


def _records(order: list[int], wording: list[int]) -> list[dict[str, object]]:
    from lianxin.parsing import parse_page
    from lianxin.parsing.corpus import FETCHED_AT

    result = parse_page(
        _table_page(order, wording),
        "http://corpus.example/t.html",
        source="t",
        fetched_at=FETCHED_AT,
    )
    assert result.report.kind.value == "checkin_table"
    return [c.model_dump() for c in result.checkins]


@pytest.mark.parametrize("seed", range(25))
def test_shuffled_columns_and_synonym_headers_give_the_same_records(seed: int) -> None:
    rng = random.Random(seed)
    baseline = _records(list(range(len(COLUMNS))), [0] * len(COLUMNS))
    order = list(range(len(COLUMNS)))
    rng.shuffle(order)
    wording = [rng.randrange(len(choices)) for choices, _ in COLUMNS]
    found = _records(order, wording)
    # Unmapped columns are kept under their own header, which does not change with wording here.
    assert found == baseline
    assert baseline[1]["income_yuan"] == 5600
    assert baseline[0]["extra"] == {"劳动力类型": "脱贫劳动力"}
