"""The one settings object (pydantic-settings, ``DOSEWATCH_`` prefix), built at the edge."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dosewatch.domain.errors import ConfigurationError


class Settings(BaseSettings):
    """Configuration read from the environment (``DOSEWATCH_*``) by the CLI or create_app()."""

    model_config = SettingsConfigDict(env_prefix="DOSEWATCH_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="embedded data directory")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file <data_dir>/dosewatch.sqlite3",
    )
    allow_indicative: bool = Field(
        default=False,
        description="allow reference rows not verified (results labelled 'indicative')",
    )
    pseudonym_key: str | None = Field(
        default=None,
        description="HMAC-SHA256 key of person pseudonyms; default: a random key kept in "
        "<data_dir>/pseudonym.key (created on first use)",
        repr=False,
    )
    establishment_source: str = Field(
        default="institution_name",
        description="where the ingest reads the establishment from: institution_name | "
        "calling_ae | explicit (then --establishment is required)",
    )
    workers: int = Field(default=1, ge=1, description="default number of ingest processes")
    # --- archive: DICOM listener (dosewatch listen)
    listen_host: str = Field(default="127.0.0.1", description="listener bind address")
    listen_port: int = Field(default=11112, ge=0, le=65535, description="listener TCP port")
    listen_ae_title: str = Field(default="DOSEWATCH", description="listener (called) AE title")
    listen_allow: list[str] = Field(
        default_factory=list,
        description="calling AE allow-list, items CALLING_AE=ESTABLISHMENT (JSON list in env)",
    )
    # --- archive: DICOMweb pull (dosewatch pull)
    pull_attempts: int = Field(
        default=5,
        ge=1,
        le=10,
        description="attempts per DICOMweb request (exponential back-off 2, 4, 8 ... s between)",
    )

    # --- distributed ingest: Celery workers and backfill (dosewatch worker | backfill)
    broker_url: str | None = Field(
        default=None,
        description="Celery broker, e.g. redis://127.0.0.1:6379/0 or "
        "amqp://guest:guest@127.0.0.1:5672//",
    )
    broker_queue: str = Field(default="dosewatch.ingest", description="ingest task queue name")
    broker_visibility_timeout_s: int = Field(
        default=3600,
        ge=1,
        description="Redis broker: an unacknowledged task is delivered again after this "
        "(a worker died); longer than the slowest task",
    )
    task_max_attempts: int = Field(
        default=3,
        ge=1,
        description="task starts allowed per object; one more delivery quarantines it as "
        "ingest.abandoned (a poison object never blocks the queue)",
    )
    backfill_window: int = Field(
        default=512, ge=1, description="tasks enqueued and not yet done, at most (back-pressure)"
    )

    def require_explicit_pseudonym_key(self) -> None:
        """Distributed workers must share one key: refuse the per-data-directory default."""
        if not self.pseudonym_key:
            raise ConfigurationError(
                "DOSEWATCH_PSEUDONYM_KEY is not set: workers on several hosts would each "
                "create their own key under their data directory and compute different "
                "pseudonyms for the same person; set the same key on every worker and "
                "enqueuer"
            )

    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dosewatch.sqlite3').as_posix()}"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def spool_dir(self) -> Path:
        """Received objects not yet ingested (the listener's durable spool)."""
        return self.data_dir / "spool"
