"""Pages of the physicist (organ-dose distributions, outliers, skin follow-up, findings per
device), the quality manager (NRD dashboard) and the administrator (users, establishments
and devices, audit log, usage). Same scoped reads, roles and audit as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import extract, func, select

from api.audit import record_read
from api.deps import Db
from api.pages.charts import organ_boxes
from api.pages.i18n import labels, language_of
from api.pages.views import MaybePrincipal, render, to_login
from api.problems import Problem
from api.queries import audit_page, usage_of
from api.queries_dose import finding_counts, organ_doses, skin_follow_up, users
from api.routes.nrd import evaluations_of
from api.security import Principal
from dosewatch.ledger.auth_models import Role
from dosewatch.ledger.models import Device, Establishment, Study
from dosewatch.nrd.reference import CURRENT_REGULATION

router = APIRouter(include_in_schema=False)

#: devices listed on the admin page (the API pages through them per establishment)
MAX_DEVICES = 500

PHYSICS_ROLES = (Role.PHYSICIST, Role.QUALITY_MANAGER, Role.ADMIN)
NRD_ROLES = (Role.QUALITY_MANAGER, Role.PHYSICIST, Role.ADMIN)


def _allowed(principal: Principal, roles: tuple[Role, ...]) -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Problem(403, "auth.forbidden", f"this page is for: {allowed}")


def _establishments(db: Db, principal: Principal) -> list[Establishment]:
    statement = select(Establishment).order_by(Establishment.code)
    scope = principal.visible_establishments()
    if scope is not None:
        statement = statement.where(Establishment.id.in_(sorted(scope)))
    return list(db.scalars(statement).all())


@router.get("/physics", response_class=HTMLResponse)
def physics_page(request: Request, db: Db, principal: MaybePrincipal) -> Response:
    if principal is None:
        return to_login(request)
    _allowed(principal, PHYSICS_ROLES)
    scope = principal.visible_establishments()
    organs = organ_doses(db, scope, None)
    follow_up = skin_follow_up(db, scope) if principal.role is not Role.QUALITY_MANAGER else None
    record_read(
        db,
        principal,
        "physics.page.read",
        "estimate",
        "all",
        details={"outliers": len(organs.outliers), "follow_up": len(follow_up or [])},
    )
    t = labels(language_of(request))
    return render(
        request,
        "physics.html",
        principal,
        organs=organs,
        chart=organ_boxes(organs.distributions, t["distributions"]),
        follow_up=follow_up,
        findings=finding_counts(db, scope),
    )


@router.get("/nrd", response_class=HTMLResponse)
def nrd_page(
    request: Request,
    db: Db,
    principal: MaybePrincipal,
    establishment: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """The quality manager's NRD dashboard: evaluations of one establishment and year."""
    if principal is None:
        return to_login(request)
    _allowed(principal, NRD_ROLES)
    sites = _establishments(db, principal)
    chosen = next((e for e in sites if e.id == establishment), sites[0] if sites else None)
    if establishment is not None and (chosen is None or chosen.id != establishment):
        raise Problem(404, "not_found", "establishment not found (or not visible to you)")
    result = None
    if chosen is not None:
        if year is None:  # default: the year of the establishment's newest exam
            newest = db.scalar(
                select(func.max(extract("year", Study.study_date))).where(
                    Study.establishment_id == chosen.id
                )
            )
            year = int(newest) if newest is not None else 2000
        _period, _evaluations, result = evaluations_of(
            db, chosen.code, year, CURRENT_REGULATION, False
        )
        record_read(
            db,
            principal,
            "nrd.evaluation.read",
            "establishment",
            chosen.code,
            details={"year": year, "page": True},
        )
    return render(
        request, "nrd.html", principal, sites=sites, chosen=chosen, year=year, result=result
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, db: Db, principal: MaybePrincipal) -> Response:
    """Users, establishments with their devices, the newest audit events, usage."""
    if principal is None:
        return to_login(request)
    _allowed(principal, (Role.ADMIN,))
    sites = _establishments(db, principal)
    codes = {e.id: e.code for e in sites}
    devices = db.execute(
        select(
            Device.establishment_id,
            Device.manufacturer,
            Device.model,
            Device.station_name,
            Device.serial_number,
        )
        .order_by(Device.establishment_id, Device.manufacturer, Device.model)
        .limit(MAX_DEVICES)
    ).all()
    events, _total = audit_page(db, None, 1, 50)
    return render(
        request,
        "admin.html",
        principal,
        users=users(db),
        sites=sites,
        devices=devices,
        codes=codes,
        events=events,
        usage=[usage_of(db, e) for e in sites],
    )
