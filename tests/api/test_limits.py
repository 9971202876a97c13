"""Rate limits (a token bucket per user, per address before logging in), the login slowdown as 429, body limits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.api.limits import MemoryBuckets
from paa.clock import FixedClock
from tests.api.conftest import PASSWORD, Account, register
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@contextmanager
def serving(clock: FixedClock, **options: Any) -> Iterator[TestClient]:
    """The real app on a server runtime, with these options, its security clock stopped at the test's instant."""
    with (
        runtime_for(clock=clock, serves_callers=True, security_clock=FixedClock(FIXED_NOW)) as runtime,
        TestClient(create_app(runtime, ServerOptions(**options))) as client,
    ):
        yield client


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def test_a_caller_past_the_burst_gets_429_with_retry_after_until_the_bucket_refills(
    clock: FixedClock, ticks: Ticks
) -> None:
    with serving(clock, rate_per_minute=60, rate_burst=3, rate_clock=ticks) as http:
        alice = register(http, "alice")  # one request from the address, none from alice yet
        answers = [alice.get("/api/v1/habits").status_code for _ in range(3)]
        refused = alice.get("/api/v1/habits")
        assert answers == [200, 200, 200]
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] == "1"  # one token a second at 60 a minute
        assert refused.json()["type"] == "/problems/too-many-requests"
        assert 'route="<rate-limited>",status="429"} 1.0' in http.get("/metrics").text
        ticks.seconds += 0.5
        assert alice.get("/api/v1/habits").status_code == 429  # half a token is not a request
        ticks.seconds += 0.5
        assert alice.get("/api/v1/habits").status_code == 200
        assert alice.get("/api/v1/habits").status_code == 429


def test_the_wait_says_how_long_the_next_token_takes(clock: FixedClock, ticks: Ticks) -> None:
    with serving(clock, rate_per_minute=6, rate_burst=1, rate_clock=ticks) as http:
        alice = register(http, "alice")
        assert alice.get("/api/v1/habits").status_code == 200
        assert alice.get("/api/v1/habits").headers["retry-after"] == "10"
        ticks.seconds += 7.5
        assert alice.get("/api/v1/habits").headers["retry-after"] == "3"  # 2.5 s, rounded up


def test_each_user_has_a_bucket_whichever_token_they_use(clock: FixedClock, ticks: Ticks) -> None:
    with serving(clock, rate_per_minute=60, rate_burst=2, rate_clock=ticks) as http:
        alice = register(http, "alice")
        ticks.seconds += 10  # the address's bucket fills again for the next registration
        bob = register(http, "bob")
        login = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).json()
        second = {"Authorization": f"Bearer {login['access_token']}"}
        assert alice.get("/api/v1/habits").status_code == 200
        assert http.get("/api/v1/habits", headers=second).status_code == 200
        assert alice.get("/api/v1/habits").status_code == 429  # both tokens drew on alice's bucket
        assert http.get("/api/v1/habits", headers=second).status_code == 429
        assert bob.get("/api/v1/habits").status_code == 200  # bob's is his own


def test_requests_without_a_valid_token_are_counted_per_address(clock: FixedClock, ticks: Ticks) -> None:
    with serving(clock, rate_per_minute=60, rate_burst=2, rate_clock=ticks) as http:
        forged = {"Authorization": "Bearer not-a-real-token"}
        assert http.get("/api/v1/habits", headers=forged).status_code == 401
        assert http.get("/api/v1/habits").status_code == 401
        assert http.get("/api/v1/habits", headers=forged).status_code == 429


def test_health_checks_and_metrics_are_never_limited(clock: FixedClock, ticks: Ticks) -> None:
    with serving(clock, rate_per_minute=1, rate_burst=1, rate_clock=ticks) as http:
        statuses = {http.get(path).status_code for path in ("/healthz", "/readyz", "/metrics") * 3}
        assert statuses == {200}
        assert http.get("/api/v1/openapi.json").status_code == 200
        assert http.get("/api/v1/openapi.json").status_code == 429


def test_the_browser_apps_files_are_free_but_a_miss_under_app_is_counted(clock: FixedClock, ticks: Ticks) -> None:
    # A first visit and the service worker fetch every file at once, so they cost nothing; a name that is not one
    # of them is a probe, and probing must spend the address's bucket like any other request.
    with serving(clock, rate_per_minute=60, rate_burst=2, rate_clock=ticks) as http:
        assert {http.get(path).status_code for path in ("/", "/sw.js", "/app/app.js", "/app/style.css") * 3} == {200}
        misses = [http.get(f"/app/guess-{n}.js") for n in range(3)]
        assert [answer.status_code for answer in misses] == [404, 404, 429]
        assert misses[2].headers["retry-after"] == "1" and misses[2].json()["type"] == "/problems/too-many-requests"
        assert http.get("/api/v1/habits").status_code == 429  # the same address's bucket
        assert http.get("/app/app.js").status_code == 200  # the files themselves stay free
        assert 'route="<rate-limited>",status="429"} 2.0' in http.get("/metrics").text
        ticks.seconds += 1
        assert http.get("/app/guess-again.js").status_code == 404


def test_memory_buckets_forget_full_buckets_to_stay_bounded() -> None:
    buckets = MemoryBuckets(max_keys=4)
    for number in range(4):
        assert buckets.take_now(f"address:{number}", 0.0, 1.0, 2) == 0.0
    assert buckets.take_now("address:new", 10.0, 1.0, 2) == 0.0  # the four old ones are full again: forgotten
    assert buckets.take_now("address:new", 10.0, 1.0, 2) == 0.0
    assert buckets.take_now("address:new", 10.0, 1.0, 2) == 1.0
    assert len(buckets._buckets) == 1


def test_a_throttled_login_is_429_with_retry_after(clock: FixedClock) -> None:
    with serving(clock) as http:
        register(http, "alice")
        wrong = {"username": "alice", "password": "not the password"}
        failures = [http.post("/api/v1/auth/login", json=wrong) for _ in range(3)]
        assert [answer.status_code for answer in failures] == [401, 401, 401]
        assert "wait 1 s" in failures[-1].json()["hint"]  # the third failure starts the slowdown
        refused = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["detail"] == "too many failed logins"
    assert "www-authenticate" not in refused.headers


def test_a_body_over_the_limit_is_413_from_its_content_length(alice_small: Account) -> None:
    answer = alice_small.post("/api/v1/habits", json={"name": "Run", "description": "x" * 5000})
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "the request body is larger than 2048 bytes"
    assert alice_small.get("/api/v1/habits").json() == []  # nothing was created


def test_a_streamed_body_over_the_limit_is_413_without_a_content_length(alice_small: Account) -> None:
    chunks = [b'{"name": "Run", "description": "', *([b"x" * 512] * 8), b'"}']
    answer = alice_small.post("/api/v1/habits", content=iter(chunks), headers={"Content-Type": "application/json"})
    assert "content-length" not in answer.request.headers  # chunked: only counting while reading catches it
    assert answer.status_code == 413
    assert answer.json()["type"] == "/problems/request-too-large"
    assert alice_small.get("/api/v1/habits").json() == []


def test_a_body_under_the_limit_passes(alice_small: Account) -> None:
    chunks = [b'{"name": "Run"', b"}"]
    answer = alice_small.post("/api/v1/habits", content=iter(chunks), headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text


@pytest.fixture
def alice_small(clock: FixedClock) -> Iterator[Account]:
    """Alice on a server that accepts bodies of at most 2 KiB."""
    with serving(clock, max_body_bytes=2048) as http:
        yield register(http, "alice")


def test_the_limits_come_from_the_settings_and_reach_every_worker() -> None:
    from paa.api.main import OPTIONS_VARIABLE, options_from_environ, options_to_environ
    from paa.config import Settings

    settings = Settings(server_rate_per_minute=30, server_rate_burst=5, server_max_body_bytes=4096,
                        server_cors_origins="https://a.example")  # fmt: skip
    options = ServerOptions.from_settings(settings, cors_origins=("https://b.example",), workers=2)
    assert (options.rate_per_minute, options.rate_burst, options.max_body_bytes) == (30, 5, 4096)
    assert options.cors_origins == ("https://a.example", "https://b.example")  # --cors-origin adds to the setting
    passed = options_from_environ({OPTIONS_VARIABLE: options_to_environ(options)})
    assert (passed.rate_per_minute, passed.rate_burst, passed.max_body_bytes, passed.workers) == (30, 5, 4096, 2)
    assert passed.cors_origins == options.cors_origins


class RefusingStore:
    """A shared store's stand-in: records the keys asked for and refuses after the first of each."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def take(self, key: str, now: float, rate: float, burst: int) -> float:
        self.keys.append(key)
        return 0.0 if self.keys.count(key) == 1 else 2.5


def test_the_buckets_may_live_in_another_store(clock: FixedClock) -> None:
    store = RefusingStore()
    with serving(clock, rate_store=store) as http:
        alice = register(http, "alice")
        assert alice.get("/api/v1/habits").status_code == 200
        refused = alice.get("/api/v1/habits")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "3"
    assert store.keys == ["address:testclient", f"user:{alice.user_id}", f"user:{alice.user_id}"]
