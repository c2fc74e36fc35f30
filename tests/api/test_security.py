"""Secure defaults: no start in production without a secret key, login rate limiting,
login-form and session CSRF, hashed secrets, demo users only in demo mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.config import Mode, ServiceSettings
from dosewatch.domain.errors import ConfigurationError
from dosewatch.ledger import accounts
from dosewatch.ledger.auth_models import ApiToken, Role, User
from tests.api.conftest import INS_P, PASSWORD, World, build_world


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, mode=Mode.PRODUCTION, secret_key=None)
    with pytest.raises(ConfigurationError, match="DOSEWATCH_SECRET_KEY"):
        create_app(settings)
    short = ServiceSettings(data_dir=tmp_path, mode=Mode.PRODUCTION, secret_key="short")
    with pytest.raises(ConfigurationError, match="32 characters"):
        create_app(short)
    assert ServiceSettings(data_dir=tmp_path, secret_key="k" * 40).cookies_secure


def test_passwords_and_tokens_are_stored_hashed(world: World) -> None:
    with world.app.state.sessions() as session:
        user = session.scalar(select(User).where(User.username == world.usernames[Role.ADMIN]))
        assert user is not None and user.password_hash is not None
        assert PASSWORD not in user.password_hash
        assert accounts.check_password(PASSWORD, user.password_hash)
        assert not accounts.check_password(PASSWORD + "x", user.password_hash)
        digests = session.scalars(select(ApiToken.token_sha256)).all()
    assert world.tokens[Role.ADMIN] not in digests
    assert accounts.digest_secret(world.tokens[Role.ADMIN]) in digests


def test_weak_password_refused() -> None:
    with pytest.raises(accounts.AccountError, match="at least 12"):
        accounts.hash_password("short")


def _login_form(client: TestClient) -> str:
    page = client.get("/login?lang=en")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_login_rate_limited(tmp_path: Path) -> None:
    world = build_world(tmp_path)  # login_max_failures=3
    with TestClient(world.app) as client:
        token = _login_form(client)
        name = world.usernames[Role.PHYSICIST]
        statuses = [
            client.post(
                "/login", data={"username": name, "password": "wrong", "csrf_token": token}
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        # even the right password is refused while the window lasts
        right = client.post(
            "/login", data={"username": name, "password": PASSWORD, "csrf_token": token}
        )
        assert right.status_code == 429


def test_login_form_needs_its_csrf_token(client: TestClient, world: World) -> None:
    name = world.usernames[Role.RADIOLOGIST]
    forged = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": "x.y"}
    )
    assert forged.status_code == 403


def test_session_csrf_on_unsafe_requests(client: TestClient, world: World) -> None:
    token = _login_form(client)
    signed_in = client.post(
        "/login",
        data={
            "username": world.usernames[Role.RADIOLOGIST],
            "password": PASSWORD,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    assert "samesite=strict" in signed_in.headers["set-cookie"].lower()
    home = client.get("/?lang=en")
    match = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert match is not None
    body = {"identifier": INS_P, "reason": "continuity of care"}
    assert client.post("/api/persons/lookup", json=body).status_code == 403
    ok = client.post("/api/persons/lookup", json=body, headers={"X-CSRF-Token": match.group(1)})
    assert ok.status_code == 200
    assert len(ok.json()["persons"][0]["studies"]) == 3
    client.post("/logout", data={"csrf_token": match.group(1)})
    assert client.get("/api/me").status_code == 401


def test_demo_users_exist_only_in_demo(tmp_path: Path) -> None:
    from dosewatch.demo import DEMO_ROLES

    assert set(DEMO_ROLES) == {r.value for r in Role}
    world = build_world(tmp_path)
    with world.app.state.sessions() as session:
        names = set(session.scalars(select(User.username)).all())
    assert not any(n.startswith("demo-") for n in names)
