"""Alerts: evaluated from a person's whole counted history, raised once, audited.

:func:`evaluate` is a pure function of the person's stored exams, so the alerts do not
depend on the order in which reports arrived: each fires at the exam where its condition
first holds in study-date order (the crossing exam of a cumulative sum, the procedure above
a level, the repeat). :func:`reconcile` makes the stored alerts equal to the evaluation —
raising new ones (unique ``alert_key``: never twice), withdrawing those whose condition no
longer holds (a superseded report, a corrected value; kept with ``active = False``) — and
audits every change. :func:`on_recorded` is the hook the ingest use case calls inside the
report's transaction (the ledger does not import this package; the hook is injected).

States: ``open`` → ``acknowledged`` (comment, by whom) → ``closed``; every transition is an
``audit_event``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from dosewatch.cumulative.alert_rules import (
    SRDL_KINDS,
    AlertRule,
    RuleKind,
    default_rules,
    rule_for,
)
from dosewatch.domain.errors import LedgerError
from dosewatch.domain.estimate import EstimateQuantity, WeightBasis
from dosewatch.domain.regions import BodyRegion
from dosewatch.ledger import identity
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.estimate_models import EstimateInputRow
from dosewatch.ledger.estimates import INPUTS_OWNER
from dosewatch.ledger.models import (
    Establishment,
    EstimateRow,
    EventRow,
    Person,
    ReportRow,
    ReportStatus,
    Study,
)
from dosewatch.nrd import study_exceeds_nrd
from dosewatch.nrd.screen import possibly_above_nrd

SYSTEM_ACTOR = "dosewatch"
_EFFECTIVE = EstimateQuantity.EFFECTIVE_DOSE.value
_ORGAN = EstimateQuantity.ORGAN_DOSE.value
_PSD = EstimateQuantity.PEAK_SKIN_DOSE.value
_E103 = WeightBasis.ICRP103.value


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


_NEXT = {
    AlertState.OPEN: {AlertState.ACKNOWLEDGED, AlertState.CLOSED},
    AlertState.ACKNOWLEDGED: {AlertState.CLOSED},
    AlertState.CLOSED: set(),
}


@dataclass(frozen=True, slots=True)
class ExamFacts:
    """What the rules need of one exam (from the counted ledger rows)."""

    study_instance_uid: str
    study_date: date | None
    establishment: str  # code (rules are overridden per establishment code)
    study_id: int
    establishment_id: int
    effective_msv: float
    ka_r_gy: float
    kap_gy_cm2: float
    psd_mgy: float
    fluoro_time_s: float
    interventional: bool
    ct_regions: frozenset[BodyRegion]
    #: counted organ doses (mGy) of the organs the rules name, by SNOMED CT code value
    organ_mgy: Mapping[str, float] = field(default_factory=dict)
    #: the largest indicator / NRD ratio when an indicator is above the NRD of the exam type
    nrd_ratio: float | None = None
    nrd_text: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    """An alert the evaluation asks for."""

    key: str
    rule: AlertRule
    facts: ExamFacts
    value: float
    message: str


# --------------------------------------------------------------------------- facts


def _region(text: str | None) -> BodyRegion | None:
    head = (text or "").split(" ", 1)[0]
    try:
        return BodyRegion(head)
    except ValueError:
        return None


@cache
def _facts_statement(organs: tuple[str, ...]) -> Select[Any]:
    """One row per study of ``:person_id``: the sums the rules need (built once, cached)."""
    counted_estimate = (EstimateRow.study_id == Study.id, EstimateRow.current)
    rf_event = (EventRow.study_id == Study.id, EventRow.counted, EventRow.modality == "RF")
    sct = or_(EstimateRow.organ_scheme.is_(None), EstimateRow.organ_scheme == "SCT")
    columns = [
        select(func.sum(EstimateRow.value))
        .where(*counted_estimate, EstimateRow.quantity == _EFFECTIVE, EstimateRow.basis == _E103)
        .scalar_subquery(),
        select(func.sum(EventRow.ka_r_gy)).where(*rf_event).scalar_subquery(),
        select(func.sum(EventRow.kap_gy_cm2)).where(*rf_event).scalar_subquery(),
        select(func.count(EventRow.id)).where(*rf_event).scalar_subquery(),
        select(func.max(EstimateRow.value))
        .where(*counted_estimate, EstimateRow.quantity == _PSD)
        .scalar_subquery(),
        select(func.max(ReportRow.fluoro_time_total_s))
        .where(ReportRow.study_id == Study.id, ReportRow.status == ReportStatus.CURRENT.value)
        .scalar_subquery(),
        possibly_above_nrd(Study.id),
        *(
            select(func.sum(EstimateRow.value))
            .where(
                *counted_estimate,
                EstimateRow.quantity == _ORGAN,
                EstimateRow.organ_value == code,
                sct,
            )
            .scalar_subquery()
            for code in organs
        ),
    ]
    return (
        select(
            Study.id,
            Study.study_instance_uid,
            Study.study_date,
            Study.establishment_id,
            Establishment.code,
            *columns,
        )
        .join(Establishment, Establishment.id == Study.establishment_id)
        .where(Study.person_id == bindparam("person_id"))
    )


@cache
def _regions_statement() -> Select[int, str | None]:
    return (
        select(EstimateRow.study_id, EstimateInputRow.text)
        .join(EstimateInputRow, EstimateInputRow.estimate_id == INPUTS_OWNER)
        .join(Study, Study.id == EstimateRow.study_id)
        .where(
            Study.person_id == bindparam("person_id"),
            EstimateRow.current,
            EstimateRow.model_id == "ct.effective.k_dlp",
            EstimateInputRow.name == "region",
        )
    )


def exam_facts(
    session: Session, person_id: int, rules: tuple[AlertRule, ...] | None = None
) -> list[ExamFacts]:
    """The person's exams as the rules see them: one query, one row per study (the sums are
    correlated subqueries over the counted rows, the NRD screen a column), plus the CT
    regions; the statements are built once."""
    organs = tuple(sorted({r.organ for r in rules or default_rules() if r.organ}))
    bound = {"person_id": person_id}
    rows = session.execute(_facts_statement(organs), bound).all()
    if not rows:
        return []
    regions: dict[int, set[BodyRegion]] = {}
    for study_id, text in session.execute(_regions_statement(), bound):
        region = _region(text)
        if region is not None:
            regions.setdefault(study_id, set()).add(region)
    above_nrd = _above_nrd(session, [r[0] for r in rows if r[11]])
    out: list[ExamFacts] = []
    for row in rows:
        study_id, uid, day, establishment_id, code, e, ka_r, kap, n_rf, psd, fluoro = row[:11]
        nrd_ratio, nrd_text = above_nrd.get(study_id, (None, ""))
        out.append(
            ExamFacts(
                study_instance_uid=uid,
                study_date=day,
                establishment=code,
                study_id=study_id,
                establishment_id=establishment_id,
                effective_msv=float(e or 0.0),
                ka_r_gy=float(ka_r or 0.0),
                kap_gy_cm2=float(kap or 0.0),
                psd_mgy=float(psd or 0.0),
                fluoro_time_s=float(fluoro or 0.0),
                interventional=bool(n_rf),
                ct_regions=frozenset(regions.get(study_id, ())),
                organ_mgy={organ: float(v) for organ, v in zip(organs, row[12:], strict=True) if v},
                nrd_ratio=nrd_ratio,
                nrd_text=nrd_text,
            )
        )
    return out


def _above_nrd(session: Session, study_ids: Sequence[int]) -> dict[int, tuple[float, str]]:
    """(largest value / NRD ratio, what is above) of the studies above their NRD.

    ``study_ids`` are those :func:`dosewatch.nrd.screen.possibly_above_nrd` keeps (NRD facts
    recorded by the NRD ingest hook, an indicator above the smallest usable NRD of its kind);
    each is compared by
    :func:`dosewatch.nrd.study_exceeds_nrd` (2019 decision, usable reference values only; a
    study it cannot compare gives no alert).
    """
    out: dict[int, tuple[float, str]] = {}
    for study_id in sorted(study_ids):
        check = study_exceeds_nrd(session, study_id)
        above = [(i, v, n, u) for i, v, n, u in check.details if n > 0 and v > n]
        if not check.exceeds or not above:
            continue
        text = "; ".join(f"{i} {v:.4g} {u} > NRD {n:g} {u}" for i, v, n, u in above)
        labels = f" [{', '.join(check.labels)}]" if check.labels else ""
        out[study_id] = (max(v / n for _, v, n, _ in above), f"{check.exam_type}: {text}{labels}")
    return out


# --------------------------------------------------------------------------- evaluation


def _day(f: ExamFacts) -> date | None:
    return f.study_date


def _procedure_value(kind: RuleKind, f: ExamFacts) -> float:
    return {
        RuleKind.PROCEDURE_KA_R: f.ka_r_gy,
        RuleKind.PROCEDURE_KAP: f.kap_gy_cm2,
        RuleKind.PROCEDURE_PSD: f.psd_mgy,
        RuleKind.PROCEDURE_FLUORO_TIME: f.fluoro_time_s,
    }[kind]


def evaluate(
    pseudonym: str, facts: Sequence[ExamFacts], rules: tuple[AlertRule, ...]
) -> list[Condition]:
    """Every alert condition of a person's history (pure; dated exams in date order)."""
    dated = sorted(
        (f for f in facts if _day(f) is not None),
        key=lambda f: (_day(f), f.study_instance_uid),
    )
    out: list[Condition] = []
    for rule_id in sorted({r.rule_id for r in rules}):
        kinds = {r.kind for r in rules if r.rule_id == rule_id}
        (kind,) = kinds
        if kind in SRDL_KINDS:
            for f in dated:
                rule = rule_for(rules, rule_id, f.establishment)
                value = _procedure_value(kind, f)
                if f.interventional and value >= rule.threshold:
                    out.append(
                        Condition(
                            f"{rule_id}|{f.study_instance_uid}",
                            rule,
                            f,
                            value,
                            f"{value:.4g} {rule.unit} >= {rule.threshold:g} {rule.unit} "
                            "(substantial radiation dose level): skin follow-up",
                        )
                    )
        elif kind is RuleKind.CUMULATIVE_EFFECTIVE:
            out.extend(_crossing(rule_id, pseudonym, dated, rules, lambda f: f.effective_msv))
        elif kind is RuleKind.CUMULATIVE_ORGAN:
            organ = next(r.organ for r in rules if r.rule_id == rule_id)

            def organ_dose(f: ExamFacts, code: str | None = organ) -> float:
                return f.organ_mgy.get(code or "", 0.0)

            out.extend(_crossing(rule_id, pseudonym, dated, rules, organ_dose))
        elif kind is RuleKind.REPEAT_AFTER_SRDL:
            srdl = sorted({(r.rule_id, r.kind) for r in rules if r.kind in SRDL_KINDS})
            above = [
                f
                for f in dated
                if f.interventional
                and any(
                    _procedure_value(k, f) >= rule_for(rules, rid, f.establishment).threshold
                    for rid, k in srdl
                )
            ]
            for later in dated:
                rule = rule_for(rules, rule_id, later.establishment)
                window = timedelta(days=rule.window_days or 0)
                first = next(
                    (
                        a
                        for a in above
                        if a is not later
                        and later.interventional
                        and timedelta(0) <= _day(later) - _day(a) <= window  # type: ignore[operator]
                    ),
                    None,
                )
                if first is not None:
                    days = (_day(later) - _day(first)).days  # type: ignore[operator]
                    out.append(
                        Condition(
                            f"{rule_id}|{later.study_instance_uid}",
                            rule,
                            later,
                            float(days),
                            f"procedure {days} days after {first.study_instance_uid}, "
                            "which exceeded a substantial radiation dose level",
                        )
                    )
        elif kind is RuleKind.STUDY_ABOVE_NRD:
            for f in facts:
                rule = rule_for(rules, rule_id, f.establishment)
                if f.nrd_ratio is not None and f.nrd_ratio > rule.threshold:
                    out.append(
                        Condition(
                            f"{rule_id}|{f.study_instance_uid}",
                            rule,
                            f,
                            f.nrd_ratio,
                            f"{f.nrd_text}: a single exam above its NRD (review, not a breach: "
                            "the NRD applies to the median of a series)",
                        )
                    )
        elif kind is RuleKind.REPEAT_CT_REGION:
            for i, later in enumerate(dated):
                rule = rule_for(rules, rule_id, later.establishment)
                window = timedelta(days=rule.window_days or 0)
                for earlier in reversed(dated[:i]):
                    gap = _day(later) - _day(earlier)  # type: ignore[operator]
                    if gap > window:
                        break
                    shared = sorted(later.ct_regions & earlier.ct_regions)
                    if shared:
                        out.append(
                            Condition(
                                f"{rule_id}|{later.study_instance_uid}",
                                rule,
                                later,
                                float(gap.days),
                                f"CT of {', '.join(shared)} {gap.days} days after "
                                f"{earlier.study_instance_uid}",
                            )
                        )
                        break
    return out


def _crossing(
    rule_id: str,
    pseudonym: str,
    dated: Sequence[ExamFacts],
    rules: tuple[AlertRule, ...],
    amount: Callable[[ExamFacts], float],
) -> list[Condition]:
    """The first exam at which a (windowed) running sum reaches the threshold, if any."""
    for i, f in enumerate(dated):
        rule = rule_for(rules, rule_id, f.establishment)
        day = _day(f)
        assert day is not None
        start = None if rule.window_days is None else day - timedelta(days=rule.window_days)
        total = sum(
            amount(g) for g in dated[: i + 1] if start is None or (_day(g) or date.min) > start
        )
        if total >= rule.threshold:
            span = "lifetime" if rule.window_days is None else f"{rule.window_days} days"
            return [
                Condition(
                    f"{rule_id}|{pseudonym}",
                    rule,
                    f,
                    total,
                    f"cumulative {total:.4g} {rule.unit} over {span} >= {rule.threshold:g} "
                    f"{rule.unit} (reached at this exam)",
                )
            ]
    return []


# --------------------------------------------------------------------------- storage


def _lock_person(session: Session, person_id: int) -> Person:
    statement = select(Person).where(Person.id == person_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    person = session.scalars(statement).one_or_none()
    if person is None:
        raise LedgerError(f"unknown person {person_id}")
    return person


def reconcile(
    session: Session, person_id: int, rules: tuple[AlertRule, ...] | None = None
) -> list[AlertRow]:
    """Make the person's stored alerts equal to :func:`evaluate`; returns the active ones."""
    person = _lock_person(session, person_id)  # serialises evaluations of one person
    wanted = {
        c.key: c
        for c in evaluate(
            person.pseudonym, exam_facts(session, person_id, rules), rules or default_rules()
        )
    }
    # the alerts the evaluation asks for (wherever they are: a link moves studies) and the
    # person's active ones, in one query
    mine = and_(AlertRow.person_id == person_id, AlertRow.active)
    stored = {
        a.alert_key: a
        for a in session.scalars(
            select(AlertRow).where(or_(AlertRow.alert_key.in_(list(wanted)), mine))
            if wanted
            else select(AlertRow).where(mine)
        )
    }
    now = identity.now()
    for key, c in wanted.items():
        row = stored.get(key)
        if row is None:
            row = AlertRow(
                alert_key=key,
                rule_id=c.rule.rule_id,
                rule_version=c.rule.version,
                person_id=person_id,
                study_id=c.facts.study_id,
                establishment_id=c.facts.establishment_id,
                role=c.rule.role.value,
                value=c.value,
                unit=c.rule.unit,
                threshold=c.rule.threshold,
                message=c.message,
                source=c.rule.source,
                state=AlertState.OPEN.value,
                active=True,
                raised_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            _audit(session, row, "alert.raised", c.message, SYSTEM_ACTOR)
            stored[key] = row
            continue
        changed = (row.study_id, row.value, row.person_id) != (
            c.facts.study_id,
            c.value,
            person_id,
        )
        if not row.active:
            row.active = True
            _audit(session, row, "alert.reactivated", c.message, SYSTEM_ACTOR)
        elif changed:
            _audit(session, row, "alert.re_evaluated", c.message, SYSTEM_ACTOR)
        if changed or row.message != c.message:
            row.study_id, row.value, row.person_id = c.facts.study_id, c.value, person_id
            row.establishment_id, row.message = c.facts.establishment_id, c.message
            row.updated_at = now
    for key, row in stored.items():
        if key not in wanted and row.active:
            row.active = False
            row.updated_at = now
            _audit(
                session,
                row,
                "alert.withdrawn",
                "re-evaluation: the condition no longer holds (a report superseded or corrected)",
                SYSTEM_ACTOR,
            )
    session.flush()
    return [stored[key] for key in sorted(wanted)]  # active now, and only those


def on_recorded(session: Session, person_id: int) -> None:
    """The ingest hook: re-evaluate the person's alerts inside the report's transaction."""
    reconcile(session, person_id)


def _audit(session: Session, row: AlertRow, action: str, reason: str, actor: str) -> None:
    identity.audit(
        session,
        action,
        "alert",
        str(row.id),
        reason,
        actor,
        {
            "key": row.alert_key,
            "rule": row.rule_id,
            "version": row.rule_version,
            "state": row.state,
        },
    )


def transition(
    session: Session, alert_id: int, to: AlertState, actor: str, comment: str
) -> AlertRow:
    """Acknowledge or close an alert (comment and actor required; audited)."""
    if not comment.strip():
        raise LedgerError(f"alert {alert_id}: a comment is required to {to.value} it")
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise LedgerError(f"unknown alert {alert_id}")
    state = AlertState(row.state)
    if to not in _NEXT[state]:
        raise LedgerError(f"alert {alert_id} is {state.value}: it cannot become {to.value}")
    row.state = to.value
    row.updated_at = identity.now()
    _audit(session, row, f"alert.{to.value}", comment, actor)
    return row
