"""Issue #15, protection: logins over HTTP are slowed per address as well as per account. One address guessing
across many names (each with few tries, so no account's own count trips) is made to wait; the right password from
there waits too, while the same account from another address logs in. (The per-account slowdown as 429 is in
tests/api/test_limits.py.)"""

from __future__ import annotations

from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.clock import FixedClock
from paa.core.accounts.throttle import FREE_SOURCE_FAILURES
from tests.api.conftest import PASSWORD, register
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for


def test_one_address_guessing_across_names_is_made_to_wait(clock: FixedClock) -> None:
    options = ServerOptions(rate_per_minute=1_000_000, rate_burst=1_000_000)  # the token buckets are not tested here
    with runtime_for(clock=clock, serves_callers=True, security_clock=FixedClock(FIXED_NOW)) as runtime:
        app = create_app(runtime, options)
        with (
            TestClient(app, client=("203.0.113.7", 40000)) as guesser,
            TestClient(app, client=("198.51.100.2", 40000)) as elsewhere,
        ):
            register(guesser, "alice")
            answers = [
                guesser.post("/api/v1/auth/login", json={"username": f"user{n}", "password": "guess-1234"})
                for n in range(FREE_SOURCE_FAILURES)
            ]
            blocked = guesser.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
            other = elsewhere.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert {answer.status_code for answer in answers} == {401}
    assert blocked.status_code == 429, blocked.text
    assert int(blocked.headers["retry-after"]) >= 1
    assert blocked.headers["content-type"] == "application/problem+json"
    assert other.status_code == 200, other.text  # another address is not held back by this one's guesses
    assert other.json()["access_token"]
