"""Write a parse result as indented JSON, record by record, personal data masked.

`lianxin parse --json` on a 220,000-row table prints about 100 MB of JSON. Building it as one
dict, one string and then one rich renderable (which highlights and measures every line) cost
more time and memory than the parse. Here each record is serialised by pydantic's own (Rust)
JSON writer and written out in batches, so memory stays at a batch. The text is what
`json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False)` gives, with the
masked fields masked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TextIO

from pydantic import BaseModel

from lianxin.privacy import mask_id_number, mask_phone
from lianxin.records import ParseResult

PERSONAL: dict[str, Callable[[str | None], str]] = {
    "phone": mask_phone,
    "worker_phone": mask_phone,
    "id_number": mask_id_number,
}
MASKED_LISTS = ("workers", "checkins", "cadres")  # the lists whose personal fields are masked
BATCH = 2_000  # records joined before one write: few writes, little memory


def masked_record(record: BaseModel) -> BaseModel:
    """Return `record` with its phone and ID number fields masked (a copy; unset ones kept)."""
    values = record.__dict__
    update = {k: PERSONAL[k](values[k]) for k in PERSONAL if values.get(k)}
    return record.model_copy(update=update) if update else record


def write_parse_json(out: TextIO, result: ParseResult, unmasked: bool = False) -> None:
    """Write `result` to `out` as JSON indented by two, one batch of records at a time."""
    names = list(type(result).model_fields)
    out.write("{")
    for position, name in enumerate(names):
        out.write(f'\n  "{name}": ')
        value = getattr(result, name)
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            mask = name in MASKED_LISTS and not unmasked
            _write_records(out, (masked_record(r) if mask else r for r in value))
        else:
            dumped = result.model_dump(mode="json", include={name})[name]
            out.write(_indent(json.dumps(dumped, indent=2, ensure_ascii=False), 2))
        out.write("," if position < len(names) - 1 else "")
    out.write("\n}\n" if names else "}\n")
    out.flush()


def _write_records(out: TextIO, records: Iterable[BaseModel]) -> None:
    batch: list[str] = []
    first = True
    out.write("[")
    for record in records:
        text = _indent(record.model_dump_json(indent=2), 4)
        batch.append(("\n    " if first else ",\n    ") + text)
        first = False
        if len(batch) >= BATCH:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))
    out.write("\n  ]")


def _indent(text: str, spaces: int) -> str:
    return text.replace("\n", "\n" + " " * spaces)

