"""Restoring: the backup is checked before anything is touched, the current data is kept, older schemas migrate."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from paa.core.dataio.backup import backup_database, list_backups, manifest_path
from paa.core.dataio.restore import restore, stage
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit
from paa.db.engine import create_db_engine, sqlite_url
from paa.db.migrate import upgrade
from paa.db.models import HabitLog
from paa.db.revisions import HEAD
from paa.errors import InvalidInput, StorageError
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for

pytestmark = pytest.mark.sqlite_only  # restoring a SQLite file; PostgreSQL's: test_backup_engines.py


def _add(make_ctx, name: str, note: str | None = None) -> None:
    with make_ctx(write=True) as ctx:
        habit = add_habit(ctx, HabitFields(name=name))
        log_habit(ctx, habit, ctx.today(), note=note)


def _check(backup: Path, environ: dict[str, str] | None = None) -> None:
    """Stage a backup (the checks a restore makes first) and restore nothing."""
    with runtime_for(environ) as runtime, stage(runtime.engine, runtime.paths, runtime.environ, backup):
        pass


def _habits(paa_home: Path) -> list[str]:
    with sqlite3.connect(paa_home / "paa.db") as conn:
        return [row[0] for row in conn.execute("SELECT name FROM habits ORDER BY id")]


def _digest(paa_home: Path) -> bytes:
    with sqlite3.connect(paa_home / "paa.db") as conn:
        return repr([conn.execute(f"SELECT * FROM {t}").fetchall() for t in ("habits", "habit_logs")]).encode()


@pytest.fixture
def backup_of_run(make_ctx) -> Path:
    """A backup holding the habit Run (with a sealed note); Tea is added after it."""
    _add(make_ctx, "Run", note="easy 5 km")
    with runtime_for() as runtime:
        path = backup_database(runtime.engine, runtime.paths, FIXED_NOW).backup.path
    _add(make_ctx, "Tea")
    return path


def test_restore_puts_the_backup_back_and_keeps_the_data_it_replaced(backup_of_run: Path, paa_home: Path, make_ctx):
    with runtime_for() as runtime, stage(runtime.engine, runtime.paths, runtime.environ, backup_of_run) as staged:
        changes = {change.table: (change.now, change.then) for change in staged.plan.tables}
        assert changes["habits"] == (2, 1) and staged.plan.encrypted and staged.plan.checksum == "ok"
        assert _habits(paa_home) == ["Run", "Tea"]  # staging touched nothing
        result = restore(runtime.engine, runtime.paths, staged, FIXED_NOW)
    assert _habits(paa_home) == ["Run"]
    assert not list(runtime.paths.backup_dir.glob(".restore-*"))  # the staging copy is gone
    with sqlite3.connect(result.kept) as conn:
        assert [row[0] for row in conn.execute("SELECT name FROM habits ORDER BY id")] == ["Run", "Tea"]
    assert [info.kind for info in list_backups(runtime.paths)] == ["backup", "before-restore"]
    with make_ctx() as ctx:  # paa reads the restored data, sealed note included
        assert [log.note for log in ctx.session.exec(select(HabitLog)).all()] == ["easy 5 km"]
    with make_ctx(write=True) as ctx:  # and writes on it: the memory index and sequences came back whole
        add_habit(ctx, HabitFields(name="Tea"))
    with sqlite3.connect(paa_home / "paa.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_changed_backup_is_refused_before_anything_is_touched(backup_of_run: Path, paa_home: Path) -> None:
    data = bytearray(backup_of_run.read_bytes())
    data[200] ^= 0x01
    backup_of_run.write_bytes(bytes(data))
    before = _digest(paa_home)
    with pytest.raises(InvalidInput, match="checksum"):
        _check(backup_of_run)
    assert _digest(paa_home) == before


def test_a_file_that_is_not_a_database_is_refused(paa_home: Path, make_ctx, tmp_path: Path) -> None:
    _add(make_ctx, "Run")
    bogus = tmp_path / "notes.db"
    bogus.write_text("not a database at all " * 100)
    with pytest.raises(InvalidInput, match="not a paa backup"):
        _check(bogus)


def test_a_backup_from_a_newer_paa_is_refused(backup_of_run: Path, paa_home: Path) -> None:
    with sqlite3.connect(backup_of_run) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    manifest_path(backup_of_run).unlink()  # a hand-made copy without a manifest is checked all the same
    with pytest.raises(InvalidInput, match="newer than this paa") as refused:
        _check(backup_of_run)
    assert "upgrade paa" in (refused.value.hint or "")
    assert _habits(paa_home) == ["Run", "Tea"]


def test_an_encrypted_backup_without_its_data_key_is_refused(backup_of_run: Path, paa_home: Path, tmp_path) -> None:
    other = tmp_path / "other-home"
    env = {**os.environ, "PAA_HOME": str(other)}
    with pytest.raises(StorageError, match="encrypted") as refused:
        _check(backup_of_run, env)
    assert "data key" in (refused.value.hint or "")


def test_an_older_backup_is_migrated_forward(paa_home: Path, make_ctx, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = create_db_engine(sqlite_url(old))
    try:
        upgrade(engine, "0006_events")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, role, is_active, created_at)"
                              " VALUES (1, 'local', 'member', 1, '2026-11-01')"))  # fmt: skip
            conn.execute(text(
                "INSERT INTO habits (user_id, name, name_key, kind, target_type, schedule_type, weekdays, times,"
                " period_days, reminder_days, archived, position, created_at, updated_at) VALUES (1, 'Old run',"
                " 'old run', 'boolean', 'at_least', 'daily', 0, 1, 1, 0, 0, 1, '2026-11-01', '2026-11-01')"
            ))  # fmt: skip
    finally:
        engine.dispose()
    _add(make_ctx, "Tea")
    with runtime_for() as runtime, stage(runtime.engine, runtime.paths, runtime.environ, old) as staged:
        assert staged.plan.revision == "0006_events" and staged.plan.migrated and staged.plan.checksum == "none"
        assert json.loads(json.dumps(staged.plan.to_json()))["migrated_to"] == HEAD
        restore(runtime.engine, runtime.paths, staged, FIXED_NOW)
    assert _habits(paa_home) == ["Old run"]
    with sqlite3.connect(paa_home / "paa.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
    assert old.is_file()  # the backup itself is only read


def test_the_restore_waits_for_a_writer_and_keeps_its_write(backup_of_run: Path, paa_home: Path) -> None:
    """The restore takes the write lock: a transaction in progress finishes first, and lands in the kept copy."""
    import threading

    writer = sqlite3.connect(paa_home / "paa.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE habits SET name = 'Tea late' WHERE name = 'Tea'")
    outcome: dict[str, Path] = {}

    def run() -> None:
        with runtime_for() as runtime, stage(runtime.engine, runtime.paths, runtime.environ, backup_of_run) as staged:
            outcome["kept"] = restore(runtime.engine, runtime.paths, staged, FIXED_NOW).kept

    thread = threading.Thread(target=run)
    thread.start()
    writer.execute("COMMIT")
    writer.close()
    thread.join()
    with sqlite3.connect(outcome["kept"]) as conn:
        assert [row[0] for row in conn.execute("SELECT name FROM habits ORDER BY id")] == ["Run", "Tea late"]
    assert _habits(paa_home) == ["Run"]


def test_change_feed_ids_never_go_back(backup_of_run: Path, paa_home: Path, make_ctx) -> None:
    """A WebSocket client that saw the newest event must see the events after the restore as new ones."""
    with sqlite3.connect(paa_home / "paa.db") as conn:
        newest = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    with runtime_for() as runtime, stage(runtime.engine, runtime.paths, runtime.environ, backup_of_run) as staged:
        restore(runtime.engine, runtime.paths, staged, FIXED_NOW)
    with sqlite3.connect(paa_home / "paa.db") as conn:
        announced = conn.execute("SELECT id, type, data FROM events WHERE id > ?", (newest,)).fetchall()
    assert [(kind, "habits" in json.loads(data)["areas"]) for _, kind, data in announced] == [("data:changed", True)]
    with make_ctx() as ctx:  # the feed reads the announcement like any other event
        from paa.core.changes import events_after

        assert [event.type for _, event in events_after(ctx.session, newest)] == ["data:changed"]
    _add(make_ctx, "Walk")
    with sqlite3.connect(paa_home / "paa.db") as conn:
        assert conn.execute("SELECT max(id) FROM events").fetchone()[0] > newest
