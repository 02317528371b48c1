"""Map table headers to record fields by meaning, with the synonyms in config/columns.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from config.settings import CONFIG_DIR
from lianxin.parsing.text import normalize

COLUMNS_FILE = CONFIG_DIR / "columns.toml"
_PARENS = re.compile(r"[(\[【][^)\]】]*[)\]】]")
# Punctuation clerks put in headers ("联系电话：", "上月收入/元", "姓 名") carries no meaning.
_PUNCTUATION = re.compile(r"[\s:：、,，.。;；/\\|_\-—*·'\"“”‘’]+")


@dataclass(frozen=True)
class Vocabulary:
    synonyms: dict[str, str]  # normalised synonym → field
    ignore: frozenset[str]
    kinds: dict[str, frozenset[str]]  # report kind → the fields that signal it

    def field_for(self, header: str) -> str | None:
        """Return the field a header means, or None (then the column goes to `extra`)."""
        key = header_key(header)
        if not key or key in self.ignore:
            return None
        if key in self.synonyms:
            return self.synonyms[key]
        bare = _PARENS.sub("", key)
        if bare in self.synonyms:
            return self.synonyms[bare]
        bare = _PUNCTUATION.sub("", bare)
        if bare in self.synonyms:
            return self.synonyms[bare]
        # The longest synonym inside the header wins (干部联系电话 is the cadre's, not the
        # worker's); between equally long ones the one ending the header, as the head noun of
        # a Chinese phrase comes last (结对干部电话 is a phone, not a cadre).
        best = max(
            (s for s in self.synonyms if len(s) >= 2 and s in bare),
            key=lambda s: (len(s), bare.endswith(s)),
            default=None,
        )
        return self.synonyms[best] if best else None

    def is_ignored(self, header: str) -> bool:
        """Return True for headers that hold no data (序号)."""
        return header_key(header) in self.ignore


def header_key(header: str) -> str:
    """Return a header as matched: NFKC, no spaces, no colon (上月收入（元）→ 上月收入(元))."""
    return normalize(header).replace(" ", "").rstrip(":").lower()


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = COLUMNS_FILE) -> Vocabulary:
    """Return the header vocabulary shipped in (or pointed to by) `path`."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    synonyms: dict[str, str] = {}
    for field_name, words in data["fields"].items():
        for word in words:
            synonyms[header_key(word)] = field_name
    return Vocabulary(
        synonyms=synonyms,
        ignore=frozenset(header_key(w) for w in data.get("ignore", [])),
        kinds={kind: frozenset(fields) for kind, fields in data.get("kinds", {}).items()},
    )
