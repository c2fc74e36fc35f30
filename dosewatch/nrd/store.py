"""The NRD package's database side: per-study facts, exam records of a period, the calls the
service and alerts use (``evaluate``, ``study_exceeds_nrd``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain.report import DoseReport, PatientFacts
from dosewatch.ledger.models import Device, EventRow, Person, ReportRow, ReportStatus, Study
from dosewatch.ledger.nrd_models import NrdEvaluationRow, NrdStudyFacts
from dosewatch.nrd.evaluation import (
    Evaluation,
    ExamRecord,
    Refused,
    evaluate_records,
    family_for,
    population_of,
)
from dosewatch.nrd.mapping import (
    DeviceCoverage,
    ExamTexts,
    Mapper,
    coverage,
    coverage_dicts,
    device_label,
    establishment_id,
    load_mapper,
)
from dosewatch.nrd.reference import (
    CURRENT_REGULATION,
    Indicator,
    exam_types,
    packaged,
    values_for,
)

_AGE_UNITS = {"a": 1.0, "mo": 1 / 12, "wk": 7 / 365.25, "d": 1 / 365.25}
_LOCALIZER = ":113805"  # DCM 113805 Constant Angle Acquisition (CT localizer)


def record_patient_facts(
    session: Session,
    study_id: int,
    patient: PatientFacts,
    *,
    requested_procedure: str | None = None,
    protocol: str | None = None,
) -> None:
    """Keep the patient's age, weight and height at the study (called after ingest)."""
    facts = session.get(NrdStudyFacts, study_id) or _new_facts(session, study_id)
    if patient.age is not None and patient.age.unit in _AGE_UNITS:
        facts.age_years = patient.age.value * _AGE_UNITS[patient.age.unit]
    if patient.weight is not None:
        facts.weight_kg = patient.weight.value_in("kg")
    if patient.height is not None:
        facts.height_m = patient.height.value_in("m")
    facts.requested_procedure = requested_procedure or facts.requested_procedure
    facts.protocol = protocol or facts.protocol


def on_study_recorded(session: Session, study_id: int, report: DoseReport) -> None:
    """The ingest hook (injected by the entry points): keep the patient facts the report
    carries at its study, then recompute the study's NRD indicators from its counted events."""
    protocols = [p for p in (getattr(e, "acquisition_protocol", None) for e in report.events) if p]
    record_patient_facts(
        session,
        study_id,
        report.patient,
        requested_procedure=report.study.requested_procedure_description,
        protocol=protocols[0] if protocols else None,
    )
    session.flush()
    refresh_indicators(session, [study_id])


def _new_facts(session: Session, study_id: int) -> NrdStudyFacts:
    study = session.get(Study, study_id)
    if study is None:
        raise ValueError(f"no study {study_id}")
    facts = NrdStudyFacts(
        study_id=study_id,
        establishment_id=study.establishment_id,
        modality="",
        study_date=study.study_date,
        acquisitions=0,
    )
    session.add(facts)
    return facts


def refresh_indicators(session: Session, study_ids: Iterable[int]) -> None:
    """Recompute each study's NRD indicators from its counted events of current reports."""
    for study_id in study_ids:
        facts = session.get(NrdStudyFacts, study_id) or _new_facts(session, study_id)
        rows = session.execute(
            select(EventRow, ReportRow.device_id, ReportRow.modality)
            .join(ReportRow, ReportRow.id == EventRow.report_id)
            .where(
                EventRow.study_id == study_id,
                EventRow.counted.is_(True),
                ReportRow.status == ReportStatus.CURRENT.value,
            )
        ).all()
        if not rows:
            continue
        facts.device_id = rows[0][1]
        facts.modality = str(rows[0][2])
        events = [r[0] for r in rows if not (r[0].event_type or "").endswith(_LOCALIZER)]
        facts.acquisitions = len(events)
        ctdi = [e.ctdivol_mgy for e in events if e.ctdivol_mgy is not None]
        dlp = [e.dlp_mgy_cm for e in events if e.dlp_mgy_cm is not None]
        kap = [e.kap_gy_cm2 for e in events if e.kap_gy_cm2 is not None]
        agd = [e.agd_mgy for e in events if e.agd_mgy is not None]
        act = [e.activity_mbq for e in events if e.activity_mbq is not None]
        facts.ctdivol_mgy = max(ctdi) if ctdi else None
        facts.dlp_mgy_cm = sum(dlp) if dlp else None
        facts.kap_mgy_cm2 = sum(kap) * 1000.0 if kap else None  # Gy·cm² -> mGy·cm²
        facts.agd_mgy = sum(agd) / len(agd) if agd else None
        facts.activity_mbq = sum(act) if act else None


INDICATOR_COLUMNS = {
    Indicator.IDSV: "ctdivol_mgy",
    Indicator.PDL: "dlp_mgy_cm",
    Indicator.PDS: "kap_mgy_cm2",
    Indicator.DMG: "agd_mgy",
    Indicator.ACTIVITY: "activity_mbq",
}


@dataclass(frozen=True, slots=True)
class PeriodExams:
    """The mapped exam records of a period, and the mapping coverage per device."""

    records: list[ExamRecord]
    unmapped: int
    coverage: list[dict[str, object]]


_INDICATOR_ORDER = (Indicator.IDSV, Indicator.PDL, Indicator.PDS, Indicator.DMG, Indicator.ACTIVITY)


def load_period(
    session: Session, establishment: str, start: date, end: date, *, mapper: Mapper | None = None
) -> PeriodExams:
    """Exams of ``establishment`` with study dates in [start, end]: one query, each distinct
    (modality, description, requested procedure, protocol) mapped once."""
    est = establishment_id(session, establishment)
    mapper = mapper or load_mapper(session, est)
    devices = {
        d.id: device_label(d)
        for d in session.scalars(select(Device).where(Device.establishment_id == est))
    }
    f = NrdStudyFacts
    rows = session.execute(
        select(
            f.study_id,
            f.device_id,
            f.modality,
            f.study_date,
            f.requested_procedure,
            f.protocol,
            f.age_years,
            f.weight_kg,
            f.height_m,
            f.acquisitions,
            f.ctdivol_mgy,
            f.dlp_mgy_cm,
            f.kap_mgy_cm2,
            f.agd_mgy,
            f.activity_mbq,
            Study.study_description,
            Person.pseudonym,
            Person.sex,
        )
        .join(Study, Study.id == f.study_id)
        .join(Person, Person.id == Study.person_id)
        .where(f.establishment_id == est, f.study_date >= start, f.study_date <= end)
    )
    cache: dict[tuple[str, str | None, str | None, str | None], str | None] = {}
    records: list[ExamRecord] = []
    total: Counter[str] = Counter()
    mapped: Counter[str] = Counter()
    for (
        study_id,
        device_id,
        modality,
        day,
        requested,
        protocol,
        age,
        weight,
        height,
        acquisitions,
        ctdi,
        dlp,
        kap,
        agd,
        activity,
        description,
        pseudonym,
        sex,
    ) in rows:
        device = devices.get(device_id, "unknown device") if device_id else "unknown device"
        total[device] += 1
        key = (modality, description, requested, protocol)
        if key not in cache:
            rule = mapper.map(ExamTexts(modality, description, requested, protocol))
            cache[key] = rule.exam_type if rule else None
        exam_type = cache[key]
        if exam_type is None or day is None:
            continue
        mapped[device] += 1
        indicators = {
            ind: float(v)
            for ind, v in zip(_INDICATOR_ORDER, (ctdi, dlp, kap, agd, activity), strict=True)
            if v is not None
        }
        records.append(
            ExamRecord(
                study_id,
                pseudonym,
                device,
                day,
                exam_type,
                modality,
                age,
                sex,
                weight,
                height,
                acquisitions,
                indicators,
            )
        )
    coverage_rows = coverage_dicts([DeviceCoverage(d, total[d], mapped[d]) for d in sorted(total)])
    return PeriodExams(records, sum(total.values()) - sum(mapped.values()), coverage_rows)


def load_records(
    session: Session, establishment: str, start: date, end: date, *, mapper: Mapper | None = None
) -> tuple[list[ExamRecord], int]:
    """Mapped exam records of the period, and the number of exams no rule maps."""
    period = load_period(session, establishment, start, end, mapper=mapper)
    return period.records, period.unmapped


def evaluate(
    session: Session, establishment: str, start: date, end: date, **options: object
) -> tuple[list[Evaluation], list[Refused]]:
    """Every device x exam type of ``establishment`` over [start, end]."""
    records, _ = load_records(session, establishment, start, end)
    return evaluate_records(records, establishment=establishment, **options)


@dataclass(frozen=True, slots=True)
class StudyCheck:
    """One study's indicators against the NRD of its exam type.

    A single exam above the NRD is not a breach (the NRD applies to a series median); it is a
    signal for review. ``reason`` says why there is no comparison when ``exceeds`` is None.
    """

    study_id: int
    exam_type: str | None
    exceeds: bool | None
    details: tuple[tuple[str, float, float, str], ...]  # indicator, value, nrd, unit
    labels: tuple[str, ...]
    reason: str | None = None


def study_exceeds_nrd(
    session: Session,
    study_id: int,
    *,
    regulation: str = CURRENT_REGULATION,
    allow_unverified: bool = False,
) -> StudyCheck:
    facts = session.get(NrdStudyFacts, study_id)
    study = session.get(Study, study_id)
    if facts is None or study is None:
        return StudyCheck(study_id, None, None, (), (), "no NRD facts for this study")
    mapper = load_mapper(session, facts.establishment_id)
    rule = mapper.map(
        ExamTexts(
            facts.modality, study.study_description, facts.requested_procedure, facts.protocol
        )
    )
    if rule is None:
        return StudyCheck(study_id, None, None, (), (), "study description not mapped")
    record_age = ExamRecord(
        study_id,
        "",
        "",
        date.min,
        rule.exam_type,
        facts.modality,
        facts.age_years,
        None,
        facts.weight_kg,
        facts.height_m,
        facts.acquisitions,
    )
    population = population_of(record_age)
    if population is None:
        return StudyCheck(study_id, rule.exam_type, None, (), (), "patient age unknown")
    details = []
    labels: list[str] = []
    for value in values_for(packaged(), rule.exam_type, regulation=regulation):
        if value.population is not population or value.nrd is None or value.indicator is None:
            continue
        if population.value == "paediatric":
            continue  # per-class comparison needs the weight class: left to evaluate()
        if not (value.verification.usable or allow_unverified):
            continue
        col = INDICATOR_COLUMNS.get(value.indicator)
        measured = getattr(facts, col) if col else None
        if measured is None:
            continue
        details.append((value.indicator.value, float(measured), value.nrd, value.indicator.unit))
        if value.obsolete:
            labels.append(f"obsolete: {value.regulation}")
    if not details:
        fam = family_for(exam_types()[rule.exam_type].family, population)
        return StudyCheck(
            study_id,
            rule.exam_type,
            None,
            (),
            tuple(labels),
            f"no usable {regulation} value ({fam})",
        )
    return StudyCheck(
        study_id,
        rule.exam_type,
        any(v > n for _, v, n, _ in details),
        tuple(details),
        tuple(labels),
    )


def coverage_of(
    session: Session, establishment_id_: int, start: date, end: date
) -> list[dict[str, object]]:
    """Share of the period's exams mapped to a national exam type, per device."""
    mapper = load_mapper(session, establishment_id_)
    devices = {
        d.id: device_label(d)
        for d in session.scalars(select(Device).where(Device.establishment_id == establishment_id_))
    }
    f = NrdStudyFacts
    rows = session.execute(
        select(f.device_id, f.modality, f.requested_procedure, f.protocol, Study.study_description)
        .join(Study, Study.id == f.study_id)
        .where(f.establishment_id == establishment_id_, f.study_date >= start, f.study_date <= end)
    ).all()
    exams = (
        (
            devices.get(r.device_id, "unknown device") if r.device_id else "unknown device",
            ExamTexts(r.modality, r.study_description, r.requested_procedure, r.protocol),
        )
        for r in rows
    )
    return coverage_dicts(coverage(mapper, exams))


def save_evaluations(
    session: Session,
    establishment: str,
    start: date,
    end: date,
    evaluations: Iterable[Evaluation],
) -> int:
    """Keep evaluations (exams pseudonymised) in ``nrd_evaluation``; returns the count."""
    est = establishment_id(session, establishment)
    devices = {
        device_label(d): d.id
        for d in session.scalars(select(Device).where(Device.establishment_id == est))
    }
    now = datetime.now(UTC)
    count = 0
    for e in evaluations:
        session.add(
            NrdEvaluationRow(
                establishment_id=est,
                device_id=devices.get(e.device),
                exam_type=e.exam_type,
                population=e.population.value,
                reference_weight_kg=e.reference_weight_kg,
                indicator=e.indicator.value,
                period_start=start,
                period_end=end,
                n=e.n,
                n_required=e.n_required,
                median=e.median,
                q1=e.q1,
                q3=e.q3,
                nrd=e.nrd,
                vgd=e.vgd,
                status=e.status.value,
                reference_version=e.reference_version,
                labels=list(e.labels),
                exams=[[u.pseudonym, u.study_date.isoformat(), u.value] for u in e.exams],
                created_at=now,
            )
        )
        count += 1
    return count
