"""Render each town's employment service table (就业服务一览表, the "连心表")."""

from __future__ import annotations

from html import escape

from lianxin.portal.cells import STATUS_WORDS, fmt_date, mask_id
from lianxin.portal.county import County, PortalWorker, Town
from lianxin.records import Cadre, Region, RegionLevel, Worker

# (header, group): two groups make the two-row merged header clerks use for this table.
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("序号", None),
    ("户主", None),
    ("姓名", None),
    ("性别", None),
    ("身份证号", None),
    ("联系电话", None),
    ("所在村", None),
    ("就业意愿", None),
    ("技能特长", None),
    ("培训需求", "培训情况"),
    ("已参加培训", "培训情况"),
    ("务工单位", "就业情况"),
    ("务工地点", "就业情况"),
    ("务工时间", "就业情况"),
    ("务工状态", "就业情况"),
    ("包户干部", None),
    ("干部单位", None),
    ("干部联系电话", None),
)


def roster_title(town: Town) -> str:
    """Return the page title of the town's roster."""
    return f"{town.name}外出务工人员就业服务一览表（连心表）"


def render_roster(county: County, town: Town) -> str:
    """Return the HTML body of the town's roster: a lead paragraph, the table, a note."""
    workers = [w for w in county.workers if w.town == town.name]
    cadres = {c.name: c for c in county.cadres}
    head = _header()
    rows: list[str] = []
    for number, worker in enumerate(workers, start=1):
        cadre = cadres[worker.cadre]
        first_of_household = number == 1 or workers[number - 2].household != worker.household
        cells = [str(number)]
        household_cell = ""
        if first_of_household:
            # Households are contiguous; the clerk merges the 户主 cell over its members.
            span = _run_length(workers, number - 1)
            household_cell = f'<td rowspan="{span}">{escape(worker.household)}</td>'
        status = STATUS_WORDS["plain"][worker.status]
        cells_after = [
            worker.name,
            worker.gender,
            mask_id(worker.id_number),
            worker.phone,
            worker.village,
            worker.wish,
            worker.skills,
            worker.training_wanted,
            worker.training_done,
            worker.employer or "—",
            worker.work_place or "—",
            fmt_date(worker.start_date, "cn") if worker.start_date else "—",
            status,
            cadre.name,
            cadre.unit,
            cadre.phone,
        ]
        rows.append(
            "<tr>"
            + f"<td>{cells[0]}</td>"
            + household_cell
            + "".join(f"<td>{escape(c)}</td>" for c in cells_after)
            + "</tr>"
        )
    lead = (
        f"<p>　　为做好脱贫人口稳岗就业工作，{town.name}对辖区建档立卡户外出务工人员逐户"
        "建立就业服务一览表，由包户干部每月上旬电话回访、动态更新。现予以公开，接受群众监督。</p>"
    )
    note = (
        "<p>　　注：身份证号已做脱敏处理；务工信息如有变动，请及时与包户干部联系更新。</p>"
        f'<p style="text-align:right">{escape(town.name)}人民政府</p>'
    )
    return (
        lead
        + '<table border="1" cellspacing="0" style="border-collapse:collapse">'
        + head
        + "".join(rows)
        + "</table>"
        + note
    )


def _run_length(workers: list[PortalWorker], start: int) -> int:
    span = 1
    while (
        start + span < len(workers) and workers[start + span].household == workers[start].household
    ):
        span += 1
    return span


def _header() -> str:
    top: list[str] = []
    bottom: list[str] = []
    index = 0
    while index < len(COLUMNS):
        header, group = COLUMNS[index]
        if group is None:
            top.append(f'<th rowspan="2">{header}</th>')
            index += 1
            continue
        members = [h for h, g in COLUMNS[index:] if g == group]
        top.append(f'<th colspan="{len(members)}">{group}</th>')
        bottom.extend(f"<th>{h}</th>" for h in members)
        index += len(members)
    return f"<tr>{''.join(top)}</tr><tr>{''.join(bottom)}</tr>"


def expected_workers(county: County, town: Town) -> list[Worker]:
    """Return the workers a faithful parser reads from the town's roster."""
    return [_expected_worker(w) for w in county.workers if w.town == town.name]


def _none_if_blank(value: str | None) -> str | None:
    return None if value in (None, "无", "—") else value


def _expected_worker(worker: PortalWorker) -> Worker:
    return Worker(
        household=worker.household,
        name=worker.name,
        phone=worker.phone,
        id_number=mask_id(worker.id_number),
        village=worker.village,
        town=worker.town,
        cadre=worker.cadre,
        wish=worker.wish,
        skills=_none_if_blank(worker.skills),
        training=_none_if_blank(worker.training_done),
        employer=worker.employer,
        work_place=worker.work_place,
        start_date=worker.start_date,
        status=worker.status,
        extra={"性别": worker.gender, "培训需求": worker.training_wanted},
    )


def expected_cadres(county: County, town: Town) -> list[Cadre]:
    """Return the cadres named on the town's roster, in order of first appearance."""
    return [
        Cadre(name=c.name, unit=c.unit, phone=c.phone, village=c.village, town=c.town)
        for c in county.cadres
        if c.town == town.name
    ]


def expected_regions(county: County, town: Town) -> list[Region]:
    """Return the county, the town and its villages as the roster names them."""
    return [
        Region(level=RegionLevel.county, name=county.name),
        Region(level=RegionLevel.town, name=town.name, parent=county.name),
        *(Region(level=RegionLevel.village, name=v.name, parent=town.name) for v in town.villages),
    ]
