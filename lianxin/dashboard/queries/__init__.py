"""The dashboard's read model: every query the pages and the app run, in SQL, answering plain
dicts and dataclasses (no HTML). Pages read through these modules only (tests/test_layers.py
fails on a page importing SQLAlchemy or the store); writes go through `lianxin.services`.

`common` (months, rates, the handles pages pass on), `overview`, `calls`, `cadres`, `workers`,
`problems`, `operations` (sources and runs), `exports` (the data page). Places are limited with
`scope` (`place_clause`, `place_filter`, `within`).
"""
