"""What an API request costs the database, counted in statements (bench/api.py measures the time; this keeps the
cheap parts cheap)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event

from paa.api.caller import authenticate
from tests.api.conftest import Account


@contextmanager
def statements(http: TestClient) -> Iterator[list[str]]:
    engine = http.app.state.runtime.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_proving_an_access_token_reads_the_user_once(http: TestClient, alice: Account) -> None:
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    with statements(http) as seen:
        caller = authenticate(runtime, alice.tokens["access_token"])
    assert caller.user_id == alice.user_id
    assert sum(statement.lstrip().startswith("SELECT users.") for statement in seen) == 1, seen
    assert len(seen) <= 5, seen  # BEGIN, the signing key, the user, the login, whether accounts exist


def test_a_read_through_the_api_proves_the_token_once(http: TestClient, alice: Account) -> None:
    assert alice.post("/api/v1/habits", json={"name": "Read"}).status_code == 201
    with statements(http) as seen:
        assert alice.get("/api/v1/habits").status_code == 200
    assert sum("FROM signing_keys" in statement for statement in seen) == 1, seen


def test_a_read_with_a_token_proved_before_is_one_transaction(http: TestClient, alice: Account) -> None:
    # The token's check (whether anything revoked it) runs in the route's own read transaction, before its data.
    assert alice.post("/api/v1/habits", json={"name": "Read"}).status_code == 201
    assert alice.get("/api/v1/habits").status_code == 200  # the token is proved by now
    engine = http.app.state.runtime.engine  # type: ignore[attr-defined]
    begun: list[object] = []

    def began(connection: object) -> None:
        begun.append(connection)

    event.listen(engine, "begin", began)
    try:
        with statements(http) as seen:
            answer = alice.get("/api/v1/habits")
    finally:
        event.remove(engine, "begin", began)
    assert answer.status_code == 200 and [habit["name"] for habit in answer.json()] == ["Read"]
    assert len(begun) == 1, seen
    assert sum("FROM users" in statement for statement in seen) == 1, seen  # the check, in that one transaction
