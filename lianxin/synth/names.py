"""Cheap, deterministic names for synthetic people and places, composed from small lists.

Faker takes tens of microseconds a name; three million workers need a table lookup instead.
Person names are drawn by a stride through one table, so the names of one village (or of the
cadres of one town) never repeat and keys stay unique. Place names encode their index with a
fixed number of characters in code-point order, so village order is key order: rows then
arrive in the order of the unique indexes, which keeps bulk loads append-only.
"""

from __future__ import annotations

import numpy as np

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰云飞海波金凤春生文"
# Characters roster names never use: check-ins of people not on any roster are named with
# them, so an unknown person can never collide with a roster worker's key.
UNKNOWN_GIVEN = "甲乙丙丁戊己庚辛壬癸"
PLACE_CHARS = "".join(
    sorted(
        set(
            "青山石桥河溪塘湾坪坡岭冲源田竹枫林花水口龙凤马牛羊鹤云新安乐和丰富长永兴隆胜利"
            "东西南北上下中大小白黄金银铁茶桃杏柳松柏"
        )
    )
)

# Every name: each surname with each one- and two-character given name.
NAMES: list[str] = [
    s + g for s in SURNAMES for g in [*GIVEN, *(a + b for a in GIVEN for b in GIVEN)]
]
UNKNOWN_NAMES: list[str] = [s + a + b for s in SURNAMES for a in UNKNOWN_GIVEN for b in GIVEN]
_STRIDE = 7919  # prime, coprime to both table sizes: a stride visits every name once


def unique_names(offset: int, count: int, table: list[str] = NAMES) -> list[str]:
    """Return `count` distinct names of `table`, starting from `offset`.

    Distinct as long as `count` is at most the table size (49,200 names; 9,000 unknown ones).
    """
    if count > len(table):
        raise ValueError(f"only {len(table)} distinct names, {count} asked")
    picks = (offset + np.arange(count, dtype=np.int64) * _STRIDE) % len(table)
    return [table[i] for i in picks.tolist()]


def place_width(count: int) -> int:
    """Return how many characters names need so that `count` places are all distinct."""
    width = 1
    while len(PLACE_CHARS) ** width < count:
        width += 1
    return max(width, 2)


def place_name(index: int, width: int, suffix: str) -> str:
    """Return the name of place `index`: `width` characters in code-point order, then `suffix`."""
    chars = []
    for _ in range(width):
        index, digit = divmod(index, len(PLACE_CHARS))
        chars.append(PLACE_CHARS[digit])
    return "".join(reversed(chars)) + suffix


def phones(rng: np.random.Generator, count: int) -> list[str]:
    """Return `count` fake 11-digit mobile numbers (1[35789] and nine digits)."""
    second = np.array([3, 5, 7, 8, 9])[rng.integers(0, 5, count)]
    rest = rng.integers(0, 10**9, count)
    return [f"1{a}{b:09d}" for a, b in zip(second.tolist(), rest.tolist(), strict=True)]


def masked(phone: str) -> str:
    """Return `phone` as public pages print it: 138****5678."""
    return f"{phone[:3]}****{phone[-4:]}"


EMPLOYER_CITIES = [
    ("东莞", "广东东莞"),
    ("深圳", "广东深圳"),
    ("广州", "广东广州"),
    ("佛山", "广东佛山"),
    ("中山", "广东中山"),
    ("宁波", "浙江宁波"),
    ("义乌", "浙江义乌"),
    ("温州", "浙江温州"),
    ("苏州", "江苏苏州"),
    ("昆山", "江苏昆山"),
    ("上海", "上海"),
    ("长沙", "湖南长沙"),
    ("株洲", "湖南株洲"),
    ("厦门", "福建厦门"),
    ("泉州", "福建泉州"),
    ("武汉", "湖北武汉"),
]
EMPLOYER_KINDS = [
    "电子厂",
    "鞋厂",
    "服装厂",
    "玩具厂",
    "建筑公司",
    "物流公司",
    "家具厂",
    "餐饮公司",
    "五金厂",
    "汽车配件厂",
    "保安服务公司",
    "家政服务公司",
]
# (employer, work place) pairs: a job names both.
EMPLOYERS: list[tuple[str, str]] = [
    (f"{city}某{kind}", place) for city, place in EMPLOYER_CITIES for kind in EMPLOYER_KINDS
]
WISHES = ["外出务工", "外出务工", "外出务工", "就近就业", "自主创业"]
SKILLS = ["普工", "电工", "焊工", "厨师", "驾驶", "缝纫", "育婴", "砌筑", "无"]
TRAININGS = ["电工培训", "家政培训", "厨师培训", "电商培训", "挖掘机培训"]
DEMANDS = ["希望推荐工作", "咨询社保转移", "咨询交通补贴", "希望参加技能培训", "工资被拖欠"]
UNREACHED_NOTES = ["电话未接通", "关机", "空号", "无人接听"]
PROBLEM_CATEGORIES = [
    "回访不到位",
    "台账不规范",
    "政策宣传不到位",
    "信息更新不及时",
    "帮扶措施不实",
]
PROBLEM_TEXTS = [
    "{village}部分务工人员本月未按时电话回访",
    "{village}就业服务一览表信息未及时更新",
    "{village}回访记录中收入情况填写不完整",
    "{village}对返乡人员就业帮扶措施落实不到位",
    "{village}政策宣传资料未发放到户",
]
