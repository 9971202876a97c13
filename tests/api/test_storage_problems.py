"""A database paa cannot use answers 503 with what to do, never a bare 500 (the same words as the CLI)."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.config import resolve_paths
from paa.core.encryption import key_file
from tests.api.conftest import Account
from tests.support.runtime import runtime_for


def test_a_missing_data_key_is_a_503_naming_it(alice: Account, clock) -> None:
    habit = alice.post("/api/v1/habits", json={"name": "Run"}).json()
    assert alice.post(f"/api/v1/habits/{habit['id']}/log", json={"note": "5 km"}).status_code == 200
    made = alice.post("/api/v1/auth/tokens", json={"name": "script", "scope": "read,write"})
    headers = {"Authorization": f"Bearer {made.json()['token']}"}  # an API token: checked without the data key
    path = key_file(resolve_paths(os.environ))
    path.rename(path.with_name("data.key.away"))
    try:  # a server started afresh, without the key that sealed the note (and the token signing key)
        with (
            runtime_for(clock=clock, serves_callers=True) as runtime,
            TestClient(create_app(runtime, ServerOptions(rate_burst=1000)), raise_server_exceptions=False) as http,
        ):
            read = http.get(f"/api/v1/habits/{habit['id']}/history", headers=headers)
            write = http.post(f"/api/v1/habits/{habit['id']}/log", json={"note": "10 km"}, headers=headers)
    finally:
        path.with_name("data.key.away").rename(path)
    for answer in (read, write):  # unsealing a note, and sealing one (SQLAlchemy wraps that error)
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "data key is missing" in answer.json()["detail"]
    assert alice.get(f"/api/v1/habits/{habit['id']}/history").json()["logs"][0]["note"] == "5 km"
