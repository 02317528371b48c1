"""The bundled sample portal: a fictional county's published pages, generated in memory.

    build_site()      → Site: URL path → (bytes, Content-Type), with `.truth` (the records)
    serve_portal()    → context manager serving it on 127.0.0.1, yields the base URL
    portal_sources()  → the source entries a configuration uses to read it
    write_site(dir)   → the pages as static files

Everything is deterministic (one seed, no clock): two builds give the same bytes.
"""

from lianxin.portal.server import serve_portal
from lianxin.portal.site import (
    PORTAL_TODAY,
    PageTruth,
    PortalTruth,
    Site,
    build_site,
    portal_sources,
    write_site,
)

__all__ = [
    "PORTAL_TODAY",
    "PageTruth",
    "PortalTruth",
    "Site",
    "build_site",
    "portal_sources",
    "serve_portal",
    "write_site",
]
