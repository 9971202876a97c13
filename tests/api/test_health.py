"""`/healthz` and `/readyz` for a supervisor or load balancer: no token, no data; `/readyz` is a 503 problem when the
database does not answer (here: a database folder paa cannot create), while `/healthz` still says the process is
up."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.clock import FixedClock
from tests.support.runtime import runtime_for


def test_ready_when_the_database_answers(http: TestClient) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_not_ready_without_a_database(clock: FixedClock, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the database's folder should be\n", encoding="utf-8")
    environ = {**os.environ, "PAA_DB_URL": f"sqlite:///{blocked}/paa.db"}
    with runtime_for(environ, clock=clock, serves_callers=True) as runtime:
        client = TestClient(create_app(runtime, ServerOptions()), raise_server_exceptions=False)
        with client:
            alive = client.get("/healthz")
            ready = client.get("/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 503, ready.text
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["detail"].startswith("the database does not answer")
