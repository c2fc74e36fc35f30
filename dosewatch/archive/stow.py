"""Store-back to the archive with STOW-RS (dicomweb-client), e.g. a Patient Radiation Dose SR."""

from __future__ import annotations

import io

import requests
from dicomweb_client import DICOMwebClient
from pydicom import dcmread
from pydicom.dataset import Dataset

from dosewatch.archive.pull import encoded, public_url
from dosewatch.domain.errors import ArchiveError


def stow(url: str, dataset: Dataset, *, attempts: int = 5) -> None:
    """Store ``dataset`` at the DICOMweb root ``url``; a refusal is an :class:`ArchiveError`."""
    source = public_url(url)
    # dicomweb-client writes the dataset as it was read: one built in memory has no preamble
    # nor File Meta group length, so it goes as a conformant file, read back
    dataset = dcmread(io.BytesIO(encoded(dataset)))
    client = DICOMwebClient(url=url.rstrip("/"), timeout=60)
    client.set_http_retry_params(retry=attempts > 1, max_attempts=attempts)
    try:
        response = client.store_instances([dataset])
    except (requests.RequestException, ValueError) as exc:
        raise ArchiveError(
            f"STOW-RS to {source} failed: {str(exc)[:300]}",
            sop_instance_uid=str(dataset.get("SOPInstanceUID", "")) or None,
        ) from None
    failed = response.get("FailedSOPSequence") if response is not None else None
    if failed:
        reason = failed[0].get("FailureReason", "unknown")
        raise ArchiveError(
            f"STOW-RS to {source} refused the instance (failure reason {reason})",
            sop_instance_uid=str(dataset.get("SOPInstanceUID", "")) or None,
        )
