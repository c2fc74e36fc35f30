"""Accounts of the service: users, their establishments, API tokens, web sessions, logins.

Secrets are never stored: passwords as scrypt hashes (:mod:`dosewatch.ledger.accounts`),
API tokens and session ids as SHA-256 digests of the random value handed out once. Reads of
person data are recorded in the ledger's existing ``audit_event`` table
(:class:`~dosewatch.ledger.models.AuditEvent`), not in a second audit table.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dosewatch.ledger.models import Base


class Role(enum.StrEnum):
    """What a user is; each role is scoped to the user's establishments (admin: regional)."""

    RADIOLOGIST = "radiologist"
    PHYSICIST = "physicist"
    QUALITY_MANAGER = "quality_manager"
    ADMIN = "admin"


class User(Base):
    """A person who signs in (pages) or a machine account (API tokens only: no password)."""

    __tablename__ = "service_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: subject at an OpenID Connect provider, when the user signs in there
    oidc_subject: Mapped[str | None] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserEstablishment(Base):
    """The establishments a user is attached to (their tenancy scope)."""

    __tablename__ = "user_establishment"
    __table_args__ = (UniqueConstraint("user_id", "establishment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("service_user.id"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))


class ApiToken(Base):
    """A bearer token of a user; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("service_user.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id (only its SHA-256 is kept) and
    every unsafe request must echo the session's CSRF token."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("service_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One sign-in attempt, for rate limiting (per username and per client address)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
