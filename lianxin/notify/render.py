"""Render digests with Jinja2 templates, per stage and channel kind, in zh-CN or English.

Templates live in `config/templates/`; an operator's `notify.templates_dir` is searched first.
For a digest template `name`, stage `stage`, channel kind `kind` and language `lang`, the first
of these that exists wins (in either folder, the operator's before the shipped one):

    {name}.{stage}.{kind}.{lang}.j2
    {name}.{kind}.{lang}.j2
    {name}.{stage}.{lang}.j2
    {name}.{lang}.j2

Personal data is masked here, not by trusting the templates: unless a full phone is allowed
(a personal route and `notify.personal_full_phone`), the digest a template sees carries masked
phones and ID numbers, and the rendered text is scrubbed of any that slipped in. A group never
sees incomes either.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, Template

from config.settings import TEMPLATES_DIR
from lianxin.errors import ConfigError
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.privacy import mask_field, mask_phone, personal_kind, scrub

AnyDigest = Digest | ProblemDigest | EscalationDigest

PERSONAL_KINDS = frozenset({"personal", "sms"})  # one person reads it: the responsible cadre


def template_names(name: str, stage: str, kind: str, language: str) -> list[str]:
    """Return the template files to try for a digest, most specific first."""
    return [
        f"{name}.{stage}.{kind}.{language}.j2",
        f"{name}.{kind}.{language}.j2",
        f"{name}.{stage}.{language}.j2",
        f"{name}.{language}.j2",
    ]


class Renderer:
    def __init__(
        self, language: str = "zh", max_listed: int = 30, templates_dir: Path | None = None
    ) -> None:
        self.language = language
        self.max_listed = max_listed
        self.templates_dir = templates_dir
        self._templates: dict[tuple[Any, ...], Template] = {}

    def render(
        self,
        digest: AnyDigest,
        kind: str = "personal",
        full_phone: bool = False,
        templates_dir: Path | None = None,
    ) -> tuple[str, str]:
        """Return (title, body) of `digest` for a route of `kind`, in the configured language.

        `full_phone` is honoured only for a personal kind; a group or the outbox always gets
        masked phones. `templates_dir`, when given, replaces the one the renderer was made with.
        """
        full = full_phone and kind in PERSONAL_KINDS
        name = getattr(digest, "template", "checkin_digest")
        stage = str(getattr(digest.stage, "value", digest.stage))
        key = (templates_dir or self.templates_dir, full, name, stage, kind, self.language)
        template = self._templates.get(key)
        if template is None:  # found once per renderer (one per run): misses cost disk lookups
            env = _environment(key[0], full)
            template = env.select_template(template_names(name, stage, kind, self.language))
            self._templates[key] = template
        shown_digest = _private(digest, mask_phones=not full, drop_income=kind == "group")
        if kind == "group" and getattr(shown_digest, "link", None):
            shown_digest = dataclasses.replace(shown_digest, link=None)  # a token is personal
        shown = shown_digest.items[: self.max_listed]
        more = len(digest.items) - len(shown)
        module = template.make_module(
            {"d": shown_digest, "items": shown, "more": more, "kind": kind}
        )
        title = str(getattr(module, "title", "")).strip()
        body = str(module).strip()
        return (title, body) if full else (scrub(title), scrub(body))


@lru_cache(maxsize=16)
def _environment(folder: Path | None, full_phone: bool) -> Environment:
    # One environment per (folder, phone policy), shared by threads: Jinja2 renders concurrently.
    if folder is not None and not Path(folder).is_dir():
        raise ConfigError(
            "notify.templates_dir",
            f"{folder} is not a folder",
            "create it, or unset notify.templates_dir to use the shipped templates",
        )
    folders = [str(folder)] if folder is not None else []
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(f) for f in [*folders, str(TEMPLATES_DIR)]]),
        undefined=StrictUndefined,
        autoescape=False,  # plain-text messages; the dashboard escapes on its own
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["phone"] = (lambda value: value or "") if full_phone else mask_phone
    env.filters["mask_phone"] = mask_phone
    return env


def _private(value: Any, mask_phones: bool, drop_income: bool) -> Any:
    """Return a copy of a digest (or item, or list of them) with personal data masked.

    ID numbers are always masked; phones unless `mask_phones` is False; incomes are dropped
    when `drop_income` (a group chat). Lists are masked item by item as a template reads them,
    so a digest of 500 workers that lists 30 masks 30.
    """
    if isinstance(value, list):
        return _MaskedList(value, mask_phones, drop_income)
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for name, what in _sensitive_fields(type(value)):
        current = getattr(value, name)
        masked = what == "id_number" or (what == "phone" and mask_phones)
        if masked and isinstance(current, str):
            changes[name] = mask_field(name, current)
        elif what == "income" and drop_income:
            changes[name] = None
        elif what == "list" and isinstance(current, list):
            changes[name] = _private(current, mask_phones, drop_income)
    return dataclasses.replace(value, **changes) if changes else value


@lru_cache(maxsize=64)
def _sensitive_fields(cls: type) -> tuple[tuple[str, str], ...]:
    # Which fields of a dataclass need a look, and why (`privacy.personal_kind`, else "list":
    # checked at run time, only lists are walked): worked out once per class.
    return tuple((f.name, personal_kind(f.name) or "list") for f in dataclasses.fields(cls))


class _MaskedList(Sequence[Any]):
    """A list whose items are masked when read; its length is the original's."""

    def __init__(self, items: list[Any], mask_phones: bool, drop_income: bool) -> None:
        self._items, self._mask, self._drop = items, mask_phones, drop_income

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [_private(v, self._mask, self._drop) for v in self._items[index]]
        return _private(self._items[index], self._mask, self._drop)
