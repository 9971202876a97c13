"""The real FastAPI app on a real SQLite file, driven in process by Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.clock import FixedClock
from tests.support.runtime import runtime_for

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    """A user registered through the API, and a client that sends their access token."""

    username: str
    user_id: int
    tokens: dict[str, Any]
    http: TestClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.http.get(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.http.post(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.http.patch(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.http.put(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.http.delete(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)


@pytest.fixture
def http(clock: FixedClock) -> Iterator[TestClient]:
    """A client of the app, on a server runtime (it acts only as the callers it proves)."""
    # Rate limits off (tests/api/test_limits.py tests them): a test may send far more than a person would.
    options = ServerOptions(rate_per_minute=1_000_000, rate_burst=1_000_000)
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime, options)) as client:
        yield client


def register(http: TestClient, username: str) -> Account:
    answer = http.post("/api/v1/auth/register", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return Account(username, body["user"]["id"], body, http)


@pytest.fixture
def alice(http: TestClient) -> Account:
    return register(http, "alice")


@pytest.fixture
def bob(http: TestClient, alice: Account) -> Account:
    return register(http, "bob")
