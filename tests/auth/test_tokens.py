"""JWT access tokens and rotating refresh tokens: every way a token must be refused, and key rotation."""

from __future__ import annotations

import base64
import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlmodel import select

from paa.clock import FixedClock
from paa.core.accounts import tokens
from paa.core.accounts.auth import AuthContext
from paa.core.accounts.registration import register
from paa.core.accounts.sessions import api_login
from paa.db.models import SigningKey, User
from paa.errors import AuthError
from tests.support.accounts import ALICE_PASSWORD
from tests.support.runtime import open_auth

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def auth(clock: FixedClock):
    """`with auth() as actx:`: one committed transaction at the test's clock (for habit days and security both)."""

    def opener() -> AbstractContextManager[AuthContext]:
        return open_auth(write=True, clock=clock, security_clock=clock)

    with opener() as actx:
        register(actx, "alice", ALICE_PASSWORD)
    return opener


def _pair(auth) -> tokens.TokenPair:
    with auth() as actx:
        return api_login(actx, "alice", ALICE_PASSWORD, source="test")


def _verify(auth, token: str) -> tokens.Claims:
    with auth() as actx:
        return tokens.verify_access_token(actx.session, token, actx.now())


def _refused(auth, token: str, reason: str) -> None:
    with pytest.raises(AuthError) as refused:
        _verify(auth, token)
    assert reason in refused.value.message
    assert token not in refused.value.message


def _segments(token: str) -> tuple[dict, dict, str]:
    head, body, signature = token.split(".")

    def load(part: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    return load(head), load(body), signature


def _encode(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


def _signed(auth, claims: dict, **header: str) -> str:
    """A token signed with paa's real current key, with the claims given."""
    with auth() as actx:
        key = tokens.current_signing_key(actx.session, actx.now())
        return jwt.encode(claims, tokens._key_bytes(key), algorithm="HS256", headers={"kid": key.kid, **header})


def test_a_fresh_access_token_is_accepted(auth) -> None:
    pair = _pair(auth)
    claims = _verify(auth, pair.access_token)
    assert claims.role == "admin" and claims.expires_at == T0 + timedelta(minutes=15)
    header, body, _ = _segments(pair.access_token)
    assert header["alg"] == "HS256" and header["kid"]
    assert {"iss", "aud", "sub", "iat", "exp", "jti", "sid"} <= set(body)
    assert pair.access_token not in repr(pair) and pair.refresh_token not in repr(pair)


def test_an_expired_token_is_refused(auth, clock: FixedClock) -> None:
    pair = _pair(auth)
    clock.advance(timedelta(minutes=14))
    _verify(auth, pair.access_token)
    clock.advance(timedelta(minutes=2))
    _refused(auth, pair.access_token, "expired")


def test_alg_none_is_refused(auth) -> None:
    header, body, _ = _segments(_pair(auth).access_token)
    unsigned = f"{_encode({**header, 'alg': 'none'})}.{_encode(body)}."
    _refused(auth, unsigned, "algorithm 'none' is not accepted")


def test_another_algorithm_is_refused_even_with_the_right_key(auth) -> None:
    _, body, _ = _segments(_pair(auth).access_token)
    with auth() as actx:
        key = tokens.current_signing_key(actx.session, actx.now())
        other = jwt.encode(body, tokens._key_bytes(key), algorithm="HS512", headers={"kid": key.kid})
    _refused(auth, other, "algorithm 'HS512' is not accepted")


def test_a_tampered_token_is_refused(auth) -> None:
    header, body, signature = _segments(_pair(auth).access_token)
    with auth() as actx:
        bob = User(username="bob", role="member", created_at=T0)
        actx.session.add(bob)
        actx.session.flush()
        bob_id = bob.id
    forged = f"{_encode(header)}.{_encode({**body, 'sub': str(bob_id)})}.{signature}"
    _refused(auth, forged, "signature does not match")


def test_wrong_audience_issuer_and_missing_claims_are_refused(auth) -> None:
    _, body, _ = _segments(_pair(auth).access_token)
    _refused(auth, _signed(auth, {**body, "aud": "someone-else"}), "another audience")
    _refused(auth, _signed(auth, {**body, "iss": "not-paa"}), "another issuer")
    for claim in ("exp", "sid", "aud"):
        _refused(auth, _signed(auth, {k: v for k, v in body.items() if k != claim}), f"the {claim} claim is missing")
    _refused(auth, _signed(auth, {**body, "iat": body["iat"] + 3600}), "issued in the future")
    _refused(auth, _signed(auth, body, kid="no-such-key"), "unknown key")
    _refused(auth, "not.a.token", "cannot be read")


def test_a_disabled_user_token_is_refused(auth) -> None:
    pair = _pair(auth)
    with auth() as actx:
        actx.session.exec(select(User).where(User.username == "alice")).one().is_active = False
    _refused(auth, pair.access_token, "disabled")


def test_refresh_rotates_and_reuse_revokes_the_family(auth, clock: FixedClock) -> None:
    first = _pair(auth)
    clock.advance(timedelta(minutes=1))
    with auth() as actx:
        second = tokens.refresh_tokens(actx.session, first.refresh_token, actx.now())
    assert second.refresh_token != first.refresh_token
    _verify(auth, second.access_token)
    with auth() as actx, pytest.raises(AuthError, match="already used"):
        tokens.refresh_tokens(actx.session, first.refresh_token, actx.now())  # replayed: stolen, or a bug
    with auth() as actx, pytest.raises(AuthError, match="already used"):
        tokens.refresh_tokens(actx.session, second.refresh_token, actx.now())  # the thief's newer one is dead too
    _refused(auth, second.access_token, "login was revoked")
    with auth() as actx, pytest.raises(AuthError, match="not valid"):
        tokens.refresh_tokens(actx.session, "paa_r_made-up", actx.now())


def test_an_expired_refresh_token_is_refused(auth, clock: FixedClock) -> None:
    pair = _pair(auth)
    clock.advance(timedelta(days=31))
    with auth() as actx, pytest.raises(AuthError, match="expired"):
        tokens.refresh_tokens(actx.session, pair.refresh_token, actx.now())


def test_rotated_key_works_during_the_grace_period_then_is_refused(auth, clock: FixedClock) -> None:
    old = _pair(auth)
    clock.advance(timedelta(minutes=1))
    with auth() as actx:
        new_key = tokens.rotate_signing_key(actx.session, actx.now(), grace=timedelta(minutes=5))
    fresh = _pair(auth)
    assert _segments(fresh.access_token)[0]["kid"] == new_key.kid != _segments(old.access_token)[0]["kid"]
    clock.advance(timedelta(minutes=4))
    _verify(auth, old.access_token)  # within the grace period
    _verify(auth, fresh.access_token)
    clock.advance(timedelta(minutes=2))
    _refused(auth, old.access_token, "retired key")  # not expired yet (15 min), but its key is past its grace
    _verify(auth, fresh.access_token)
    with auth() as actx:
        tokens.rotate_signing_key(actx.session, actx.now())
        kids = {key.kid for key in actx.session.exec(select(SigningKey)).all()}
    assert _segments(old.access_token)[0]["kid"] not in kids  # keys past their grace are dropped


def test_rotate_keys_command_is_for_admins(cli, stdin) -> None:
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0
    stdin("plum-violin-harbour-77\n")
    assert cli("auth", "register", "bob", "--password-stdin").code == 0
    assert cli("--user", "bob", "auth", "rotate-keys").code == 9
    done = cli("--user", "alice", "auth", "rotate-keys", "--grace", "30")
    assert done.code == 0 and "accepted for 30 more minutes" in done.out
