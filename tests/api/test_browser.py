"""Headless Debian chromium (``/usr/bin/chromium``, driven by Playwright's Python package;
no browser download): sign in, look up a patient, the history chart shows one marker per
exam, the NRD page renders, CSRF is enforced. Screenshots go to ``var/test-artifacts/``."""

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
def test_sign_in_lookup_chart_nrd(served: tuple[World, str]) -> None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Debian chromium is required (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    world, base = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(locale="en-GB")
        page.goto(f"{base}/?lang=en")
        assert "/login" in page.url
        page.fill("#username", world.usernames[Role.RADIOLOGIST])
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_url(f"{base}/?lang=en")
        page.screenshot(path=str(ARTIFACTS / "1-home.png"))
        page.fill("#identifier", INS_P)
        page.fill("#reason", "emergency: continuity of care")
        page.click("#search")
        page.wait_for_selector(".chart .scatterlayer .point")
        points = page.locator(".chart .scatterlayer .point").count()
        rows = page.locator("tr.exam").count()
        shown = int(page.locator(".exam-count").inner_text())
        page.screenshot(path=str(ARTIFACTS / "2-history.png"), full_page=True)
        # person P: two exams at A and one at B (regional look-up)
        assert (points, rows, shown) == (3, 3, 3)
        page.goto(f"{base}/nrd?lang=fr")
        assert page.locator("#nrd-title").inner_text() == "Niveaux de référence (NRD)"
        assert page.locator("#nrd-table tr").count() >= 2
        page.screenshot(path=str(ARTIFACTS / "3-nrd.png"), full_page=True)
        # an unsafe request with the session cookie but without its CSRF token is refused
        status = page.evaluate(
            """async () => (await fetch('/api/persons/lookup', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({identifier: 'x', reason: 'no csrf here'})})).status"""
        )
        assert status == 403
        browser.close()
    assert all(
        (ARTIFACTS / name).stat().st_size > 10_000
        for name in ("1-home.png", "2-history.png", "3-nrd.png")
    )
