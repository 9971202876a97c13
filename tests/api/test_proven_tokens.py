"""A bearer token proved once is remembered (`paa.core.accounts.bearer.ProvenTokens`), and yet every revocation holds
at the very next request, made from anywhere: here a second runtime on the same database stands for another process
(the CLI, another worker), which the app hears nothing from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, select

from paa.api.caller import authenticate
from paa.core.accounts import tokens
from paa.core.accounts.bearer import ProvenTokens
from paa.db.models import UserAuth
from paa.errors import AuthError
from tests.api.conftest import Account, register
from tests.support.runtime import runtime_for


@contextmanager
def elsewhere() -> Iterator[Session]:
    """A transaction on the same database through another runtime (its own engine and connections), committed."""
    with runtime_for() as other, Session(other.engine) as session:
        yield session
        session.commit()


def _refused(http: TestClient, token: str) -> str:
    answer = http.get("/api/v1/habits", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, answer.text
    return str(answer.json()["detail"])


def _statements(http: TestClient, token: str) -> list[str]:
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", note)
    try:
        authenticate(runtime, token)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", note)
    return seen


def test_a_proved_token_costs_one_statement_and_no_signing_key(http: TestClient, alice: Account) -> None:
    api_token = alice.post("/api/v1/auth/tokens", json={"name": "phone", "scope": "read"}).json()["token"]
    for token in (alice.tokens["access_token"], api_token):
        assert http.get("/api/v1/habits", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        again = [statement for statement in _statements(http, token) if statement != "BEGIN"]
        assert len(again) == 1, again
        assert "signing_keys.secret" not in again[0]  # the key is neither read nor unsealed again


def test_a_login_ended_elsewhere_is_refused_at_the_next_request(http: TestClient, alice: Account) -> None:
    assert alice.get("/api/v1/habits").status_code == 200
    with elsewhere() as session:
        family = session.exec(
            select(UserAuth.family).where(UserAuth.user_id == alice.user_id, UserAuth.kind == tokens.REFRESH_KIND)
        ).first()
        assert family is not None
        assert tokens.revoke_family(session, family, datetime.now(UTC)) >= 1
    assert "revoked" in _refused(http, alice.tokens["access_token"])


def test_an_api_token_revoked_elsewhere_is_refused_at_the_next_request(http: TestClient, alice: Account) -> None:
    made = alice.post("/api/v1/auth/tokens", json={"name": "phone", "scope": "read"}).json()
    assert http.get("/api/v1/habits", headers={"Authorization": f"Bearer {made['token']}"}).status_code == 200
    with elsewhere() as session:
        row = session.get(UserAuth, made["id"])
        assert row is not None
        row.revoked_at = datetime.now(UTC)
        session.add(row)
    assert "revoked" in _refused(http, made["token"])


def test_a_signing_key_dropped_without_grace_elsewhere_refuses_its_tokens(http: TestClient, alice: Account) -> None:
    assert alice.get("/api/v1/habits").status_code == 200
    with elsewhere() as session:
        tokens.rotate_signing_key(session, datetime.now(UTC) - timedelta(seconds=1), grace=timedelta(0))
    assert "unknown key" in _refused(http, alice.tokens["access_token"])  # it was past its grace, so dropped
    fresh = register(http, "carol")  # signed with the new key
    assert fresh.get("/api/v1/habits").status_code == 200


def test_the_caller_carries_the_user_as_stored_now(http: TestClient, alice: Account) -> None:
    assert alice.get("/api/v1/users/me").json()["display_name"] != "Alice B."
    from paa.core.accounts.profile import update_profile

    with runtime_for() as other:
        acting = authenticate(other, alice.tokens["access_token"]).acting
        with other.auth(write=True, acting=acting) as actx:
            update_profile(actx, display_name="Alice B.")
    assert alice.get("/api/v1/users/me").json()["display_name"] == "Alice B."


def test_the_memory_of_proofs_stays_bounded(http: TestClient) -> None:
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    proofs = ProvenTokens(max_entries=4)
    accounts = [register(http, f"user{n}") for n in range(6)]
    with Session(runtime.engine) as session:
        now = datetime.now(UTC)
        for account in accounts:
            assert proofs.caller(session, account.tokens["access_token"], now).user_id == account.user_id
            assert len(proofs) <= 4
        # a forgotten proof is made again in full: every token still proves its own user
        for account in accounts:
            assert proofs.caller(session, account.tokens["access_token"], now).user_id == account.user_id
        later = now + tokens.ACCESS_TTL + tokens.LEEWAY + timedelta(seconds=1)
        with pytest.raises(AuthError, match="expired"):
            proofs.caller(session, accounts[-1].tokens["access_token"], later)


@pytest.mark.sqlite_only  # on PostgreSQL every check is a network round trip: it stays in the thread pool
def test_a_token_is_proved_in_the_thread_pool_and_then_checked_on_the_event_loop(http: TestClient) -> None:
    import asyncio
    import threading

    from paa.api.caller import prove

    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    token = register(http, "dave").tokens["access_token"]  # registered, never used: not proved yet
    threads: list[int] = []

    def note(*_args: object) -> None:
        threads.append(threading.get_ident())

    event.listen(runtime.engine, "before_cursor_execute", note)
    try:
        loop_thread = asyncio.run(_prove_and_tell(prove, runtime, token))
        assert threads and loop_thread not in threads  # a first proof (several reads) goes to the thread pool
        threads.clear()
        loop_thread = asyncio.run(_prove_and_tell(prove, runtime, token))
        assert set(threads) == {loop_thread}  # then one read of a local file: no trip to a thread and back
    finally:
        event.remove(runtime.engine, "before_cursor_execute", note)


async def _prove_and_tell(prove: Any, runtime: Any, token: str) -> int:
    """Prove `token` with `prove` and say which thread the event loop ran on."""
    import threading

    await prove(runtime, token)
    return threading.get_ident()
