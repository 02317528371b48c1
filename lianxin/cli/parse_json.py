"""Write a parse result as indented JSON, a batch of records at a time, personal data masked.

`lianxin parse --json` on a 220,000-row table prints about 100 MB of JSON. Building it as one
dict, one string and then one rich renderable (which highlights and measures every line) cost
more time and memory than the parse. Here records are serialised by pydantic's own (Rust)
JSON writer a batch at a time and written out, so memory stays at a batch. The text is what
`json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False)` gives, with the
masked fields masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import IO, Any

from pydantic import BaseModel, TypeAdapter

from lianxin.privacy import mask_field, personal_kind
from lianxin.records import ParseResult

MASKED_LISTS = ("workers", "checkins", "cadres")  # the lists whose personal fields are masked
BATCH = 2_000  # records joined before one write: few writes, little memory


def masked_record(record: BaseModel) -> BaseModel:
    """Return `record` with its phone and ID number fields masked (a copy; unset ones kept)."""
    values = record.__dict__
    update = {k: mask_field(k, values[k]) for k in _masked_fields(type(record)) if values.get(k)}
    return _with(record, update) if update else record


@cache
def _masked_fields(model: type[BaseModel]) -> tuple[str, ...]:
    # The fields `privacy.personal_kind` calls phones or ID numbers, worked out once per model.
    return tuple(f for f in model.model_fields if personal_kind(f) in ("phone", "id_number"))


def _with(record: BaseModel, update: dict[str, str]) -> BaseModel:
    # model_copy(update=...) less its generic copying, which was most of the JSON's time on a
    # big table; the clone only lives to be written out.
    clone = object.__new__(type(record))
    object.__setattr__(clone, "__dict__", {**record.__dict__, **update})
    for slot in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        object.__setattr__(clone, slot, getattr(record, slot))
    return clone


def write_parse_json(out: IO[str], result: ParseResult, unmasked: bool = False) -> None:
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


def _write_records(out: IO[str], records: Iterable[BaseModel]) -> None:
    out.write("[")
    batch: list[BaseModel] = []
    first = True
    for record in records:
        batch.append(record)
        if len(batch) >= BATCH:
            _write_batch(out, batch, first)
            batch, first = [], False
    if batch:
        _write_batch(out, batch, first)
    out.write("\n  ]")


def _write_batch(out: IO[str], batch: list[BaseModel], first: bool) -> None:
    # One call into pydantic's writer per batch: '[\n  {…},\n  {…}\n]', moved in by two.
    text = _adapter(type(batch[0])).dump_json(batch, indent=2).decode()
    out.write(("\n" if first else ",\n") + "  " + _indent(text[2:-2], 2))


@cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _indent(text: str, spaces: int) -> str:
    return text.replace("\n", "\n" + " " * spaces)
