"""Accounts through the CLI: the local user, register, login, logout, --user, passwd, sessions, users, slowdown."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD


def _register(cli, stdin, name: str, password: str, email: str | None = None):
    stdin(password + "\n")
    args = ["auth", "register", name, "--password-stdin"]
    if email:
        args += ["--email", email]
    return cli(*args)


def _login(cli, stdin, name: str, password: str):
    stdin(password + "\n")
    return cli("auth", "login", name, "--password-stdin")


def _whoami(cli, *root: str) -> dict:
    done = cli(*root, "auth", "whoami", "--json")
    assert done.code == 0, done.err
    return json.loads(done.out)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_alone_on_a_laptop_nothing_is_asked(cli) -> None:
    assert cli("habit", "add", "Run").code == 0
    me = _whoami(cli)
    assert me["via"] == "local" and me["authenticated"] is False and me["session"] is None
    assert me["user"]["username"] == "local" and me["user"]["has_password"] is False


def test_register_logs_in_and_the_first_account_is_admin(cli, stdin, paa_home: Path) -> None:
    done = _register(cli, stdin, "Alice", ALICE_PASSWORD, "Alice@Example.org")
    assert done.code == 0, done.err
    assert "Registered and logged in as alice. You are an admin." in done.out
    me = _whoami(cli)
    assert me["via"] == "session" and me["authenticated"] is True
    assert me["user"]["email"] == "alice@example.org" and me["user"]["role"] == "admin"
    assert me["session"]["current"] is True and me["session"]["kind"] == "session"
    assert ALICE_PASSWORD not in done.out + done.err

    done = _register(cli, stdin, "bob", BOB_PASSWORD)
    assert done.code == 0, done.err and "admin" not in done.out
    assert _whoami(cli)["user"]["role"] == "member"  # bob is current now
    assert _whoami(cli, "--user", "alice")["user"]["username"] == "alice"  # alice's session is kept
    assert os.environ.get("PAA_USER") is None  # --user lasts for one run only


@pytest.mark.sqlite_only  # reads the SQLite file
def test_files_are_private(cli, stdin, paa_home: Path) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    stdin("sk-ant-test-key\n")
    assert cli("auth", "key", "set", "anthropic").code == 0
    assert _mode(paa_home) == 0o700
    for name in ("paa.db", "session.json", "secrets.json"):
        assert _mode(paa_home / name) == 0o600, name
    for extra in ("paa.db-wal", "paa.db-shm"):
        if (paa_home / extra).exists():
            assert _mode(paa_home / extra) == 0o600, extra
    token = json.loads((paa_home / "session.json").read_text())["tokens"]["alice"]
    assert token.startswith("paa_s_") and token not in (paa_home / "paa.db").read_bytes().decode("latin-1")


@pytest.mark.sqlite_only  # reads the SQLite file
def test_existing_files_with_wide_modes_are_narrowed(cli, paa_home: Path) -> None:
    assert cli("habit", "add", "Run").code == 0
    os.chmod(paa_home, 0o755)
    os.chmod(paa_home / "paa.db", 0o644)
    assert cli("habit", "list").code == 0
    assert _mode(paa_home) == 0o700 and _mode(paa_home / "paa.db") == 0o600


def test_with_accounts_nobody_acts_without_logging_in(cli, stdin) -> None:
    assert cli("habit", "add", "Local habit").code == 0
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    assert cli("auth", "logout").code == 0
    done = cli("habit", "list")
    assert done.code == 8 and "nobody is logged in" in done.err and "--user local" in done.err
    shared = cli("--user", "local", "habit", "list")  # the local profile has no password: usable by name
    assert shared.code == 0 and "Local habit" in shared.out
    refused = cli("--user", "alice", "habit", "list")
    assert refused.code == 8 and "log in first" in refused.err
    assert cli("--user", "nobody", "habit", "list").code == 4


def test_login_logout_and_a_wrong_password(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    assert cli("auth", "logout").code == 0
    wrong = _login(cli, stdin, "alice", "not the password")
    assert wrong.code == 8 and "wrong user name or password" in wrong.err
    assert "not the password" not in wrong.err
    unknown = _login(cli, stdin, "mallory", ALICE_PASSWORD)
    assert unknown.code == 8 and "wrong user name or password" in unknown.err  # the same words: no enumeration
    done = _login(cli, stdin, "ALICE", ALICE_PASSWORD)
    assert done.code == 0 and "Logged in as alice until 2026-12-26" in done.out
    assert _whoami(cli)["user"]["last_login"] == "2026-11-26T12:00:00+00:00"


def test_failed_logins_slow_down_exponentially(cli, stdin, security_clock) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    for _ in range(3):  # three free tries
        assert "wrong user name" in _login(cli, stdin, "alice", "nope nope nope").err
    fourth = _login(cli, stdin, "alice", "nope nope nope")
    assert fourth.code == 8 and "wait 1 s" in fourth.err
    blocked = _login(cli, stdin, "alice", ALICE_PASSWORD)  # even the right password waits, and is not checked
    assert blocked.code == 8 and "too many failed logins" in blocked.err
    security_clock.advance(timedelta(seconds=2))  # the slowdown runs on the real clock, which PAA_NOW cannot move
    fifth = _login(cli, stdin, "alice", "nope nope nope")
    assert "wait 2 s" in fifth.err
    security_clock.advance(timedelta(seconds=3))
    assert _login(cli, stdin, "alice", ALICE_PASSWORD).code == 0
    security_clock.advance(timedelta(seconds=1))
    assert "wrong user name" in _login(cli, stdin, "alice", "nope nope nope").err  # success cleared the count


def test_passwd_gives_the_local_user_a_password_and_makes_it_admin(cli, stdin) -> None:
    assert cli("habit", "add", "Run").code == 0
    stdin("tangerine-otter-bicycle\n")
    done = cli("auth", "passwd", "--password-stdin")
    assert done.code == 0, done.err
    assert "local now has a password, and is logged in. You are an admin." in done.out
    assert _whoami(cli)["via"] == "session"
    assert "Run" in cli("habit", "list").out  # the same data, now behind the password
    cli("auth", "logout")
    assert cli("habit", "list").code == 8
    assert _login(cli, stdin, "local", "tangerine-otter-bicycle").code == 0


def test_passwd_checks_the_current_password_and_ends_other_sessions(cli, stdin, make_ctx) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _login(cli, stdin, "alice", ALICE_PASSWORD)  # a second session
    stdin("wrong current\nfresh-lantern-meadow-42\n")
    assert cli("auth", "passwd", "--password-stdin").code == 8
    stdin(f"{ALICE_PASSWORD}\nshort\n")
    weak = cli("auth", "passwd", "--password-stdin")
    assert weak.code == 3 and "too short" in weak.err
    stdin(f"{ALICE_PASSWORD}\nfresh-lantern-meadow-42\n")
    assert cli("auth", "passwd", "--password-stdin").code == 0
    listed = json.loads(cli("auth", "sessions", "--json").out)
    assert [s["current"] for s in listed] == [True]  # the other session ended
    cli("auth", "logout")
    assert _login(cli, stdin, "alice", ALICE_PASSWORD).code == 8
    assert _login(cli, stdin, "alice", "fresh-lantern-meadow-42").code == 0


def test_sessions_and_revoke(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _register(cli, stdin, "bob", BOB_PASSWORD)
    _login(cli, stdin, "alice", ALICE_PASSWORD)
    mine = json.loads(cli("auth", "sessions", "--json").out)
    assert len(mine) == 2 and {s["username"] for s in mine} == {"alice"}
    older = next(s for s in mine if not s["current"])
    bobs = json.loads(cli("--user", "bob", "auth", "sessions", "--json").out)
    assert cli("--user", "bob", "auth", "revoke", str(older["id"])).code == 4  # not his to see
    assert cli("--user", "bob", "auth", "sessions", "--all").code == 9
    assert len(json.loads(cli("auth", "sessions", "--all", "--json").out)) == 3  # alice is admin
    assert cli("auth", "revoke", str(bobs[0]["id"])).code == 0  # an admin may end bob's session
    done = cli("--user", "bob", "habit", "list")
    assert done.code == 8 and "was ended" in done.err
    assert cli("auth", "revoke", "--others").code == 0
    assert [s["current"] for s in json.loads(cli("auth", "sessions", "--json").out)] == [True]


def test_users_admin_commands(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD, "alice@example.org")
    _register(cli, stdin, "bob", BOB_PASSWORD)
    listed = json.loads(cli("--user", "alice", "users", "list", "--json").out)
    assert [(u["username"], u["role"], u["has_password"]) for u in listed] == [
        ("local", "member", False),
        ("alice", "admin", True),
        ("bob", "member", True),
    ]  # fmt: skip  (the local user, admin while it was alone, is a member once an account can log in)
    for args in (("users", "list"), ("users", "role", "bob", "admin"), ("users", "disable", "alice", "--yes")):
        assert cli("--user", "bob", *args).code == 9, args
    assert cli("--user", "alice", "users", "role", "alice", "member").code == 9  # the last admin stays
    assert cli("--user", "alice", "users", "disable", "bob", "--yes").code == 0
    assert cli("--user", "bob", "habit", "list").code == 8  # disabled: the session ended
    assert _login(cli, stdin, "bob", BOB_PASSWORD).code == 8
    assert cli("--user", "alice", "users", "enable", "bob").code == 0
    assert _login(cli, stdin, "bob", BOB_PASSWORD).code == 0
    assert cli("--user", "alice", "users", "role", "bob", "admin").code == 0
    assert cli("--user", "alice", "users", "role", "bob", "owner").code == 3
    assert cli("--user", "alice", "users", "role", "alice", "member").code == 0  # bob is an admin now
    assert cli("--user", "alice", "users", "list").code == 9


def test_register_refuses_bad_and_taken_names(cli, stdin) -> None:
    assert _register(cli, stdin, "alice", ALICE_PASSWORD, "a@example.org").code == 0
    assert _register(cli, stdin, "Alice", BOB_PASSWORD).code == 5
    assert _register(cli, stdin, "ann", BOB_PASSWORD, "A@EXAMPLE.org").code == 5
    assert _register(cli, stdin, "local", BOB_PASSWORD).code == 3
    assert _register(cli, stdin, "x", BOB_PASSWORD).code == 3
    done = _register(cli, stdin, "zed", "password1234")
    assert done.code == 3 and "common" in done.err and "password1234" not in done.err


def test_login_needs_a_terminal_or_password_stdin(cli, stdin) -> None:
    stdin("")
    done = cli("auth", "login", "alice")
    assert done.code == 3 and "--password-stdin" in done.err


@pytest.mark.parametrize("args", [("auth", "whoami"), ("auth", "sessions"), ("users", "list")])
def test_human_output_works(cli, stdin, args: tuple[str, ...]) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD, "alice@example.org")
    done = cli(*args)
    assert done.code == 0, done.err
    assert "alice" in done.out


def test_the_chat_acts_as_the_logged_in_user_and_the_local_user_is_never_assumed(cli, stdin) -> None:
    from paa.core.accounts.rbac import is_guarded
    from paa.core.accounts.users import ensure_local_user
    from paa.errors import AuthError
    from tests.support.runtime import runtime_for

    _register(cli, stdin, "alice", ALICE_PASSWORD)
    with runtime_for() as runtime:
        with runtime.context() as ctx:
            assert ctx.user.username == "alice" and is_guarded(ctx.session)
        with pytest.raises(AuthError, match="cannot act for a logged-in user"):
            ensure_local_user(runtime.engine, runtime.loaded, None)  # type: ignore[arg-type]


def test_sessions_expire_after_30_days(cli, stdin, security_clock) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    security_clock.advance(timedelta(days=30, seconds=-60))
    assert cli("habit", "list").code == 0
    security_clock.advance(timedelta(seconds=61))
    done = cli("habit", "list")
    assert done.code == 8 and "expired" in done.err and "paa auth login alice" in done.err
    stdin(ALICE_PASSWORD + "\n")
    assert cli("--user", "alice", "auth", "login", "--password-stdin").code == 0  # the name comes from --user
    assert cli("habit", "list").code == 0


@pytest.mark.sqlite_only  # reads the SQLite file
def test_a_hash_with_old_parameters_is_replaced_at_login(cli, stdin, monkeypatch, paa_home: Path) -> None:
    import sqlite3

    from paa.core.accounts.passwords import HashParams
    from tests.support.runtime import inject

    def stored() -> str:
        with sqlite3.connect(paa_home / "paa.db") as conn:
            return conn.execute("SELECT secret_hash FROM user_auth WHERE kind = 'password'").fetchone()[0]

    _register(cli, stdin, "alice", ALICE_PASSWORD)
    assert "$m=64,t=1,p=1$" in stored()
    inject(monkeypatch, hash_params=HashParams(time_cost=2, memory_cost=128, parallelism=1))
    assert _login(cli, stdin, "alice", ALICE_PASSWORD).code == 0  # the old hash still verifies...
    assert "$m=128,t=2,p=1$" in stored()  # ...and is replaced by one with today's parameters
    assert _login(cli, stdin, "alice", ALICE_PASSWORD).code == 0
    inject(monkeypatch, hash_params=None)  # the hashing cost comes from PAA_ARGON2 again
    monkeypatch.setenv("PAA_ARGON2", "t=lots")
    assert _login(cli, stdin, "alice", ALICE_PASSWORD).code == 7  # a bad setting: a config error, not a traceback
