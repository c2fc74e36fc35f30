"""DICOMweb as a backfill source (``dosewatch backfill --from http(s)://…``).

The entry points register these functions for ``http``/``https`` in
:mod:`dosewatch.ingest.sources` (the ingest package never imports the archive package):

* :func:`enumerate_instances` searches the archive with QIDO-RS as the pull does (the dose SR
  SOP classes, Modality ``SR``, ``since``/``until`` = Study Date range, inclusive) and yields
  one WADO-RS instance URL per object, ``<root>/studies/S/series/R/instances/I``, without
  credentials (the references are stored in the ledger);
* :func:`fetch_instance` retrieves one such URL with WADO-RS in the worker and returns the
  object as DICOM file bytes (the ingest reads bytes, like the pull).

A failed request raises :class:`ArchiveError` (the task engine delivers the item again, and
the attempt count quarantines it in the end); an answer that is not a DICOM object is a
rejection (quarantined at once with the reason).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache

import requests
from dicomweb_client import DICOMwebClient

from dosewatch.archive.pull import client_for, date_range, encoded, public_url, search
from dosewatch.domain.errors import ArchiveError
from dosewatch.ingest import sources
from dosewatch.ledger.quarantine import Rejection

SCHEMES = ("http", "https")
_INSTANCE = re.compile(
    r"^(?P<root>.+)/studies/(?P<s>[^/]+)/series/(?P<r>[^/]+)/instances/(?P<i>[^/]+)$"
)


def enumerate_instances(source: str, since: date | None, until: date | None) -> Iterator[str]:
    """The WADO-RS instance URLs of the archive's dose objects in the Study Date window
    (a source that is not a DICOMweb root is refused at once, the search runs lazily)."""
    root = public_url(source)
    date_range(since, until)  # an empty window is refused at once too
    return _instances(root, since, until)


def _instances(root: str, since: date | None, until: date | None) -> Iterator[str]:
    for found in search(_client(root), root, since, until):
        series = f"{root}/studies/{found.study_uid}/series/{found.series_uid}"
        yield f"{series}/instances/{found.sop_uid}"


def fetch_instance(ref: str) -> bytes | Rejection:
    """The object a WADO-RS instance URL names, as DICOM file bytes."""
    match = _INSTANCE.match(ref)
    if match is None:
        raise ArchiveError(
            f"{ref!r} is not a WADO-RS instance URL (…/studies/S/series/R/instances/I)"
        )
    sop_uid = match["i"]
    try:
        dataset = _client(match["root"]).retrieve_instance(match["s"], match["r"], sop_uid)
        return encoded(dataset)
    except requests.RequestException as exc:
        raise ArchiveError(
            f"WADO-RS retrieve of SOP Instance UID {sop_uid} failed: {exc}"
        ) from None
    except (ValueError, TypeError, AttributeError) as exc:
        return Rejection(
            "input.unreadable",
            f"WADO-RS answer for SOP Instance UID {sop_uid} is not a DICOM object: "
            f"{type(exc).__name__}: {str(exc)[:200]}",
        )


@cache
def _client(root: str) -> DICOMwebClient:
    return client_for(root)


def register() -> None:
    """Make DICOMweb roots enumerable and their instance URLs readable in this process."""
    sources.register(SCHEMES, sources.Scheme(enumerate_instances, fetch_instance))
