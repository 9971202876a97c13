"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), in process (ASGI, no
network), as a signed-in user with data: no request, however odd, gets a 5xx; every answer's status is documented,
its content type is the documented one and its body matches the documented schema.

Bounded and derandomized: a few examples per operation, the same ones every run, so that the module takes well
under a minute on a loaded machine. A failure prints the request to replay (`curl`-like) with its seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from paa.api.app import PREFIX, ServerOptions, create_app
from paa.clock import FixedClock
from tests.api.conftest import PASSWORD, Account, register
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.runtime import runtime_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 6


# The voice route takes a WAV recording, which schemathesis cannot make from the schema: real short ones (silence, a
# click, a file cut off in its header) and random bytes.
def _wav(frames: bytes, rate: int = 16_000) -> bytes:
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


RECORDINGS = [_wav(bytes(3200)), _wav(b"\xff\x7f\x00\x80" * 400, 8_000), _wav(bytes(3200))[:30], _wav(b"")]
schemathesis.openapi.media_type("audio/wav", st.one_of(st.sampled_from(RECORDINGS), st.binary(max_size=4096)))
# Requests that end the fuzzing caller's login (or may revoke its token): it logs in again after them.
ENDS_LOGIN = {("POST", f"{PREFIX}/auth/logout"), ("DELETE", f"{PREFIX}/auth/tokens/{{token_id}}")}


def _seed(client: TestClient) -> Account:
    """Alice with two habits and their logs, a check-in, a reminder, a memory and a chat: ids 1 and 2 exist."""
    alice = register(client, "alice")
    for body in ({"name": "Drink water", "unit": "glasses", "target": 8}, {"name": "Run", "days": "mon,wed,fri"}):
        assert alice.post(f"{PREFIX}/habits", json=body).status_code == 201
    assert alice.post(f"{PREFIX}/habits/1/log", json={"value": 3, "date": "yesterday"}).status_code == 200
    assert alice.post(f"{PREFIX}/habits/2/skip", json={"date": "monday"}).status_code == 200
    assert alice.post(f"{PREFIX}/checkins/daily", json={"mood": 4, "answers": ["fine"]}).status_code == 201
    assert alice.post(f"{PREFIX}/reminders", json={"text": "Call mom", "at": "sunday 18:00"}).status_code == 201
    assert alice.post(f"{PREFIX}/memory", json={"text": "I'm training for a half marathon"}).status_code == 201
    assert alice.post(f"{PREFIX}/chat/message", json={"message": "hello"}).status_code == 200
    register(client, "bob")  # someone else's account exists, so a wrong id can be another user's
    return alice


class Caller:
    """The fuzzing user's bearer header, renewed by logging in again when a request ended the login.

    The renewal comes from an address of its own: the fuzzer's wrong passwords slow down logins from its address
    (as they should), and alice's own login must not wait for them.
    """

    def __init__(self, app: FastAPI, account: Account) -> None:
        self.client = TestClient(app, client=("198.51.100.7", 50000))
        self.token = account.tokens["access_token"]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def renew(self) -> None:
        answer = self.client.post(f"{PREFIX}/auth/login", json={"username": "alice", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]


@pytest.fixture
def fuzzed(clock: FixedClock, fake_anthropic: FakeAnthropic) -> Iterator[tuple[FastAPI, Caller]]:
    """The real app on a real SQLite file with seeded data; the chat answers through the fake Anthropic server."""
    fake_anthropic.responder = lambda _request: reply("Noted.")
    # The fuzzer sends far more requests than a person: rate limits would only turn them into 429s.
    options = ServerOptions(rate_per_minute=1_000_000, rate_burst=1_000_000)
    with runtime_for(clock=clock, serves_callers=True) as runtime:
        app = create_app(runtime, options)
        with TestClient(app) as client:
            yield app, Caller(app, _seed(client))


@pytest.fixture
def api_schema(fuzzed: tuple[FastAPI, Caller]) -> Any:
    app, _ = fuzzed
    # The coverage phase (every boundary of every parameter, and unexpected methods) would take minutes here; the
    # schema's examples and the generated requests, valid and invalid, remain.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
    return schemathesis.openapi.from_asgi(f"{PREFIX}/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_keeps_its_documented_contract(case: Any, fuzzed: tuple[FastAPI, Caller]) -> None:
    _, caller = fuzzed
    response = case.call_and_validate(headers=caller.headers(), checks=CHECKS)
    if (case.method.upper(), case.path) in ENDS_LOGIN or response.status_code == 401:
        caller.renew()
