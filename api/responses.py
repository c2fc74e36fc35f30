"""Fast JSON answers: a pydantic model serialised once by pydantic-core (Rust), bypassing
FastAPI's re-validation of the returned object against ``response_model`` (the route keeps
``response_model`` for the OpenAPI schema)."""

from __future__ import annotations

from fastapi.responses import Response
from pydantic import BaseModel


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
