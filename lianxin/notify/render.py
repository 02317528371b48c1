"""Render digests with the Jinja2 templates shipped in `config/templates/` (zh-CN or English)."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.settings import TEMPLATES_DIR
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.privacy import mask_phone


class Renderer:
    def __init__(self, language: str = "zh", max_listed: int = 30) -> None:
        self.language = language
        self.max_listed = max_listed
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES_DIR)),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text messages; the dashboard escapes on its own
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["mask_phone"] = mask_phone

    def render(self, digest: Digest | ProblemDigest | EscalationDigest) -> tuple[str, str]:
        """Return (title, body) of `digest` in the configured language."""
        name = getattr(digest, "template", "checkin_digest")
        template = self.env.get_template(f"{name}.{self.language}.j2")
        shown = digest.items[: self.max_listed]
        module = template.make_module(
            {"d": digest, "items": shown, "more": len(digest.items) - len(shown)}
        )
        title = str(getattr(module, "title", "")).strip()
        return title, str(module).strip()
