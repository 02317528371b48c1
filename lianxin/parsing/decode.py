"""Turn a page's bytes into text: valid UTF-8, else HTTP charset, the page's declaration, detection.

Chinese county sites often still serve GB2312/GBK and sometimes declare it wrongly, so every
candidate codec is tried in that order and the first that decodes cleanly wins; gb2312 and gbk
are read as gb18030, their superset, because pages labelled gb2312 routinely use GBK characters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

from lianxin.errors import UndecodableError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
}
_WEAK = {"cp1252", "latin-1", "iso8859-1"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# More replacement characters than this share of the text means the codec was wrong.
MAX_REPLACEMENT_SHARE = 0.005


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec used (canonical name)
    declared_by: str  # "bom", "http", "meta", "detected" or "fallback"


def canonical_codec(name: str | None) -> str | None:
    """Return the Python codec for a declared charset (gb2312/gbk → gb18030), None if unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(content: bytes) -> str | None:
    """Return the charset a page declares in its first bytes (<meta charset>, http-equiv, xml)."""
    head = content[:4096]
    match = _META_CHARSET.search(head) or _XML_DECL.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def decode_page(content: bytes, http_charset: str | None = None) -> Decoded:
    """Return the page's text; raise UndecodableError (with the reason) when nothing fits."""
    if not content.strip():
        raise UndecodableError("empty page: no bytes to parse")
    for bom, bom_codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(bom):
            return Decoded(content.decode(bom_codec, "replace"), bom_codec, "bom")
    tried: list[str] = []
    candidates = [
        ("http", canonical_codec(http_charset)),
        ("meta", canonical_codec(declared_charset(content))),
    ]
    if candidates[0][1] in _WEAK and candidates[1][1]:
        # ISO-8859-1 is the HTTP/1.1 default a server sends when nobody configured a charset.
        candidates.reverse()
    if _is_utf8(content):
        # Chinese text in a GB codec is practically never valid UTF-8, while GB18030 (and a
        # statistical guess such as ptcp154) decodes UTF-8 bytes without an error into
        # mojibake: a page that is valid UTF-8 is UTF-8, whatever a copied <meta> or a server
        # default says, and whether or not anything says it.
        origin = next((o for o, codec in candidates if codec == "utf-8"), "detected")
        return Decoded(content.decode("utf-8"), "utf-8", origin)
    for origin, codec in candidates:
        if codec and codec not in tried:
            tried.append(codec)
            text = _clean_decode(content, codec)
            if text is not None:
                return Decoded(text, codec, origin)
    # Undeclared or wrongly declared Chinese pages are nearly always GBK: try GB18030 before a
    # statistical guess, which on short pages may pick Big5 or Shift-JIS and read nonsense.
    if "gb18030" not in tried:
        tried.append("gb18030")
        text = _clean_decode(content, "gb18030")
        if text is not None and _reads_as_chinese(text):
            return Decoded(text, "gb18030", "detected")
    best = from_bytes(content[:200_000]).best()
    if best is not None and best.encoding:
        codec = canonical_codec(best.encoding) or str(best.encoding)
        if codec not in tried:
            tried.append(codec)
            text = _clean_decode(content, codec)
            if text is not None:
                return Decoded(text, codec, "detected")
    for codec in ("utf-8", "gb18030"):
        if codec not in tried:
            tried.append(codec)
            text = _clean_decode(content, codec)
            if text is not None:
                return Decoded(text, codec, "fallback")
    raise UndecodableError(
        "undecodable: too many invalid byte sequences for every candidate encoding "
        f"({', '.join(tried)})"
    )


def _reads_as_chinese(text: str) -> bool:
    """Return True when most non-ASCII characters are common Chinese characters or punctuation."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return True
    common = sum(
        1
        for c in wide
        if "\u4e00" <= c <= "\u9fff"
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
        or c in "“”‘’…—·"
    )
    return common >= 0.9 * len(wide)


def _is_utf8(content: bytes) -> bool:
    if content.isascii():
        return False  # nothing to tell codecs apart: keep the declared one
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _clean_decode(content: bytes, codec: str) -> str | None:
    try:
        text = content.decode(codec, "replace")
    except (LookupError, UnicodeError):
        return None
    bad = text.count("\ufffd")
    # A real page may carry a stray U+FFFD already; a wrong codec makes hundreds of them.
    if bad > max(2, MAX_REPLACEMENT_SHARE * len(text)):
        return None
    if len(_CONTROL.findall(text[:20_000])) > max(2, 0.01 * min(len(text), 20_000)):
        return None  # binary, or UTF-16 without a BOM: no codec makes that a web page
    return text
