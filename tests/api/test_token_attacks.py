"""Attacks on bearer tokens over HTTP, through the real app: forged, tampered, expired and misdirected access tokens,
a replayed refresh token, tokens of a login or account that has ended, a token in the URL, and a read-only API token
trying to write. Each is a 401 (403 for a scope) that says nothing about the data, and changes nothing.

The tokens' lifetimes run on the security clock (never PAA_NOW): the app's runtime gets a fixed one here, moved
by the test.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from paa.api.app import create_app
from paa.clock import FixedClock
from paa.core.accounts import tokens
from paa.db.models import SigningKey
from tests.api.conftest import PASSWORD, Account, register
from tests.support.runtime import runtime_for


@pytest.fixture
def http(clock: FixedClock, security_clock: FixedClock) -> Iterator[TestClient]:
    """The app on a server runtime whose security clock the test holds."""
    with (
        runtime_for(clock=clock, serves_callers=True, security_clock=security_clock) as runtime,
        TestClient(create_app(runtime)) as client,
    ):
        yield client


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A token's header, claims (unverified) and signature."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.get_unverified_header(token), claims, token.rsplit(".", 1)[1]


def _refused(http: TestClient, token: str, url: str = "/api/v1/habits") -> Any:
    answer = http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    return answer.json()


def _signing_key(http: TestClient) -> tuple[str, bytes]:
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    with Session(runtime.engine) as session:
        key = session.exec(select(SigningKey)).first()
        assert key is not None
        return key.kid, base64.urlsafe_b64decode(key.secret + "=" * (-len(key.secret) % 4))


def test_alg_none_is_refused(http: TestClient, alice: Account) -> None:
    header, claims, _ = _parts(alice.tokens["access_token"])
    unsigned = f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}."
    assert "algorithm" in _refused(http, unsigned)["detail"]
    _refused(http, unsigned.rstrip("."))  # two parts: not even a JWT
    assert alice.get("/api/v1/habits").status_code == 200


def test_a_tampered_token_is_refused(http: TestClient, alice: Account, bob: Account) -> None:
    header, claims, signature = _parts(alice.tokens["access_token"])
    as_bob = f"{_b64(header)}.{_b64({**claims, 'sub': str(bob.user_id)})}.{signature}"
    assert "signature" in _refused(http, as_bob)["detail"]
    flipped = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    _refused(http, f"{_b64(header)}.{_b64(claims)}.{flipped}")
    longer = f"{_b64(header)}.{_b64({**claims, 'exp': claims['exp'] + 86_400})}.{signature}"
    _refused(http, longer)


def test_an_expired_token_is_refused(http: TestClient, alice: Account, security_clock: FixedClock) -> None:
    security_clock.advance(tokens.ACCESS_TTL - timedelta(minutes=1))
    assert alice.get("/api/v1/habits").status_code == 200
    security_clock.advance(timedelta(minutes=2) + tokens.LEEWAY)
    assert "expired" in _refused(http, alice.tokens["access_token"])["detail"]
    fresh = http.post("/api/v1/auth/refresh", json={"refresh_token": alice.tokens["refresh_token"]})
    assert fresh.status_code == 200, fresh.text
    assert http.get("/api/v1/habits", headers={"Authorization": f"Bearer {fresh.json()['access_token']}"}).is_success


def test_a_token_for_another_audience_or_issuer_is_refused(http: TestClient, alice: Account) -> None:
    kid, secret = _signing_key(http)
    _, claims, _ = _parts(alice.tokens["access_token"])
    for changed, word in (({"aud": "another-service"}, "audience"), ({"iss": "someone-else"}, "issuer")):
        forged = jwt.encode({**claims, **changed}, secret, algorithm="HS256", headers={"kid": kid})
        assert word in _refused(http, forged)["detail"]
    control = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})
    assert http.get("/api/v1/habits", headers={"Authorization": f"Bearer {control}"}).is_success


def test_a_reused_refresh_token_revokes_its_whole_login(http: TestClient, alice: Account) -> None:
    stolen = alice.tokens
    first = http.post("/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert first.status_code == 200, first.text
    mine = first.json()
    other_login = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).json()

    replay = http.post("/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]

    next_refresh = http.post("/api/v1/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert next_refresh.status_code == 401
    assert "revoked" in _refused(http, mine["access_token"])["detail"]
    _refused(http, stolen["access_token"])
    # another login of the same person is another family: it goes on working
    assert http.get("/api/v1/habits", headers={"Authorization": f"Bearer {other_login['access_token']}"}).is_success


def test_a_logged_out_login_is_refused(http: TestClient, alice: Account) -> None:
    assert alice.post("/api/v1/auth/logout").status_code == 204
    assert "revoked" in _refused(http, alice.tokens["access_token"])["detail"]
    gone = http.post("/api/v1/auth/refresh", json={"refresh_token": alice.tokens["refresh_token"]})
    assert gone.status_code == 401


def test_a_disabled_accounts_tokens_are_refused(http: TestClient) -> None:
    from paa.api.caller import authenticate
    from paa.core.accounts.admin import set_active

    root = register(http, "root")  # the first account is the admin
    alice = register(http, "alice")
    api_token = alice.post("/api/v1/auth/tokens", json={"name": "phone", "scope": "read,write"}).json()["token"]
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    admin = authenticate(runtime, root.tokens["access_token"])
    with runtime.auth(write=True, acting=admin.acting) as actx:
        set_active(actx, "alice", False)

    _refused(http, alice.tokens["access_token"])
    _refused(http, api_token)
    refresh = http.post("/api/v1/auth/refresh", json={"refresh_token": alice.tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 401
    assert root.get("/api/v1/habits").is_success


def test_a_revoked_api_token_is_refused(http: TestClient, alice: Account) -> None:
    made = alice.post("/api/v1/auth/tokens", json={"name": "phone", "scope": "read,write"}).json()
    assert http.get("/api/v1/habits", headers={"Authorization": f"Bearer {made['token']}"}).is_success
    assert alice.delete(f"/api/v1/auth/tokens/{made['id']}").status_code == 204
    assert "revoked" in _refused(http, made["token"])["detail"]


def test_an_expired_api_token_is_refused(http: TestClient, alice: Account, security_clock: FixedClock) -> None:
    made = alice.post("/api/v1/auth/tokens", json={"name": "phone", "days": 1}).json()
    security_clock.advance(timedelta(days=1, seconds=1))
    assert "expired" in _refused(http, made["token"])["detail"]


def test_a_token_in_the_url_is_not_read(http: TestClient, alice: Account) -> None:
    answer = http.get("/api/v1/habits", params={"access_token": alice.tokens["access_token"]})
    assert answer.status_code == 401


def test_a_read_only_api_token_cannot_write(http: TestClient, alice: Account) -> None:
    habit = alice.post("/api/v1/habits", json={"name": "Run"}).json()
    token = alice.post("/api/v1/auth/tokens", json={"name": "dashboard", "scope": "read"}).json()
    reader = {"Authorization": f"Bearer {token['token']}"}
    assert http.get("/api/v1/habits", headers=reader).is_success
    assert http.get("/api/v1/users/me", headers=reader).is_success
    for method, url, body in (
        ("POST", "/api/v1/habits", {"name": "Walk"}),
        ("POST", f"/api/v1/habits/{habit['id']}/log", {}),
        ("DELETE", f"/api/v1/habits/{habit['id']}", None),
        ("PATCH", "/api/v1/users/me", {"display_name": "Mallory"}),
        ("PATCH", "/api/v1/users/me/preferences", {"week_start": "sunday"}),
        ("POST", "/api/v1/checkins/daily", {"mood": 3, "answers": ["x"]}),
        ("POST", "/api/v1/reminders", {"text": "x", "in": "1h"}),
        ("POST", "/api/v1/memory", {"text": "x"}),
        ("POST", "/api/v1/auth/tokens", {"name": "wider", "scope": "read,write"}),
        ("DELETE", f"/api/v1/auth/tokens/{token['id']}", None),
    ):
        answer = http.request(method, url, json=body, headers=reader)
        assert answer.status_code == 403, f"{method} {url}: {answer.status_code} {answer.text}"
    assert [item["name"] for item in alice.get("/api/v1/habits").json()] == ["Run"]
    assert alice.get(f"/api/v1/habits/{habit['id']}/history").json()["logs"] == []
    assert alice.get("/api/v1/users/me").json()["display_name"] is None
    assert [item["name"] for item in alice.get("/api/v1/auth/tokens").json()] == ["dashboard"]


def test_a_write_api_token_cannot_end_its_owners_logins(http: TestClient, alice: Account) -> None:
    # A leaked read,write token must not sign its owner out everywhere (and so keep them from revoking it): ending a
    # login takes a login, as making a token does.
    token = alice.post("/api/v1/auth/tokens", json={"name": "script", "scope": "read,write"}).json()
    writer = {"Authorization": f"Bearer {token['token']}"}
    [login] = alice.get("/api/v1/auth/sessions").json()
    answer = http.delete(f"/api/v1/auth/sessions/{login['id']}", headers=writer)
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"] == "an API token cannot end logins"
    assert [item["id"] for item in alice.get("/api/v1/auth/sessions").json()] == [login["id"]]  # still valid
    assert alice.get("/api/v1/habits").is_success
    assert http.post("/api/v1/auth/tokens", json={"name": "x"}, headers=writer).status_code == 403
    assert alice.delete(f"/api/v1/auth/sessions/{login['id']}").status_code == 204  # the login itself may


def test_a_write_api_token_cannot_revoke_its_owners_other_tokens_only_itself(http: TestClient, alice: Account) -> None:
    # A leaked read,write token must not take its owner's other tokens away (their scripts would stop working):
    # revoking another token takes a login, as making one does. Revoking itself stays open, so whoever holds a
    # token can end its own leak.
    script = alice.post("/api/v1/auth/tokens", json={"name": "script", "scope": "read,write"}).json()
    phone = alice.post("/api/v1/auth/tokens", json={"name": "phone", "scope": "read,write"}).json()
    writer = {"Authorization": f"Bearer {script['token']}"}
    answer = http.delete(f"/api/v1/auth/tokens/{phone['id']}", headers=writer)
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"] == "an API token cannot revoke other API tokens"
    assert http.get("/api/v1/habits", headers={"Authorization": f"Bearer {phone['token']}"}).is_success
    assert http.delete("/api/v1/auth/tokens/999999", headers=writer).status_code == 403  # nothing learnt of ids
    assert http.delete(f"/api/v1/auth/tokens/{script['id']}", headers=writer).status_code == 204
    assert "revoked" in _refused(http, script["token"])["detail"]
    assert alice.delete(f"/api/v1/auth/tokens/{phone['id']}").status_code == 204  # the login itself may
    assert "revoked" in _refused(http, phone["token"])["detail"]
