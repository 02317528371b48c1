"""Read an employment service table (就业服务一览表): workers, their cadres, and the places."""

from __future__ import annotations

from pydantic import ValidationError

from lianxin.parsing.cells import RowWarnings
from lianxin.parsing.document import Document
from lianxin.parsing.places import places_in
from lianxin.parsing.table_records import (
    leftovers,
    person_and_village,
    reason_of,
    records_from_rows,
)
from lianxin.parsing.tables import Row, Table
from lianxin.parsing.text import (
    clean_optional,
    clean_phone,
    clean_text,
    parse_work_status,
)
from lianxin.records import Cadre, Quarantined, Region, RegionLevel, Severity, Worker, WorkStatus


def roster_from_table(
    table: Table, doc: Document, url: str
) -> tuple[list[Worker], list[Cadre], list[Quarantined]]:
    """Return the workers and cadres of a roster table, and its quarantined rows."""
    town, village = doc.places.town, doc.places.village
    # The table's own title and the lines just above it name its place more closely.
    for text in reversed([*table.titles, *table.context]):
        found = places_in(text)
        town, village = found.town or town, found.village or village
    cadres: dict[tuple[str | None, str], Cadre] = {}
    noted: list[Quarantined] = []  # masked phones and unreadable cadres of rows kept
    warnings = RowWarnings(url)

    def build(row: Row) -> Worker:
        worker = _worker(row, town, village, doc.year, warnings)
        if worker.phone and "*" in worker.phone:
            # The roster is where Lianxin learns whom to call; a masked number is no number.
            noted.append(
                Quarantined(
                    url=url,
                    row=row.number,
                    reason=MASKED_PHONE,
                    severity=Severity.warning,
                    raw=row.raw,
                )
            )
        if worker.cadre and (worker.town, worker.cadre) not in cadres:
            try:
                cadres[(worker.town, worker.cadre)] = Cadre(
                    name=worker.cadre,
                    unit=clean_text(row.values.get("cadre_unit")),
                    phone=clean_phone(row.values.get("cadre_phone")),
                    village=worker.village,
                    town=worker.town,
                )
            except ValidationError as exc:
                noted.append(
                    Quarantined(
                        url=url, row=row.number, reason="cadre: " + reason_of(exc), raw=row.raw
                    )
                )
        return worker

    workers, quarantined = records_from_rows(table, url, warnings.guarded(build))
    return workers, list(cadres.values()), warnings.merged([*quarantined, *noted])


MASKED_PHONE = "phone masked on the roster: cannot be called from Lianxin"


def regions_of(doc: Document, workers: list[Worker]) -> list[Region]:
    """Return the county, towns and villages a roster names, each with its parent."""
    # The roster is where the region tree comes from: the county its title names is the
    # county's own, in the gazetteer or not (the page's places hold only known ones).
    county = doc.places.county or places_in(doc.title).county
    regions: list[Region] = []
    if county:
        regions.append(Region(level=RegionLevel.county, name=county))
    seen: set[tuple[str, str]] = set()
    for worker in workers:
        if worker.town and ("town", worker.town) not in seen:
            seen.add(("town", worker.town))
            regions.append(Region(level=RegionLevel.town, name=worker.town, parent=county))
    for worker in workers:
        if ("village", worker.village) not in seen:
            seen.add(("village", worker.village))
            regions.append(
                Region(level=RegionLevel.village, name=worker.village, parent=worker.town)
            )
    return regions


# Fields a roster row can hold; any other mapped column is kept in the worker's `extra`.
ROSTER_FIELDS = frozenset(
    {
        "household",
        "name",
        "phone",
        "id_number",
        "village",
        "town",
        "cadre",
        "cadre_phone",
        "cadre_unit",
        "wish",
        "skills",
        "training",
        "employer",
        "work_place",
        "start_date",
        "status",
    }
)


def _worker(
    row: Row, town: str | None, village: str | None, year: int | None, warnings: RowWarnings
) -> Worker:
    values = row.values
    name, row_village = person_and_village(
        row, village, "village unknown: no 所在村 column and none in the title"
    )
    employer = clean_optional(values.get("employer"))
    status = parse_work_status(values.get("status"))
    start_date = warnings.day(row, "start_date", year, keep_unreadable=True)
    if status is None:
        status = WorkStatus.employed if employer else WorkStatus.other
    return Worker(
        household=clean_optional(values.get("household")),
        name=name,
        phone=clean_phone(values.get("phone")),
        id_number=clean_optional(values.get("id_number")),
        village=row_village,
        town=clean_optional(values.get("town")) or town,
        cadre=clean_optional(values.get("cadre")),
        wish=clean_optional(values.get("wish")),
        skills=clean_optional(values.get("skills")),
        training=clean_optional(values.get("training")),
        employer=employer,
        work_place=clean_optional(values.get("work_place")),
        start_date=start_date,
        status=status,
        extra=leftovers(row, ROSTER_FIELDS - warnings.kept_as_text(row)),
    )
