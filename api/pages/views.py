"""Page routes: sign-in, look-up form, a person's history with its chart, the quality
manager's NRD page. Pages use the same scoped reads, audit and CSRF rules as the API."""

from __future__ import annotations

import statistics
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from api.audit import record_read
from api.deps import AppSettings, Db, RowId
from api.pages.charts import exam_timeline
from api.pages.i18n import labels, language_of
from api.problems import Problem
from api.routes.persons import history_of, lookup
from api.schemas import LookupIn
from api.schemas_dose import HistoryOut
from api.security import SESSION_COOKIE, Principal, authenticate, client_of
from api.sessions import form_token, form_token_valid, sign_in, sign_out
from dosewatch.ledger.auth_models import Role
from dosewatch.ledger.models import Device, Establishment, EventRow, ReportRow, Study

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
PLOTLY_JS = Path(str(files("plotly") / "package_data" / "plotly.min.js"))


async def optional_principal(request: Request, db: Db) -> Principal | None:
    try:
        return await authenticate(request, db)
    except Problem as problem:
        if problem.status == 401:
            return None
        raise


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def render(request: Request, name: str, principal: Principal | None, **context: Any) -> Response:
    lang = language_of(request)
    return templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "t": labels(lang), "principal": principal, **context},
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


def _to_login(request: Request) -> Response:
    return RedirectResponse(f"/login?lang={language_of(request)}", status_code=303)


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: AppSettings) -> Response:
    secret = request.app.state.form_secret
    return render(request, "login.html", None, form_token=form_token(secret), error=None)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: Db,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    secret = request.app.state.form_secret
    if not form_token_valid(secret, csrf_token):
        raise Problem(403, "auth.csrf", "missing or wrong CSRF token")
    try:
        cookie, _row = sign_in(db, settings, username, password, client_of(request))
    except Problem as problem:
        response = render(
            request, "login.html", None, form_token=form_token(secret), error=problem.detail
        )
        response.status_code = problem.status
        return response
    response = RedirectResponse(f"/?lang={language_of(request)}", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        secure=settings.cookies_secure,
        samesite="strict",
    )
    return response


@router.post("/logout")
def logout(request: Request, db: Db, principal: MaybePrincipal) -> Response:
    if principal is not None:
        sign_out(db, request.cookies.get(SESSION_COOKIE))
    response = _to_login(request)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: MaybePrincipal) -> Response:
    if principal is None:
        return _to_login(request)
    can_lookup = principal.role in (Role.RADIOLOGIST, Role.ADMIN)
    return render(request, "home.html", principal, can_lookup=can_lookup, message=None)


def _history_page(request: Request, principal: Principal, histories: list[HistoryOut]) -> Response:
    title = labels(language_of(request))["chart_title"]
    charts = [exam_timeline(h.studies, title) for h in histories]
    return render(request, "history.html", principal, histories=histories, charts=charts)


@router.post("/persons/lookup", response_class=HTMLResponse)
def lookup_page(
    request: Request,
    db: Db,
    principal: MaybePrincipal,
    identifier: Annotated[str, Form(max_length=200)],
    reason: Annotated[str, Form(max_length=500)],
    issuer: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if principal is None:
        return _to_login(request)
    if principal.role not in (Role.RADIOLOGIST, Role.ADMIN):
        raise Problem(403, "auth.forbidden", "regional look-up is for radiologists and admins")
    if len(reason.strip()) < 5 or not identifier.strip():
        t = labels(language_of(request))
        return render(
            request, "home.html", principal, can_lookup=True, message=f"{t['reason']} (≥ 5)"
        )
    result = lookup(
        db, principal, LookupIn(identifier=identifier, issuer=issuer or None, reason=reason)
    )
    if not result.persons:
        t = labels(language_of(request))
        return render(request, "home.html", principal, can_lookup=True, message=t["not_found"])
    return _history_page(request, principal, result.persons)


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, db: Db, principal: MaybePrincipal, person_id: RowId) -> Response:
    if principal is None:
        return _to_login(request)
    if not principal.sees_identities:
        raise Problem(403, "auth.forbidden", "quality managers see pseudonymised data only")
    history = history_of(db, principal, person_id, regional=False)
    if history is None:
        raise Problem(404, "not_found", "person not found (or not visible to you)")
    record_read(db, principal, "person.history.read", "person", history.person.pseudonym)
    return _history_page(request, principal, [history])


def _median(values: list[float | None]) -> str:
    numbers = [v for v in values if v is not None]
    return f"{statistics.median(numbers):.3g}" if numbers else "—"


@router.get("/nrd", response_class=HTMLResponse)
def nrd_page(request: Request, db: Db, principal: MaybePrincipal) -> Response:
    """Device-reported indicator medians per device and protocol (no person data)."""
    if principal is None:
        return _to_login(request)
    statement = (
        select(
            Establishment.code,
            Device.manufacturer,
            Device.model,
            EventRow.acquisition_protocol,
            EventRow.ctdivol_mgy,
            EventRow.dlp_mgy_cm,
            EventRow.kap_gy_cm2,
        )
        .join(Study, Study.id == EventRow.study_id)
        .join(Establishment, Establishment.id == Study.establishment_id)
        .join(ReportRow, ReportRow.id == EventRow.report_id)
        .join(Device, Device.id == ReportRow.device_id, isouter=True)
        .where(EventRow.counted.is_(True))
    )
    scope = principal.visible_establishments()
    if scope is not None:
        statement = statement.where(Study.establishment_id.in_(sorted(scope)))
    groups: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    for code, maker, model, protocol, ctdi, dlp, kap in db.execute(statement):
        key = (code, f"{maker or '?'} {model or ''}".strip(), protocol or "—")
        groups.setdefault(key, []).append((ctdi, dlp, kap))
    rows = [
        {
            "establishment": key[0],
            "device": key[1],
            "protocol": key[2],
            "count": len(values),
            "ctdivol": _median([v[0] for v in values]),
            "dlp": _median([v[1] for v in values]),
            "kap": _median([v[2] for v in values]),
        }
        for key, values in sorted(groups.items())[:500]
    ]
    return render(request, "nrd.html", principal, rows=rows)
