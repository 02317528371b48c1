"""Who may see what: a logged-in `Viewer` and the WHERE clauses that keep them in their place.

The region tree decides: a cadre (包户干部) sees their own workers, a village lead their village,
a town lead their town, the county bureau, a supervision group (督查组) and an admin their
county (or everything when their county is empty).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, Table, and_, false, or_, select, true

from lianxin.store import schema as t

# A function returning the WHERE clause that limits a table to a place (`place_filter`,
# `within`, or `functools.partial(place_clause, viewer)`).
Where = Callable[[Table], ColumnElement[bool]]


class Role(StrEnum):
    cadre = "cadre"  # 包户干部
    village_lead = "village_lead"  # 村干部
    town_lead = "town_lead"  # 乡镇
    county = "county"  # 乡村振兴局
    supervision = "supervision"  # 督查组
    admin = "admin"


COUNTY_WIDE = frozenset({Role.county, Role.supervision, Role.admin})


@dataclass(frozen=True)
class Viewer:
    """A person looking at the dashboard, with the place their role covers."""

    username: str
    role: Role
    display_name: str = ""
    county: str | None = None
    town: str | None = None
    village: str | None = None
    cadre_key: str | None = None
    language: str = "zh"

    @property
    def name(self) -> str:
        return self.display_name or self.username


def _regions(level: str, parent: ColumnElement[bool]) -> Select[tuple[str]]:
    """Return the names of the regions at `level` whose parent matches `parent`."""
    return select(t.regions.c.name).where(t.regions.c.level == level, parent)


def _in_county(table: Table, county: str) -> ColumnElement[bool]:
    """Return a clause keeping rows of `table` whose town or village lies in `county`.

    Tables without a county column reach it through `regions` (town → county, village → town).
    """
    if "county" in table.c:
        return table.c.county == county
    towns = _regions("town", t.regions.c.parent == county)
    clauses: list[ColumnElement[bool]] = []
    if "town" in table.c:
        clauses.append(table.c.town.in_(towns))
    if "village" in table.c:
        clauses.append(table.c.village.in_(_regions("village", t.regions.c.parent.in_(towns))))
    return or_(*clauses) if clauses else false()


def _in_town(table: Table, town: str) -> ColumnElement[bool]:
    """Return a clause keeping rows of `table` in `town` (by its villages where it has no town)."""
    if "town" in table.c:
        return table.c.town == town
    if "village" in table.c:
        return table.c.village.in_(_regions("village", t.regions.c.parent == town))
    return false()


def _in_village(table: Table, village: str) -> ColumnElement[bool]:
    return table.c.village == village if "village" in table.c else false()


def _of_cadre(table: Table, cadre_key: str) -> ColumnElement[bool]:
    """Return a clause keeping rows of `table` that belong to the cadre `cadre_key`: their
    workers (`cadre_key`), their obligations (`owner`), their workers' rows (`worker_key`)."""
    if "cadre_key" in table.c:
        return table.c.cadre_key == cadre_key
    if "owner" in table.c:
        return table.c.owner == cadre_key
    if "worker_key" in table.c:
        mine = select(t.workers.c.key).where(t.workers.c.cadre_key == cadre_key)
        return table.c.worker_key.in_(mine)
    return false()


def place_filter(
    county: str | None = None,
    town: str | None = None,
    village: str | None = None,
    cadre_key: str | None = None,
) -> Where:
    """Return a `Where` keeping the rows of the place (and cadre) chosen, on any table.

    The one place filter of the dashboard: `place_clause` holds a viewer to their place with
    the same clauses. A place a table cannot be limited to keeps none of its rows.
    """
    chosen = [
        (_in_county, county),
        (_in_town, town),
        (_in_village, village),
        (_of_cadre, cadre_key),
    ]

    def where(table: Table) -> ColumnElement[bool]:
        return and_(true(), *(clause(table, name) for clause, name in chosen if name))

    return where


def within(viewer: Viewer, **chosen: str | None) -> Where:
    """Return a `Where` keeping the rows of the place `chosen` (`place_filter`'s keywords)
    inside `viewer`'s place: a place outside theirs shows nothing."""
    narrowed = place_filter(**chosen)

    def where(table: Table) -> ColumnElement[bool]:
        return and_(place_clause(viewer, table), narrowed(table))

    return where


def _like_name(column: ColumnElement[str], name: str) -> ColumnElement[bool]:
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def place_clause(viewer: Viewer, table: Table) -> ColumnElement[bool]:
    """Return the WHERE clause limiting `table` (with village/town columns) to `viewer`'s place.

    Works on workers, obligations, compliance, risk flags, findings and checkins (and on
    problems, through `problem_clause`); a cadre is
    held to their own workers by `cadre_key` (workers) or `owner` (obligations), and to nothing
    on a table that has neither. A viewer without the place their role needs sees nothing.
    """
    if table is t.problems:
        return problem_clause(viewer)  # problems name their place in free text
    role = viewer.role
    if role is Role.cadre:
        return _of_cadre(table, viewer.cadre_key) if viewer.cadre_key else false()
    if role is Role.village_lead:
        return _in_village(table, viewer.village) if viewer.village else false()
    if role is Role.town_lead:
        return _in_town(table, viewer.town) if viewer.town else false()
    if role in COUNTY_WIDE:
        return _in_county(table, viewer.county) if viewer.county else true()
    return false()


def problem_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Return the WHERE clause limiting `problems` to `viewer`, by the place (地点) they name.

    Problems carry their place as free text (石桥镇青山村…): a village or town lead sees the
    problems naming their place, a cadre those naming their village, the county roles all.
    """
    place = t.problems.c.place
    if viewer.role in COUNTY_WIDE:
        # Problems name no county: a county-wide role sees the supervision group's whole list.
        return true()
    if viewer.role is Role.town_lead:
        return _like_name(place, viewer.town) if viewer.town else false()
    if viewer.role in (Role.village_lead, Role.cadre):
        return _like_name(place, viewer.village) if viewer.village else false()
    return false()


def can_see_phone(viewer: Viewer, *, village: str | None, cadre_key: str | None) -> bool:
    """Return whether `viewer` may read a worker's phone in full (PIPL): their own cadre, or
    the lead of the worker's village; every other role reads it masked."""
    if viewer.role is Role.cadre:
        return bool(viewer.cadre_key) and viewer.cadre_key == cadre_key
    if viewer.role is Role.village_lead:
        return bool(viewer.village) and viewer.village == village
    return False


class Action(StrEnum):
    """What a viewer may do on the dashboard, beyond reading their part of the region tree."""

    record_checkin = "record_checkin"  # 记录回访
    waive = "waive"  # 豁免, with a reason
    mark_rectified = "mark_rectified"  # 已整改
    mark_verified = "mark_verified"  # 已销号, after the return visit
    import_table = "import_table"  # 导入花名册 / 回访台账
    export_table = "export_table"  # 导出
    see_operations = "see_operations"  # sources, quarantine, runs
    handover = "handover"  # 工作交接: a cadre's caseload to another cadre


# Who may do what; each action is still limited to the viewer's place by the clauses above.
# A supervision group (督查组) finds problems and verifies their rectification, and does not
# record calls; a cadre records their own calls and nothing else.
ALLOWED: dict[Action, frozenset[Role]] = {
    Action.record_checkin: frozenset(
        {Role.cadre, Role.village_lead, Role.town_lead, Role.county, Role.admin}
    ),
    Action.waive: frozenset({Role.village_lead, Role.town_lead, Role.county, Role.admin}),
    Action.mark_rectified: frozenset({Role.village_lead, Role.town_lead, Role.county, Role.admin}),
    Action.mark_verified: frozenset({Role.supervision, Role.county, Role.admin}),
    Action.import_table: frozenset({Role.village_lead, Role.town_lead, Role.county, Role.admin}),
    Action.export_table: frozenset(Role),
    Action.see_operations: frozenset({Role.county, Role.supervision, Role.admin}),
    Action.handover: frozenset({Role.village_lead, Role.town_lead, Role.county, Role.admin}),
}


def may(viewer: Viewer, action: Action) -> bool:
    """Return whether `viewer`'s role allows `action` (within their place)."""
    return viewer.role in ALLOWED[action]
