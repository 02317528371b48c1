"""Render the villages' monthly check-in tables (电话回访情况表) and the records they publish.

Each village's clerk has a habit: a two-row merged header, cells pasted from Word inside
<p><span>, full-width digits, another date style, a 合计 row, a signature row, a GBK page. The
layouts below are those habits; `expected_checkin` says what a careful reader gets from a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from lianxin.portal.cells import STATUS_WORDS, fmt_date, fmt_money, mask_phone
from lianxin.portal.history import Call
from lianxin.records import CheckIn


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None  # CheckIn field it fills; "extra" → kept under the header; None → 序号
    render: Callable[[Call, CheckinLayout], str]
    group: str | None = None  # group header above it in a two-row header


@dataclass(frozen=True)
class CheckinLayout:
    village: str
    title: str  # with {year} and {month}
    columns: tuple[Column, ...]
    date_style: str = "iso"
    money_style: str = "plain"
    missing: str = "—"
    yes_no: tuple[str, str] = ("是", "否")
    status_words: str = "plain"
    charset: str = "utf-8"
    charset_style: str = "meta"
    container: str = "TRS_Editor"
    wrap_cells: bool = False  # <p><span> inside every cell (pasted from Word)
    thead: bool = False
    caption: bool = False
    title_row: bool = False  # the title as the table's first, merged row (pasted from Excel)
    totals: bool = True
    signature_row: bool = False  # 填表人/审核人 as a merged last row
    blank_rows: int = 0
    cadre_rowspan: bool = False  # one merged cadre cell per cadre's block of rows
    extra_fields: dict[str, str] = field(default_factory=dict)


def _yes_no(value: bool, layout: CheckinLayout) -> str:
    return layout.yes_no[0] if value else layout.yes_no[1]


def _status(call: Call, layout: CheckinLayout) -> str:
    return STATUS_WORDS[layout.status_words][call.status] if call.status else layout.missing


def _col(header: str, fld: str | None, group: str | None = None) -> Column:
    renderers: dict[str | None, Callable[[Call, CheckinLayout], str]] = {
        "worker_name": lambda c, lay: c.worker.name,
        "worker_phone": lambda c, lay: mask_phone(c.worker.phone),
        "employer": lambda c, lay: c.employer or lay.missing,
        "place": lambda c, lay: c.place or lay.missing,
        "income_yuan": lambda c, lay: fmt_money(c.income_yuan, lay.money_style, lay.missing),
        "call_date": lambda c, lay: fmt_date(c.call_date, lay.date_style),
        "reached": lambda c, lay: _yes_no(c.reached, lay),
        "status": _status,
        "demands": lambda c, lay: c.demands or "无",
        "cadre": lambda c, lay: c.worker.cadre,
        "notes": lambda c, lay: c.notes or "",
        "policy_explained": lambda c, lay: _yes_no(c.reached, lay),
        "家庭人口": lambda c, lay: str(c.worker.family_size),
        "户主": lambda c, lay: c.worker.household,
        None: lambda c, lay: "",
    }
    key = header if fld == "extra" else fld
    return Column(header, fld, renderers[key], group)


LAYOUTS: tuple[CheckinLayout, ...] = (
    CheckinLayout(
        village="石门村",
        title="石门村{year}年{month}月外出务工人员电话回访情况表",
        columns=(
            _col("序号", None),
            _col("姓名", "worker_name"),
            _col("联系电话", "worker_phone"),
            _col("务工单位", "employer"),
            _col("务工地点", "place"),
            _col("上月收入（元）", "income_yuan"),
            _col("回访时间", "call_date"),
            _col("是否接通", "reached"),
            _col("务工状态", "status"),
            _col("诉求", "demands"),
            _col("包户干部", "cadre"),
            _col("备注", "notes"),
        ),
    ),
    CheckinLayout(
        village="龙潭村",
        title="龙潭村外出务工人员{year}年{month}月电话回访情况公示",
        columns=(
            _col("序号", None),
            _col("姓名", "worker_name"),
            _col("联系电话", "worker_phone"),
            _col("务工单位", "employer", "务工情况"),
            _col("务工地点", "place", "务工情况"),
            _col("务工状态", "status", "务工情况"),
            _col("上月收入（元）", "income_yuan"),
            _col("回访时间", "call_date", "回访情况"),
            _col("是否接通", "reached", "回访情况"),
            _col("诉求", "demands"),
            _col("包户干部", "cadre"),
            _col("备注", "notes"),
        ),
        date_style="cn",
        money_style="fullwidth",
        charset="gbk",
        container="zoom",
        wrap_cells=True,
        blank_rows=2,
    ),
    CheckinLayout(
        village="桃花村",
        title="桃花村{year}年{month}月务工人员电访台账",
        columns=(
            _col("序号", None),
            _col("帮扶责任人", "cadre"),
            _col("务工人员", "worker_name"),
            _col("手机号码", "worker_phone"),
            _col("工作单位", "employer"),
            _col("就业地点", "place"),
            _col("就业状态", "status"),
            _col("月收入（元）", "income_yuan"),
            _col("电访日期", "call_date"),
            _col("接通情况", "reached"),
            _col("主要诉求", "demands"),
            _col("备注", "notes"),
        ),
        date_style="md",
        money_style="yuan",
        yes_no=("已接通", "未接通"),
        status_words="short",
        caption=True,
        totals=False,
        cadre_rowspan=True,
        missing="/",
    ),
    CheckinLayout(
        village="柳溪村",
        title="关于柳溪村{year}年{month}月份外出务工人员回访情况的公示",
        columns=(
            _col("序号", None),
            _col("姓名", "worker_name"),
            _col("家庭人口", "extra"),
            _col("联系电话", "worker_phone"),
            _col("务工地点", "place"),
            _col("务工单位", "employer"),
            _col("务工状态", "status"),
            _col("上月收入（元）", "income_yuan"),
            _col("联系时间", "call_date"),
            _col("是否接通", "reached"),
            _col("诉求", "demands"),
            _col("回访人", "cadre"),
            _col("备注", "notes"),
        ),
        date_style="dot",
        charset="gb2312",
        charset_style="http-equiv",
        container="zoom",
        signature_row=True,
        blank_rows=3,
        status_words="formal",
    ),
    CheckinLayout(
        village="白云村",
        title="白云村{year}年{month}月就业帮扶电话回访表",
        columns=(
            _col("序号", None),
            _col("姓名", "worker_name"),
            _col("电话", "worker_phone"),
            _col("就业单位", "employer"),
            _col("工作地点", "place"),
            _col("就业状态", "status"),
            _col("上月工资（元）", "income_yuan"),
            _col("回访日期", "call_date"),
            _col("是否接通", "reached"),
            _col("是否宣讲政策", "policy_explained"),
            _col("诉求", "demands"),
            _col("包户干部", "cadre"),
            _col("备注", "notes"),
        ),
        date_style="slash",
        money_style="comma",
        yes_no=("√", "×"),
        thead=True,
    ),
    CheckinLayout(
        village="松坪村",
        title="松坪村{year}年{month}月外出务工人员回访情况",
        columns=(
            _col("序号", None),
            _col("户主", "extra"),
            _col("姓名", "worker_name"),
            _col("联系电话", "worker_phone"),
            _col("务工地点", "place"),
            _col("务工单位", "employer"),
            _col("务工状态", "status"),
            _col("上月收入", "income_yuan"),
            _col("回访时间", "call_date"),
            _col("是否接通", "reached"),
            _col("诉求", "demands"),
            _col("包户干部", "cadre"),
        ),
        date_style="loose",
        title_row=True,
        missing="",
        yes_no=("接通", "未接通"),
    ),
)


def layout_for(village: str) -> CheckinLayout:
    """Return the layout the clerk of `village` uses."""
    return next(layout for layout in LAYOUTS if layout.village == village)


def expected_checkin(call: Call, layout: CheckinLayout) -> CheckIn:
    """Return the CheckIn a faithful parser reads from this call's row."""
    values: dict[str, object] = {
        "village": layout.village,
        "period": call.period,
        "worker_name": call.worker.name,
    }
    extra: dict[str, str] = {}
    for column in layout.columns:
        if column.field == "extra":
            extra[column.header] = column.render(call, layout)
        elif column.field == "worker_phone":
            values["worker_phone"] = mask_phone(call.worker.phone)
        elif column.field == "cadre":
            values["cadre"] = call.worker.cadre
        elif column.field == "policy_explained":
            values["policy_explained"] = call.reached
        elif column.field is not None and column.field != "worker_name":
            values[column.field] = getattr(call, column.field)
    values["extra"] = extra
    return CheckIn.model_validate(values)


def render_table(calls: list[Call], layout: CheckinLayout, year: int, month: int) -> str:
    """Return the HTML of the check-in table, the note above it and the notes under it."""
    title = layout.title.format(year=year, month=month)
    width = len(layout.columns)
    rows: list[str] = []
    if layout.title_row:
        rows.append(f'<tr><td colspan="{width}" align="center"><b>{escape(title)}</b></td></tr>')
        rows.append(f'<tr><td colspan="{width}" align="right">单位：元</td></tr>')
    rows.extend(_header_rows(layout))
    body_rows = _data_rows(calls, layout)
    if layout.totals:
        reached = sum(c.reached for c in calls)
        income = sum(c.income_yuan or 0 for c in calls)
        cells = ["合计", "", f"共回访{len(calls)}人", f"接通{reached}人"]
        cells += [""] * (width - len(cells))
        index = next(i for i, c in enumerate(layout.columns) if c.field == "income_yuan")
        cells[index] = fmt_money(income, layout.money_style, "")
        body_rows.append("<tr>" + "".join(_cell(c, layout) for c in cells) + "</tr>")
    for _ in range(layout.blank_rows):
        body_rows.append(
            "<tr>" + "".join(_cell("&nbsp;", layout, raw=True) for _ in range(width)) + "</tr>"
        )
    if layout.signature_row:
        body_rows.append(
            f'<tr><td colspan="{width}">填表人：村会计　　审核人：村支书'
            f"　　填报日期：{fmt_date(calls[-1].call_date, 'cn') if calls else ''}"
            "</td></tr>"
        )
    caption = f"<caption>{escape(title)}</caption>" if layout.caption else ""
    if layout.thead:
        table = (
            f'<table class="MsoTableGrid" border="1">{caption}<thead>{"".join(rows)}'
            f"</thead><tbody>{''.join(body_rows)}</tbody></table>"
        )
    else:
        table = (
            f'<table border="1" cellspacing="0" cellpadding="0" width="100%">{caption}'
            f"<tbody>{''.join(rows + body_rows)}</tbody></table>"
        )
    intro = (
        f"<p>　　根据县乡村振兴局关于每月上旬对外出务工人员开展电话回访的要求，现将"
        f"{layout.village}{year}年{month}月回访情况公示如下：</p>"
    )
    notes = (
        "<p>　　说明：1.本表由包户干部电话回访后填报，村委会汇总；2.联系电话已做脱敏处理；"
        "3.对群众反映的诉求，村委会将逐一跟踪落实。</p>"
        f"<p>　　监督电话：0000-0000000</p>"
        f'<p style="text-align:right">{layout.village}村民委员会</p>'
    )
    return intro + table + notes


def _header_rows(layout: CheckinLayout) -> list[str]:
    tag = "th" if layout.thead else "td"
    if not any(c.group for c in layout.columns):
        return [
            "<tr>"
            + "".join(f"<{tag}>{_wrap(c.header, layout)}</{tag}>" for c in layout.columns)
            + "</tr>"
        ]
    top: list[str] = []
    bottom: list[str] = []
    index = 0
    columns = layout.columns
    while index < len(columns):
        column = columns[index]
        if column.group is None:
            top.append(f'<{tag} rowspan="2">{_wrap(column.header, layout)}</{tag}>')
            index += 1
            continue
        span = 1
        while index + span < len(columns) and columns[index + span].group == column.group:
            span += 1
        top.append(f'<{tag} colspan="{span}">{_wrap(column.group, layout)}</{tag}>')
        bottom.extend(
            f"<{tag}>{_wrap(c.header, layout)}</{tag}>" for c in columns[index : index + span]
        )
        index += span
    return ["<tr>" + "".join(top) + "</tr>", "<tr>" + "".join(bottom) + "</tr>"]


def _data_rows(calls: list[Call], layout: CheckinLayout) -> list[str]:
    rows: list[str] = []
    cadre_index = next(i for i, c in enumerate(layout.columns) if c.field == "cadre")
    for number, call in enumerate(calls, start=1):
        cells: list[str] = []
        for index, column in enumerate(layout.columns):
            if column.field is None:
                cells.append(_cell(str(number), layout))
                continue
            if layout.cadre_rowspan and index == cadre_index:
                previous = calls[number - 2].worker.cadre if number > 1 else None
                if previous == call.worker.cadre:
                    continue  # covered by the merged cell above
                span = 1
                while (
                    number - 1 + span < len(calls)
                    and calls[number - 1 + span].worker.cadre == call.worker.cadre
                ):
                    span += 1
                cells.append(f'<td rowspan="{span}">{escape(call.worker.cadre)}</td>')
                continue
            cells.append(_cell(column.render(call, layout), layout))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return rows


def _wrap(text: str, layout: CheckinLayout, raw: bool = False) -> str:
    value = text if raw else escape(text)
    if layout.wrap_cells:
        return (
            f'<p class="MsoNormal" align="center"><span style="font-family:宋体;'
            f'font-size:10.5pt">{value}</span></p>'
        )
    return value


def _cell(text: str, layout: CheckinLayout, raw: bool = False) -> str:
    return f"<td>{_wrap(text, layout, raw)}</td>"
