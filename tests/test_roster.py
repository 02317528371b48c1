"""A roster table becomes workers and cadres by the one rows-to-records path of every table."""

from __future__ import annotations

from lianxin.parsing.columns import load_vocabulary
from lianxin.parsing.document import load_document
from lianxin.parsing.roster import MASKED_PHONE, roster_from_table
from lianxin.parsing.tables import find_tables
from lianxin.records import Cadre, Quarantined, Severity, Worker

URL = "http://portal.example/roster.html"
HEADER = "<tr><th>序号</th><th>姓名</th><th>联系电话</th><th>所在村</th><th>帮扶干部</th></tr>"


def _page(rows: str) -> str:
    return (
        "<html><head><title>石桥镇青山村就业服务一览表</title></head><body>"
        f"<h1>石桥镇青山村就业服务一览表</h1><table>{HEADER}{rows}</table></body></html>"
    )


def _roster(rows: str) -> tuple[list[Worker], list[Cadre], list[Quarantined]]:
    doc = load_document(_page(rows), URL)
    (table,) = find_tables(doc.root, load_vocabulary())
    return roster_from_table(table, doc, URL)


def test_an_empty_roster_table_is_quarantined_with_a_reason() -> None:
    workers, cadres, quarantined = _roster("")
    assert workers == [] and cadres == []
    assert len(quarantined) == 1
    (entry,) = quarantined
    assert entry.severity is Severity.warning
    assert entry.url == URL
    assert entry.reason.startswith("table has a header but no data rows: ")
    assert "姓名" in entry.reason


def test_roster_rows_keep_their_workers_cadres_repeats_and_masked_phones() -> None:
    rows = (
        "<tr><td>1</td><td>张伟</td><td>13800001111</td><td>青山村</td><td>李建国</td></tr>"
        "<tr><td>2</td><td>刘洋</td><td>138****2222</td><td>青山村</td><td>李建国</td></tr>"
        "<tr><td>3</td><td>张伟</td><td>13800001111</td><td>青山村</td><td>李建国</td></tr>"
        "<tr><td>4</td><td></td><td>13800003333</td><td>青山村</td><td>李建国</td></tr>"
    )
    workers, cadres, quarantined = _roster(rows)
    assert [w.name for w in workers] == ["张伟", "刘洋"]
    assert [c.name for c in cadres] == ["李建国"]
    by_row = {q.row: q for q in quarantined}
    assert by_row[2].reason == MASKED_PHONE and by_row[2].severity is Severity.warning
    assert by_row[3].reason == "duplicate of row 1" and by_row[3].severity is Severity.skipped
    assert by_row[4].reason == "missing worker name (姓名)"
    assert [q.row for q in quarantined] == [2, 3, 4]
