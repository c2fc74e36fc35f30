"""Exam mapping per establishment: local names -> national exam types.

Rules are rows of ``nrd_mapping_rule``: ``exact`` (normalised equality), ``pattern`` (a
regular expression on the normalised text) or ``keyword`` (every keyword present, any order).
They look at the study description, the requested procedure, the protocol name, or any of
them. The first matching active rule by (priority, kind, id) wins; exact before pattern before
keyword at equal priority. Every add / change / remove writes a ``nrd_mapping_audit`` row in
the same transaction.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain.errors import InputError
from dosewatch.ledger.models import Device, Establishment
from dosewatch.ledger.nrd_models import NrdMappingAudit, NrdMappingRule
from dosewatch.nrd.matcher import strip_accents
from dosewatch.nrd.reference import exam_types


class RuleKind(enum.StrEnum):
    EXACT = "exact"
    PATTERN = "pattern"
    KEYWORD = "keyword"


class RuleField(enum.StrEnum):
    STUDY_DESCRIPTION = "study_description"
    REQUESTED = "requested"
    PROTOCOL = "protocol"
    ANY = "any"


_KIND_ORDER = {RuleKind.EXACT: 0, RuleKind.PATTERN: 1, RuleKind.KEYWORD: 2}


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    kind: RuleKind
    field: RuleField
    pattern: str
    exam_type: str
    modality: str | None = None
    priority: int = 100


@dataclass(frozen=True, slots=True)
class ExamTexts:
    """The texts of one study that a rule may look at."""

    modality: str
    study_description: str | None = None
    requested: str | None = None
    protocol: str | None = None


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form used by every rule kind."""
    return " ".join(re.sub(r"[^a-z0-9/+.-]+", " ", strip_accents(text).lower()).split())


class Mapper:
    """Compiled rules of one establishment."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = sorted(rules, key=lambda r: (r.priority, _KIND_ORDER[r.kind], r.id))
        self._patterns = {
            r.id: re.compile(r.pattern, re.IGNORECASE)
            for r in self.rules
            if r.kind is RuleKind.PATTERN
        }
        self._folded = {r.id: fold(r.pattern) for r in self.rules}

    def _matches(self, rule: Rule, folded: str) -> bool:
        if rule.kind is RuleKind.EXACT:
            return folded == self._folded[rule.id]
        if rule.kind is RuleKind.PATTERN:
            return self._patterns[rule.id].search(folded) is not None
        words = set(folded.split())
        return all(k in words for k in self._folded[rule.id].split())

    def map(self, texts: ExamTexts) -> Rule | None:
        folded = {
            RuleField.STUDY_DESCRIPTION: fold(texts.study_description or ""),
            RuleField.REQUESTED: fold(texts.requested or ""),
            RuleField.PROTOCOL: fold(texts.protocol or ""),
        }
        for rule in self.rules:
            if rule.modality and rule.modality != texts.modality:
                continue
            fields = folded.values() if rule.field is RuleField.ANY else (folded[rule.field],)
            if any(t and self._matches(rule, t) for t in fields):
                return rule
        return None


def _validate(kind: str, field: str, pattern: str, exam_type: str) -> tuple[RuleKind, RuleField]:
    try:
        rule_kind, rule_field = RuleKind(kind), RuleField(field)
    except ValueError as exc:
        raise InputError(f"mapping rule: {exc}") from exc
    if exam_type not in exam_types():
        raise InputError(f"mapping rule: unknown exam type {exam_type!r}")
    if not pattern.strip():
        raise InputError("mapping rule: empty pattern")
    if rule_kind is RuleKind.PATTERN:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(f"mapping rule: invalid regular expression ({exc})") from exc
    return rule_kind, rule_field


def establishment_id(session: Session, code: str) -> int:
    found = session.scalar(select(Establishment.id).where(Establishment.code == code))
    if found is None:
        raise InputError(f"unknown establishment {code!r}")
    return found


def _snapshot(row: NrdMappingRule) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "field": row.field,
        "pattern": row.pattern,
        "modality": row.modality,
        "exam_type": row.exam_type,
        "priority": row.priority,
        "active": row.active,
    }


def _audit(
    session: Session,
    row: NrdMappingRule,
    action: str,
    actor: str,
    reason: str,
    before: dict[str, Any] | None,
) -> None:
    session.add(
        NrdMappingAudit(
            rule_id=row.id,
            establishment_id=row.establishment_id,
            at=datetime.now(UTC),
            actor=actor,
            action=action,
            reason=reason,
            before=before,
            after=_snapshot(row) if action != "remove" else None,
        )
    )


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule to add (bulk edits are lists of these)."""

    kind: str
    pattern: str
    exam_type: str
    field: str = RuleField.ANY.value
    modality: str | None = None
    priority: int = 100


def add_rules(
    session: Session, establishment: str, specs: Sequence[RuleSpec], *, actor: str, reason: str
) -> list[int]:
    """Add rules (one audited transaction: all or nothing). Returns their ids."""
    est = establishment_id(session, establishment)
    rows = []
    for spec in specs:
        kind, field = _validate(spec.kind, spec.field, spec.pattern, spec.exam_type)
        row = NrdMappingRule(
            establishment_id=est,
            kind=kind.value,
            field=field.value,
            pattern=spec.pattern,
            modality=spec.modality,
            exam_type=spec.exam_type,
            priority=spec.priority,
            active=True,
            updated_at=datetime.now(UTC),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    for row in rows:
        _audit(session, row, "add", actor, reason, None)
    return [r.id for r in rows]


def change_rules(
    session: Session,
    establishment: str,
    rule_ids: Sequence[int],
    *,
    actor: str,
    reason: str,
    exam_type: str | None = None,
    active: bool | None = None,
    priority: int | None = None,
) -> int:
    """Bulk edit: retarget, (de)activate or re-prioritise rules; each change audited."""
    est = establishment_id(session, establishment)
    if exam_type is not None and exam_type not in exam_types():
        raise InputError(f"mapping rule: unknown exam type {exam_type!r}")
    rows = session.scalars(
        select(NrdMappingRule).where(
            NrdMappingRule.id.in_(rule_ids), NrdMappingRule.establishment_id == est
        )
    ).all()
    missing = set(rule_ids) - {r.id for r in rows}
    if missing:
        raise InputError(f"no mapping rule(s) {sorted(missing)} in {establishment}")
    for row in rows:
        before = _snapshot(row)
        if exam_type is not None:
            row.exam_type = exam_type
        if active is not None:
            row.active = active
        if priority is not None:
            row.priority = priority
        row.updated_at = datetime.now(UTC)
        _audit(session, row, "change", actor, reason, before)
    return len(rows)


def load_mapper(session: Session, establishment_id_: int) -> Mapper:
    rows = session.scalars(
        select(NrdMappingRule).where(
            NrdMappingRule.establishment_id == establishment_id_, NrdMappingRule.active.is_(True)
        )
    ).all()
    return Mapper(
        Rule(
            id=r.id,
            kind=RuleKind(r.kind),
            field=RuleField(r.field),
            pattern=r.pattern,
            exam_type=r.exam_type,
            modality=r.modality,
            priority=r.priority,
        )
        for r in rows
    )


def rules_as_dicts(session: Session, establishment: str) -> list[dict[str, Any]]:
    est = establishment_id(session, establishment)
    rows = session.scalars(
        select(NrdMappingRule).where(NrdMappingRule.establishment_id == est)
    ).all()
    return [{"id": r.id, **_snapshot(r)} for r in sorted(rows, key=lambda r: r.id)]


@dataclass(frozen=True, slots=True)
class DeviceCoverage:
    device: str
    exams: int
    mapped: int

    @property
    def share(self) -> float:
        return self.mapped / self.exams if self.exams else 0.0


def device_label(device: Device | None) -> str:
    if device is None:
        return "unknown device"
    parts = [device.manufacturer, device.model, device.station_name or device.serial_number]
    return " ".join(p for p in parts if p) or f"device {device.id}"


def coverage(mapper: Mapper, exams: Iterable[tuple[str, ExamTexts]]) -> list[DeviceCoverage]:
    """Share of exams mapped, per device (``exams`` yields (device label, texts))."""
    total: Counter[str] = Counter()
    mapped: Counter[str] = Counter()
    for device, texts in exams:
        total[device] += 1
        if mapper.map(texts) is not None:
            mapped[device] += 1
    return [DeviceCoverage(d, total[d], mapped[d]) for d in sorted(total)]


def coverage_dicts(rows: Sequence[DeviceCoverage]) -> list[dict[str, Any]]:
    return [{**asdict(r), "share": round(r.share, 4)} for r in rows]
