"""The seam for an OpenID Connect provider (hospital identity federation).

A provider implementation (authorization-code flow, token validation) plugs in through
:class:`IdentityProvider`; the service then maps the verified ``sub`` claim to a user with
:func:`user_for_subject` (``service_user.oidc_subject``) and opens the same server-side
session as a password sign-in. No provider ships in this build.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.ledger.auth_models import User


class IdentityProvider(Protocol):
    """What the service needs from an OIDC provider."""

    def authorization_url(self, state: str, nonce: str) -> str:
        """Where to send the browser to sign in."""
        ...

    def verified_subject(self, code: str, nonce: str) -> str:
        """Exchange the code, validate the ID token (issuer, audience, nonce, signature)
        and return its ``sub`` claim; raise on any failure."""
        ...


def user_for_subject(db: Session, subject: str) -> User | None:
    user = db.scalar(select(User).where(User.oidc_subject == subject))
    return user if user is not None and user.active else None
