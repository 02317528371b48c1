"""Turn fetched pages into records: decode, read the page, tell its kind, read its rows.

The one entry point is `parse_page`; it never raises. Nothing here imports Prefect.
"""

from lianxin.parsing.page import parse_page

__all__ = ["parse_page"]
