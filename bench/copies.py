"""Real-sized copies of real dose objects, each with fresh UIDs and a fresh patient (setup only).

The ingest benchmarks need many distinct objects of a real object's size and shape: a copy
of a sample is the same bytes but for its identities. Every UID that is not a DICOM-registered
one (``1.2.840.10008.…``: SOP classes, transfer syntaxes, coding schemes) is replaced by a
fresh ``2.25`` UID, consistently inside one copy (references between UIDs of the object stay
consistent), and the patient gets a new identifier, so that each copy is a new exam of a new
person — as a region's backfill sees them. Never timed: the copies are written before any
measurement starts.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID

REGISTERED_ROOT = "1.2.840.10008."


def _fresh_uids(ds: Dataset, mapping: dict[str, str]) -> None:
    for element in ds:
        if element.VR == "SQ":
            for item in element.value:
                _fresh_uids(item, mapping)
        elif element.VR == "UI" and element.value:
            values = element.value if isinstance(element.value, list) else [element.value]
            new = []
            for uid in (str(v) for v in values):
                if uid.startswith(REGISTERED_ROOT):
                    new.append(uid)
                else:
                    new.append(mapping.setdefault(uid, f"2.25.{uuid.uuid4().int}"))
            element.value = new if len(new) > 1 else new[0]


def fresh_copy(data: bytes, copy_index: int) -> bytes:
    """``data`` with every non-registered UID replaced and a new patient identifier."""
    ds = pydicom.dcmread(io.BytesIO(data))
    mapping: dict[str, str] = {}
    _fresh_uids(ds, mapping)
    meta = ds.file_meta
    if "MediaStorageSOPInstanceUID" in meta:
        old = str(meta.MediaStorageSOPInstanceUID)
        meta.MediaStorageSOPInstanceUID = UID(mapping.get(old, str(ds.get("SOPInstanceUID", old))))
    ds.PatientID = f"BENCH{copy_index:07d}"
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue()


def write_copies(sources: Iterable[Path], folder: Path, copies: int) -> list[Path]:
    """``copies`` fresh copies of each source under ``folder``; returns the written paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    counter = 0
    for source in sources:
        data = source.read_bytes()
        for k in range(copies):
            counter += 1
            path = folder / f"{source.stem}-{k:04d}.dcm"
            path.write_bytes(fresh_copy(data, counter))
            written.append(path)
    return written
