"""Alerts: the inbox of the caller's establishments (persons by pseudonym), acknowledge
and close with a comment; every read and every transition is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.audit import record_read
from api.deps import Db, PageNo, PageSize, RowId
from api.problems import Problem, not_found
from api.queries_dose import alert_in_scope, alert_page
from api.responses import json_response
from api.schemas import Page
from api.schemas_dose import AlertOut, CommentIn
from api.security import Clinician, Principal
from dosewatch.cumulative.alerts import AlertState, transition
from dosewatch.domain.errors import LedgerError

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


@router.get("", response_model=Page[AlertOut])
def list_alerts(
    db: Db,
    principal: Clinician,
    state: AlertState | None = None,
    role: Annotated[
        str | None, Query(max_length=32, description="routed to: medical_physicist | radiologist")
    ] = None,
    withdrawn: Annotated[bool, Query(description="include alerts no longer met")] = False,
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> Response:
    """Alerts of the caller's establishments, newest first."""
    items, total = alert_page(
        db,
        principal.visible_establishments(),
        state=None if state is None else state.value,
        role=role,
        withdrawn=withdrawn,
        page=page,
        page_size=page_size,
    )
    record_read(
        db,
        principal,
        "alert.list",
        "alert",
        "list",
        details={"state": state, "page": page, "items": len(items)},
    )
    return json_response(Page(items=items, page=page, page_size=page_size, total=total))


@router.get("/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: RowId, db: Db, principal: Clinician) -> Response:
    alert = alert_in_scope(db, alert_id, principal.visible_establishments())
    if alert is None:
        raise not_found("alert")
    record_read(db, principal, "alert.read", "alert", str(alert.id))
    return json_response(alert)


def _move(db: Db, principal: Principal, alert_id: int, to: AlertState, body: CommentIn) -> Response:
    scope = principal.visible_establishments()
    if alert_in_scope(db, alert_id, scope) is None:
        raise not_found("alert")
    try:
        transition(db, alert_id, to, principal.actor, body.comment)  # audits the change
    except LedgerError as exc:
        db.rollback()
        raise Problem(409, "alert.transition", str(exc)) from exc
    db.commit()
    moved = alert_in_scope(db, alert_id, scope)
    assert moved is not None
    return json_response(moved)


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(alert_id: RowId, body: CommentIn, db: Db, principal: Clinician) -> Response:
    """open -> acknowledged (comment required; audited with the actor)."""
    return _move(db, principal, alert_id, AlertState.ACKNOWLEDGED, body)


@router.post("/{alert_id}/close", response_model=AlertOut)
def close(alert_id: RowId, body: CommentIn, db: Db, principal: Clinician) -> Response:
    """open | acknowledged -> closed (comment required; audited with the actor)."""
    return _move(db, principal, alert_id, AlertState.CLOSED, body)
