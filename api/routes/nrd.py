"""NRD (French diagnostic reference levels): exam-type suggestions, an establishment's
mapping rules, its evaluations of a year (refusals with their reason) and the national
submission export. Pseudonymised data only; quality managers, physicists and admins."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.audit import record_read
from api.deps import Db, RowId
from api.problems import not_found
from api.responses import json_response
from api.schemas_dose import (
    MappingRuleOut,
    NrdEvaluationOut,
    NrdEvaluationsOut,
    NrdRefusalOut,
    SuggestionOut,
)
from api.security import Anyone, NrdReader, Principal
from dosewatch.ledger.models import Establishment
from dosewatch.nrd import admin, mapping, outputs, store
from dosewatch.nrd.evaluation import Evaluation, evaluate_records
from dosewatch.nrd.matcher import suggest
from dosewatch.nrd.reference import CURRENT_REGULATION

router = APIRouter(prefix="/api/nrd", tags=["nrd"])

Year = Annotated[int, Query(ge=2000, le=2100, description="calendar year of the evaluation")]
Regulation = Annotated[
    str, Query(min_length=1, max_length=60, description="2019-DC-0667 | arrêté 2011-10-24")
]
Modality = Annotated[str | None, Query(pattern="^(CT|DX|MG|XA|NM)$")]


def _establishment(db: Db, principal: Principal, establishment_id: int) -> Establishment:
    found = db.get(Establishment, establishment_id)
    if found is None or not principal.sees_establishment(establishment_id):
        raise not_found("establishment")
    return found


@router.get("/suggestions", response_model=list[SuggestionOut])
def suggestions(
    principal: Anyone,
    description: Annotated[str, Query(min_length=1, max_length=200)],
    modality: Modality = None,
) -> list[SuggestionOut]:
    """Ranked national exam types for a local study description."""
    return [
        SuggestionOut(exam_type=s.exam_type, label_fr=s.label_fr, score=s.score)
        for s in suggest(description, modality, limit=5)
    ]


@router.get("/establishments/{establishment_id}/mappings", response_model=list[MappingRuleOut])
def mappings(establishment_id: RowId, db: Db, principal: NrdReader) -> list[MappingRuleOut]:
    """The establishment's exam mapping rules (local names -> national exam type)."""
    establishment = _establishment(db, principal, establishment_id)
    return [
        MappingRuleOut(
            id=r["id"],
            kind=r["kind"],
            field=r["field"],
            pattern=r["pattern"],
            exam_type=r["exam_type"],
            modality=r["modality"],
            priority=r["priority"],
            active=r["active"],
        )
        for r in mapping.rules_as_dicts(db, establishment.code)
    ]


def evaluations_of(
    db: Db, code: str, year: int, regulation: str, allow_unverified: bool
) -> tuple[store.PeriodExams, list[Evaluation], NrdEvaluationsOut]:
    """Every device x exam type of the establishment and year (the CLI's evaluation)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    period = store.load_period(db, code, start, end)
    evaluations, refused = evaluate_records(
        period.records,
        establishment=code,
        reference=admin.reference_version(db, None),
        regulation=regulation,
        allow_unverified=allow_unverified,
    )
    out = NrdEvaluationsOut(
        establishment_code=code,
        year=year,
        regulation=regulation,
        evaluations=[
            NrdEvaluationOut(
                establishment=e.establishment,
                device=e.device,
                exam_type=e.exam_type,
                population=e.population.value,
                indicator=e.indicator.value,
                unit=e.unit,
                n=e.n,
                n_required=e.n_required,
                statistic=e.statistic,
                value=e.median if e.statistic == "median" else e.mean,
                q1=e.q1,
                q3=e.q3,
                nrd=e.nrd,
                vgd=e.vgd,
                status=e.status.value,
                regulation=e.regulation,
                reference_version=e.reference_version,
                labels=list(e.labels),
            )
            for e in evaluations
        ],
        refused=[
            NrdRefusalOut(
                establishment=r.establishment,
                device=r.device,
                exam_type=r.exam_type,
                reason=r.reason,
            )
            for r in refused
        ],
        unmapped_exams=period.unmapped,
    )
    return period, evaluations, out


@router.get("/establishments/{establishment_id}/evaluations", response_model=NrdEvaluationsOut)
def evaluations(
    establishment_id: RowId,
    db: Db,
    principal: NrdReader,
    year: Year,
    regulation: Regulation = CURRENT_REGULATION,
    allow_unverified: Annotated[
        bool, Query(description="compare with unverified values (results labelled)")
    ] = False,
) -> Response:
    """NRD/VGD evaluations of one establishment and year; refusals come with their reason."""
    establishment = _establishment(db, principal, establishment_id)
    _period, _evaluations, out = evaluations_of(
        db, establishment.code, year, regulation, allow_unverified
    )
    record_read(
        db,
        principal,
        "nrd.evaluation.read",
        "establishment",
        establishment.code,
        details={"year": year, "regulation": regulation, "evaluations": len(out.evaluations)},
    )
    return json_response(out)


@router.get(
    "/establishments/{establishment_id}/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(
    establishment_id: RowId,
    db: Db,
    principal: NrdReader,
    year: Year,
    regulation: Regulation = CURRENT_REGULATION,
) -> Response:
    """The national submission rows (one per patient of each evaluation; pseudonyms)."""
    establishment = _establishment(db, principal, establishment_id)
    period, evaluated, _out = evaluations_of(db, establishment.code, year, regulation, False)
    rows = outputs.export_rows(evaluated, period.records)
    record_read(
        db,
        principal,
        "nrd.export",
        "establishment",
        establishment.code,
        details={"year": year, "regulation": regulation, "rows": len(rows)},
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(outputs.EXPORT_COLUMNS)
    writer.writerows(rows)
    name = f"nrd-{establishment.code}-{year}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
