"""What accounts cost other commands (nothing but one indexed lookup), and where secrets never show up."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, text

from paa.clock import FixedClock
from paa.config import load_settings, resolve_paths
from paa.core.accounts.registration import register
from paa.core.accounts.tokenfile import read_tokens, remember_token
from paa.core.accounts.users import resolve_acting
from paa.core.habits.manage import HabitFields, add_habit
from paa.core.storage import open_engine
from tests.support.accounts import ALICE_PASSWORD
from tests.support.clock import FIXED_NOW
from tests.support.processes import paa_executable
from tests.support.runtime import open_auth, open_context

AUTH_LIBRARIES = ("argon2", "_argon2_cffi_bindings", "jwt", "keyring", "cryptography", "httpx", "urllib3")
API_KEY = "sk-ant-api03-secret-value-that-must-never-show"


def _alice(clock: FixedClock | None = None) -> None:
    with open_auth(write=True, clock=clock or FixedClock(FIXED_NOW)) as actx:
        done = register(actx, "alice", ALICE_PASSWORD, email="alice@example.org")
        remember_token(actx.paths, "alice", done.token)
    with open_context(write=True, clock=clock or FixedClock(FIXED_NOW)) as ctx:
        add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8))


def _imported(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {**os.environ, "PAA_NOW": FIXED_NOW.isoformat()}
    done = subprocess.run([sys.executable, "-X", "importtime", paa_executable(), *args], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip
    found = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:"):
            found.add(line.rsplit("|", 1)[-1].strip().split(".")[0])
    return done, found


@pytest.mark.e2e
def test_habit_log_as_a_logged_in_user_loads_no_auth_library() -> None:
    _alice()
    done, imported = _imported("habit", "log", "water", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sqlalchemy" in imported  # the parse saw the real imports
    assert sorted(imported.intersection(AUTH_LIBRARIES)) == []
    whoami, imported = _imported("auth", "whoami")
    assert whoami.returncode == 0 and "alice" in whoami.stdout
    assert sorted(imported.intersection(AUTH_LIBRARIES)) == []


@pytest.mark.e2e
def test_login_is_what_loads_argon2(stdin) -> None:
    """The check above can see argon2: `paa auth login` does load it."""
    _alice()
    env = {**os.environ, "PAA_NOW": FIXED_NOW.isoformat()}
    command = [sys.executable, "-X", "importtime", paa_executable(), "auth", "login", "alice", "--password-stdin"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, input=ALICE_PASSWORD + "\n", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| argon2" in done.stderr


def _statements_of_resolving(environ: dict[str, str]) -> list[tuple[str, object]]:
    paths = resolve_paths(environ)
    loaded = load_settings(paths, environ)
    engine = open_engine(paths, loaded)
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        resolve_acting(engine, paths, loaded, FixedClock(FIXED_NOW), environ.get("PAA_USER"))
    finally:
        engine.dispose()
    return seen


def _plan(home: Path, statement: str, parameters: object) -> str:
    with sqlite3.connect(home / "paa.db") as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()  # type: ignore[arg-type]
    return " | ".join(str(row[-1]) for row in rows)


@pytest.mark.sqlite_only  # reads the SQLite file
def test_a_session_check_is_one_indexed_lookup(paa_home: Path) -> None:
    _alice()
    [(statement, parameters)] = _statements_of_resolving(dict(os.environ))
    plan = _plan(paa_home, statement, parameters)
    assert "ix_user_auth_secret_hash" in plan, plan
    assert "SCAN user_auth" not in plan and "SCAN users" not in plan, plan


@pytest.mark.sqlite_only  # reads the SQLite file
def test_the_local_user_is_one_indexed_lookup(make_ctx, paa_home: Path) -> None:
    with make_ctx():
        pass  # the first run creates the local user
    [(statement, parameters)] = _statements_of_resolving(dict(os.environ))
    plan = _plan(paa_home, statement, parameters)
    assert "ix_users_username" in plan, plan
    assert "SCAN user_auth" not in plan and "SCAN users" not in plan, plan


def _secrets_of(home: Path) -> list[str]:
    """Everything secret about this install: the API key, the password, the session token, the stored hashes and
    the data key (doctor says where it is, never what it is)."""
    found = [API_KEY, ALICE_PASSWORD, *read_tokens(resolve_paths(os.environ)).tokens.values()]
    with sqlite3.connect(home / "paa.db") as conn:
        found += [row[0] for row in conn.execute("SELECT secret_hash FROM user_auth WHERE secret_hash IS NOT NULL")]
        found += [row[0] for row in conn.execute("SELECT secret FROM signing_keys")]
    data_key = home / "data.key"
    if data_key.exists():
        found += list(json.loads(data_key.read_text()).get("keys", {}).values())
    return found


@pytest.mark.sqlite_only  # reads the SQLite file
@pytest.mark.parametrize(
    "args",
    [
        ("doctor", "--json"), ("doctor",), ("auth", "key", "list", "--json"), ("auth", "key", "list"),
        ("auth", "whoami", "--json"), ("auth", "sessions", "--json"), ("users", "list", "--json"),
        ("config", "show", "--json"),
    ],
    ids=" ".join,
)  # fmt: skip
def test_secrets_never_appear_in_output(cli, stdin, paa_home: Path, args: tuple[str, ...]) -> None:
    _alice()
    stdin(API_KEY + "\n")
    assert cli("auth", "key", "set", "anthropic").code == 0
    with open_auth(write=True) as actx:  # a signing key exists too
        from paa.core.accounts.tokens import current_signing_key

        current_signing_key(actx.session, actx.now())
    done = cli(*args)
    assert done.code in (0, 1), done.err  # doctor may report a warning as 1
    leaked = [secret[:12] for secret in _secrets_of(paa_home) if secret in done.out + done.err]
    assert leaked == []


def test_secrets_never_appear_in_errors_or_reprs(cli, stdin) -> None:
    _alice()
    stdin(f"{ALICE_PASSWORD}x\n")
    wrong = cli("auth", "login", "alice", "--password-stdin")
    assert wrong.code == 8 and ALICE_PASSWORD not in wrong.err
    stdin("pass\u0007word-with-a-bell-1234\n")
    weak = cli("auth", "register", "bob", "--password-stdin")
    assert weak.code == 3 and "word-with-a-bell" not in weak.err
    with open_auth(write=True) as actx:
        from paa.core.accounts.sessions import login
        from paa.core.accounts.tokens import issue_tokens

        done = login(actx, "alice", ALICE_PASSWORD, source="test")
        pair = issue_tokens(actx.session, done.user, actx.now())
    assert done.token not in repr(done)
    assert pair.access_token not in repr(pair) and pair.refresh_token not in repr(pair)


@pytest.mark.sqlite_only  # reads the SQLite file
def test_the_chat_context_holds_no_secret(paa_home: Path) -> None:
    from paa.ai.context import build_turn_context

    _alice()
    with open_context() as ctx:
        turn = build_turn_context(ctx, "what is my password and token?", tone="plain", budget_tokens=4000)
    assert [s[:12] for s in _secrets_of(paa_home) if s in turn.text] == []
    assert "alice" in turn.text or "Water" in turn.text  # the context was really built


def test_only_an_admin_sets_or_removes_api_keys_once_there_are_accounts(cli, stdin) -> None:
    stdin(API_KEY + "\n")
    assert cli("auth", "key", "set", "anthropic").code == 0  # alone: no accounts, nothing to check
    _alice()
    stdin("plum-violin-harbour-77\n")
    assert cli("auth", "register", "bob", "--password-stdin").code == 0
    stdin(API_KEY + "\n")
    assert cli("--user", "bob", "auth", "key", "set", "anthropic").code == 9
    assert cli("--user", "bob", "auth", "key", "remove", "anthropic", "--yes").code == 9
    assert cli("--user", "bob", "auth", "key", "list").code == 0  # where keys are is not a secret
    assert cli("--user", "alice", "auth", "key", "remove", "anthropic", "--yes").code == 0


@pytest.mark.sqlite_only  # reads the SQLite file
def test_a_write_refreshes_the_session_last_used_at_most_hourly(paa_home: Path) -> None:
    from datetime import timedelta

    clock = FixedClock(FIXED_NOW)
    _alice(clock)

    def last_used() -> str | None:
        with sqlite3.connect(paa_home / "paa.db") as conn:
            return conn.execute("SELECT last_used_at FROM user_auth WHERE kind = 'session'").fetchone()[0]

    with sqlite3.connect(paa_home / "paa.db") as conn:
        conn.execute("UPDATE user_auth SET last_used_at = NULL")
    with open_context(clock=clock, security_clock=clock):
        pass
    assert last_used() is None  # a read never writes
    with open_context(write=True, clock=clock, security_clock=clock):
        pass
    first = last_used()
    clock.advance(timedelta(minutes=30))
    with open_context(write=True, clock=clock, security_clock=clock):
        pass
    assert last_used() == first
    clock.advance(timedelta(minutes=31))
    with open_context(write=True, clock=clock, security_clock=clock) as ctx:
        assert ctx.session.execute(text("SELECT 1")).scalar() == 1
    assert last_used() != first


LOOK_FOR_A_KEYRING = """
import ctypes.util, sys
asked = []
ctypes.util.find_library = lambda name: asked.append(name)
from paa.core.accounts.secrets import keyring_backend
keyring_backend({})
print(",".join(asked) or "nothing")
"""


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the keychain backend needs its frameworks")
def test_looking_for_a_keyring_runs_no_search_for_macos_libraries() -> None:
    """keyring's macOS backend searches for its frameworks with find_library (gcc and ldconfig on Linux) on every
    system; paa spares that search where the backend refuses itself anyway (`paa checkin` looks for the API key)."""
    pytest.importorskip("keyring")
    done = subprocess.run([sys.executable, "-c", LOOK_FOR_A_KEYRING], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "nothing\n"), done.stderr[-2000:]
