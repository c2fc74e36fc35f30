"""Page routes: sign-in, look-up form, a person's history (exams, cumulative dose with its
completeness, organ doses, alerts, report text). Pages use the same scoped reads, audit
and CSRF rules as the API; the physicist, NRD and admin pages are in ``dose_views``."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.audit import record_read
from api.cumulative_view import person_cumulative
from api.deps import AppSettings, Db, RowId
from api.pages.charts import cumulative_timeline, exam_timeline, organ_bars
from api.pages.i18n import labels, language_of
from api.problems import Problem
from api.routes.persons import history_of, lookup
from api.schemas import LookupIn
from api.schemas_dose import HistoryOut
from api.security import SESSION_COOKIE, Principal, authenticate, client_of
from api.sessions import form_token, form_token_valid, sign_in, sign_out
from dosewatch.cumulative.report_text import report_text
from dosewatch.cumulative.window import parse_window
from dosewatch.ledger.auth_models import Role
from dosewatch.ledger.identity import now

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


def to_login(request: Request) -> Response:
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
    response = to_login(request)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: MaybePrincipal) -> Response:
    if principal is None:
        return to_login(request)
    can_lookup = principal.role in (Role.RADIOLOGIST, Role.ADMIN)
    return render(request, "home.html", principal, can_lookup=can_lookup, message=None)


#: exams whose report text the history page shows (the newest ones): a bounded page
MAX_REPORT_TEXTS = 100


def _history_page(
    request: Request,
    db: Db,
    principal: Principal,
    histories: list[HistoryOut],
    window_text: str = "all",
) -> Response:
    lang = language_of(request)
    t = labels(lang)
    today = now().date()
    window = parse_window(window_text, today)
    views = []
    for h in histories:
        scope = None if h.scope == "regional" else principal.visible_establishments()
        cumulative = person_cumulative(db, h.person.id, h.person.pseudonym, scope, window, today)
        newest = [s.study_instance_uid for s in h.studies][-MAX_REPORT_TEXTS:]
        views.append(
            {
                "history": h,
                "cumulative": cumulative,
                "exam_chart": exam_timeline(h.studies, t["chart_title"]),
                "cumulative_chart": cumulative_timeline(cumulative, t["cumulative_chart"]),
                "organ_chart": organ_bars(cumulative, t["organ_chart"]),
                "report_texts": {uid: report_text(db, uid, lang).text for uid in newest},
            }
        )
    return render(request, "history.html", principal, views=views, window=window.label)


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
        return to_login(request)
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
    return _history_page(request, db, principal, result.persons)


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    db: Db,
    principal: MaybePrincipal,
    person_id: RowId,
    window: Annotated[str, Query(min_length=1, max_length=30)] = "all",
) -> Response:
    if principal is None:
        return to_login(request)
    if not principal.sees_identities:
        raise Problem(403, "auth.forbidden", "quality managers see pseudonymised data only")
    history = history_of(db, principal, person_id, regional=False)
    if history is None:
        raise Problem(404, "not_found", "person not found (or not visible to you)")
    record_read(
        db,
        principal,
        "person.history.read",
        "person",
        history.person.pseudonym,
        details={"page": True, "window": window},
    )
    return _history_page(request, db, principal, [history], window)
