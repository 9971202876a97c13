"""The browser app's login (`/api/v1/auth/browser/...`): the refresh token only in an HttpOnly SameSite=Strict cookie,
every route refusing a request that may come from another site, and the page served under its own CSP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.routes.browser import COOKIE, COOKIE_PATH
from paa.api.security_headers import APP_POLICY, DATA_POLICY
from tests.api.conftest import PASSWORD, Account

LOGIN = "/api/v1/auth/browser/login"
REFRESH = "/api/v1/auth/browser/refresh"
LOGOUT = "/api/v1/auth/browser/logout"
CSRF = {"X-PAA-CSRF": "1"}
CREDENTIALS = {"username": "alice", "password": PASSWORD}


def browser_login(http: TestClient) -> Any:
    answer = http.post(LOGIN, json=CREDENTIALS, headers=CSRF)
    assert answer.status_code == 200, answer.text
    return answer


def holding(http: TestClient, cookie: str) -> None:
    """The browser holds this cookie (an old one, say) and no other."""
    http.cookies.clear()
    http.cookies.set(COOKIE, cookie, path=COOKIE_PATH)


def whoami(http: TestClient, access_token: str) -> int:
    return http.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {access_token}"}).status_code


def test_login_sets_an_httponly_strict_cookie_and_answers_the_access_token_only(
    http: TestClient, alice: Account
) -> None:
    answer = browser_login(http)
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # the refresh token never reaches the page
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=paa_r_")
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "SameSite=strict" in set_cookie and f"Path={COOKIE_PATH}" in set_cookie
    assert "secure" not in attributes  # plain http (the test client): a Secure cookie would never come back
    assert whoami(http, body["access_token"]) == 200


def test_over_tls_the_cookie_is_secure(http: TestClient, alice: Account) -> None:
    answer = http.post("https://testserver" + LOGIN, json=CREDENTIALS, headers=CSRF)
    assert answer.status_code == 200, answer.text
    assert "; Secure" in answer.headers["set-cookie"] or "; secure" in answer.headers["set-cookie"]


def test_refresh_spends_the_cookie_for_a_new_access_token_and_a_new_cookie(http: TestClient, alice: Account) -> None:
    browser_login(http)
    first = http.cookies[COOKIE]
    renewed = http.post(REFRESH, headers=CSRF)
    assert renewed.status_code == 200, renewed.text
    assert http.cookies[COOKIE] != first
    assert whoami(http, renewed.json()["access_token"]) == 200

    # The old cookie again is a replay: core's reuse detection ends the whole login, the new cookie included.
    holding(http, first)
    replayed = http.post(REFRESH, headers=CSRF)
    assert replayed.status_code == 401
    assert whoami(http, renewed.json()["access_token"]) == 401


def test_refresh_without_a_cookie_is_a_401(http: TestClient, alice: Account) -> None:
    answer = http.post(REFRESH, headers=CSRF)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "this browser is not signed in"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a form or an image on another site: it cannot add the header
        {"X-PAA-CSRF": "yes"},
        {**CSRF, "Origin": "https://evil.example"},
        {**CSRF, "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["no-header", "wrong-value", "other-origin", "cross-site-fetch"],
)
def test_a_cross_site_request_cannot_spend_or_end_the_cookies_login(
    http: TestClient, alice: Account, headers: dict[str, str]
) -> None:
    access = browser_login(http).json()["access_token"]
    cookie = http.cookies[COOKIE]
    for url in (REFRESH, LOGOUT):
        refused = http.post(url, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"] == "/problems/csrf-refused"
        assert "set-cookie" not in refused.headers
    assert http.cookies[COOKIE] == cookie and whoami(http, access) == 200  # nothing was spent or ended
    assert http.post(REFRESH, headers=CSRF).status_code == 200  # the same cookie still works from the page


def test_a_cross_site_login_is_refused_without_a_cookie(http: TestClient, alice: Account) -> None:
    refused = http.post(LOGIN, json=CREDENTIALS, headers={"Origin": "https://evil.example", **CSRF})
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    assert http.post(LOGIN, json=CREDENTIALS).status_code == 403  # nor without the header


def test_the_page_own_origin_passes_behind_a_tls_proxy_too(http: TestClient, alice: Account) -> None:
    for origin in ("http://testserver", "https://testserver"):  # a proxy ending TLS: the server hears http
        answer = http.post(LOGIN, json=CREDENTIALS, headers={**CSRF, "Origin": origin})
        assert answer.status_code == 200, answer.text
    assert http.post(LOGIN, json=CREDENTIALS, headers={**CSRF, "Origin": "https://testserver.evil"}).status_code == 403


def test_the_cookie_alone_reaches_no_data(http: TestClient, alice: Account) -> None:
    browser_login(http)
    assert COOKIE in http.cookies
    for path in ("/api/v1/habits", "/api/v1/auth/whoami", "/api/v1/checkins/history"):
        assert http.get(path).status_code == 401, (
            path
        )  # the cookie is sent (its path allows) or not: no bearer, no data
    assert http.post("/api/v1/habits", json={"name": "planted"}).status_code == 401


def test_a_wrong_password_sets_no_cookie(http: TestClient, alice: Account) -> None:
    answer = http.post(LOGIN, json={"username": "alice", "password": "wrong"}, headers=CSRF)
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers


def test_logout_ends_the_login_and_removes_the_cookie(http: TestClient, alice: Account) -> None:
    access = browser_login(http).json()["access_token"]
    cookie = http.cookies[COOKIE]
    answer = http.post(LOGOUT, headers=CSRF)
    assert answer.status_code == 204
    assert f"{COOKIE}=" in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
    assert COOKIE not in http.cookies
    assert whoami(http, access) == 401
    holding(http, cookie)
    assert http.post(REFRESH, headers=CSRF).status_code == 401
    assert alice.get("/api/v1/auth/whoami").status_code == 200  # her other logins go on


def test_the_app_is_served_under_its_own_policy_and_data_keeps_the_strict_one(http: TestClient, alice: Account) -> None:
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == APP_POLICY
    assert '<script type="module" src="/app/app.js">' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    script = http.get("/app/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "no-cache"  # kept, but checked on every load (ETag)
    assert http.get("/app/app.js", headers={"If-None-Match": script.headers["etag"]}).status_code == 304
    assert alice.get("/api/v1/habits").headers["content-security-policy"] == DATA_POLICY
    assert http.get("/api/v1/docs").headers.get("content-security-policy") != APP_POLICY
    assert http.get("/app/../routes/browser.py").status_code == 404  # nothing outside the assets folder


def test_every_asset_the_page_names_is_served(http: TestClient) -> None:
    import re

    from paa.web import ASSETS

    page = http.get("/").text
    named = re.findall(r'(?:src|href)="(/app/[^"]+)"', page)
    for path in ASSETS.glob("*.js"):
        named += [f"/app/{found}" for found in re.findall(r'from "\./([^"]+)"', path.read_text(encoding="utf-8"))]
    assert "/app/style.css" in named and "/app/today.js" in named
    for url in set(named):
        assert http.get(url).status_code == 200, url


def test_the_apps_files_are_one_route_in_the_metrics(http: TestClient) -> None:
    for path in ("/app/app.js", "/app/style.css", "/app/missing.js"):
        http.get(path)
    metrics = http.get("/metrics").text
    assert 'paa_http_requests_total{method="GET",route="/app/{path}",status="200"} 2.0' in metrics
    assert 'paa_http_requests_total{method="GET",route="/app/{path}",status="404"} 1.0' in metrics
