"""Ending a session reaches processes that are already running: the chat REPL or the TUI stops writing.

A long-lived runtime (what the REPL and the TUI hold) resolves its user once; every write checks again, in its
own transaction, that the session still holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import event

from paa.core.habits.manage import HabitFields, add_habit, list_habits
from paa.errors import AuthError
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD
from tests.support.runtime import runtime_for

NEW_BOB_PASSWORD = "another-long-passphrase-91"


def _register(cli, stdin, name: str, password: str) -> None:
    stdin(password + "\n")
    done = cli("auth", "register", name, "--password-stdin")
    assert done.code == 0, done.err


def _logout(cli, stdin) -> None:
    assert cli("--user", "bob", "auth", "logout").code == 0


def _revoke(cli, stdin) -> None:
    sessions = json.loads(cli("--user", "bob", "auth", "sessions", "--json").out)
    [mine] = [row for row in sessions if row["kind"] == "session"]
    assert cli("--user", "alice", "auth", "revoke", str(mine["id"])).code == 0  # an admin ends it


def _disable(cli, stdin) -> None:
    assert cli("--user", "alice", "users", "disable", "bob", "--yes").code == 0


def _passwd(cli, stdin) -> None:
    stdin(BOB_PASSWORD + "\n")
    assert cli("auth", "login", "bob", "--password-stdin").code == 0  # bob's second terminal logs in...
    stdin(f"{BOB_PASSWORD}\n{NEW_BOB_PASSWORD}\n{NEW_BOB_PASSWORD}\n")
    done = cli("auth", "passwd", "--password-stdin")  # ...and changes the password: the other sessions end
    assert done.code == 0, done.err


ENDINGS: dict[str, Callable[..., None]] = {"logout": _logout, "revoke": _revoke, "disable": _disable}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_running_process_stops_writing_once_its_session_ends(cli, stdin, ending: str) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _register(cli, stdin, "bob", BOB_PASSWORD)
    with runtime_for() as repl:  # bob's chat REPL, started while he was logged in
        with repl.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="Before"))
        ENDINGS[ending](cli, stdin)
        with pytest.raises(AuthError) as refused, repl.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="After"))
        assert "bob" in refused.value.message
    with runtime_for() as check, check.context(acting=check.acting_as(_user_id(check, "bob"))) as ctx:
        assert [view.name for view in list_habits(ctx)] == ["Before"]


def test_a_password_change_elsewhere_stops_the_other_sessions_writing(cli, stdin) -> None:
    _register(cli, stdin, "bob", BOB_PASSWORD)
    with runtime_for() as tui:  # bob's TUI, on his first session
        with tui.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="Before"))
        _passwd(cli, stdin)
        with pytest.raises(AuthError, match="ended"), tui.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="After"))


def test_the_check_is_one_lookup_by_primary_key(cli, stdin) -> None:
    _register(cli, stdin, "bob", BOB_PASSWORD)
    with runtime_for() as repl:
        repl.acting()
        seen: list[str] = []
        event.listen(repl.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
        with repl.context(write=True):
            pass
        checks = [statement for statement in seen if "user_auth" in statement.lower()]
        assert len(checks) <= 2, checks  # the check, and at most the hourly last-used update
        plan = _plan(repl, checks[0])
        assert "USING INTEGER PRIMARY KEY" in plan and "SCAN" not in plan, plan


def _plan(runtime, statement: str) -> str:
    from sqlalchemy import text

    session_id = runtime.acting().session_id
    with runtime.engine.connect() as conn:
        rows = conn.execute(text(f"EXPLAIN QUERY PLAN {statement.replace('?', str(session_id))}")).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


def _user_id(runtime, name: str) -> int:
    from sqlmodel import Session, select

    from paa.db.models import User

    with Session(runtime.engine) as session:
        user_id = session.exec(select(User.id).where(User.username == name)).one()
    assert user_id is not None
    return user_id
