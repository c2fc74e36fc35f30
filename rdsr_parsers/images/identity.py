"""Deterministic event identities for objects that carry no event UID.

Image headers often lack an Irradiation Event UID (0008,3010) or a Radiopharmaceutical
Administration Event UID (0008,3012). The ledger de-duplicates events by UID, so the same
exposure (For Processing / For Presentation twins) or the same injection (seen in several
series or instances) must get the same identity when read from different objects.

A derived identity is a DICOM UID under the ``2.25`` root (ISO/IEC 9834-8, a UUID as an
integer): the UUID is the first 128 bits of the SHA-256 of a canonical key made of the
parts, separated by ``|``, ``-`` standing for a missing part, prefixed by a kind label.
Numbers enter the key rounded to 6 significant digits so that 26 and 26.0 give one key.
The key never contains patient identifiers.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

KeyPart = str | float | int | datetime | None


def _canonical(part: KeyPart) -> str:
    if part is None:
        return "-"
    if isinstance(part, datetime):
        return part.strftime("%Y%m%d%H%M%S.%f")
    if isinstance(part, float | int) and not isinstance(part, bool):
        return f"{float(part):.6g}"
    return str(part).strip().upper() or "-"


def derived_uid(kind: str, *parts: KeyPart) -> str:
    """A ``2.25.<int>`` UID determined only by ``kind`` and ``parts``."""
    key = "|".join([kind, *(_canonical(p) for p in parts)])
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return f"2.25.{uuid.UUID(bytes=digest[:16]).int}"


def administration_uid(
    study_instance_uid: str,
    radiopharmaceutical: str | None,
    start: datetime | None,
    activity_mbq: float | None,
) -> str:
    """Identity of one radiopharmaceutical administration without its own UID.

    Key: (Study Instance UID, radiopharmaceutical code ``SCHEME:VALUE`` or name,
    Radiopharmaceutical Start DateTime, administered activity in MBq).
    """
    return derived_uid(
        "RADIOPHARMACEUTICAL_ADMINISTRATION",
        study_instance_uid,
        radiopharmaceutical,
        start,
        activity_mbq,
    )
