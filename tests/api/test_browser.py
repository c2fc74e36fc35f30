"""Headless Debian chromium (``/usr/bin/chromium``, driven by Playwright's Python package;
no browser download): sign in, look up a patient, the history charts show one marker per
exam (exams and cumulative effective dose), CSRF is enforced; the quality manager's NRD
page, the physicist's page and the admin page render for their roles. Screenshots go to
``var/test-artifacts/``."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from dosewatch.ledger.auth_models import Role
from tests.api.conftest import INS_P, PASSWORD, World, build_world

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    world = build_world(tmp_path_factory.mktemp("browser"))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(world.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield world, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow
def test_sign_in_lookup_charts_and_role_pages(served: tuple[World, str]) -> None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Debian chromium is required (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    world, base = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(locale="en-GB")

        def sign_in(role: Role) -> None:
            page.goto(f"{base}/?lang=en")
            assert "/login" in page.url
            page.fill("#username", world.usernames[role])
            page.fill("#password", PASSWORD)
            page.click("#submit")
            page.wait_for_url(f"{base}/?lang=en")

        sign_in(Role.RADIOLOGIST)
        page.screenshot(path=str(ARTIFACTS / "1-home.png"))
        page.fill("#identifier", INS_P)
        page.fill("#reason", "emergency: continuity of care")
        page.click("#search")
        page.wait_for_selector(".exam-chart .scatterlayer .point")
        page.wait_for_selector(".cumulative-chart .scatterlayer .point")
        points = page.locator(".exam-chart .scatterlayer .point").count()
        steps = page.locator(".cumulative-chart .scatterlayer .point").count()
        rows = page.locator("tr.exam").count()
        shown = int(page.locator(".exam-count").inner_text())
        coverage = page.locator("td.coverage").inner_text()
        page.screenshot(path=str(ARTIFACTS / "2-history.png"), full_page=True)
        # person P: two exams at A and one at B (regional look-up); the built reports carry
        # no estimate, so E covers none of them and says so
        assert (points, steps, rows, shown) == (3, 3, 3, 3)
        assert coverage == "E covers 0 of 3 exams"
        # an unsafe request with the session cookie but without its CSRF token is refused
        status = page.evaluate(
            """async () => (await fetch('/api/persons/lookup', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({identifier: 'x', reason: 'no csrf here'})})).status"""
        )
        assert status == 403
        page.click("#logout")

        sign_in(Role.QUALITY_MANAGER)
        page.goto(f"{base}/nrd?lang=fr")
        assert page.locator("#nrd-title").inner_text() == "Niveaux de référence (NRD)"
        assert page.locator("#nrd-table tr").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "3-nrd.png"), full_page=True)
        page.click("#logout")

        sign_in(Role.PHYSICIST)
        page.goto(f"{base}/physics?lang=en")
        page.wait_for_selector("#organ-boxes .boxlayer .trace", state="attached")
        assert page.locator("#organ-boxes .boxlayer .trace").count() >= 1
        assert page.locator("#skin-follow-up tr.follow-up").count() == 2  # Carol at A
        page.screenshot(path=str(ARTIFACTS / "4-physics.png"), full_page=True)
        page.click("#logout")

        sign_in(Role.ADMIN)
        page.goto(f"{base}/admin?lang=en")
        assert page.locator("#users tr.user").count() == len(Role)
        assert page.locator("#audit tr").count() >= 2
        page.screenshot(path=str(ARTIFACTS / "5-admin.png"), full_page=True)
        browser.close()
    assert all(
        (ARTIFACTS / name).stat().st_size > 10_000
        for name in ("1-home.png", "2-history.png", "3-nrd.png", "4-physics.png", "5-admin.png")
    )
