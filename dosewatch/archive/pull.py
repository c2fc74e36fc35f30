"""DICOMweb pull: catch up on the dose objects of an archive (IHE REM Dose Information Consumer).

QIDO-RS searches the archive's instances per dose SR SOP class (those the listener accepts,
:data:`~dosewatch.archive.listener.DOSE_STORAGE_CLASSES`) with Modality ``SR`` and a Study
Date range; each instance found is retrieved with WADO-RS and goes through the ingest use case
(:class:`~dosewatch.ingest.Ingestor`, with the hooks the entry point composed). Image classes
(header extraction) are not searched: an archive holds far more images than dose objects, and
devices without an RDSR send their images to the listener.

Incremental and resumable (:mod:`dosewatch.ledger.pull_state`): every finished instance is
recorded per archive right after its ingest, so a pull that is interrupted at any point and
run again skips what was done; the archive's *watermark* (latest Study Date pulled without
failure from a window that started at or before the previous watermark) is where the next
pull without ``--since`` starts, inclusive. Objects without a Study Date are found only by a
pull without a date range.

The archive is named in the ledger by its URL without credentials; logs name objects by UID.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from dicomweb_client import DICOMwebClient
from pydicom import dcmwrite
from pydicom.dataset import Dataset

from dosewatch.archive.listener import DOSE_STORAGE_CLASSES
from dosewatch.domain.errors import ArchiveError, DoseWatchError
from dosewatch.ingest import Ingestor
from dosewatch.ledger import pull_state
from dosewatch.ledger.db import transaction
from dosewatch.ledger.identity import SourceInfo

log = logging.getLogger(__name__)

STUDY_DATE = "00080020"
STUDY_UID = "0020000D"
SERIES_UID = "0020000E"
SOP_UID = "00080018"
SOP_CLASS = "00080016"
#: QIDO-RS page size (the archive may cap it lower; pages are requested until one is short)
PAGE = 200


@dataclass(frozen=True, slots=True, order=True)
class Found:
    """One instance a QIDO-RS search returned (sorted by date, then UIDs)."""

    study_date: str  # DA, "" when the archive has none
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class: str

    @property
    def date(self) -> date | None:
        try:
            return datetime.strptime(self.study_date, "%Y%m%d").date()
        except ValueError:
            return None


@dataclass(slots=True)
class PullSummary:
    """What one pull did (printed by the CLI; ``--json`` prints it as is)."""

    source: str
    since: date | None
    until: date | None
    found: int = 0
    already_pulled: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    failed: list[dict[str, str]] = field(default_factory=list)
    watermark: date | None = None
    watermark_moved: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "found": self.found,
            "already_pulled": self.already_pulled,
            "outcomes": dict(sorted(self.outcomes.items())),
            "failed": self.failed,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "watermark_moved": self.watermark_moved,
        }


#: called after each instance: (instances handled so far, instances to handle, outcome)
Progress = Callable[[int, int, str], None]


def public_url(url: str) -> str:
    """``url`` without user info (credentials are never stored nor logged)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ArchiveError(f"--url {url!r}: expected an http(s) DICOMweb root")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def date_range(since: date | None, until: date | None) -> str | None:
    """A DICOM DA range (``A-B``, ``A-``, ``-B``) or None for no date matching."""
    if since is None and until is None:
        return None
    if since is not None and until is not None and since > until:
        raise ArchiveError(f"--since {since} is after --until {until}")
    low = since.strftime("%Y%m%d") if since else ""
    high = until.strftime("%Y%m%d") if until else ""
    return f"{low}-{high}"


def _first(item: dict[str, Any], tag: str) -> str:
    values = item.get(tag, {}).get("Value") or [""]
    return str(values[0])


def encoded(dataset: Dataset) -> bytes:
    """The dataset as a DICOM file (the ingest reads bytes, like the listener's spool)."""
    buffer = io.BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def search(
    client: DICOMwebClient, source: str, since: date | None, until: date | None
) -> list[Found]:
    """Every dose SR instance of the window at ``source``, de-duplicated and sorted."""
    dates = date_range(since, until)
    found: set[Found] = set()
    for sop_class in DOSE_STORAGE_CLASSES:
        filters = {"SOPClassUID": sop_class, "Modality": "SR"}
        if dates is not None:
            filters["StudyDate"] = dates
        for item in _pages(client, source, filters):
            found.add(
                Found(
                    study_date=_first(item, STUDY_DATE),
                    study_uid=_first(item, STUDY_UID),
                    series_uid=_first(item, SERIES_UID),
                    sop_uid=_first(item, SOP_UID),
                    sop_class=_first(item, SOP_CLASS) or sop_class,
                )
            )
    return sorted(f for f in found if f.study_uid and f.series_uid and f.sop_uid)


def _pages(
    client: DICOMwebClient, source: str, filters: dict[str, str]
) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        try:
            page = client.search_for_instances(
                search_filters=filters,
                fields=[STUDY_DATE, SERIES_UID, SOP_CLASS],
                limit=PAGE,
                offset=offset,
            )
        except (requests.RequestException, ValueError) as exc:
            raise ArchiveError(f"QIDO-RS search at {source} failed: {exc}") from None
        yield from page
        if len(page) < PAGE:
            return
        offset += len(page)


def client_for(url: str, attempts: int = 5) -> DICOMwebClient:
    """A dicomweb-client for the DICOMweb root ``url`` (retries with exponential back-off)."""
    client = DICOMwebClient(url=url.rstrip("/"), timeout=60)
    client.set_http_retry_params(retry=attempts > 1, max_attempts=attempts)
    return client


class Puller:
    """Pulls the dose objects of one DICOMweb archive into the ledger."""

    def __init__(
        self,
        url: str,
        ingestor: Ingestor,
        *,
        establishment: str | None = None,
        attempts: int = 5,
        client: DICOMwebClient | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.source = public_url(url)
        self.client = client or client_for(url, attempts)
        self.ingestor = ingestor
        self.establishment = establishment
        self.now = now

    # ---------------------------------------------------------------- search

    def search(self, since: date | None, until: date | None) -> list[Found]:
        """Every dose SR instance of the window, de-duplicated and sorted."""
        return search(self.client, self.source, since, until)

    # ---------------------------------------------------------------- pull

    def pull(
        self,
        since: date | None = None,
        until: date | None = None,
        progress: Progress | None = None,
    ) -> PullSummary:
        """Search, retrieve and ingest the window (``since`` defaults to the watermark)."""
        with transaction(self.ingestor.sessions) as session:
            row = pull_state.source_row(session, self.source, self.now())
            source_id, previous = row.id, row.watermark
        start = since if since is not None else previous
        summary = PullSummary(self.source, start, until, watermark=previous)
        found = self.search(start, until)
        summary.found = len(found)
        with self.ingestor.readers() as session:
            done = pull_state.pulled_uids(session, source_id, (f.sop_uid for f in found))
        todo = [f for f in found if f.sop_uid not in done]
        summary.already_pulled = len(found) - len(todo)
        for index, item in enumerate(todo, start=1):
            outcome = self._pull_one(source_id, item, summary)
            if progress is not None:
                progress(index, len(todo), outcome)
        contiguous = start is None or (previous is not None and start <= previous)
        dates = [d for d in (f.date for f in found) if d is not None]
        if not summary.failed and contiguous and dates:
            with transaction(self.ingestor.sessions) as session:
                summary.watermark = pull_state.advance_watermark(
                    session, source_id, max(dates), self.now()
                )
            summary.watermark_moved = summary.watermark != previous
        return summary

    def _pull_one(self, source_id: int, item: Found, summary: PullSummary) -> str:
        try:
            dataset = self.client.retrieve_instance(item.study_uid, item.series_uid, item.sop_uid)
            data = encoded(dataset)
        except (requests.RequestException, ValueError, TypeError, AttributeError) as exc:
            reason = f"WADO-RS retrieve failed: {type(exc).__name__}: {str(exc)[:200]}"
            return self._failed(item, reason, summary)
        source = SourceInfo(label=f"dicomweb:{self.source}", establishment=self.establishment)
        try:
            outcome = self.ingestor.ingest_bytes(data, source)
        except DoseWatchError as exc:
            return self._failed(item, f"ingest failed: {exc.code}: {exc.message}", summary)
        with transaction(self.ingestor.sessions) as session:
            pull_state.mark_pulled(
                session, source_id, item.sop_uid, item.date, outcome.status, self.now()
            )
        summary.outcomes[outcome.status] = summary.outcomes.get(outcome.status, 0) + 1
        return outcome.status

    def _failed(self, item: Found, reason: str, summary: PullSummary) -> str:
        log.error("pull of SOP Instance UID %s: %s", item.sop_uid, reason)
        summary.failed.append({"sop_instance_uid": item.sop_uid, "reason": reason})
        return "failed"
