"""Write the configuration reference, docs/configuration.md, from the settings model itself.

Every setting gets its TOML path, its environment variable, its type, its default and the
description given in `config/settings.py`, so the reference cannot drift from the code
(tests/test_config_cli.py regenerates it and compares).

Example: python -m lianxin.cli.config_doc > docs/configuration.md
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from config.settings import Settings
from lianxin.cli.config_show import toml_value

_REQUIRED = object()
# What the key of a table of tables stands for, in the paths shown.
KEY_WORDS = {"cadence": "flow"}

INTRO = """\
<!-- Generated from config/settings.py by `python -m lianxin.cli.config_doc`. Edit the model's
     descriptions, then regenerate: python -m lianxin.cli.config_doc > docs/configuration.md -->

# Configuration reference

Lianxin reads its settings in layers, each overriding the one before:

1. the shipped defaults, `config/defaults.toml`;
2. your file: the one named by `LIANXIN_CONFIG`, else `./lianxin.toml` when there is one;
3. environment variables `LIANXIN_…`.

`lianxin config show` prints the result, secrets masked, and which file and variables it came
from; `lianxin config check` finds mistakes before a run does (see
[operations.md](operations.md)).

**Environment variables** are `LIANXIN_` and the setting's TOML path in capitals, levels joined
by `__`: `notify.daily_cap` is `LIANXIN_NOTIFY__DAILY_CAP`. Lists and tables are written as
JSON, e.g. `LIANXIN_NOTIFY__DEFAULT_ROUTES='["outbox://"]'`; a key set through a variable of its
own (`LIANXIN_NOTIFY__ROUTES__NAME`) is lower-cased, so set a table with Chinese or mixed-case
keys as a whole. **Secrets** never go into the file: write `${NAME}` in a route and export
`NAME`, or `${secret:block-name}` for a Prefect Secret block.

**Relative paths** in your file (an SQLite `database_url` such as `sqlite:///var/lianxin.db`,
`data_dir`, `notify.outbox_dir`, `notify.templates_dir`) are read from that file's folder, so
`LIANXIN_CONFIG=/srv/lianxin/lianxin.toml` means the same store from any working directory;
relative paths from environment variables and from the shipped defaults (`var/…`) are read
from the working directory.

In the paths below, `sources[]` is one `[[sources]]` entry and `<flow>` a key you choose.
"""


@dataclass
class Entry:
    path: str  # TOML path: notify.daily_cap, sources[].url, watchdog.cadence.<flow>.enabled
    env: str  # LIANXIN_NOTIFY__DAILY_CAP, or where a list entry's value goes
    type: str
    default: str
    description: str


@dataclass
class Section:
    title: str
    intro: str
    entries: list[Entry] = field(default_factory=list)


def model_of(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    return None


def item_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """Return ("list" | "dict", model) for list[Model] and dict[str, Model]."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and args and model_of(args[0]):
        return "list", args[0]
    if origin is dict and len(args) == 2 and model_of(args[1]):
        return "dict", args[1]
    return None


def type_name(annotation: Any) -> str:
    """Return a type as an operator reads it: "integer", "list of string", "time (HH:MM:SS)"."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # a checked value: named by what it is
        return type_name(args[0])
    if origin in (Union, types.UnionType):
        named = [type_name(arg) for arg in args if arg is not type(None)]
        optional = " (optional)" if type(None) in args else ""
        return " or ".join(named) + optional
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(arg) for arg in args)
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return "table of tables (below)" if model_of(args[1]) else f"table of {type_name(args[1])}"
    if model_of(annotation):
        return "table"
    names = {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        time: "time (HH:MM:SS)",
        Path: "path",
    }
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(info: FieldInfo) -> str:
    signs = {
        annotated_types.Ge: ("≥", "ge"),
        annotated_types.Gt: (">", "gt"),
        annotated_types.Le: ("≤", "le"),
        annotated_types.Lt: ("<", "lt"),
    }
    parts = [
        f"{signs[type(m)][0]} {getattr(m, signs[type(m)][1])}"
        for m in info.metadata
        if type(m) in signs
    ]
    return f" ({', '.join(parts)})" if parts else ""


def _type_cell(info: FieldInfo) -> str:
    text = type_name(info.annotation)
    optional = text.endswith(" (optional)")
    text = text.removesuffix(" (optional)") + _bounds(info)
    return text + ", optional" if optional else text


def _default(info: FieldInfo) -> Any:
    if info.is_required():
        return _REQUIRED
    return info.get_default(call_default_factory=True)


def _show_default(annotation: Any, value: Any) -> str:
    if value is _REQUIRED:
        return "required"
    if value is None:
        return "not set"
    return f"`{_cell(toml_value(TypeAdapter(annotation).dump_python(value, mode='json')))}`"


def _entries(
    fields: Mapping[str, FieldInfo], path: str, env: str | None, defaults: BaseModel | None
) -> Iterator[Entry]:
    """Yield an entry per setting, nested models flattened into dotted paths.

    `env` is the variable's prefix up to the name ("LIANXIN_NOTIFY__"); None inside a list,
    whose entries are set only as a whole.
    """
    for name, info in fields.items():
        here = f"{path}.{name}" if path else name
        env_here = f"{env}{name.upper()}" if env else None
        value = getattr(defaults, name) if defaults is not None else _default(info)
        nested = model_of(info.annotation)
        if nested is not None:
            yield from _entries(
                nested.model_fields,
                here,
                f"{env_here}__" if env_here else None,
                value if isinstance(value, BaseModel) else None,
            )
            continue
        if env_here:
            json_note = " (JSON)" if get_origin(info.annotation) in (list, dict) else ""
            where = f"`{env_here}`{json_note}"
        else:
            where = f"in `{path.split('[', 1)[0].upper()}` (JSON)"
        yield Entry(
            path=here,
            env=where,
            type=_type_cell(info),
            default=_show_default(info.annotation, value),
            description=info.description or "",
        )
        items = item_model(info.annotation)
        if items is not None and items[0] == "dict":
            key = KEY_WORDS.get(name, "name")
            yield from _entries(
                items[1].model_fields,
                f"{here}.<{key}>",
                f"{env_here}__<{key.upper()}>__" if env_here else None,
                None,
            )


def _intro(description: str | None, docstring: str | None) -> str:
    return inspect.cleandoc(description or docstring or "")


def sections(model: type[BaseModel] = Settings) -> list[Section]:
    """Return the reference: top-level settings first, then one section per table."""
    top = Section("Top level", "Settings outside any table.")
    found = [top]
    for name, info in model.model_fields.items():
        nested = model_of(info.annotation)
        items = item_model(info.annotation)
        if nested is not None:
            section = Section(f"[{name}]", _intro(info.description, nested.__doc__))
            section.entries += _entries(
                nested.model_fields, name, f"LIANXIN_{name.upper()}__", _default(info)
            )
        elif items is not None and items[0] == "list":
            section = Section(f"[[{name}]]", _intro(info.description, items[1].__doc__))
            section.entries += _entries(items[1].model_fields, f"{name}[]", None, None)
            for entry in section.entries:
                entry.env = f"in `LIANXIN_{name.upper()}` (JSON)"
        else:
            top.entries += _entries({name: info}, "", "LIANXIN_", None)
            continue
        found.append(section)
    return found


def all_fields(
    model: type[BaseModel] = Settings, path: str = ""
) -> Iterator[tuple[str, FieldInfo]]:
    """Yield (TOML path, field) for every field of the model, nested ones included."""
    for name, info in model.model_fields.items():
        here = f"{path}.{name}" if path else name
        yield here, info
        nested = model_of(info.annotation)
        items = item_model(info.annotation)
        if nested is not None:
            yield from all_fields(nested, here)
        elif items is not None:
            yield from all_fields(items[1], f"{here}[]" if items[0] == "list" else f"{here}.<key>")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(model: type[BaseModel] = Settings) -> str:
    """Return docs/configuration.md for `model`."""
    lines = [INTRO]
    for section in sections(model):
        lines += ["", f"## {section.title}", ""]
        if section.intro:
            lines += [section.intro, ""]
        lines += [
            "| setting | environment variable | type | default | description |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{e.path}` | {e.env} | {_cell(e.type)} | {e.default} | {_cell(e.description)} |"
            for e in section.entries
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the reference to stdout."""
    print(render(), end="")


if __name__ == "__main__":
    main()
