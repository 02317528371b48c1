"""Getting published reports in: fetch pages, parse them into records, keep the fetch log,
re-read stored pages with a newer parser, and guard uploads before they are read.

Imports the foundation, `lianxin.parsing` and `lianxin.store`; never services, cli or flows.
"""
