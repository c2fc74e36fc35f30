"""Errors as RFC 9457 problem details (``application/problem+json``); never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dosewatch.domain.errors import DoseWatchError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error answered as problem+json with a stable ``code`` (``type`` ends with it)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def unauthenticated(detail: str = "authentication required") -> Problem:
    return Problem(401, "auth.required", detail, {"WWW-Authenticate": 'Bearer realm="dosewatch"'})


def forbidden(detail: str) -> Problem:
    return Problem(403, "auth.forbidden", detail)


def not_found(what: str) -> Problem:
    return Problem(404, "not_found", f"{what} not found (or not visible to you)")


def problem_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": f"urn:dosewatch:problem:{code}", "title": code, "status": status}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers: Problem, HTTP errors, validation errors, DoseWatchError, any."""

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.code, exc.detail, exc.headers)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return problem_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem_response(422, "request.invalid", "the request is invalid", errors=errors)

    async def on_dosewatch(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DoseWatchError)
        return problem_response(400, exc.code, str(exc))

    async def on_database(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if exc.connection_invalidated:  # the database went away (restart): retry later
            log.warning("database connection lost on %s; invalidated", request.url.path)
            return problem_response(
                503,
                "database.unavailable",
                "the database connection was lost; retry in a moment",
                {"Retry-After": "1"},
            )
        return await on_any(request, exc)

    async def on_any(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s on %s", type(exc).__name__, request.url.path, exc_info=exc)
        return problem_response(500, "server.error", "internal error; see the service log")

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(DoseWatchError, on_dosewatch)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(Exception, on_any)
