"""Scoped reads of the dose views: alerts, organ-dose distributions and outliers, the
skin-dose follow-up list, finding counts per device (conformance) and users. Every function
takes the establishment scope (``None`` = regional) and returns API schemas."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from api.queries import Scope
from api.schemas_dose import (
    AlertOut,
    DistributionOut,
    FindingCountOut,
    OrganDosesOut,
    OutlierOut,
    SkinFollowUpOut,
    UserOut,
)
from dosewatch.cumulative import records, skin
from dosewatch.cumulative.alert_rules import RuleKind, default_rules
from dosewatch.domain.estimate import EstimateQuantity
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.auth_models import User, UserEstablishment
from dosewatch.ledger.models import (
    Device,
    Establishment,
    EstimateRow,
    EventRow,
    Person,
    ReportFinding,
    ReportRow,
    ReportStatus,
    Study,
)


def _in_scope(column: Any, scope: Scope) -> Any:
    return True if scope is None else column.in_(sorted(scope))


# --------------------------------------------------------------------------- alerts


_alert = AlertRow.__table__.c
_ALERT_COLUMNS = (
    *(
        _alert[name]
        for name in (
            "id",
            "rule_id",
            "rule_version",
            "role",
            "value",
            "unit",
            "threshold",
            "message",
            "source",
            "state",
            "active",
            "raised_at",
            "updated_at",
        )
    ),
    Person.__table__.c.pseudonym.label("person_pseudonym"),
    Study.__table__.c.study_instance_uid,
    Establishment.__table__.c.code.label("establishment_code"),
)


def _alert_select() -> Any:
    return (
        select(*_ALERT_COLUMNS)
        .select_from(AlertRow.__table__)
        .join(Person.__table__, Person.__table__.c.id == _alert.person_id)
        .join(Study.__table__, Study.__table__.c.id == _alert.study_id)
        .join(Establishment.__table__, Establishment.__table__.c.id == _alert.establishment_id)
    )


def _alert_out(row: Any) -> AlertOut:
    return AlertOut.model_validate(row._mapping)


def alert_page(
    db: Session,
    scope: Scope,
    *,
    state: str | None,
    role: str | None,
    withdrawn: bool,
    page: int,
    page_size: int,
) -> tuple[list[AlertOut], int]:
    base = _alert_select().where(_in_scope(_alert.establishment_id, scope))
    if state is not None:
        base = base.where(_alert.state == state)
    if role is not None:
        base = base.where(_alert.role == role)
    if not withdrawn:
        base = base.where(_alert.active.is_(True))
    total = int(db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = db.execute(
        base.order_by(_alert.raised_at.desc(), _alert.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return [_alert_out(r) for r in rows], total


def alert_in_scope(db: Session, alert_id: int, scope: Scope) -> AlertOut | None:
    row = db.execute(
        _alert_select().where(_alert.id == alert_id, _in_scope(_alert.establishment_id, scope))
    ).one_or_none()
    return None if row is None else _alert_out(row)


def _person_alerts_statement(scoped: bool) -> Any:
    statement = (
        _alert_select()
        .where(
            _alert.person_id == bindparam("person_id"),
            _alert.active.is_(True),
            _alert.state != "closed",
        )
        .order_by(_alert.raised_at, _alert.id)
    )
    if scoped:
        statement = statement.where(_alert.establishment_id.in_(bindparam("scope", expanding=True)))
    return statement


#: (regional, scoped) variants, built once: the history reads them on every request
_PERSON_ALERTS = (_person_alerts_statement(False), _person_alerts_statement(True))


def person_alerts(db: Session, person_id: int, scope: Scope) -> list[AlertOut]:
    """Active, not closed alerts of one person in scope (the history's inbox)."""
    params: dict[str, Any] = {"person_id": person_id}
    if scope is not None:
        params["scope"] = sorted(scope)
    rows = db.execute(_PERSON_ALERTS[scope is not None], params)
    return [_alert_out(r) for r in rows]


# --------------------------------------------------------------------------- organ doses

#: organ-dose estimates read for the distributions (newest first): a bounded view
MAX_ORGAN_ESTIMATES = 20_000


def _device(manufacturer: str | None, model: str | None) -> str:
    return f"{manufacturer or '?'} {model or ''}".strip()


def organ_doses(db: Session, scope: Scope, organ: str | None) -> OrganDosesOut:
    """Box-plot statistics per organ x establishment x device x protocol of the current
    organ-dose estimates, and the estimates above Q3 + 1.5 IQR of their group."""
    statement = (
        select(
            EstimateRow.organ_value,
            EstimateRow.organ_meaning,
            EstimateRow.value,
            EstimateRow.unit,
            EstimateRow.uncertainty_pct,
            EstimateRow.model_id,
            EstimateRow.model_version,
            Establishment.code,
            Device.manufacturer,
            Device.model,
            EventRow.acquisition_protocol,
            Study.study_instance_uid,
            Person.pseudonym,
        )
        .join(EventRow, EventRow.id == EstimateRow.event_id)
        .join(Study, Study.id == EstimateRow.study_id)
        .join(Person, Person.id == Study.person_id)
        .join(Establishment, Establishment.id == Study.establishment_id)
        .join(ReportRow, ReportRow.id == EstimateRow.report_id)
        .outerjoin(Device, Device.id == ReportRow.device_id)
        .where(
            EstimateRow.current.is_(True),
            EstimateRow.quantity == EstimateQuantity.ORGAN_DOSE.value,
            _in_scope(Study.establishment_id, scope),
        )
        .order_by(EstimateRow.id.desc())
        .limit(MAX_ORGAN_ESTIMATES)
    )
    if organ is not None:
        statement = statement.where(EstimateRow.organ_value == organ)
    groups: dict[tuple[str, str, str, str, str], list[Any]] = defaultdict(list)
    studies: set[str] = set()
    for row in db.execute(statement):
        key = (
            row.organ_value or "?",
            row.organ_meaning or row.organ_value or "?",
            row.code,
            _device(row.manufacturer, row.model),
            row.acquisition_protocol or "—",
        )
        groups[key].append(row)
        studies.add(row.study_instance_uid)
    distributions: list[DistributionOut] = []
    outliers: list[OutlierOut] = []
    for key, rows in sorted(groups.items()):
        values = sorted(r.value for r in rows)
        if len(values) >= 2:
            q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
        else:
            q1 = median = q3 = values[0]
        distributions.append(
            DistributionOut(
                organ_code=key[0],
                organ_meaning=key[1],
                establishment_code=key[2],
                device=key[3],
                protocol=key[4],
                n=len(values),
                minimum=values[0],
                q1=q1,
                median=median,
                q3=q3,
                maximum=values[-1],
                models=sorted({f"{r.model_id} {r.model_version}" for r in rows}),
            )
        )
        if len(values) < 4:
            continue  # no meaningful fence for fewer exams
        fence = q3 + 1.5 * (q3 - q1)
        outliers.extend(
            OutlierOut(
                organ_code=key[0],
                organ_meaning=key[1],
                establishment_code=key[2],
                device=key[3],
                protocol=key[4],
                study_instance_uid=r.study_instance_uid,
                person_pseudonym=r.pseudonym,
                value=r.value,
                unit=r.unit,
                uncertainty_pct=r.uncertainty_pct,
                method=f"{r.model_id} {r.model_version}",
                fence=fence,
            )
            for r in rows
            if r.value > fence
        )
    outliers.sort(key=lambda o: (o.organ_meaning, -o.value))
    return OrganDosesOut(
        exams_considered=len(studies), distributions=distributions, outliers=outliers
    )


# --------------------------------------------------------------------------- skin follow-up

#: persons with fluoroscopy read for the follow-up list (most recent procedures first)
MAX_SKIN_PERSONS = 200


def _srdl() -> tuple[float, float, str]:
    """(PSD mGy, Ka,r Gy, source) of the substantial radiation dose levels (alert rules)."""
    rules = {r.kind: r for r in default_rules() if r.establishment == "*"}
    psd, kar = rules[RuleKind.PROCEDURE_PSD], rules[RuleKind.PROCEDURE_KA_R]
    return psd.threshold, kar.threshold, psd.source


def skin_follow_up(db: Session, scope: Scope) -> list[SkinFollowUpOut]:
    """Fluoroscopy procedures at or above a substantial radiation dose level (peak skin
    dose or Ka,r) and pairs of procedures that may have irradiated the same skin within
    the follow-up window (:mod:`dosewatch.cumulative.skin`), newest persons first."""
    recent = (
        select(Study.person_id, func.max(Study.study_date).label("last"))
        .join(EventRow, EventRow.study_id == Study.id)
        .where(
            EventRow.modality == "RF",
            EventRow.counted.is_(True),
            _in_scope(Study.establishment_id, scope),
        )
        .group_by(Study.person_id)
        .order_by(func.max(Study.study_date).desc().nulls_last(), Study.person_id)
        .limit(MAX_SKIN_PERSONS)
    )
    person_ids = [row.person_id for row in db.execute(recent)]
    pseudonyms = dict(
        db.execute(select(Person.id, Person.pseudonym).where(Person.id.in_(person_ids))).all()
    )
    codes = None
    if scope is not None:
        codes = set(db.scalars(select(Establishment.code).where(Establishment.id.in_(scope))))
    psd_level, kar_level, source = _srdl()
    out: list[SkinFollowUpOut] = []
    for person_id in person_ids:
        pseudonym = pseudonyms[person_id]
        exams = [
            e for e in records.exams(db, person_id) if codes is None or e.establishment in codes
        ]
        summary = skin.summarise(exams)
        by_uid = {p.study_instance_uid: p for p in summary.procedures}
        reasons: dict[str, list[str]] = defaultdict(list)
        for p in summary.procedures:
            if p.peak_skin_dose_mgy is not None and p.peak_skin_dose_mgy >= psd_level:
                reasons[p.study_instance_uid].append(
                    f"peak skin dose {p.peak_skin_dose_mgy:.4g} mGy >= {psd_level:g} mGy ({source})"
                )
            if p.ka_r_gy is not None and p.ka_r_gy >= kar_level:
                reasons[p.study_instance_uid].append(
                    f"Ka,r {p.ka_r_gy:.4g} Gy >= {kar_level:g} Gy (NCRP Report No. 168)"
                )
        for o in summary.overlaps:
            reasons[o.second].append(f"after {o.first}: {o.reason}")
        for uid, why in reasons.items():
            p = by_uid[uid]
            out.append(
                SkinFollowUpOut(
                    person_pseudonym=pseudonym,
                    study_instance_uid=uid,
                    study_date=p.study_date,
                    establishment_code=p.establishment,
                    reason="; ".join(why),
                    peak_skin_dose_mgy=p.peak_skin_dose_mgy,
                    uncertainty_pct=p.uncertainty_pct,
                    method=p.method,
                    ka_r_gy=p.ka_r_gy,
                )
            )
    out.sort(key=lambda f: (f.study_date or date.min, f.study_instance_uid), reverse=True)
    return out


# --------------------------------------------------------------------------- conformance


def finding_counts(db: Session, scope: Scope) -> list[FindingCountOut]:
    """Finding codes per device of the current reports (the conformance view)."""
    statement = (
        select(
            Establishment.code,
            Device.manufacturer,
            Device.model,
            ReportFinding.code.label("finding"),
            ReportFinding.severity,
            func.count(func.distinct(ReportRow.id)),
            func.count(ReportFinding.id),
        )
        .join(ReportRow, ReportRow.id == ReportFinding.report_id)
        .join(Establishment, Establishment.id == ReportRow.establishment_id)
        .outerjoin(Device, Device.id == ReportRow.device_id)
        .where(
            ReportRow.status == ReportStatus.CURRENT.value,
            _in_scope(ReportRow.establishment_id, scope),
        )
        .group_by(
            Establishment.code,
            Device.manufacturer,
            Device.model,
            ReportFinding.code,
            ReportFinding.severity,
        )
        .order_by(Establishment.code, Device.manufacturer, Device.model, ReportFinding.code)
    )
    return [
        FindingCountOut(
            establishment_code=code,
            manufacturer=maker,
            model=model,
            code=finding,
            severity=severity,
            reports=reports,
            findings=n,
        )
        for code, maker, model, finding, severity, reports, n in db.execute(statement)
    ]


# --------------------------------------------------------------------------- users


def users(db: Session) -> list[UserOut]:
    codes: dict[int, list[str]] = defaultdict(list)
    for user_id, code in db.execute(
        select(UserEstablishment.user_id, Establishment.code)
        .join(Establishment, Establishment.id == UserEstablishment.establishment_id)
        .order_by(Establishment.code)
    ):
        codes[user_id].append(code)
    return [
        UserOut(
            id=u.id,
            username=u.username,
            role=u.role,
            active=u.active,
            establishment_codes=codes.get(u.id, []),
            created_at=u.created_at,
        )
        for u in db.scalars(select(User).order_by(User.username))
    ]
