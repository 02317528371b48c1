"""Assemble the sample portal: every page's bytes and Content-Type, and the truth behind them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from faker import Faker

from lianxin.portal import checkin_pages, notice_pages, roster_pages
from lianxin.portal.chrome import SITE_NAME, PageMeta, gov_page
from lianxin.portal.county import SEED, County, make_county
from lianxin.portal.history import PERIODS, Call, make_calls
from lianxin.portal.listing_pages import Entry, render_listing
from lianxin.portal.news_pages import NEWS_SITE, articles, render_article
from lianxin.records import (
    Cadre,
    CheckIn,
    Problem,
    Region,
    RegionLevel,
    ReportKind,
    Worker,
)

PORTAL_TODAY = date(2026, 11, 8)  # the day the demo runs as of
# Check-in tables go up once the month's calls are in; November's is updated as calls come in.
PUBLISHED = {
    "2026-09": date(2026, 9, 17),
    "2026-10": date(2026, 10, 17),
    "2026-11": date(2026, 11, 7),
}


@dataclass
class PageTruth:
    """What a faithful parser reads from one page."""

    path: str
    kind: ReportKind
    title: str
    published: date | None = None
    county: str | None = None
    town: str | None = None
    village: str | None = None
    period: str | None = None
    regions: list[Region] = field(default_factory=list)
    cadres: list[Cadre] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    content_source: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # paths, on listing pages
    next_page: str | None = None  # path, on listing pages


@dataclass
class PortalTruth:
    """The ground truth of the sample county, as records."""

    county: Region
    towns: list[Region]
    villages: list[Region]
    cadres: list[Cadre]
    workers: list[Worker]
    checkins: dict[str, list[CheckIn]]  # by period YYYY-MM
    problems: list[Problem]
    pages: dict[str, PageTruth]

    def pages_of(self, kind: ReportKind) -> list[PageTruth]:
        """Return the truth of every page of `kind`, in path order."""
        return [p for _, p in sorted(self.pages.items()) if p.kind is kind]


class Site(Mapping[str, tuple[bytes, str]]):
    """The sample portal: URL path → (bytes, Content-Type header value), plus its truth."""

    def __init__(self, pages: dict[str, tuple[bytes, str]], truth: PortalTruth) -> None:
        self._pages = pages
        self.truth = truth

    def __getitem__(self, path: str) -> tuple[bytes, str]:
        return self._pages[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pages)

    def __len__(self) -> int:
        return len(self._pages)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.county: County = make_county(seed)
        self.calls = make_calls(self.county, seed)
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.truth: dict[str, PageTruth] = {}
        self.entries: dict[str, list[Entry]] = {
            "/cwgk/": [],
            "/jyfw/": [],
            "/dctb/": [],
            "/news/": [],
        }
        self.doc_id = 1_000_100

    def next_path(self, column: str, day: date) -> str:
        self.doc_id += 7
        return f"/{column}/{day:%Y%m}/t{day:%Y%m%d}_{self.doc_id}.html"

    def add(self, path: str, html: str, charset: str = "utf-8") -> None:
        # GBK pages are written as CMSs do: characters outside the codec become &#…; refs.
        codec = "gbk" if charset in ("gbk", "gb2312") else charset
        self.pages[path] = (
            html.encode(codec, "xmlcharrefreplace"),
            f"text/html; charset={charset}",
        )

    def checkin_pages(self) -> None:
        for period in PERIODS:
            year, month = int(period[:4]), int(period[5:])
            day = PUBLISHED[period]
            for town in self.county.towns:
                for village in town.villages:
                    calls = [c for c in self.calls[period] if c.worker.village == village.name]
                    self._checkin_page(calls, village.name, town.name, year, month, day)

    def _checkin_page(
        self, calls: list[Call], village: str, town: str, year: int, month: int, day: date
    ) -> None:
        layout = checkin_pages.layout_for(village)
        title = layout.title.format(year=year, month=month)
        path = self.next_path("cwgk", day)
        minute = 10 + 7 * len(self.truth) % 50
        meta = PageMeta(
            title=title,
            column=f"{village}村务公开",
            pub_date=f"{day.isoformat()} 16:{minute:02d}",
            source=f"{town}{village}村民委员会",
            breadcrumb=("村务公开", town, village),
            charset=layout.charset,
            charset_style=layout.charset_style,
            container=layout.container,
        )
        self.add(
            path,
            gov_page(meta, checkin_pages.render_table(calls, layout, year, month)),
            layout.charset,
        )
        self.truth[path] = PageTruth(
            path=path,
            kind=ReportKind.checkin_table,
            title=title,
            published=day,
            county=self.county.name,
            town=town,
            village=village,
            period=f"{year}-{month:02d}",
            checkins=[checkin_pages.expected_checkin(c, layout) for c in calls],
            content_source=meta.source,
        )
        self.entries["/cwgk/"].append(Entry(path, title, day))

    def roster_pages(self) -> None:
        day = date(2026, 10, 15)
        for town in self.county.towns:
            title = roster_pages.roster_title(town)
            path = self.next_path("jyfw", day)
            meta = PageMeta(
                title=title,
                column="就业服务",
                pub_date=f"{day} 09:00",
                source=f"{town.name}人民政府",
                breadcrumb=("乡村振兴", "就业服务"),
            )
            self.add(path, gov_page(meta, roster_pages.render_roster(self.county, town)))
            self.truth[path] = PageTruth(
                path=path,
                kind=ReportKind.roster,
                title=title,
                published=day,
                county=self.county.name,
                town=town.name,
                regions=roster_pages.expected_regions(self.county, town),
                cadres=roster_pages.expected_cadres(self.county, town),
                workers=roster_pages.expected_workers(self.county, town),
                content_source=meta.source,
            )
            self.entries["/jyfw/"].append(Entry(path, title, day))

    def notice_pages(self) -> None:
        notices = (
            (
                date(2026, 10, 20),
                "云溪县督查组关于10月份外出务工人员回访工作抽查问题的通报",
                notice_pages.render_october(),
                notice_pages.expected_october(),
            ),
            (
                date(2026, 11, 6),
                "云溪县督查组关于2026年11月上旬就业帮扶工作督查情况的通报",
                notice_pages.render_november(),
                notice_pages.expected_november(),
            ),
        )
        for day, title, body, problems in notices:
            path = self.next_path("dctb", day)
            meta = PageMeta(
                title=title,
                column="督查通报",
                pub_date=f"{day} 17:45",
                source="云溪县脱贫攻坚成果巩固督查组",
                breadcrumb=("政务公开", "督查通报"),
                container="zoom",
            )
            self.add(path, gov_page(meta, body))
            self.truth[path] = PageTruth(
                path=path,
                kind=ReportKind.problem_list,
                title=title,
                published=day,
                county=self.county.name,
                problems=problems,
                content_source=meta.source,
            )
            self.entries["/dctb/"].append(Entry(path, title, day))

    def news_pages(self, seed: int) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed + 2)
        names: list[str] = []
        while len(names) < 8:
            name = fake.name()
            if name not in names:
                names.append(name)
        stories = articles(names)
        for story in stories:
            related = [s for s in stories if s is not story]
            self.add(story.path, render_article(story, related))
            self.truth[story.path] = PageTruth(
                path=story.path,
                kind=ReportKind.article,
                title=story.title,
                published=story.published,
                authors=list(story.authors),
                editor=story.editor,
                content_source=story.source,
                paragraphs=list(story.paragraphs),
            )
            self.entries["/news/"].append(Entry(story.path, story.title, story.published))

    def listings(self) -> None:
        # (prefix, column, site, pager drawn by a TRS script rather than by links)
        columns = (
            ("/cwgk/", "村务公开", SITE_NAME, True),
            ("/jyfw/", "就业服务", SITE_NAME, False),
            ("/dctb/", "督查通报", SITE_NAME, False),
            ("/news/", "乡村振兴", NEWS_SITE, False),
        )
        everything = [e for prefix in ("/cwgk/", "/jyfw/", "/dctb/") for e in self.entries[prefix]]
        for prefix, column, site, script in (*columns, ("/", "最新信息", SITE_NAME, False)):
            entries = everything if prefix == "/" else self.entries[prefix]
            pages = render_listing(site, column, prefix, entries, script_pager=script)
            ordered = sorted(entries, key=lambda e: (e.published, e.path), reverse=True)
            paths = list(pages)
            for number, (path, html) in enumerate(pages.items()):
                self.add(path, html)
                chunk = ordered[number * 8 : (number + 1) * 8]
                self.truth[path] = PageTruth(
                    path=path,
                    kind=ReportKind.listing,
                    title=column,
                    links=[e.path for e in chunk],
                    next_page=paths[number + 1] if number + 1 < len(paths) else None,
                )

    def portal_truth(self) -> PortalTruth:
        county = self.county
        cadres = [
            Cadre(name=c.name, unit=c.unit, phone=c.phone, village=c.village, town=c.town)
            for c in county.cadres
        ]
        workers = [w for t in county.towns for w in roster_pages.expected_workers(county, t)]
        checkins: dict[str, list[CheckIn]] = {p: [] for p in PERIODS}
        for page in self.truth.values():
            if page.kind is ReportKind.checkin_table and page.period:
                checkins[page.period].extend(page.checkins)
        problems = [
            p for page in sorted(self.truth.values(), key=lambda p: p.path) for p in page.problems
        ]
        return PortalTruth(
            county=Region(level=RegionLevel.county, name=county.name, code=county.code),
            towns=[
                Region(level=RegionLevel.town, name=t.name, code=t.code, parent=county.name)
                for t in county.towns
            ],
            villages=[
                Region(level=RegionLevel.village, name=v.name, code=v.code, parent=v.town)
                for v in county.villages
            ],
            cadres=cadres,
            workers=workers,
            checkins=checkins,
            problems=problems,
            pages=self.truth,
        )


def build_site(seed: int = SEED) -> Site:
    """Return the whole sample portal, built in memory; the same seed gives the same bytes."""
    builder = _Builder(seed)
    builder.checkin_pages()
    builder.roster_pages()
    builder.notice_pages()
    builder.news_pages(seed)
    builder.listings()
    return Site(dict(sorted(builder.pages.items())), builder.portal_truth())


def write_site(folder: Path | str, site: Site | None = None) -> list[Path]:
    """Write every page of the portal under `folder` (as a static site) and return the files."""
    root = Path(folder)
    written: list[Path] = []
    for path, (content, _) in (site or build_site()).items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written.append(target)
    return written


def portal_sources(base_url: str) -> list[dict[str, str]]:
    """Return the source entries (SourceSettings fields) that read the portal at `base_url`."""
    base = base_url.rstrip("/")
    return [
        {"name": "yunxi-rosters", "url": f"{base}/jyfw/index.html", "kind": "auto"},
        {"name": "yunxi-checkins", "url": f"{base}/cwgk/index.html", "kind": "auto"},
        {"name": "yunxi-supervision", "url": f"{base}/dctb/index.html", "kind": "auto"},
        {"name": "yunxi-news", "url": f"{base}/news/index.html", "kind": "auto"},
    ]
