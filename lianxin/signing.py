"""The dashboard's signing key, and the signed tokens of digest links (one-tap phone pages).

The key signs session cookies and link tokens alike: `dashboard.secret_key`, else the one kept
in data_dir/dashboard.secret (mode 0600), made there on first use. It lives here, below every
layer, because the notify side mints links that the dashboard later checks.

A link token is `<id>.<signature>`: the id is random and names a row of `digest_links`; the
signature is an HMAC-SHA256 of the id under the key. Both are written in ASCII letters only,
so no run of digits in a token can ever look like a phone number to `privacy.scrub`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import string
from pathlib import Path

from config.settings import Settings

SECRET_FILE = "dashboard.secret"
LETTERS = string.ascii_letters
ID_LENGTH = 16  # 52^16: about 91 bits
SIGNATURE_LENGTH = 24  # about 136 bits of the HMAC, in letters
_LINK_PATH = re.compile(r"/m/[A-Za-z]+(?:\.[A-Za-z]*)?")  # a token, or what is left of one


def secret_key_for(settings: Settings) -> str:
    """Return the key that signs session cookies and link tokens: the configured one, else the
    one kept in data_dir/dashboard.secret, made there (mode 0600) on first use."""
    if settings.dashboard.secret_key:
        return settings.dashboard.secret_key
    path = Path(settings.data_dir) / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key


def new_link_id() -> str:
    """Return a fresh random link id (letters only)."""
    return "".join(secrets.choice(LETTERS) for _ in range(ID_LENGTH))


def _letters(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    out = []
    for _ in range(length):
        number, digit = divmod(number, len(LETTERS))
        out.append(LETTERS[digit])
    return "".join(out)


def _mac(key: str, purpose: str, value: str) -> str:
    digest = hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return _letters(digest, SIGNATURE_LENGTH)


def link_token(key: str, link_id: str) -> str:
    """Return the token of link `link_id` under `key`: the id and its signature."""
    return f"{link_id}.{_mac(key, 'digest-link', link_id)}"


def link_id_of(key: str, token: str) -> str | None:
    """Return the link id a token carries when its signature is right under `key`, else None
    (a token altered anywhere, or not a token at all)."""
    link_id, dot, signature = token.partition(".")
    if not dot or len(link_id) != ID_LENGTH or len(signature) != SIGNATURE_LENGTH:
        return None
    expected = _mac(key, "digest-link", link_id)
    return link_id if hmac.compare_digest(signature, expected) else None


def link_csrf(key: str, link_id: str) -> str:
    """Return the CSRF token of a link's forms: bound to the link, no cookie needed."""
    return _mac(key, "link-csrf", link_id)


def redact_links(text: str) -> str:
    """Return `text` with every /m/<token> path cut to /m/…, for log lines."""
    return _LINK_PATH.sub("/m/…", text)
