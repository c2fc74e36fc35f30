"""Who is asking, and what they may see.

* **Machines** send ``Authorization: Bearer <token>`` (hashed API tokens,
  :mod:`dosewatch.ledger.accounts`).
* **Browsers** hold a ``dw_session`` cookie (HttpOnly, SameSite=Strict, Secure in
  production); every unsafe request made with it must echo the session's CSRF token in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field.
* **Roles** (:class:`~dosewatch.ledger.auth_models.Role`) are scoped to the user's
  establishments; an admin is regional. :class:`Principal` answers the scope questions so
  that no route compares role strings itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.deps import Db
from api.problems import Problem, forbidden, unauthenticated
from dosewatch.ledger import accounts
from dosewatch.ledger.auth_models import Role, User, UserEstablishment, WebSession
from dosewatch.ledger.identity import now

SESSION_COOKIE = "dw_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated request: the account and how it authenticated."""

    account: accounts.Account
    via: str  # token | session
    client: str
    csrf_token: str | None = None

    @property
    def role(self) -> Role:
        return self.account.role

    @property
    def actor(self) -> str:
        return f"{self.account.username} ({self.account.role.value})"

    @property
    def regional(self) -> bool:
        """Sees every establishment (admins)."""
        return self.account.role is Role.ADMIN

    def sees_establishment(self, establishment_id: int) -> bool:
        return self.regional or establishment_id in self.account.establishment_ids

    def visible_establishments(self) -> frozenset[int] | None:
        """The establishment ids in scope, or None for all."""
        return None if self.regional else self.account.establishment_ids

    @property
    def sees_identities(self) -> bool:
        """Quality managers see pseudonymised data only."""
        return self.account.role is not Role.QUALITY_MANAGER


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _aware(value: object) -> object:
    from datetime import datetime

    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _resolve(request: Request, db: Db) -> Principal:
    """The principal from a bearer token or a session cookie, one query either way
    (blocking database reads: run in the thread pool, never on the event loop)."""
    header = request.headers.get("authorization", "")
    client = client_of(request)
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated("use 'Authorization: Bearer <token>'")
        account = accounts.account_for_token(db, token.strip())
        if account is None:
            raise unauthenticated("unknown, expired or revoked token")
        return Principal(account, "token", client)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        rows = db.execute(
            select(
                User.id,
                User.username,
                User.role,
                User.active,
                WebSession.expires_at,
                WebSession.csrf_token,
                UserEstablishment.establishment_id,
            )
            .join(WebSession, WebSession.user_id == User.id)
            .outerjoin(UserEstablishment, UserEstablishment.user_id == User.id)
            .where(WebSession.session_sha256 == accounts.digest_secret(cookie))
        ).all()
        if rows:
            user_id, username, role, active, expires_at, csrf, _ = rows[0]
            if active and _aware(expires_at) > now():  # type: ignore[operator]
                ids = frozenset(r.establishment_id for r in rows if r.establishment_id)
                account = accounts.Account(user_id, username, Role(role), ids)
                return Principal(account, "session", client, csrf)
    raise unauthenticated()


async def authenticate(request: Request, db: Db) -> Principal:
    """The principal of the request, or 401 (problem+json with ``WWW-Authenticate``);
    unsafe requests authenticated by the session cookie must carry its CSRF token."""
    try:
        principal = await run_in_threadpool(_resolve, request, db)
    finally:
        # on SQLite the read transaction holds the write lock (BEGIN IMMEDIATE), which the
        # ingest use case (STOW-RS, retry) of this very request needs: end it now. On
        # PostgreSQL the request goes on in the same transaction (no extra round trips).
        if db.get_bind().dialect.name == "sqlite":
            await run_in_threadpool(db.commit)
    if principal.via == "session" and request.method not in SAFE_METHODS:
        assert principal.csrf_token is not None
        await _check_csrf(request, principal.csrf_token)
    return principal


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent, expected):
        raise Problem(403, "auth.csrf", "missing or wrong CSRF token")


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only ``roles`` (403 otherwise, after 401 for anonymous)."""

    async def check(principal: CurrentPrincipal) -> Principal:  # pure: no thread hop
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise forbidden(f"this resource is for: {allowed}")
        return principal

    return check


ALL_ROLES = tuple(Role)
IDENTITY_ROLES = (Role.RADIOLOGIST, Role.PHYSICIST, Role.ADMIN)
Anyone = Annotated[Principal, Depends(require(*ALL_ROLES))]
Clinician = Annotated[Principal, Depends(require(*IDENTITY_ROLES))]
RegionalLookup = Annotated[Principal, Depends(require(Role.RADIOLOGIST, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
UsageReader = Annotated[Principal, Depends(require(Role.ADMIN, Role.QUALITY_MANAGER))]
NrdReader = Annotated[Principal, Depends(require(Role.QUALITY_MANAGER, Role.PHYSICIST, Role.ADMIN))]
Physicist = Annotated[Principal, Depends(require(Role.PHYSICIST, Role.ADMIN))]
