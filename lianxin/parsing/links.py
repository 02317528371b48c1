"""Find the attachments a report page links to (附件: .xlsx, .xls, .csv tables, .docx, .pdf)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

from lxml import html as lxml_html

from lianxin.errors import UndecodableError
from lianxin.parsing.decode import decode_page

TABLE_EXTENSIONS = (".xlsx", ".xls", ".csv", ".et")  # .et: WPS spreadsheets saved as xls
# Notices and tables published in Word or PDF (lianxin.parsing.documents); old binary .doc is
# not read.
DOCUMENT_EXTENSIONS = (".docx", ".pdf")


@dataclass
class PageLinks:
    title: str = ""
    attachments: list[str] = field(default_factory=list)


def is_table_attachment(url: str) -> bool:
    """Return True when `url` names a spreadsheet, CSV, .docx or .pdf file by its extension."""
    return urlparse(url).path.lower().endswith((*TABLE_EXTENSIONS, *DOCUMENT_EXTENSIONS))


def page_links(content: bytes, url: str, http_charset: str | None = None) -> PageLinks:
    """Return the page's title and the attachments it links to, in page order."""
    try:
        text = decode_page(content, http_charset).text
        tree = lxml_html.fromstring(text)
    except (UndecodableError, ValueError, lxml_html.etree.ParserError):
        return PageLinks()
    found = PageLinks(title=" ".join((tree.findtext(".//title") or "").split()))
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        target = urljoin(url, href)
        if is_table_attachment(target) and target not in found.attachments:
            found.attachments.append(target)
    return found
