"""STOW-RS (DICOM PS3.18 §10.5): ``POST /dicomweb/studies`` with a ``multipart/related;
type="application/dicom"`` body; each part goes through the same ingest use case as files,
and the answer lists every instance (Referenced SOP Sequence / Failed SOP Sequence)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.problems import Problem
from api.security import Admin
from dosewatch.ingest.pipeline import Ingestor, Outcome
from dosewatch.ledger import identity

router = APIRouter(tags=["dicomweb"])

DICOM_JSON = "application/dicom+json"
MAX_BODY_BYTES = 512 * 1024 * 1024
#: Failure Reason (0008,1197) values, PS3.18 Table I.2-1 / PS3.4 Annex GG
PROCESSING_FAILURE = 0x0110
NOT_AUTHORIZED_OR_REJECTED = 0xC000

_OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            'multipart/related; type="application/dicom"': {
                "schema": {"type": "string", "format": "binary"}
            }
        },
    },
    "responses": {
        "200": {"description": "every instance stored", "content": {DICOM_JSON: {}}},
        "202": {"description": "some instances failed", "content": {DICOM_JSON: {}}},
        "409": {"description": "every instance failed", "content": {DICOM_JSON: {}}},
    },
}


def split_related(content_type: str, body: bytes) -> list[bytes]:
    """The parts of a ``multipart/related`` body (PS3.18 §8.6.1.2; RFC 2046 §5.1.1), split
    on the boundary as bytes (DICOM parts are binary), or a 415/400 Problem."""
    if not content_type.lower().startswith("multipart/related"):
        raise Problem(
            415, "stow.media_type", 'expected multipart/related; type="application/dicom"'
        )
    params = {
        k.strip().lower(): v.strip().strip('"')
        for k, _, v in (p.partition("=") for p in content_type.split(";")[1:])
    }
    boundary = params.get("boundary", "")
    if not boundary:
        raise Problem(400, "stow.boundary", "multipart/related without a boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    chunks = body.split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # close delimiter
        head, sep, payload = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise Problem(400, "stow.body", "a part without headers")
        headers = head.decode("latin-1").lower()
        if "content-type:" in headers and "application/dicom" not in headers:
            raise Problem(415, "stow.part_type", "only application/dicom parts are accepted")
        parts.append(payload[:-2] if payload.endswith(b"\r\n") else payload)
    if not parts:
        raise Problem(400, "stow.empty", "no DICOM part in the request")
    return parts


def _sop_class_of(data: bytes) -> str | None:
    import pydicom

    try:
        dataset = pydicom.dcmread(
            BytesIO(data), stop_before_pixels=True, specific_tags=[0x00080016]
        )
        return str(dataset.SOPClassUID)
    except Exception:
        return None


def _item(data: bytes, outcome: Outcome, failed: bool) -> dict[str, Any]:
    item: dict[str, Any] = {}
    sop_class = _sop_class_of(data)
    if sop_class:
        item["00081150"] = {"vr": "UI", "Value": [sop_class]}
    if outcome.sop_instance_uid:
        item["00081155"] = {"vr": "UI", "Value": [outcome.sop_instance_uid]}
    if failed:
        item["00081197"] = {"vr": "US", "Value": [PROCESSING_FAILURE]}
    return item


def store_all(ingestor: Ingestor, parts: list[bytes], label: str) -> tuple[int, dict[str, Any]]:
    stored: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for data in parts:
        outcome = ingestor.ingest_bytes(data, identity.SourceInfo(label=label))
        if outcome.status == "quarantined":
            failed.append(_item(data, outcome, failed=True))
        else:
            stored.append(_item(data, outcome, failed=False))
    answer: dict[str, Any] = {}
    if stored:
        answer["00081199"] = {"vr": "SQ", "Value": stored}
    if failed:
        answer["00081198"] = {"vr": "SQ", "Value": failed}
    status = 200 if not failed else (202 if stored else 409)
    return status, answer


@router.post("/dicomweb/studies", openapi_extra=_OPENAPI_BODY, response_class=JSONResponse)
async def stow(request: Request, principal: Admin) -> JSONResponse:
    """Store instances; rejected ones are quarantined (never dropped) and listed as failed."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Problem(413, "stow.too_large", f"more than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    parts = split_related(request.headers.get("content-type", ""), body)
    status, answer = await run_in_threadpool(
        store_all, request.app.state.ingestor, parts, f"stow-rs:{principal.account.username}"
    )
    return JSONResponse(answer, status_code=status, media_type=DICOM_JSON)
