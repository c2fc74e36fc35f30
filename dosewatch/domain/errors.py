"""The one error hierarchy of dosewatch.

Every error says *where* (file, SOP Instance UID, content path, concept) and *why*.
Messages never contain patient names or IDs: objects are named by UID.
"""

from __future__ import annotations


class DoseWatchError(Exception):
    """Root of every error raised on purpose by dosewatch."""

    #: stable, machine-readable reason code (used in quarantine and problem+json)
    code: str = "dosewatch.error"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sop_instance_uid: str | None = None,
        content_path: str | None = None,
        concept: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.sop_instance_uid = sop_instance_uid
        self.content_path = content_path
        self.concept = concept
        super().__init__(self.__str__())

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"file {self.file}")
        if self.sop_instance_uid:
            parts.append(f"SOP Instance UID {self.sop_instance_uid}")
        if self.content_path:
            parts.append(f"content item {self.content_path}")
        if self.concept:
            parts.append(f"concept {self.concept}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{self.message} ({where})" if where else self.message

    def located(self, **where: str | None) -> DoseWatchError:
        """Fill in location fields not yet set (used as errors propagate outward)."""
        for key, value in where.items():
            if value and not getattr(self, key, None):
                setattr(self, key, value)
        self.args = (self.__str__(),)
        return self


class UnitError(DoseWatchError, ValueError):
    """A unit is unknown, or two units cannot be converted into each other."""

    code = "unit.invalid"


class InputError(DoseWatchError):
    """The input object cannot be used."""

    code = "input.invalid"


class UnreadableObjectError(InputError):
    """Not DICOM, truncated beyond use, or not decodable."""

    code = "input.unreadable"


class NotADoseObjectError(InputError):
    """A readable DICOM object that carries no radiation dose information."""

    code = "input.not_dose"


class UnsupportedObjectError(InputError):
    """A dose object of a kind dosewatch cannot read yet."""

    code = "input.unsupported"


class MissingMandatoryItemError(InputError):
    """A mandatory content item of the template is absent and cannot be recovered."""

    code = "input.missing_mandatory"


class InvalidValueError(InputError):
    """A value is present but cannot be interpreted (encoding, range, type)."""

    code = "input.invalid_value"


class StrictnessError(InputError):
    """A tolerable deviation was escalated to an error by the requested strictness."""

    code = "input.strictness"


class ReferenceDataError(DoseWatchError):
    """A reference table is malformed, missing or not verified for the requested use."""

    code = "reference.invalid"


class ReferencePolicyRefusedError(ReferenceDataError):
    """The only reference rows for a case have a verification level the policy refuses."""

    code = "reference.policy_refused"


class ModelNotApplicableError(DoseWatchError):
    """An organ-dose model cannot be applied to this event or patient."""

    code = "model.not_applicable"


class LedgerError(DoseWatchError):
    """The ledger refused an operation (integrity, identity, concurrency)."""

    code = "ledger.error"


class ConfigurationError(DoseWatchError):
    """Settings are missing or contradictory."""

    code = "config.invalid"


class TaskAbandonedError(DoseWatchError):
    """A distributed ingest task was delivered too often without finishing (a poison object:
    its worker died, ran out of memory or failed every time); the object is quarantined."""

    code = "ingest.abandoned"


class ArchiveError(DoseWatchError):
    """The archive (DICOMweb / DICOM peer) refused or could not be reached."""

    code = "archive.error"
