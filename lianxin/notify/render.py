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
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from config.settings import TEMPLATES_DIR
from lianxin.errors import ConfigError
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.privacy import mask_id_number, mask_phone, scrub

AnyDigest = Digest | ProblemDigest | EscalationDigest

PERSONAL_KINDS = frozenset({"personal", "sms"})  # one person reads it: the responsible cadre

# Fields that hold personal data wherever they appear in a digest or its items.
_PHONES = frozenset({"phone", "cadre_phone", "worker_phone"})
_ID_NUMBERS = frozenset({"id_number"})


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
        env = _environment(templates_dir or self.templates_dir, full)
        name = getattr(digest, "template", "checkin_digest")
        stage = str(getattr(digest.stage, "value", digest.stage))
        template = env.select_template(template_names(name, stage, kind, self.language))
        shown_digest = _private(digest, mask_phones=not full, drop_income=kind == "group")
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
    when `drop_income` (a group chat).
    """
    if isinstance(value, list):
        return [_private(v, mask_phones, drop_income) for v in value]
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        current = getattr(value, f.name)
        if f.name in _PHONES and mask_phones and isinstance(current, str):
            changes[f.name] = mask_phone(current)
        elif f.name in _ID_NUMBERS and isinstance(current, str):
            changes[f.name] = mask_id_number(current)
        elif drop_income and "income" in f.name:
            changes[f.name] = None
        elif isinstance(current, list):
            changes[f.name] = _private(current, mask_phones, drop_income)
    return dataclasses.replace(value, **changes) if changes else value
