"""Sign-in for pages: login-form CSRF (HMAC of a nonce with the secret key), rate
limiting on failures per username and per client (``login_attempt`` rows, so it holds
across worker processes), server-side sessions with their own CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from api.config import ServiceSettings
from api.problems import Problem
from dosewatch.ledger import accounts
from dosewatch.ledger.auth_models import LoginAttempt, User, WebSession
from dosewatch.ledger.identity import now


def form_token(secret: bytes) -> str:
    """A login-form token: nonce + HMAC(secret, nonce) (checked without server state)."""
    nonce = secrets.token_urlsafe(16)
    return nonce + "." + hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()


def form_token_valid(secret: bytes, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    expected = hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()
    return bool(nonce) and hmac.compare_digest(mac, expected)


def sign_in(
    db: Session, settings: ServiceSettings, username: str, password: str, client: str
) -> tuple[str, WebSession]:
    """Check the password (rate-limited); a new session's cookie value and row, or 401/429."""
    since = now() - timedelta(seconds=settings.login_window_s)
    failures = int(
        db.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at >= since,
                or_(LoginAttempt.username == username[:100], LoginAttempt.client == client),
            )
        )
        or 0
    )
    if failures >= settings.login_max_failures:
        raise Problem(
            429,
            "auth.rate_limited",
            f"too many failed sign-ins; retry in {settings.login_window_s} s",
            {"Retry-After": str(settings.login_window_s)},
        )
    user = db.scalar(select(User).where(User.username == username))
    ok = accounts.check_password(password, user.password_hash if user else None)
    ok = ok and user is not None and user.active
    db.add(LoginAttempt(username=username[:100], client=client[:64], succeeded=ok, at=now()))
    if not ok or user is None:
        db.commit()
        raise Problem(401, "auth.failed", "wrong username or password")
    value = secrets.token_urlsafe(32)
    row = WebSession(
        session_sha256=accounts.digest_secret(value),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now(),
        expires_at=now() + timedelta(hours=settings.session_hours),
    )
    db.add(row)
    db.commit()
    return value, row


def sign_out(db: Session, cookie: str | None) -> None:
    if cookie:
        row = db.scalar(
            select(WebSession).where(WebSession.session_sha256 == accounts.digest_secret(cookie))
        )
        if row is not None:
            db.delete(row)
            db.commit()
