"""Attacks on the API's tokens: a replayed refresh token, and validly signed tokens with claims of the wrong type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest

from paa.clock import FixedClock
from paa.core.accounts import tokens
from paa.core.accounts.registration import register
from paa.core.accounts.sessions import api_login
from paa.core.runtime import Runtime
from paa.errors import AuthError
from tests.support.accounts import ALICE_PASSWORD
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for


@pytest.fixture
def server() -> Iterator[Runtime]:
    """What one API worker holds: a runtime whose every request is one auth transaction (committed unless it fails)."""
    clock = FixedClock(FIXED_NOW)
    runtime = runtime_for(clock=clock, security_clock=clock)
    with runtime.auth(write=True) as actx:
        register(actx, "alice", ALICE_PASSWORD)
    yield runtime
    runtime.close()


def _login(server: Runtime) -> tokens.TokenPair:
    with server.auth(write=True) as actx:
        return api_login(actx, "alice", ALICE_PASSWORD, source="api:198.51.100.7")


def _refresh(server: Runtime, refresh_token: str) -> tokens.TokenPair:
    with server.auth(write=True) as actx:  # the request fails when this raises: nothing after it commits
        return tokens.refresh_tokens(actx.session, refresh_token, actx.secure_now())


def _verify(server: Runtime, access_token: str) -> tokens.Claims:
    with server.auth() as actx:
        return tokens.verify_access_token(actx.session, access_token, actx.secure_now())


def test_a_replayed_refresh_token_revokes_the_login_although_the_request_fails(server: Runtime) -> None:
    stolen = _login(server)
    mine = _refresh(server, stolen.refresh_token)  # the owner refreshes; the thief kept the old pair
    with pytest.raises(AuthError, match="already used"):
        _refresh(server, stolen.refresh_token)  # the thief replays it: the request fails...
    with pytest.raises(AuthError, match="login was revoked"):
        _verify(server, mine.access_token)  # ...and the revocation held: every token of that login is dead
    with pytest.raises(AuthError):
        _refresh(server, mine.refresh_token)


def _forged(server: Runtime, **claims: object) -> str:
    """A token signed with paa's real key (as a bug or a leaked key would make), with some claims replaced."""
    pair = _login(server)
    body = jwt.decode(pair.access_token, options={"verify_signature": False})
    with server.auth(write=True) as actx:
        key = tokens.current_signing_key(actx.session, actx.secure_now())
        return jwt.encode({**body, **claims}, tokens._key_bytes(key), algorithm="HS256", headers={"kid": key.kid})


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": "4102444800"},  # a string: int() once read it as a date in 2100
        {"exp": True},
        {"iat": "0"},
        {"iat": False},
        {"exp": [4102444800]},
        {"sub": True},
    ],
    ids=["exp-string", "exp-bool", "iat-string", "iat-bool", "exp-list", "sub-bool"],
)
def test_a_signed_token_with_a_claim_of_the_wrong_type_is_refused(server: Runtime, claims: dict[str, object]) -> None:
    with pytest.raises(AuthError, match="not valid"):
        _verify(server, _forged(server, **claims))


def test_numeric_dates_are_still_accepted(server: Runtime) -> None:
    now = int(FIXED_NOW.timestamp())
    claims = _verify(server, _forged(server, iat=now - 0.5, exp=now + 60.25))  # RFC 7519 allows fractions
    assert claims.expires_at - FIXED_NOW == timedelta(seconds=60.25)
