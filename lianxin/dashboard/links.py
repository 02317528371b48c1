"""Links the dashboard may draw: to fetched pages (http and https only) and into the Prefect UI.

Every URL shown comes from a fetched page or a setting; a `javascript:` or `data:` URL, or a
run id that is not a UUID, is shown as text and never becomes a link.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import UUID

from prefect.settings import PREFECT_UI_URL
from prefect.utilities.urls import UI_URL_FORMATS

from config.settings import Settings


def http_url(value: str | None) -> str | None:
    """Return `value` when it is an absolute http(s) URL with a host, else None."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:  # e.g. an unbalanced [ in the host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value.strip()


def prefect_ui_base(settings: Settings) -> str | None:
    """Return the Prefect UI's address: `dashboard.prefect_ui_url`, else Prefect's own
    PREFECT_UI_URL (which Prefect derives from PREFECT_API_URL without `/api`), else None."""
    return http_url(settings.dashboard.prefect_ui_url or PREFECT_UI_URL.value())


def flow_run_url(base: str | None, flow_run_id: str | None) -> str | None:
    """Return the Prefect UI page of a flow run (the route Prefect's own `url_for` uses), or None
    without a UI address or when the id is not a UUID."""
    if not flow_run_id or http_url(base) is None:
        return None
    try:
        run = UUID(flow_run_id.strip())
    except ValueError:
        return None
    return f"{str(base).rstrip('/')}/" + UI_URL_FORMATS["flow-run"].format(obj_id=run)
