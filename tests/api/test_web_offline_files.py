"""The browser app's service worker as the server sends it, and the app's files outside the rate limit."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.api.web import WORKER_POLICY
from paa.clock import FixedClock
from paa.web import ASSETS
from tests.support.runtime import runtime_for


@pytest.fixture
def tight(clock: FixedClock) -> Iterator[TestClient]:
    """The app with a bucket of 3 requests per caller."""
    options = ServerOptions(rate_per_minute=1, rate_burst=3)
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime, options)) as client:
        yield client


def test_the_service_worker_lists_every_file_of_the_app_and_a_version(http: TestClient) -> None:
    answer = http.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["content-security-policy"] == WORKER_POLICY  # a worker runs under its own script's policy
    assert answer.headers["cache-control"] == "no-cache"
    first, _, rest = answer.text.partition("\n")
    shell = json.loads(first.removeprefix("const PAA_SHELL = ").removesuffix(";"))
    expected = {"/", *(f"/app/{path.name}" for path in ASSETS.iterdir() if path.is_file() and path.name != "sw.js")}
    assert set(shell["files"]) == expected and len(shell["version"]) == 16
    assert "/api/" not in shell["files"] and 'addEventListener("fetch"' in rest
    for path in shell["files"]:  # each one is there to be kept
        assert http.get(path).status_code == 200, path
    # A module worker: the queue's storage and its rules are the pages' own offline.js, not a copy of them.
    assert 'import * as offline from "/app/offline.js";' in rest and "/app/offline.js" in shell["files"]
    assert "indexedDB" not in rest and "atob(" not in rest and "script-src 'self'" in WORKER_POLICY


def test_the_apps_files_do_not_spend_the_rate_limit(tight: TestClient) -> None:
    for _ in range(3):
        for path in ("/", "/sw.js", "/app/app.js", "/app/style.css"):
            assert tight.get(path).status_code == 200, path
    answers = [tight.get("/api/v1/auth/whoami").status_code for _ in range(4)]
    assert 429 in answers  # the API's own routes still are limited
