"""Make the fictional county behind the sample portal: places, cadres, workers.

Everything comes from one seed (Faker zh_CN plus random.Random), so two builds make the
same people. The county, its code and everyone in it are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from lianxin.records import WorkStatus

SEED = 20261108
COUNTY = "云溪县"
COUNTY_CODE = "439921000000"  # 统计用区划代码: 43 Hunan, 99 is no real prefecture
PROVINCE = "湖南省"

# (town, town code part, [(village, village code part, cadres)])
PLACES: tuple[tuple[str, str, tuple[tuple[str, str, int], ...]], ...] = (
    ("青石镇", "100", (("石门村", "201", 3), ("龙潭村", "202", 2))),
    ("桃源镇", "101", (("桃花村", "201", 3), ("柳溪村", "203", 2))),
    ("白云乡", "200", (("白云村", "201", 3), ("松坪村", "204", 2))),
)
WORKERS_PER_CADRE = 20

CADRE_UNITS = (
    "县乡村振兴局",
    "县人社局",
    "县农业农村局",
    "县教育局",
    "县自然资源局",
    "县卫健局",
    "县财政局",
    "县住建局",
)
WORK_PLACES = (
    "广东省东莞市",
    "广东省深圳市宝安区",
    "广东省广州市白云区",
    "浙江省宁波市",
    "浙江省义乌市",
    "江苏省苏州市",
    "福建省泉州市",
    "上海市松江区",
    "湖南省长沙市",
    "湖南省郴州市",
)
LOCAL_PLACE = "云溪县工业园"
WISHES = ("外出务工", "外出务工", "外出务工", "就近就业", "自主创业")
SKILLS = ("电焊", "厨师", "驾驶", "砌筑", "电工", "缝纫", "家政", "无", "无", "无")
TRAINING_WANTED = ("电工", "家政服务", "挖掘机操作", "电商", "无", "无")
TRAINING_DONE = (
    "2025年电工培训",
    "2025年家政服务培训",
    "2024年焊工培训",
    "2026年电商培训",
    "无",
    "无",
    "无",
)


@dataclass
class Village:
    name: str
    code: str
    town: str


@dataclass
class Town:
    name: str
    code: str
    villages: list[Village]


@dataclass
class PortalCadre:
    name: str
    phone: str
    unit: str
    village: str
    town: str


@dataclass
class PortalWorker:
    household: str
    name: str
    gender: str
    id_number: str  # full, never published: pages show it masked
    phone: str
    village: str
    town: str
    cadre: str
    wish: str
    skills: str
    training_wanted: str
    training_done: str
    employer: str | None
    work_place: str | None
    start_date: date | None
    status: WorkStatus
    family_size: int
    # Month (YYYY-MM) the worker lost the job or came home; None when it never happened.
    changed_in: str | None = None


@dataclass
class County:
    name: str
    code: str
    towns: list[Town]
    cadres: list[PortalCadre]
    workers: list[PortalWorker]

    def village(self, name: str) -> Village:
        """Return the village called `name`."""
        return next(v for t in self.towns for v in t.villages if v.name == name)

    @property
    def villages(self) -> list[Village]:
        return [v for t in self.towns for v in t.villages]


class _People:
    """Hand out unique fake names and phones from one seeded Faker."""

    def __init__(self, fake: Faker) -> None:
        self.fake = fake
        self.names: set[str] = set()
        self.phones: set[str] = set()

    def name(self, surname: str | None = None, gender: str = "男") -> str:
        while True:
            first = self.fake.first_name_female() if gender == "女" else self.fake.first_name_male()
            name = (surname or self.fake.last_name()) + first
            if name not in self.names and len(name) <= 4:
                self.names.add(name)
                return name

    def phone(self) -> str:
        while True:
            phone = self.fake.phone_number()
            if len(phone) == 11 and phone.isdigit() and phone not in self.phones:
                self.phones.add(phone)
                return phone


def make_county(seed: int = SEED) -> County:
    """Return the fictional county, the same for the same seed."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    people = _People(fake)
    towns: list[Town] = []
    cadres: list[PortalCadre] = []
    workers: list[PortalWorker] = []
    for town_name, town_part, village_specs in PLACES:
        town_code = COUNTY_CODE[:6] + town_part + "000"
        villages = [Village(v, town_code[:9] + code, town_name) for v, code, _ in village_specs]
        towns.append(Town(town_name, town_code, villages))
        for village, (_, _, cadre_count) in zip(villages, village_specs, strict=True):
            for _ in range(cadre_count):
                unit = rng.choice((f"{town_name}人民政府", *CADRE_UNITS))
                cadre = PortalCadre(
                    people.name(gender=rng.choice("男女")),
                    people.phone(),
                    unit,
                    village.name,
                    town_name,
                )
                cadres.append(cadre)
                workers.extend(_households(rng, people, cadre))
    _assign_statuses(rng, workers)
    return County(COUNTY, COUNTY_CODE, towns, cadres, workers)


def _households(rng: random.Random, people: _People, cadre: PortalCadre) -> list[PortalWorker]:
    """Return WORKERS_PER_CADRE workers of the cadre's village, in households of one to three."""
    out: list[PortalWorker] = []
    while len(out) < WORKERS_PER_CADRE:
        surname = people.fake.last_name()
        if len(surname) > 1:
            continue  # compound surnames are rare; keep names short like the tables' columns
        head = people.name(surname, "男")
        size = min(rng.choice((1, 1, 2, 2, 3)), WORKERS_PER_CADRE - len(out))
        family = rng.randint(size + 1, size + 4)
        for index in range(size):
            gender = rng.choice("男男女")
            if index == 0 and rng.random() < 0.5:
                name, gender = head, "男"
            else:
                name = people.name(surname, gender)
            worker = _worker(rng, people.fake, head, name, gender, people.phone(), cadre, family)
            out.append(worker)
    return out


def _worker(
    rng: random.Random,
    fake: Faker,
    head: str,
    name: str,
    gender: str,
    phone: str,
    cadre: PortalCadre,
    family: int,
) -> PortalWorker:
    birth = date(1966, 1, 1) + timedelta(days=rng.randrange(365 * 38))
    serial = f"{rng.randrange(100):02d}{rng.choice('13579' if gender == '男' else '02468')}"
    body = COUNTY_CODE[:6] + birth.strftime("%Y%m%d") + serial
    wish = rng.choice(WISHES)
    place = LOCAL_PLACE if wish == "就近就业" else rng.choice(WORK_PLACES)
    employer = fake.company()
    return PortalWorker(
        household=head,
        name=name,
        gender=gender,
        id_number=body + _id_check_digit(body),
        phone=phone,
        village=cadre.village,
        town=cadre.town,
        cadre=cadre.name,
        wish=wish,
        skills=rng.choice(SKILLS),
        training_wanted=rng.choice(TRAINING_WANTED),
        training_done=rng.choice(TRAINING_DONE),
        employer=employer,
        work_place=place,
        start_date=date(2023, 2, 1) + timedelta(days=rng.randrange(1300)),
        status=WorkStatus.employed,
        family_size=family,
    )


def _assign_statuses(rng: random.Random, workers: list[PortalWorker]) -> None:
    """Make most workers employed, about one in ten looking, one in twenty back home."""
    order = list(range(len(workers)))
    rng.shuffle(order)
    looking = order[:30]
    returned = order[30:45]
    for index in looking:
        worker = workers[index]
        worker.status = WorkStatus.looking
        worker.changed_in = rng.choice(("2026-08", "2026-10"))  # before the tables, or during
    for index in returned:
        worker = workers[index]
        worker.status = WorkStatus.returned
        worker.changed_in = rng.choice(("2026-08", "2026-10"))
    for worker in workers:
        if worker.status is not WorkStatus.employed and worker.changed_in == "2026-08":
            worker.employer = None
            worker.work_place = None
            worker.start_date = None


def _id_check_digit(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return "10X98765432"[total % 11]
