"""The service's settings: the ledger's :class:`~dosewatch.settings.Settings` plus what only
the web service needs. Built at the edge (``dosewatch serve``, tests) and passed to
:func:`api.app.create_app`; nothing reads the environment at import time."""

from __future__ import annotations

import enum

from pydantic import Field

from dosewatch.domain.errors import ConfigurationError
from dosewatch.settings import Settings


class Mode(enum.StrEnum):
    """``production`` refuses to start without a secret key and uses secure cookies;
    ``demo`` is the only mode in which demo users with printed passwords exist."""

    PRODUCTION = "production"
    DEVELOPMENT = "development"
    DEMO = "demo"


class ServiceSettings(Settings):
    """``DOSEWATCH_*`` settings of the web service."""

    mode: Mode = Field(default=Mode.PRODUCTION, description="production | development | demo")
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="HMAC key of the login-form CSRF tokens; required in production",
    )
    session_hours: float = Field(default=8.0, gt=0, description="web session lifetime")
    login_max_failures: int = Field(
        default=5, ge=1, description="failed logins per username or client within the window"
    )
    login_window_s: int = Field(default=300, ge=1, description="login rate-limit window")
    secure_cookies: bool | None = Field(
        default=None, description="Secure flag on cookies; default: on in production"
    )

    def check(self) -> None:
        """Refuse settings that are unsafe for the chosen mode."""
        if self.mode is Mode.PRODUCTION and not self.secret_key:
            raise ConfigurationError(
                "production mode needs DOSEWATCH_SECRET_KEY (a long random value); "
                "set DOSEWATCH_MODE=development or demo to run without one"
            )
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ConfigurationError("DOSEWATCH_SECRET_KEY must have at least 32 characters")

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.mode is Mode.PRODUCTION
