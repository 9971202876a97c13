"""Attacks with the clock (PAA_NOW) and on the login slowdown: neither moves a security decision, nor locks anyone out.

PAA_NOW fixes the clock of habit days and reminders. The slowdown, session and token lifetimes and key rotation
read the Runtime's security clock: the system clock, which only a test replaces (through the constructor).
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paa.clock import FixedClock, SystemClock
from paa.core.accounts.registration import register
from paa.core.accounts.sessions import authenticate
from paa.errors import AuthError
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD
from tests.support.clock import FIXED_NOW
from tests.support.runtime import inject, open_auth, runtime_for

FAR_FUTURE = "2099-01-01T00:00:00+00:00"
WRONG = "not-the-password-at-all"


def _register(cli, stdin, name: str, password: str) -> None:
    stdin(password + "\n")
    assert cli("auth", "register", name, "--password-stdin").code == 0


def _login(cli, stdin, name: str, password: str):
    stdin(password + "\n")
    return cli("auth", "login", name, "--password-stdin")


def _session_expiry(home: Path) -> datetime:
    with sqlite3.connect(home / "paa.db") as conn:
        raw = conn.execute("SELECT expires_at FROM user_auth WHERE kind = 'session' ORDER BY id DESC").fetchone()[0]
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def test_paa_now_never_reaches_the_security_clock() -> None:
    with runtime_for({**os.environ, "PAA_NOW": FAR_FUTURE}, security_clock=None) as runtime:
        assert runtime.clock.now().year == 2099  # habit days may be scripted...
        assert isinstance(runtime.security_clock, SystemClock)  # ...security decisions never are
        with runtime.auth() as actx:
            assert actx.secure_now().year < 2099 and actx.now().year == 2099


def test_a_login_under_a_future_paa_now_is_not_valid_until_then(cli, stdin, monkeypatch, paa_home: Path) -> None:
    inject(monkeypatch, security_clock=None)  # the real clock, as when paa runs
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    monkeypatch.setenv("PAA_NOW", FAR_FUTURE)
    assert _login(cli, stdin, "alice", ALICE_PASSWORD).code == 0
    expires = _session_expiry(paa_home)
    assert expires - datetime.now(UTC) <= timedelta(days=30, minutes=1)  # 30 days from today, not from 2099


def test_a_future_session_ends_on_the_real_clock_whatever_paa_now_says(cli, stdin, monkeypatch, security_clock) -> None:
    monkeypatch.setenv("PAA_NOW", FAR_FUTURE)
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())  # the attacker goes back to today's date...
    security_clock.advance(timedelta(days=31))  # ...but the session was for 30 real days
    done = cli("habit", "list")
    assert done.code == 8 and "expired" in done.err


def test_stepping_paa_now_does_not_skip_the_slowdown(cli, stdin, monkeypatch) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    for _ in range(4):
        _login(cli, stdin, "alice", WRONG)
    assert "too many failed logins" in _login(cli, stdin, "alice", WRONG).err
    monkeypatch.setenv("PAA_NOW", FAR_FUTURE)  # once, this jumped past the wait
    assert "too many failed logins" in _login(cli, stdin, "alice", WRONG).err


def test_failures_under_a_future_paa_now_lock_nobody_out_for_years(cli, stdin, monkeypatch, security_clock) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    monkeypatch.setenv("PAA_NOW", FAR_FUTURE)
    for _ in range(5):
        _login(cli, stdin, "alice", WRONG)
    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())
    security_clock.advance(timedelta(minutes=16))  # the longest wait is 15 minutes, on the real clock
    assert _login(cli, stdin, "alice", ALICE_PASSWORD).code == 0


def test_failures_from_one_os_user_do_not_lock_the_account_for_another(cli, stdin, monkeypatch) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    alice_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: alice_uid + 1)  # bob, another OS user, guesses alice's password
    for _ in range(12):
        _login(cli, stdin, "alice", WRONG)
    assert "too many failed logins" in _login(cli, stdin, "alice", ALICE_PASSWORD).err  # he is slowed down...
    monkeypatch.setattr(os, "getuid", lambda: alice_uid)
    done = _login(cli, stdin, "alice", ALICE_PASSWORD)  # ...alice is not
    assert done.code == 0, done.err


def _auth(clock: FixedClock):
    return open_auth(write=True, clock=clock, security_clock=clock)


def test_one_source_cannot_lock_out_an_account_from_another_source() -> None:
    clock = FixedClock(FIXED_NOW)
    with _auth(clock) as actx:
        register(actx, "alice", ALICE_PASSWORD)
    for _ in range(20):
        try:
            with _auth(clock) as actx:
                authenticate(actx, "alice", WRONG, source="api:203.0.113.9")
        except AuthError:
            pass
        clock.advance(timedelta(seconds=1))
    with pytest.raises(AuthError, match="too many failed logins"), _auth(clock) as actx:
        authenticate(actx, "alice", ALICE_PASSWORD, source="api:203.0.113.9")
    with _auth(clock) as actx:
        assert authenticate(actx, "alice", ALICE_PASSWORD, source="api:198.51.100.7").username == "alice"


def test_a_source_spraying_many_names_is_slowed_down_for_every_name() -> None:
    clock = FixedClock(FIXED_NOW)
    with _auth(clock) as actx:
        register(actx, "alice", ALICE_PASSWORD)
        register(actx, "bob", BOB_PASSWORD)
    for number in range(9):  # one guess per name: no (name, source) pair reaches its limit
        with pytest.raises(AuthError, match="wrong user name"), _auth(clock) as actx:
            authenticate(actx, f"user{number}", WRONG, source="api:203.0.113.9")
    with pytest.raises(AuthError, match="wrong user name"), _auth(clock) as actx:
        authenticate(actx, "carol", WRONG, source="api:203.0.113.9")  # the 10th failure sets the source's wait
    with pytest.raises(AuthError, match="too many failed logins"), _auth(clock) as actx:
        authenticate(actx, "dave", WRONG, source="api:203.0.113.9")
    with pytest.raises(AuthError, match="too many failed logins"), _auth(clock) as actx:
        authenticate(actx, "bob", BOB_PASSWORD, source="api:203.0.113.9")  # his own account resets nothing
    with _auth(clock) as actx:
        assert authenticate(actx, "alice", ALICE_PASSWORD, source="api:198.51.100.7").username == "alice"


def test_whoami_shows_a_session_expiry_from_the_real_clock(cli, stdin, monkeypatch) -> None:
    inject(monkeypatch, security_clock=None)
    monkeypatch.setenv("PAA_NOW", FAR_FUTURE)
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    me = json.loads(cli("auth", "whoami", "--json").out)
    assert not me["session"]["expires_at"].startswith("2099")
