"""Security headers on every response, HSTS over TLS only, and the CORS allow-list (none by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.clock import FixedClock
from tests.api.conftest import Account, register
from tests.support.runtime import runtime_for

ALLOWED = "https://paa.example.org"
OTHER = "https://evil.example"


@contextmanager
def serving(clock: FixedClock, options: ServerOptions | None = None, **client: str) -> Iterator[TestClient]:
    with (
        runtime_for(clock=clock, serves_callers=True) as runtime,
        TestClient(create_app(runtime, options), **client) as http,  # type: ignore[arg-type]
    ):
        yield http


@pytest.fixture
def cors_http(clock: FixedClock) -> Iterator[TestClient]:
    with serving(clock, ServerOptions(cors_origins=(ALLOWED,))) as http:
        yield http


def assert_protected(headers: dict[str, str]) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("method", "path", "status", "caching"),
    [
        ("GET", "/api/v1/habits", 200, "private, no-cache"),  # an ETag read: kept, but asked about every time
        ("POST", "/api/v1/habits", 422, "no-store"),
        ("GET", "/api/v1/habits/999999", 404, "no-store"),
        ("GET", "/api/v1/nowhere", 404, "no-store"),
        ("GET", "/api/v1/auth/whoami", 200, "no-store"),
        ("GET", "/healthz", 200, "no-store"),
        ("DELETE", "/healthz", 405, "no-store"),
    ],
)
def test_every_response_carries_the_security_headers(
    http: TestClient, alice: Account, method: str, path: str, status: int, caching: str
) -> None:
    answer = http.request(method, path, headers=alice.headers, json={})
    assert answer.status_code == status
    assert_protected(dict(answer.headers))
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == caching
    assert "strict-transport-security" not in answer.headers  # plain http: HSTS would be ignored, and wrong


def test_answers_that_carry_tokens_are_never_stored(http: TestClient) -> None:
    answer = http.post("/api/v1/auth/register", json={"username": "carol", "password": "correct horse battery"})
    assert answer.status_code == 201
    assert answer.headers["cache-control"] == "no-store"


def test_the_html_docs_page_keeps_its_own_policy(http: TestClient) -> None:
    answer = http.get("/api/v1/docs")
    assert answer.status_code == 200
    assert_protected(dict(answer.headers))
    assert "content-security-policy" not in answer.headers  # its scripts come from a CDN; JSON gets the strict one


def test_over_tls_responses_ask_for_https_from_now_on(clock: FixedClock) -> None:
    with serving(clock, base_url="https://testserver") as http:
        answer = http.get("/healthz")
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
    assert_protected(dict(answer.headers))


def test_no_origin_is_allowed_by_default(http: TestClient) -> None:
    preflight = http.options("/api/v1/habits", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 403
    assert preflight.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-origin" not in preflight.headers


def test_a_preflight_from_an_allowed_origin_is_answered(cors_http: TestClient) -> None:
    preflight = cors_http.options(
        "/api/v1/habits",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers
    assert_protected(dict(preflight.headers))


@pytest.mark.parametrize(
    ("origin", "method", "asked"),
    [
        (OTHER, "GET", ""),
        ("https://paa.example.org.evil.example", "GET", ""),
        ("http://paa.example.org", "GET", ""),  # another scheme is another origin
        (ALLOWED, "TRACE", ""),
        (ALLOWED, "GET", "X-Custom"),
    ],
)
def test_other_preflights_are_refused(cors_http: TestClient, origin: str, method: str, asked: str) -> None:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if asked:
        headers["Access-Control-Request-Headers"] = asked
    preflight = cors_http.options("/api/v1/habits", headers=headers)
    assert preflight.status_code == 403
    assert preflight.json()["type"] == "/problems/cors-refused"
    assert "access-control-allow-origin" not in preflight.headers


def test_a_request_from_an_allowed_origin_may_be_read_by_the_page(cors_http: TestClient) -> None:
    alice = register(cors_http, "alice")
    answer = alice.get("/api/v1/habits", headers={"Origin": ALLOWED})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "ETag" in answer.headers["access-control-expose-headers"]
    assert "Origin" in answer.headers["vary"]
    other = alice.get("/api/v1/habits", headers={"Origin": OTHER})
    assert other.status_code == 200  # the server answers; the browser keeps it from the other page
    assert "access-control-allow-origin" not in other.headers


def test_origins_come_from_the_settings(clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_SERVER_CORS_ORIGINS", "https://A.example/, http://localhost:5173")
    with serving(clock) as http:
        allowed = http.options(
            "/healthz", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
        )
        local = http.options(
            "/healthz", headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"}
        )
    assert (allowed.status_code, local.status_code) == (204, 204)
    assert http.app.state.options.cors_origins == ("https://a.example", "http://localhost:5173")  # type: ignore[attr-defined]
