"""The application factory: settings in, app out; nothing is built at import time.

``create_app(settings)`` checks the settings (production needs ``DOSEWATCH_SECRET_KEY``),
builds the engine, upgrades the schema, and mounts the routes (one module per resource)
and the pages. ``dosewatch serve`` runs :func:`create_app_from_environment` under uvicorn.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from sqlalchemy import Engine

from api.config import ServiceSettings
from api.problems import install as install_problems
from api.schemas import Me
from api.security import Anyone
from dosewatch import gc_policy
from dosewatch.cumulative.alerts import on_recorded as alert_hook
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import make_engine, session_factory, upgrade
from dosewatch.nrd.store import on_study_recorded as nrd_study_hook


def create_app(settings: ServiceSettings, engine: Engine | None = None) -> FastAPI:
    """A dosewatch service over the ledger named by ``settings`` (or ``engine``)."""
    settings.check()
    from api.pages import dose_views, views
    from api.routes import (
        admin,
        alerts,
        audit_log,
        dicomweb,
        establishments,
        nrd,
        persons,
        physics,
        quarantine,
        studies,
    )

    if engine is None:
        url = settings.effective_database_url()
        # up to a connection per thread of the AnyIO pool (40) rather than waiting on one;
        # no pre-ping round trip per request: a connection lost with a database restart is
        # invalidated when it fails (answered 503, see api.problems) and recycled hourly
        pool: dict[str, object] = (
            {}
            if url.startswith("sqlite")
            else {
                "pool_size": 10,
                "max_overflow": 30,
                "pool_pre_ping": False,
                "pool_recycle": 3600,
            }
        )
        engine = make_engine(url, **pool)
    upgrade(engine)
    app = FastAPI(
        title="dosewatch",
        version="0.1.0",
        description="Patient radiation-dose service of the regional shared PACS. Errors are "
        "application/problem+json; every read of person data is audited.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    # STOW-RS records through the same use case and the same hooks as the CLI ingest
    app.state.ingestor = Ingestor(
        settings, engine, on_recorded=alert_hook, on_study_recorded=nrd_study_hook
    )
    secret = settings.secret_key or secrets.token_urlsafe(32)  # non-production: per process
    app.state.form_secret = secret.encode()
    install_problems(app)

    @app.get("/api/me", response_model=Me, tags=["auth"])
    def me(principal: Anyone) -> Me:
        return Me(
            username=principal.account.username,
            role=principal.role.value,
            establishment_ids=sorted(principal.account.establishment_ids),
            via=principal.via,
        )

    for module in (
        persons,
        studies,
        alerts,
        nrd,
        physics,
        establishments,
        quarantine,
        audit_log,
        admin,
        dicomweb,
    ):
        app.include_router(module.router)
    app.include_router(views.router)
    app.include_router(dose_views.router)
    return app


def create_app_from_environment() -> FastAPI:
    """The uvicorn factory of ``dosewatch serve``: settings from ``DOSEWATCH_*``.

    The process's start-up objects are frozen once the app is built (:mod:`dosewatch.gc_policy`):
    full collections during requests then scan only what requests created.
    """
    app = create_app(ServiceSettings())
    gc_policy.freeze_after_setup()
    return app
