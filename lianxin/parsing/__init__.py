"""Turn fetched pages into records: decode, read the page, tell its kind, read its rows.

The entry points are `parse_page` for one page, and `content_pages` with `parse_series` for a
report published over several pages; none of them raises. Nothing here imports Prefect.
"""

from lianxin.parsing.page import parse_page
from lianxin.parsing.series import content_pages, parse_series

__all__ = ["content_pages", "parse_page", "parse_series"]
