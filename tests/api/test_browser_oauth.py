"""The browser app's GitHub/Google sign-in (`/api/v1/auth/browser/oauth/...`): the device flow against the fake
provider on 127.0.0.1, the device code kept in an HttpOnly cookie, the login in the refresh cookie as /login's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.api.routes.browser import COOKIE, OAUTH_COOKIE
from paa.clock import FixedClock
from tests.support.fake_oauth import DEVICE_CODE, FakeOAuth, serve
from tests.support.runtime import runtime_for

CSRF = {"X-PAA-CSRF": "1"}
START = "/api/v1/auth/browser/oauth/start"
POLL = "/api/v1/auth/browser/oauth/poll"
GITHUB = {"provider": "github"}


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOAuth]:
    """The fake standing in for GitHub, as the server reaches it, and paa's client id for it."""
    with serve() as fake:
        monkeypatch.setenv("PAA_OAUTH_GITHUB_CLIENT_ID", "paa-test-client")
        monkeypatch.setattr("paa.api.routes.browser.provider_http", fake.transport)
        yield fake


def _client(clock: FixedClock) -> Iterator[TestClient]:
    options = ServerOptions(rate_per_minute=1_000_000, rate_burst=1_000_000)
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime, options)) as client:
        yield client


@pytest.fixture
def browser(github: FakeOAuth, clock: FixedClock) -> Iterator[TestClient]:
    yield from _client(clock)


def test_only_configured_providers_are_offered(browser: TestClient) -> None:
    assert browser.get("/api/v1/auth/browser/providers").json() == [{"name": "github", "title": "GitHub"}]
    refused = browser.post(START, json={"provider": "google"}, headers=CSRF)
    assert refused.status_code == 404, refused.text


def test_nothing_is_offered_without_a_client_id(clock: FixedClock) -> None:
    for client in _client(clock):
        assert client.get("/api/v1/auth/browser/providers").json() == []


def test_the_device_flow_signs_the_browser_in_once_approved(browser: TestClient, github: FakeOAuth) -> None:
    github.token_script = ["authorization_pending", "slow_down", "ok"]
    started = browser.post(START, json=GITHUB, headers=CSRF)
    assert started.status_code == 200, started.text
    shown = started.json()
    assert (shown["user_code"], shown["interval"]) == ("WDJB-MJHT", 1)
    assert DEVICE_CODE not in started.text  # the device code stays in the HttpOnly cookie, never the page
    assert "HttpOnly" in started.headers["set-cookie"] and OAUTH_COOKIE in started.headers["set-cookie"]

    first = browser.post(POLL, json={"interval": 1}, headers=CSRF)
    assert (first.status_code, first.json()) == (202, {"state": "pending", "interval": 1})
    slower = browser.post(POLL, json={"interval": 1}, headers=CSRF)
    assert slower.json() == {"state": "pending", "interval": 6}  # slow_down adds 5 seconds
    done = browser.post(POLL, json={"interval": 6}, headers=CSRF)
    assert done.status_code == 200, done.text
    assert set(done.json()) == {"access_token", "token_type", "expires_in"}
    assert browser.cookies.get(COOKIE, path="/api/v1/auth/browser") is not None
    assert browser.cookies.get(OAUTH_COOKIE, path="/api/v1/auth/browser") is None  # spent
    me = browser.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {done.json()['access_token']}"})
    assert me.json()["user"]["username"] == "octo-alice"
    # The cookie's login is a browser login like a password's, and refresh spends it.
    assert browser.post("/api/v1/auth/browser/refresh", headers=CSRF).status_code == 200
    again = browser.post(POLL, json={"interval": 1}, headers=CSRF)
    assert again.status_code == 401  # no device login waits any more


def test_a_declined_code_is_one_line_and_a_cross_site_start_is_refused(browser: TestClient, github: FakeOAuth) -> None:
    github.token_script = ["access_denied"]
    assert browser.post(START, json=GITHUB).status_code == 403  # no CSRF header
    assert browser.post(START, json=GITHUB, headers={**CSRF, "Origin": "https://evil.example"}).status_code == 403
    assert browser.post(POLL, json={"interval": 1}, headers=CSRF).status_code == 401  # nothing started
    browser.post(START, json=GITHUB, headers=CSRF)
    declined = browser.post(POLL, json={"interval": 1}, headers=CSRF)
    assert declined.status_code == 401
    assert declined.json()["detail"] == "the GitHub sign-in was declined"
