"""`create_app(settings)`: the dashboard's FastAPI application.

This module only assembles the app: routers, middleware, templates. Pages are APIRouters
(lianxin/dashboard/pages/) listed in `page_routers()`; each page route takes
`viewer: Viewer = Depends(require_viewer)`, reads through the read model (`dashboard.queries`)
with its queries limited by `scope.place_clause`, and answers with
`web.render(request, "page.html", {...})`. Every POST is checked for the session's CSRF token,
and every query parameter and form field for its length (`inputs.check_lengths`), before the
route runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from config.settings import Settings, get_settings
from lianxin import sandbox
from lianxin.dashboard import auth
from lianxin.dashboard.auth import LoginRequired
from lianxin.dashboard.inputs import check_lengths
from lianxin.dashboard.pacing import LinkPace, LoginPace
from lianxin.dashboard.pages import (
    cadres,
    call_list,
    calls,
    data,
    handover,
    imports,
    overview,
    phone,
    problems,
    runs,
    search,
    sources,
    worker,
)
from lianxin.dashboard.queries.common import Engine, engine_for
from lianxin.dashboard.web import STATIC_DIR, check_csrf, render

SESSION_COOKIE = "lianxin_session"

# Headers on every answer. The CSP allows scripts and styles from this site only (no inline
# script), so that a string from a fetched page that slipped past escaping still cannot run.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def page_routers() -> list[APIRouter]:
    """Return the routers of the pages, in nav order; add a page by adding its router here."""
    return [
        overview.router,
        calls.router,
        call_list.router,  # before the cadres page: /cadres/<key>/print
        cadres.router,
        handover.router,
        problems.router,
        worker.router,
        search.router,
        sources.router,
        runs.router,
        data.router,
        imports.router,
        phone.router,  # no nav entry: reached only through a digest's link
    ]


def _error_page(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "error"
    key = detail if isinstance(detail, str) else "error"
    return render(request, "error.html", {"status": status, "message": key}, status_code=status)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    routers: Iterable[APIRouter] | None = None,
) -> FastAPI:
    """Return the dashboard for `settings` (default: the process's), on `engine` (default: the
    settings' store, migrated), serving `routers` (default: `page_routers()`)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Lianxin",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf), Depends(check_lengths)],
    )
    app.state.settings = settings
    app.state.engine = engine or engine_for(settings.database_url)
    sandbox.warm_up()  # uploads are read in child processes: their forkserver starts now
    app.state.login_pace = LoginPace(
        settings.dashboard.login_rate,
        backoff_base=settings.dashboard.login_backoff_seconds,
        backoff_max=settings.dashboard.login_backoff_max_seconds,
    )
    app.state.link_pace = LinkPace(settings.dashboard.link_rate)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # The server's own time for the answer (browsers' dev tools and the benchmark read it).
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
        return response

    # Added last, so it runs first: the session is there for every handler and middleware.
    app.add_middleware(
        SessionMiddleware,
        secret_key=auth.secret_key_for(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.dashboard.session_hours * 3600,
        same_site="lax",
        https_only=settings.dashboard.secure_cookies,
    )
    if settings.dashboard.forwarded_allow_ips:
        # Outermost, so the audit log and the log-in pace see the client a listed proxy names;
        # from anyone else X-Forwarded-* is ignored. (`lianxin dashboard` turns uvicorn's own
        # copy of this off: this is the one place proxies are trusted, whatever the server.)
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=settings.dashboard.forwarded_allow_ips
        )
    app.add_exception_handler(LoginRequired, lambda _r, exc: auth.login_redirect(exc))  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _error_page)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.include_router(auth.router)
    for router in routers if routers is not None else page_routers():
        app.include_router(router)
    return app
