"""The warm server's rehearsal (paa.cli.warm_rehearsal): it reads what the everyday commands read, once, before the
server forks, and it writes nothing, opens nothing that outlives it and makes no data key."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from paa.cli import warm_rehearsal
from paa.cli.warm_rehearsal import rehearse
from tests.conftest import CliResult

EVERY_STEP = ["habits", "agenda", "checkin", "chat", "memory", "dashboard"]


@pytest.fixture(autouse=True)
def _nothing_handed_down() -> Iterator[None]:
    """The engine a rehearsal hands down stays with the test that made it."""
    from paa.db import engine

    yield
    engine._HANDED_DOWN.clear()


def _dump(database: Path) -> list[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as raw:
        return list(raw.iterdump())


def _tasks() -> set[str]:
    return set(os.listdir("/proc/self/task"))


def _open_files(folder: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


@pytest.fixture
def lived_in(cli: Callable[..., CliResult], paa_home: Path) -> Path:
    """A home with habits, a log, a check-in and an offline chat: every step has rows to read."""
    for args in (
        ("habit", "add", "Water", "--unit", "glasses", "--target", "8", "--remind", "09:00"),
        ("habit", "add", "Run", "--days", "mon,wed,fri"),
        ("habit", "log", "water", "3"),
        ("checkin", "--mood", "4", "--answer", "A good walk", "--answer", "Finished the book"),
        ("chat", "--offline", "--no-stdin", "I drank a glass of water"),
    ):
        assert cli(*args).code == 0, args
    return paa_home / "paa.db"


def test_it_reads_every_step_and_changes_nothing(lived_in: Path, paa_home: Path) -> None:
    before, tasks, files = _dump(lived_in), _tasks(), sorted(os.listdir(paa_home))
    opened = _open_files(paa_home)  # (the in-process commands' own engines may still be open)
    assert rehearse(os.environ) == EVERY_STEP
    assert _dump(lived_in) == before
    assert sorted(os.listdir(paa_home)) == files
    assert _tasks() <= tasks  # no thread left behind (native ones counted): the server never forks beside one
    assert _open_files(paa_home) == opened  # every connection it opened is closed: none crosses the server's fork


def test_the_next_engine_of_its_database_is_the_rehearsed_one_and_writes(
    lived_in: Path, cli: Callable[..., CliResult]
) -> None:
    from paa.core.runtime import Environment
    from paa.core.storage import database_url
    from paa.db.engine import create_db_engine

    environment = Environment.from_environ(os.environ)
    url = database_url(environment.paths, environment.loaded)
    assert rehearse(os.environ) == EVERY_STEP
    first = create_db_engine(url)
    compiled = first._compiled_cache  # what the rehearsal compiled
    assert compiled is not None and len(compiled) >= len(EVERY_STEP)
    assert create_db_engine(url) is not first  # taken once
    from paa.db import engine as engines

    engines._HANDED_DOWN[url] = first  # as a worker finds it: the next command's runtime takes it
    assert cli("habit", "log", "water", "2").code == 0  # not query_only any more, and sealed writes have a key
    assert cli("checkin", "--mood", "2", "--answer", "Rain", "--answer", "None", "--replace").code == 0
    assert url not in engines._HANDED_DOWN
    assert "Rain" in cli("checkin", "show", "--json").out


def test_a_step_that_writes_is_refused_and_left_out(lived_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    def writes(ctx: Any) -> None:
        ctx.session.execute(text("UPDATE habits SET name = 'Sneaked in'"))
        ctx.session.commit()  # a read's transaction is rolled back at its end: this one would land

    monkeypatch.setattr(warm_rehearsal, "_STEPS", (("habits", warm_rehearsal._habits), ("writes", writes),
                                                   ("chat", warm_rehearsal._chat)))  # fmt: skip
    before = _dump(lived_in)
    assert rehearse(os.environ) == ["habits", "chat"]  # the others still run after it
    assert _dump(lived_in) == before


def test_no_data_key_is_made(cli: Callable[..., CliResult], paa_home: Path) -> None:
    assert cli("habit", "add", "Water").code == 0
    key = paa_home / "data.key"
    key.unlink(missing_ok=True)
    before = _dump(paa_home / "paa.db")
    rehearse(os.environ)
    assert not key.exists()
    assert _dump(paa_home / "paa.db") == before


def test_nothing_is_made_where_there_is_no_database(paa_home: Path) -> None:
    assert rehearse(os.environ) == []
    assert not (paa_home / "paa.db").exists()


def test_a_database_behind_the_current_revision_is_not_migrated(paa_home: Path) -> None:
    from paa.db import migrate
    from paa.db.engine import create_db_engine, sqlite_url
    from paa.db.revisions import HEAD, REVISIONS

    paa_home.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(sqlite_url(paa_home / "paa.db"))
    migrate.upgrade(engine, REVISIONS[-2])
    engine.dispose()
    assert rehearse(os.environ) == []
    assert migrate.stored_sqlite_revision(str(paa_home / "paa.db")) == REVISIONS[-2] != HEAD


def test_another_database_server_is_never_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_DB_URL", "postgresql+psycopg://paa@127.0.0.1:9/paa")
    asked: list[object] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        asked.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    assert rehearse(os.environ) == []
    assert asked == []


def test_a_locked_database_ends_it_at_once(lived_in: Path) -> None:
    """Another process holding the database exclusively as the server starts: the rehearsal gives up on its first
    read instead of waiting SQLite's 30 s (the server listens only after it); the lock is let go 20 s later at
    most, by when a rehearsal that waited would have read everything."""
    holder = sqlite3.connect(lived_in, isolation_level=None, check_same_thread=False)  # (the timer lets go)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE habits SET name = name")  # (WAL: a write under exclusive locking keeps readers out)
    release = threading.Timer(20.0, holder.close)  # (under exclusive locking only closing lets go)
    release.start()
    try:
        assert rehearse(os.environ) == []
    finally:
        release.cancel()
        holder.close()
