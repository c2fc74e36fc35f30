"""Accounts: create users, hash and check passwords, issue and resolve API tokens.

Passwords are hashed with scrypt (stdlib ``hashlib.scrypt``, n=2**14, r=8, p=1, 16-byte
salt), stored as ``scrypt$n$r$p$salt$hash``; checks are constant-time. Tokens and session
ids are 32 random bytes (``secrets.token_urlsafe``) handed out once; only their SHA-256 is
stored. There is no default password: a user gets a password only when one is given, and
a password shorter than :data:`MIN_PASSWORD_LENGTH` is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import b64decode, b64encode
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dosewatch.domain.errors import DoseWatchError
from dosewatch.ledger.auth_models import ApiToken, Role, User, UserEstablishment
from dosewatch.ledger.identity import now
from dosewatch.ledger.models import Establishment

MIN_PASSWORD_LENGTH = 12
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class AccountError(DoseWatchError):
    """A user or token request that cannot be honoured (unknown role, weak password ...)."""

    code = "account.invalid"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    fields = ("scrypt", _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, b64encode(salt).decode())
    return "$".join([*map(str, fields), b64encode(digest).decode()])


def check_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; a user without a password never matches."""
    if not stored:
        # same work as a real check, so that timing does not tell which users exist
        hashlib.scrypt(b"x", salt=b"0" * 16, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
        return False
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, b64decode(digest))


def digest_secret(value: str) -> str:
    """The SHA-256 (hex) under which a token or a session id is stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    establishment_codes: Iterable[str],
    password: str | None = None,
) -> User:
    """A new user attached to the named establishments (admins are regional: none needed)."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(
            f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}"
        ) from None
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role.value,
        password_hash=None if password is None else hash_password(password),
        active=True,
        created_at=now(),
    )
    session.add(user)
    session.flush()
    for code in establishment_codes:
        establishment_id = session.scalar(
            select(Establishment.id).where(Establishment.code == code)
        )
        if establishment_id is None:
            raise AccountError(f"unknown establishment {code!r}")
        session.add(UserEstablishment(user_id=user.id, establishment_id=establishment_id))
    session.flush()
    return user


def issue_token(session: Session, user: User, label: str, lifetime: timedelta | None = None) -> str:
    """A new API token for ``user``; the returned value is shown once and never stored."""
    value = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_sha256=digest_secret(value),
            label=label[:100],
            created_at=now(),
            expires_at=None if lifetime is None else now() + lifetime,
            revoked=False,
        )
    )
    session.flush()
    return value


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in user as the service sees it (no secret inside)."""

    user_id: int
    username: str
    role: Role
    establishment_ids: frozenset[int]


_users, _tokens, _scopes = User.__table__, ApiToken.__table__, UserEstablishment.__table__
#: built once (Core, no ORM layer): it runs on every API request
_ACCOUNT_BY_TOKEN = (
    select(
        _users.c.id,
        _users.c.username,
        _users.c.role,
        _users.c.active,
        _tokens.c.expires_at,
        _scopes.c.establishment_id,
    )
    .select_from(_users)
    .join(_tokens, _tokens.c.user_id == _users.c.id)
    .outerjoin(_scopes, _scopes.c.user_id == _users.c.id)
    .where(_tokens.c.token_sha256 == bindparam("digest"), _tokens.c.revoked.is_(False))
)


def account_for_token(session: Session, token: str, at: datetime | None = None) -> Account | None:
    """The account of the active user owning an unexpired, unrevoked token, with its
    establishments — one query, as it runs on every API request — else None."""
    at = at or now()
    rows = session.execute(_ACCOUNT_BY_TOKEN, {"digest": digest_secret(token)}).all()
    if not rows:
        return None
    user_id, username, role, active, expires_at, _ = rows[0]
    if not active or (expires_at is not None and _aware(expires_at) <= at):
        return None
    ids = frozenset(r.establishment_id for r in rows if r.establishment_id is not None)
    return Account(user_id, username, Role(role), ids)


def _aware(value: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive (in UTC)."""
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
