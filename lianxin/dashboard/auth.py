"""Log-in: accounts with argon2id password hashes, signed session cookies, the log-in pace.

Accounts live in the `users` table and are managed with `lianxin users …`. A session holds the
user name, the account's session number (`users.session_version`), the time of log-in and the
CSRF token. Every request reloads the account and compares the number: log-out, a new password
and disabling raise it, so every session of that account — a copied cookie too — ends at its
next request. (A number on the account rather than a table of session ids: one column, one
indexed read per request that was made anyway, and nothing to clean up.)
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import Connection, RowMapping, insert, select, update
from starlette.responses import RedirectResponse, Response

from lianxin.dashboard import audit
from lianxin.dashboard.pacing import LoginPace
from lianxin.dashboard.scope import Role, Viewer
from lianxin.dashboard.web import EngineDep, client_address, read_form, render
from lianxin.errors import AccountError
from lianxin.signing import SECRET_FILE as SECRET_FILE
from lianxin.signing import secret_key_for as secret_key_for
from lianxin.store import schema as t

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user name is unknown, so that both answers take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class LoginRequired(Exception):  # noqa: N818 - an outcome, not a failure
    """Raised by `require_viewer` when nobody is logged in; the app redirects to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


# --- the signing key: lianxin.signing.secret_key_for (links are signed with it too) ---------

# --- accounts ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Return the argon2id hash of `password`."""
    return _hasher.hash(password)


def _required_place(role: Role, village: str | None, town: str | None, cadre: str | None) -> None:
    needs = {Role.cadre: cadre, Role.village_lead: village, Role.town_lead: town}
    if role in needs and not needs[role]:
        flag = {Role.cadre: "--cadre", Role.village_lead: "--village", Role.town_lead: "--town"}
        raise AccountError(f"a {role} account needs {flag[role]}: the place it may see")


def create_user(
    conn: Connection,
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str = "",
    county: str | None = None,
    town: str | None = None,
    village: str | None = None,
    cadre_key: str | None = None,
    language: str = "zh",
) -> None:
    """Add an account; raise AccountError when the name is taken or the role lacks its place."""
    _required_place(role, village, town, cadre_key)
    if not password:
        raise AccountError("the password is empty")
    taken = conn.execute(select(t.users.c.id).where(t.users.c.username == username)).first()
    if taken:
        raise AccountError(f"user {username!r} exists: change it with `lianxin users passwd`")
    conn.execute(
        insert(t.users).values(
            username=username,
            display_name=display_name,
            password_hash=hash_password(password),
            role=str(role),
            county=county,
            town=town,
            village=village,
            cadre_key=cadre_key,
            language=language,
            active=True,
            created_at=datetime.now(UTC),
        )
    )


def _update_ending_sessions(conn: Connection, username: str, **values: Any) -> None:
    # Every change here also raises the session number: the account's sessions end with it.
    done = conn.execute(
        update(t.users)
        .where(t.users.c.username == username)
        .values(session_version=t.users.c.session_version + 1, **values)
    )
    if done.rowcount != 1:
        raise AccountError(f"no user {username!r}: see `lianxin users list`")


def set_password(conn: Connection, username: str, password: str) -> None:
    """Replace `username`'s password and end their sessions; raise AccountError when there is
    no such user."""
    if not password:
        raise AccountError("the password is empty")
    _update_ending_sessions(conn, username, password_hash=hash_password(password))


def set_active(conn: Connection, username: str, active: bool) -> None:
    """Enable or disable `username`; a disabled account cannot log in and its sessions end
    (and stay ended when it is enabled again)."""
    _update_ending_sessions(conn, username, active=active)


def end_sessions(conn: Connection, username: str) -> None:
    """End every session of `username`, on every device, at its next request."""
    _update_ending_sessions(conn, username)


def session_version(conn: Connection, username: str) -> int:
    """Return the session number a new session of `username` carries."""
    query = select(t.users.c.session_version).where(t.users.c.username == username)
    return int(conn.execute(query).scalar_one())


def list_users(conn: Connection) -> list[RowMapping]:
    """Return every account (without its hash), by user name."""
    columns = [c for c in t.users.c if c.name != "password_hash"]
    return list(conn.execute(select(*columns).order_by(t.users.c.username)).mappings())


def viewer_from_row(row: RowMapping) -> Viewer:
    """Return the Viewer an account row stands for."""
    return Viewer(
        username=row["username"],
        role=Role(row["role"]),
        display_name=row["display_name"] or "",
        county=row["county"] or None,
        town=row["town"] or None,
        village=row["village"] or None,
        cadre_key=row["cadre_key"] or None,
        language=row["language"] or "zh",
    )


def authenticate(conn: Connection, username: str, password: str) -> Viewer | None:
    """Return the Viewer for a right user name and password of an active account, else None.

    Rehashes the password when the library's recommended parameters have grown.
    """
    row = (
        conn.execute(select(t.users).where(t.users.c.username == username, t.users.c.active))
        .mappings()
        .first()
    )
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    values: dict[str, Any] = {"last_login_at": datetime.now(UTC)}
    if _hasher.check_needs_rehash(row["password_hash"]):
        values["password_hash"] = hash_password(password)
    conn.execute(update(t.users).where(t.users.c.id == row["id"]).values(**values))
    return viewer_from_row(row)


# --- requests ------------------------------------------------------------------------------


def require_viewer(request: Request, engine: EngineDep) -> Viewer:
    """Return the logged-in Viewer (a FastAPI dependency); redirect to /login without one."""
    username = request.session.get("user")
    version = request.session.get("sv")
    login_at = request.session.get("login_at")
    hours = request.app.state.settings.dashboard.session_hours
    fresh = isinstance(login_at, int | float) and (
        datetime.now(UTC).timestamp() - login_at < timedelta(hours=hours).total_seconds()
    )
    row = None
    if isinstance(username, str) and fresh:
        with engine.connect() as conn:
            row = (
                conn.execute(
                    select(t.users).where(t.users.c.username == username, t.users.c.active)
                )
                .mappings()
                .first()
            )
    if row is not None and row["session_version"] != version:
        row = None  # logged out, password changed or disabled since this cookie was signed
    if row is None:
        request.session.pop("user", None)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    viewer = viewer_from_row(row)
    request.state.viewer = viewer
    return viewer


CurrentViewer = Annotated[Viewer, Depends(require_viewer)]


def login_redirect(exc: LoginRequired) -> Response:
    """Return the redirect to the log-in page that comes back to `exc.next_path` after."""
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)


def _safe_next(value: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    parts = urlsplit(value)
    return value if not parts.netloc and not parts.scheme else "/"


router = APIRouter()


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
async def login(request: Request, engine: EngineDep) -> Response:
    form = await read_form(request)
    username = form.get("username", "").strip()
    password = form.get("password", "")
    next_path = _safe_next(form.get("next"))
    address = client_address(request)
    pace: LoginPace = request.app.state.login_pace
    now = datetime.now(UTC).timestamp()
    wait = pace.wait(username, address, now)
    if wait > 0:  # the password is not even checked: waiting is what slows a guesser
        with engine.begin() as conn:
            audit.record(conn, None, "login_throttled", username=username, address=address)
        context = {"next": next_path, "error": "login.too_many"}
        answer = render(request, "login.html", context, status_code=429)
        answer.headers["Retry-After"] = str(math.ceil(wait))
        return answer
    version = 0
    with engine.begin() as conn:
        viewer = authenticate(conn, username, password)
        if viewer is None:
            audit.record(conn, None, "login_failed", username=username, address=address)
        else:
            audit.record(conn, viewer, "login", address=address)
            version = session_version(conn, viewer.username)
    if viewer is None:
        pace.failed(username, address, now)
        context = {"next": next_path, "error": "login.failed"}
        return render(request, "login.html", context, status_code=401)
    pace.succeeded(username, address)
    # A fresh session on log-in: nothing from before (a planted token) carries over.
    request.session.clear()
    request.session.update(
        user=viewer.username,
        sv=version,
        login_at=int(datetime.now(UTC).timestamp()),
        csrf=secrets.token_urlsafe(32),
    )
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
) -> Response:
    with engine.begin() as conn:
        end_sessions(conn, viewer.username)  # a copy of this cookie ends with it
        audit.record(conn, viewer, "logout", address=client_address(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def forbid() -> HTTPException:
    """Return the error for something outside the viewer's place (shown as not found)."""
    return HTTPException(status_code=404, detail="error.not_found")
