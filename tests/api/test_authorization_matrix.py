"""Authorization matrix: every role x endpoint x own/other establishment, anonymous 401,
no leak of another establishment's data, and an audit row for every person-data read."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dosewatch.ledger.auth_models import Role
from dosewatch.ledger.models import AuditEvent
from tests.api.conftest import INS_P, World

R, P, Q, A = Role.RADIOLOGIST, Role.PHYSICIST, Role.QUALITY_MANAGER, Role.ADMIN


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    expected: dict[Role, int]
    person_data: bool  # a 200 must leave an audit row
    body: dict[str, str] | None = None


def cases(w: World) -> list[Case]:
    all_ok = dict.fromkeys(Role, 200)
    own_only = {R: 404, P: 404, Q: 404, A: 200}
    clin = {R: 200, P: 200, Q: 403, A: 200}
    other = {R: 404, P: 404, Q: 403, A: 200}
    nrd = {R: 403, P: 200, Q: 200, A: 200}
    nrd_other = {R: 403, P: 404, Q: 404, A: 200}
    lookup_body = {"identifier": INS_P, "reason": "emergency: continuity of care"}
    return [
        Case("me", "GET", "/api/me", all_ok, False),
        Case("person own", "GET", f"/api/persons/{w.person_p}", clin, True),
        Case("history own", "GET", f"/api/persons/{w.person_p}/history", clin, True),
        Case("person other", "GET", f"/api/persons/{w.person_q}", {**clin, R: 404, P: 404}, True),
        Case(
            "history other",
            "GET",
            f"/api/persons/{w.person_q}/history",
            {**clin, R: 404, P: 404},
            True,
        ),
        Case(
            "lookup",
            "POST",
            "/api/persons/lookup",
            {R: 200, P: 403, Q: 403, A: 200},
            True,
            lookup_body,
        ),
        Case("studies", "GET", "/api/studies", all_ok, True),
        Case(
            "studies of B",
            "GET",
            f"/api/studies?establishment_id={w.est_b}",
            {R: 403, P: 403, Q: 403, A: 200},
            True,
        ),
        Case("study own", "GET", f"/api/studies/{w.study_a}", all_ok, True),
        Case("study other", "GET", f"/api/studies/{w.study_b}", own_only, True),
        Case("event own", "GET", f"/api/events/{w.event_a}", all_ok, True),
        Case("event other", "GET", f"/api/events/{w.event_b}", own_only, True),
        Case("explain own", "GET", f"/api/estimates/{w.estimate_a}/explain", all_ok, True),
        Case("establishments", "GET", "/api/establishments", all_ok, False),
        Case("devices own", "GET", f"/api/establishments/{w.est_a}/devices", all_ok, False),
        Case("devices other", "GET", f"/api/establishments/{w.est_b}/devices", own_only, False),
        Case(
            "usage own",
            "GET",
            f"/api/establishments/{w.est_a}/usage",
            {R: 403, P: 403, Q: 200, A: 200},
            False,
        ),
        Case(
            "usage other",
            "GET",
            f"/api/establishments/{w.est_b}/usage",
            {R: 403, P: 403, Q: 404, A: 200},
            False,
        ),
        Case("quarantine", "GET", "/api/quarantine", {R: 403, P: 403, Q: 403, A: 200}, False),
        Case("audit", "GET", "/api/audit", {R: 403, P: 403, Q: 403, A: 200}, False),
        Case("stow", "POST", "/dicomweb/studies", {R: 403, P: 403, Q: 403, A: 415}, False, {}),
        Case("cumulative own", "GET", f"/api/persons/{w.person_p}/cumulative", clin, True),
        Case(
            "cumulative window",
            "GET",
            f"/api/persons/{w.person_carol}/cumulative?window=12m&as_of=2025-12-31",
            clin,
            True,
        ),
        Case("cumulative other", "GET", f"/api/persons/{w.person_q}/cumulative", other, True),
        Case("alerts", "GET", "/api/alerts", clin, True),
        Case("alert own", "GET", f"/api/alerts/{w.alert_a}", clin, True),
        Case("alert other", "GET", f"/api/alerts/{w.alert_b}", other, True),
        Case(
            "acknowledge other",
            "POST",
            f"/api/alerts/{w.alert_b}/acknowledge",
            other,
            False,  # audited as a transition (alert.acknowledged), not as a read
            {"comment": "seen by the regional physicist"},
        ),
        Case(
            "report text own", "GET", f"/api/studies/{w.study_a}/report-text?lang=en", all_ok, True
        ),
        Case("report text other", "GET", f"/api/studies/{w.study_b}/report-text", own_only, True),
        Case(
            "nrd suggestions",
            "GET",
            "/api/nrd/suggestions?description=TDM%20THORAX&modality=CT",
            all_ok,
            False,
        ),
        Case("nrd mappings own", "GET", f"/api/nrd/establishments/{w.est_a}/mappings", nrd, False),
        Case(
            "nrd mappings other",
            "GET",
            f"/api/nrd/establishments/{w.est_b}/mappings",
            nrd_other,
            False,
        ),
        Case(
            "nrd evaluations own",
            "GET",
            f"/api/nrd/establishments/{w.est_a}/evaluations?year=2025",
            nrd,
            True,
        ),
        Case(
            "nrd evaluations other",
            "GET",
            f"/api/nrd/establishments/{w.est_b}/evaluations?year=2025",
            nrd_other,
            True,
        ),
        Case(
            "nrd export own",
            "GET",
            f"/api/nrd/establishments/{w.est_a}/export?year=2025",
            nrd,
            True,
        ),
        Case("organ doses", "GET", "/api/physics/organ-doses", nrd, True),
        Case("skin follow-up", "GET", "/api/physics/skin-follow-up", {**nrd, Q: 403}, True),
        Case("findings per device", "GET", "/api/physics/findings", nrd, False),
        Case("users", "GET", "/api/admin/users", {R: 403, P: 403, Q: 403, A: 200}, False),
    ]


def audit_count(world: World) -> int:
    with world.app.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def call(client: TestClient, case: Case, token: str | None) -> tuple[int, str]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if case.method == "GET":
        response = client.get(case.path, headers=headers)
    elif case.body == {}:
        response = client.post(case.path, headers=headers, content=b"x")
    else:
        response = client.post(case.path, headers=headers, json=case.body)
    return response.status_code, response.text


def run_matrix(client: TestClient, world: World) -> None:
    """Every case: anonymous 401, each role its expected status, audit rows, no leak."""
    checked = 0
    for case in cases(world):
        status, body = call(client, case, None)
        assert status == 401, f"anonymous {case.name}: {status}"
        assert "problem" in body
        for role, expected in case.expected.items():
            before = audit_count(world)
            status, body = call(client, case, world.tokens[role])
            assert status == expected, f"{role.value} {case.name}: {status} {body[:200]}"
            checked += 1
            if status == 200 and case.person_data:
                assert audit_count(world) > before, f"{role.value} {case.name}: no audit row"
            if role is not A and case.name != "lookup":
                # nothing of establishment B reaches a scoped user outside the audited lookup
                assert world.study_b not in body, f"{role.value} {case.name} leaks study B"
                assert world.study_q not in body, f"{role.value} {case.name} leaks study Q"
                assert world.pseudonym_q not in body, f"{role.value} {case.name} leaks Q"
                for uid in world.carol_studies_b:
                    assert uid not in body, f"{role.value} {case.name} leaks Carol's study at B"
    assert checked == 4 * len(cases(world))


def test_matrix(client: TestClient, world: World) -> None:
    run_matrix(client, world)


def test_scoped_history_hides_other_establishments(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[R]}"}
    own = client.get(f"/api/persons/{world.person_p}/history", headers=headers).json()
    assert own["scope"] == "own-establishments"
    assert {s["study_instance_uid"] for s in own["studies"]} == {"1.2.3.100", "1.2.3.101"}
    regional = client.post(
        "/api/persons/lookup",
        headers=headers,
        json={"identifier": INS_P, "reason": "tele-radiology second opinion"},
    ).json()
    (history,) = regional["persons"]
    assert history["scope"] == "regional"
    assert {s["study_instance_uid"] for s in history["studies"]} == {
        "1.2.3.100",
        "1.2.3.101",
        "1.2.3.200",
    }


def test_lookup_audited_with_reason_and_without_identifier(
    client: TestClient, world: World
) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[R]}"}
    reason = "night emergency, unconscious patient"
    client.post(
        "/api/persons/lookup", headers=headers, json={"identifier": INS_P, "reason": reason}
    )
    admin = {"Authorization": f"Bearer {world.tokens[A]}"}
    page = client.get("/api/audit?action=person.lookup", headers=admin).json()
    mine = [e for e in page["items"] if e["reason"] == reason]
    assert len(mine) == 1
    event = mine[0]
    assert event["actor"].startswith(world.usernames[R])
    assert event["details"]["client"] == "testclient"
    assert INS_P not in str(event), "the audit row must not hold the identifier itself"


def test_lookup_needs_a_reason(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[R]}"}
    response = client.post(
        "/api/persons/lookup", headers=headers, json={"identifier": INS_P, "reason": ""}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_quality_manager_sees_pseudonyms_only(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[Q]}"}
    study = client.get(f"/api/studies/{world.study_a}", headers=headers)
    assert study.status_code == 200
    text = study.text
    assert "LOC-P" not in text and INS_P not in text
    assert len(study.json()["person_pseudonym"]) >= 16


@pytest.mark.parametrize("token", ["", "Bearer ", "Bearer nope", "Basic abc"])
def test_bad_credentials_are_401(client: TestClient, token: str) -> None:
    response = client.get("/api/studies", headers={"Authorization": token})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
