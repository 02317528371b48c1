"""Render the supervision group's notices (督查通报) and the problems they list.

Two habits: the October notice puts its problem list (问题清单) in a table; the November notice
numbers problems in the text at three depths (二、 → （一） → 1.), some with their own
rectification deadline (整改时限) and the rest under one notice-wide deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from lianxin.records import Problem, ProblemStatus

NOTICE_WIDE_DEADLINE = date(2026, 11, 30)
OCTOBER_WIDE_DEADLINE = date(2026, 10, 31)


@dataclass(frozen=True)
class Item:
    place: str
    description: str
    unit: str
    deadline: date | None  # None: the notice-wide deadline applies


# 二、存在的问题 of the November notice: (category, items); an empty item list means the
# category line is itself the problem (written as "（三）place：description").
NOVEMBER: tuple[tuple[str, tuple[Item, ...]], ...] = (
    (
        "电话回访不及时、不规范",
        (
            Item(
                "青石镇石门村",
                "2名包户干部10月回访记录未注明回访时间，台账与实际不符",
                "青石镇人民政府",
                date(2026, 11, 20),
            ),
            Item(
                "桃源镇柳溪村", "部分外出务工人员联系电话已停用，未及时更新", "桃源镇人民政府", None
            ),
            Item(
                "白云乡白云村",
                "个别包户干部以微信留言代替电话回访，未了解上月收入",
                "白云乡人民政府",
                date(2026, 11, 15),
            ),
        ),
    ),
    (
        "就业帮扶措施落实不到位",
        (
            Item(
                "白云乡松坪村",
                "3名返乡人员未纳入就业援助台账，未推送岗位信息",
                "白云乡人民政府、县人社局",
                date(2026, 11, 15),
            ),
            Item("桃源镇桃花村", "2名待业人员培训需求登记后未跟进", "县人社局", None),
            Item(
                "青石镇龙潭村",
                "务工交通补贴申领政策宣传不到位，群众知晓率低",
                "青石镇人民政府",
                date(2026, 11, 25),
            ),
        ),
    ),
)
NOVEMBER_LEAF = Item("桃源镇桃花村", "村务公开栏回访情况表未按月更新", "桃源镇人民政府", None)

# The October notice's table rows: (town, village, description, unit, deadline, 整改情况).
OCTOBER: tuple[tuple[str, str, str, str, date | None, str], ...] = (
    (
        "青石镇",
        "石门村",
        "9月回访台账有3名务工人员收入栏空白",
        "青石镇人民政府",
        date(2026, 10, 20),
        "已整改",
    ),
    ("青石镇", "龙潭村", "村务公开栏未公示9月回访情况", "青石镇人民政府", None, "已销号"),
    (
        "桃源镇",
        "柳溪村",
        "1户脱贫户务工信息与实际不符",
        "桃源镇人民政府",
        date(2026, 11, 10),
        "整改中",
    ),
    ("白云乡", "", "乡级就业帮扶台账未按月汇总", "白云乡人民政府", None, "未整改"),
    (
        "白云乡",
        "松坪村",
        "包户干部联系电话公示有误",
        "白云乡人民政府",
        date(2026, 10, 25),
        "已整改",
    ),
)
_STATUS = {
    "已整改": ProblemStatus.rectified,
    "已销号": ProblemStatus.verified,
    "整改中": ProblemStatus.rectifying,
    "未整改": ProblemStatus.open,
}


def _cn_date(day: date, with_year: bool = True) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if with_year else f"{day.month}月{day.day}日"


def render_november() -> str:
    """Return the body of the November notice, problems numbered in the text."""
    paragraphs = [
        "各乡镇人民政府，县直有关单位：",
        "　　11月3日至5日，县督查组采取“四不两直”方式，对青石镇、桃源镇、白云乡就业帮扶和"
        "外出务工人员电话回访工作开展了督查。现将有关情况通报如下：",
        "一、基本情况",
        "　　本次督查共走访6个村、脱贫户42户，查阅回访台账18本，发现问题7个，已当晚逐一审核"
        "并反馈乡镇。",
        "二、存在的问题",
    ]
    for index, (category, items) in enumerate(NOVEMBER):
        paragraphs.append(f"（{'一二三'[index]}）{category}")
        for number, item in enumerate(items, start=1):
            paragraphs.append(f"{number}.{_item_text(item)}")
    paragraphs.append(f"（三）{_item_text(NOVEMBER_LEAF)}")
    paragraphs += [
        "三、整改要求",
        "（一）各乡镇、各责任单位要对照问题清单逐项整改，未明确整改时限的问题须于"
        f"{_cn_date(NOTICE_WIDE_DEADLINE)}前整改到位，并将整改情况书面报县督查组。",
        "（二）县督查组将适时开展“回头看”，对整改不到位、问题反弹的严肃追责问责。",
    ]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        body + '<p style="text-align:right">云溪县脱贫攻坚成果巩固督查组</p>'
        '<p style="text-align:right">2026年11月6日</p>'
    )


def _item_text(item: Item) -> str:
    text = f"{item.place}：{item.description}。责任单位：{item.unit}。"
    if item.deadline:
        text += f"整改时限：{_cn_date(item.deadline)}前。"
    return text


def expected_november() -> list[Problem]:
    """Return the November notice's problems as a faithful parser reads them."""
    out: list[Problem] = []
    for index, (category, items) in enumerate(NOVEMBER):
        for number, item in enumerate(items, start=1):
            out.append(
                _problem(f"二({'一二三'[index]}){number}", item, category, NOTICE_WIDE_DEADLINE)
            )
    out.append(_problem("二(三)", NOVEMBER_LEAF, "存在的问题", NOTICE_WIDE_DEADLINE))
    return out


def _problem(number: str, item: Item, category: str, wide: date) -> Problem:
    return Problem(
        number=number,
        place=item.place,
        description=item.description,
        category=category,
        responsible_unit=item.unit,
        deadline=item.deadline or wide,
    )


def render_october() -> str:
    """Return the body of the October notice, its problem list in a table."""
    rows = []
    for number, (town, village, text, unit, deadline, status) in enumerate(OCTOBER, start=1):
        when = f"{_cn_date(deadline, with_year=False)}前" if deadline else ""
        cells = (str(number), town, village, text, unit, when, status)
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    header = "".join(
        f"<td><strong>{h}</strong></td>"
        for h in ("序号", "乡镇", "村（社区）", "存在问题", "责任单位", "整改时限", "整改情况")
    )
    return (
        "<p>各乡镇人民政府，县直有关单位：</p>"
        "<p>　　10月中旬，县督查组对各乡镇9月份外出务工人员电话回访情况进行了随机抽查，"
        "发现问题5个，现将问题清单通报如下。请各责任单位于"
        f"{_cn_date(OCTOBER_WIDE_DEADLINE)}前完成整改，整改时限另有规定的从其规定。</p>"
        f'<p style="text-align:center">10月份督查发现问题清单</p>'
        f'<table border="1" cellspacing="0"><tr>{header}</tr>{"".join(rows)}</table>'
        '<p style="text-align:right">云溪县脱贫攻坚成果巩固督查组</p>'
        '<p style="text-align:right">2026年10月20日</p>'
    )


def expected_october() -> list[Problem]:
    """Return the October notice's problems as a faithful parser reads them."""
    return [
        Problem(
            number=str(number),
            place=town + village,
            description=text,
            responsible_unit=unit,
            deadline=deadline or OCTOBER_WIDE_DEADLINE,
            status=_STATUS[status],
        )
        for number, (town, village, text, unit, deadline, status) in enumerate(OCTOBER, start=1)
    ]
