"""The raw archive: every fetched page's bytes, stored once under their SHA-256.

Keeping the bytes lets Lianxin re-parse any page after a parser change without fetching again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def content_hash(content: bytes) -> str:
    """Return the SHA-256 hex digest that names `content` in the archive."""
    return hashlib.sha256(content).hexdigest()


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.bin"

    def put(self, content: bytes) -> str:
        """Store `content` (once) and return its hash; a crash mid-write leaves no partial file."""
        digest = content_hash(content)
        path = self.path_for(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(content)
            tmp.replace(path)
        return digest

    def get(self, digest: str) -> bytes:
        """Return the bytes stored under `digest`; KeyError if they were never archived."""
        path = self.path_for(digest)
        if not path.exists():
            raise KeyError(f"no archived page with hash {digest}")
        return path.read_bytes()
