"""schemathesis against the app's own /openapi.json, authenticated (admin and radiologist
tokens in turn): no generated request (>= 1,000 in all, counted) may produce a server
error, and every error answer is problem+json."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from dosewatch.ledger.auth_models import Role
from tests.api.conftest import build_world

MIN_REQUESTS = 1_000


@schemathesis.serializer("multipart/related")
def _related(_ctx: object, value: object) -> bytes:
    """STOW-RS bodies: generated as binary strings, sent as they are."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "replace")


EXAMPLES_PER_OPERATION = 50  # 29 operations (those without parameters give one)


@pytest.mark.slow
def test_no_server_error_on_generated_requests(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    tally: Counter[str] = Counter()
    tokens = [world.tokens[Role.ADMIN], world.tokens[Role.RADIOLOGIST]]
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 29

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            token = tokens[tally["requests"] % 2]
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            tally["requests"] += 1
            tally[f"{response.status_code // 100}xx"] += 1
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.text[:300]}"
            if response.status_code >= 400:
                media = str(response.headers.get("content-type", ""))
                assert "application/problem+json" in media, where

        run()
    print(f"schemathesis tally: {dict(tally)}")  # noqa: T201
    assert tally["requests"] >= MIN_REQUESTS, dict(tally)
    assert tally["5xx"] == 0
    assert tally["2xx"] > 0, "nothing generated was accepted: the fuzzing checked nothing"
