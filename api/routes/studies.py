"""Studies, irradiation events and their estimates (with ``explain``), in the caller's
establishments; every read is audited (studies are person data, even pseudonymised)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import queries
from api.audit import record_read
from api.deps import Db, PageNo, PageSize, RowId
from api.explain import explain_row
from api.problems import forbidden, not_found
from api.schemas import EventOut, ExplainOut, Page, StudyDetail, StudyOut
from api.schemas_dose import ReportTextOut
from api.security import Anyone
from dosewatch.cumulative.report_text import report_text

router = APIRouter(prefix="/api", tags=["studies"])


@router.get("/studies", response_model=Page[StudyOut])
def list_studies(
    db: Db,
    principal: Anyone,
    establishment_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> Page[StudyOut]:
    """Studies of the caller's establishments, newest first (persons by pseudonym)."""
    if establishment_id is not None and not principal.sees_establishment(establishment_id):
        raise forbidden("establishment outside your scope")
    items, total = queries.study_page(
        db, principal.visible_establishments(), establishment_id, page, page_size
    )
    record_read(
        db,
        principal,
        "study.list",
        "study",
        "list",
        details={"establishment_id": establishment_id, "page": page, "items": len(items)},
    )
    return Page(items=items, page=page, page_size=page_size, total=total)


@router.get("/studies/{study_instance_uid}", response_model=StudyDetail)
def get_study(study_instance_uid: str, db: Db, principal: Anyone) -> StudyDetail:
    """One study with its events and their current estimates."""
    study = queries.study_by_uid(db, study_instance_uid, principal.visible_establishments())
    if study is None:
        raise not_found("study")
    record_read(db, principal, "study.read", "study", study.study_instance_uid)
    return study


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(event_id: RowId, db: Db, principal: Anyone) -> EventOut:
    event = queries.event_in_scope(db, event_id, principal.visible_establishments())
    if event is None:
        raise not_found("event")
    record_read(db, principal, "event.read", "event", str(event.id))
    return event


@router.get("/estimates/{estimate_id}/explain", response_model=ExplainOut)
def explain_estimate(estimate_id: RowId, db: Db, principal: Anyone) -> ExplainOut:
    """Formula, inputs, coefficients with their sources, versions and uncertainty."""
    row = queries.estimate_in_scope(db, estimate_id, principal.visible_establishments())
    if row is None:
        raise not_found("estimate")
    record_read(db, principal, "estimate.explain", "estimate", str(row.id))
    return ExplainOut(estimate_id=row.id, text=explain_row(row))


@router.get("/studies/{study_instance_uid}/report-text", response_model=ReportTextOut)
def get_report_text(
    study_instance_uid: str,
    db: Db,
    principal: Anyone,
    lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr",
) -> ReportTextOut:
    """The dose text for the exam report (arrêté of 22 September 2006; Euratom 2013/59
    art. 58), from the device-reported indicators of the counted events."""
    study = queries.study_by_uid(db, study_instance_uid, principal.visible_establishments())
    if study is None:
        raise not_found("study")
    text = report_text(db, study.study_instance_uid, lang)
    record_read(db, principal, "study.report_text.read", "study", study.study_instance_uid)
    return ReportTextOut(study_instance_uid=text.study_instance_uid, lang=lang, text=text.text)
