"""The dashboard's pages after the overview, one module each.

Each module has `router` (a FastAPI APIRouter) and registers its words with
`i18n.add_words(WORDS)` when imported; `app.page_routers()` lists the routers in nav order.
"""
