"""STOW-RS through the ingest use case, explain, usage report, pagination, quarantine."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from dosewatch.ledger.auth_models import Role
from tests.api.conftest import DATA, World

SOP_CLASS_XRAY_RDSR = "1.2.840.10008.5.1.4.1.1.88.67"


def _related(parts: list[bytes]) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    body = b""
    for part in parts:
        body += f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + part
        body += b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f'multipart/related; type="application/dicom"; boundary={boundary}', body


def _admin(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[Role.ADMIN]}"}


def test_stow_rs_answers_per_instance(tmp_path: Path) -> None:
    from tests.api.conftest import build_world

    world = build_world(tmp_path)
    good = (DATA / "DX-RDSR-Carestream_DRXEvolution.dcm").read_bytes()
    bad = b"DICM but not really a DICOM object" * 10
    media, body = _related([good, bad])
    with TestClient(world.app) as client:
        response = client.post(
            "/dicomweb/studies", content=body, headers={**_admin(world), "Content-Type": media}
        )
        assert response.status_code == 202, response.text  # one stored, one failed
        assert response.headers["content-type"] == "application/dicom+json"
        answer = response.json()
        (stored,) = answer["00081199"]["Value"]
        assert stored["00081150"]["Value"] == [SOP_CLASS_XRAY_RDSR]
        (failed,) = answer["00081198"]["Value"]
        assert failed["00081197"]["Value"] == [0x0110]
        # the rejected bytes are quarantined, never dropped
        page = client.get("/api/quarantine", headers=_admin(world)).json()
        assert page["total"] == 1
        entry = page["items"][0]
        retried = client.post(f"/api/quarantine/{entry['id']}/retry", headers=_admin(world))
        assert retried.status_code == 200
        assert retried.json()["status"] == "open"  # still unreadable
        # the same instance again is idempotent (200, referenced, nothing new)
        media, body = _related([good])
        again = client.post(
            "/dicomweb/studies", content=body, headers={**_admin(world), "Content-Type": media}
        )
        assert again.status_code == 200
        wrong = client.post(
            "/dicomweb/studies",
            content=b"x",
            headers={**_admin(world), "Content-Type": "application/json"},
        )
        assert wrong.status_code == 415


def test_explain_and_estimates_carry_unit_method_uncertainty(
    client: TestClient, world: World
) -> None:
    response = client.get(f"/api/estimates/{world.estimate_a}/explain", headers=_admin(world))
    assert response.status_code == 200
    text = response.json()["text"]
    assert "model:" in text and "reference tables:" in text and "uncertainty" in text


def test_usage_report_counts_objects_and_exams(client: TestClient, world: World) -> None:
    response = client.get(f"/api/establishments/{world.est_a}/usage", headers=_admin(world))
    assert response.status_code == 200
    rows = {r["service"]: r for r in response.json()["rows"]}
    # establishment A received 5 dose objects (2 built reports, the CT RDSR, Carol's two
    # fluoroscopy RDSRs), 5 exams; the real RDSRs went through the organ-dose models (CT
    # organ doses, fluoroscopy peak skin dose), the built reports carry no estimate
    assert rows["ingest"]["dose_objects"] == 5
    assert rows["ingest"]["exams"] == 5
    assert rows["organ_dose"]["dose_objects"] == 3


def test_pagination(client: TestClient, world: World) -> None:
    first = client.get("/api/studies?page=1&page_size=2", headers=_admin(world)).json()
    second = client.get("/api/studies?page=2&page_size=2", headers=_admin(world)).json()
    assert first["total"] == second["total"] == 9  # 5 studies of P, Q, the CT; Carol's 4
    uids = [s["study_instance_uid"] for s in first["items"] + second["items"]]
    assert len(uids) == len(set(uids)) == 4
    bad = client.get("/api/studies?page=0", headers=_admin(world))
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
