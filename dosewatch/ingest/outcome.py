"""What happened to one object: the result of one ingest task, serialisable to JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from dosewatch.domain.errors import InvalidValueError

Status = Literal["recorded", "duplicate", "quarantined"]
STATUSES: frozenset[str] = frozenset(get_args(Status))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one object."""

    status: Status
    sop_instance_uid: str | None = None
    superseded: int = 0  # reports marked superseded by this transaction (itself included)
    reason: str | None = None  # quarantine reason code

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        """The inverse of :meth:`to_json`; anything else is an :class:`InvalidValueError`."""
        status = data.get("status")
        if status not in STATUSES or set(data) - {
            "status",
            "sop_instance_uid",
            "superseded",
            "reason",
        }:
            raise InvalidValueError(f"not an ingest outcome: {sorted(data)} status={status!r}")
        superseded = data.get("superseded", 0)
        if not isinstance(superseded, int) or superseded < 0:
            raise InvalidValueError(f"not an ingest outcome: superseded={superseded!r}")
        return cls(status, data.get("sop_instance_uid"), superseded, data.get("reason"))
