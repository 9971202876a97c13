"""Attacks on password hashing: weakening stored hashes through PAA_ARGON2, and telling real names by timing.

Timing is checked by counting argon2 operations, never with a stopwatch: a login must cost the same number of
hash computations whether the name exists or not.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from paa.clock import FixedClock
from paa.core.accounts import passwords
from paa.core.accounts.passwords import DEFAULT_PARAMS, HashParams, params_from
from paa.core.accounts.registration import register
from paa.core.accounts.sessions import authenticate
from paa.db.models import User
from paa.errors import AuthError, ConfigError
from tests.support.accounts import ALICE_PASSWORD
from tests.support.clock import FIXED_NOW
from tests.support.runtime import TEST_HASHING, inject, open_auth


def _stored_hash(home: Path) -> str:
    with sqlite3.connect(home / "paa.db") as conn:
        return conn.execute("SELECT secret_hash FROM user_auth WHERE kind = 'password'").fetchone()[0]


@pytest.mark.parametrize("weak", ["t=1,m=64,p=1", "t=1", "m=32768", "t=2,m=65536,p=4"])
def test_paa_argon2_cannot_lower_the_cost(weak: str) -> None:
    with pytest.raises(ConfigError, match="can only raise"):
        params_from({"PAA_ARGON2": weak})


def test_paa_argon2_may_raise_the_cost() -> None:
    assert params_from({"PAA_ARGON2": "t=4,m=131072"}) == HashParams(4, 131072, DEFAULT_PARAMS.parallelism)


def test_a_weak_paa_argon2_stores_no_hash(cli, stdin, monkeypatch, paa_home: Path) -> None:
    inject(monkeypatch, hash_params=None)  # as paa runs: the cost comes from the defaults and PAA_ARGON2
    monkeypatch.setenv("PAA_ARGON2", "t=1,m=64,p=1")
    stdin(ALICE_PASSWORD + "\n")
    done = cli("auth", "register", "alice", "--password-stdin")
    assert done.code == 7 and "can only raise the hashing cost" in done.err
    if (paa_home / "paa.db").exists():
        with sqlite3.connect(paa_home / "paa.db") as conn:
            assert conn.execute("SELECT count(*) FROM user_auth").fetchone()[0] == 0


def test_a_weak_stored_hash_is_raised_to_the_defaults_at_the_next_login(cli, stdin, monkeypatch, paa_home) -> None:
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0  # hashed cheaply, as an old paa let it
    assert "$m=64,t=1,p=1$" in _stored_hash(paa_home)
    inject(monkeypatch, hash_params=None)
    monkeypatch.delenv("PAA_ARGON2", raising=False)
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "login", "alice", "--password-stdin").code == 0
    assert "$m=65536,t=3,p=4$" in _stored_hash(paa_home)


class ArgonCount:
    """How many argon2 hashes a login computed: verifications and new hashes."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def total(self) -> Counter[str]:
        calls, self.calls = self.calls, Counter()
        return calls


@pytest.fixture
def argon(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArgonCount]:
    """Count the argon2 work of each login; the dummy hash is forgotten first, as in a new process."""
    from argon2 import PasswordHasher

    count = ArgonCount()
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def verify(self, hashed, password):  # type: ignore[no-untyped-def]
        count.calls["verify"] += 1
        return real_verify(self, hashed, password)

    def hash_(self, password, *, salt=None):  # type: ignore[no-untyped-def]
        count.calls["hash"] += 1
        return real_hash(self, password, salt=salt)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    monkeypatch.setattr(PasswordHasher, "hash", hash_)
    passwords.dummy_hash.cache_clear()
    yield count
    passwords.dummy_hash.cache_clear()


def _try(clock: FixedClock, name: str, password: str) -> None:
    refused = pytest.raises(AuthError, match="wrong user name or password")
    with refused, open_auth(write=True, clock=clock, security_clock=clock) as actx:
        authenticate(actx, name, password, source=f"test:{name}")


def test_an_unknown_name_costs_what_a_wrong_password_costs(argon: ArgonCount) -> None:
    clock = FixedClock(FIXED_NOW)
    with open_auth(write=True, clock=clock, security_clock=clock) as actx:
        register(actx, "alice", ALICE_PASSWORD)
        actx.session.add(User(username="oauthonly", role="member", created_at=FIXED_NOW))  # no password at all
    argon.total()
    _try(clock, "mallory", ALICE_PASSWORD)  # the first unknown name of a process once hashed the dummy, too
    unknown = argon.total()
    _try(clock, "alice", "not her password")
    wrong = argon.total()
    _try(clock, "oauthonly", "whatever it is")
    passwordless = argon.total()
    _try(clock, "x" * 500, "a name too long to be real")
    malformed = argon.total()
    assert unknown == wrong == passwordless == malformed == Counter(verify=1)


def test_the_dummy_hash_costs_a_full_verification_at_the_current_parameters() -> None:
    for params in (TEST_HASHING, DEFAULT_PARAMS):
        dummy = passwords.dummy_hash(params)
        assert f"$m={params.memory_cost},t={params.time_cost},p={params.parallelism}$" in dummy
    assert passwords.verify_password(passwords.dummy_hash(TEST_HASHING), "", TEST_HASHING) is False
    assert passwords.needs_rehash(passwords.dummy_hash(TEST_HASHING), TEST_HASHING) is False  # a well-formed hash
