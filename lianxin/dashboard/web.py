"""What every page shares: templates (autoescaped), rendering in the viewer's language, forms
and their CSRF token.

Every POST must carry the session's CSRF token, in a hidden `csrf_token` field (templates write
it with `{{ csrf_field() }}`) or an `X-CSRF-Token` header; `check_csrf` runs before every route
and refuses a POST without it with 403.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, HTTPException, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from sqlalchemy import Engine
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from lianxin.dashboard.dates import day_filter, moment_filter
from lianxin.dashboard.i18n import LANG_COOKIE, language_of, requested_language, translator
from lianxin.dashboard.scope import Action, Viewer, may
from lianxin.reasons import localize, severity

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LINK_PREFIX = "/m/"  # the phone page of a digest link: no session, its own CSRF token
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The largest body a form may post: the data page's largest upload (20 MiB) and its fields.
MAX_BODY_BYTES = 21 * 1024 * 1024

# Autoescape on for every template, whatever its name: fetched strings are never trusted.
_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["day"] = day_filter  # 11月10日 in Chinese, ISO in English (dashboard/dates.py)
_env.filters["moment"] = moment_filter  # 11月10日 08:30
templates = Jinja2Templates(env=_env)

# (word, path, the action a viewer needs to open it, or None for every logged-in viewer).
# The nav shows a viewer only what they may open; the page itself still checks.
NAV: list[tuple[str, str, Action | None]] = [
    ("nav.overview", "/", None),
    ("nav.calls", "/calls", None),
    ("nav.cadres", "/cadres", None),
    ("nav.problems", "/problems", None),
    ("nav.sources", "/sources", Action.see_operations),
    ("nav.runs", "/runs", Action.see_operations),
    ("nav.data", "/data", Action.export_table),
]


_DIALLED = re.compile(r"\+?[0-9]{3,20}")


def tel_href(phone: str | None, *, masked: bool) -> str | None:
    """Return the `tel:` link of a phone the viewer may see in full, None for any other.

    A masked phone is never a link, nor one a published table printed masked (138****5678):
    only a number with nothing but digits (and a leading +) once spaces and dashes go.
    """
    if masked or not phone:
        return None
    dialled = re.sub(r"[\s()-]", "", phone)
    return f"tel:{dialled}" if _DIALLED.fullmatch(dialled) else None


_env.globals["tel_href"] = tel_href  # {{ tel_href(r.phone, masked=r.phone_masked) }}


def engine_of(request: Request) -> Engine:
    """Return the store's engine (a FastAPI dependency)."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(engine_of)]


def client_address(request: Request) -> str | None:
    """Return the address the request came from, for the audit log and the log-in pace."""
    return request.client.host if request.client else None


def csrf_token(request: Request) -> str:
    """Return this session's CSRF token, making one on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def read_form(request: Request) -> dict[str, str]:
    """Return the posted form's fields (first value of each), read once per request.

    URL-encoded forms are parsed here; multipart forms (file uploads) go through Starlette,
    which needs python-multipart.
    """
    cached = getattr(request.state, "form", None)
    if cached is not None:
        return dict(cached)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        # Refused before a byte of it is read or spooled to disk (a body sent without its
        # length is bounded by the proxy in front: docs/dashboard.md).
        raise HTTPException(status_code=413, detail="error.too_large")
    content_type = request.headers.get("content-type", "")
    fields: dict[str, str] = {}
    if content_type.startswith("multipart/form-data"):
        # Not `async with request.form()`: leaving it closes the uploaded files, and the route
        # reads them after the CSRF check has read the form; the route that reads one closes it.
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields.setdefault(key, value)
    else:
        body = (await request.body()).decode("utf-8", errors="replace")
        for key, value in parse_qsl(body, keep_blank_values=True):
            fields.setdefault(key, value)
    request.state.form = fields
    return dict(fields)


async def check_csrf(request: Request) -> None:
    """Refuse (403) a POST, PUT, PATCH or DELETE that does not carry this session's token.

    The phone page (/m/…) has no session: its forms carry a token bound to their link, which
    that page checks itself (pages/phone.py).
    """
    if request.method not in UNSAFE_METHODS or request.url.path.startswith(LINK_PREFIX):
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if not given:
        given = (await read_form(request)).get(CSRF_FIELD, "")
    if (
        not isinstance(expected, str)
        or not expected
        or not secrets.compare_digest(given.encode(), expected.encode())
    ):
        raise HTTPException(status_code=403, detail="error.csrf")


def nav_for(viewer: Viewer | None) -> list[tuple[str, str]]:
    """Return the nav entries (word, path) `viewer` may open; none for nobody logged in."""
    if viewer is None:
        return []
    return [(key, href) for key, href, action in NAV if action is None or may(viewer, action)]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Render template `name` in the request's language, with the viewer, nav and CSRF field.

    A `?lang=` switch is remembered in the `lang` cookie for a year.
    """
    language = language_of(request)
    token = csrf_token(request)
    viewer = getattr(request.state, "viewer", None)
    other = "zh" if language == "en" else "en"
    switch = request.url.include_query_params(lang=other)  # relative: right behind a proxy
    page: dict[str, Any] = {
        "_": translator(language),
        "say": lambda text: localize(text, language),  # a stored reason or detail, in words
        "severity": lambda value: severity(value, language),
        "lang": language,
        "html_lang": "en" if language == "en" else "zh-CN",
        "switch_url": f"{switch.path}?{switch.query}",
        "viewer": viewer,
        "nav": nav_for(viewer),
        "path": request.url.path,
        "csrf_token": token,
        "csrf_field": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(
            CSRF_FIELD, escape(token)
        ),
    }
    page.update(context or {})
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    if requested_language(request):
        response.set_cookie(
            LANG_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=bool(request.app.state.settings.dashboard.secure_cookies),
        )
    return response
