"""Backups: a consistent 0600 copy with a manifest and checksum, listed, pruned beyond backup.keep."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from paa.core.dataio.backup import backup_database, list_backups, manifest_path, read_backup, verify_backup
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit
from paa.db.engine import create_db_engine
from paa.db.revisions import HEAD
from paa.errors import Conflict, InvalidInput, StorageError
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for


@pytest.fixture
def runtime(make_ctx):
    with make_ctx(write=True) as ctx:
        habit = add_habit(ctx, HabitFields(name="Run"))
        log_habit(ctx, habit, ctx.today(), note="knee fine")
    with runtime_for() as opened:
        yield opened


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.sqlite_only  # a SQLite file's backup; PostgreSQL's: test_backup_engines.py
def test_a_backup_is_a_private_copy_with_a_manifest(runtime) -> None:
    result = backup_database(runtime.engine, runtime.paths, FIXED_NOW)
    path = result.backup.path
    assert path.parent == runtime.paths.backup_dir and path.name == "paa-backup-20261126T120000Z.db"
    assert _mode(path) == 0o600 and _mode(manifest_path(path)) == 0o600
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["format"] == "paa-backup" and manifest["version"] == 1
    assert manifest["revision"] == HEAD and manifest["created_at"] == FIXED_NOW.isoformat()
    assert manifest["encrypted"] is True and len(manifest["key_ids"]) == 1  # the log's note is sealed
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
        note = conn.execute("SELECT note FROM habit_logs").fetchone()[0]
    assert note.startswith("enc:v1:") and "knee" not in note  # sealed values stay sealed in the copy
    assert verify_backup(path).sha256 == manifest["sha256"]


@pytest.mark.sqlite_only  # a SQLite file's backup; PostgreSQL's: test_backup_engines.py
def test_a_changed_byte_fails_the_checksum(runtime) -> None:
    path = backup_database(runtime.engine, runtime.paths, FIXED_NOW).backup.path
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="does not match its checksum"):
        verify_backup(path)


@pytest.mark.sqlite_only  # a SQLite file's backup; PostgreSQL's: test_backup_engines.py
def test_a_named_file_is_written_once_and_never_overwritten(runtime, tmp_path: Path) -> None:
    target = tmp_path / "mine.db"
    info = backup_database(runtime.engine, runtime.paths, FIXED_NOW, target=target).backup
    assert info.path == target and manifest_path(target).is_file()
    with pytest.raises(Conflict, match="already exists"):
        backup_database(runtime.engine, runtime.paths, FIXED_NOW, target=target)
    folder = tmp_path / "folder"
    folder.mkdir()
    assert backup_database(runtime.engine, runtime.paths, FIXED_NOW, target=folder).backup.path.parent == folder


@pytest.mark.sqlite_only  # a SQLite file's backup; PostgreSQL's: test_backup_engines.py
def test_retention_keeps_the_newest_and_leaves_other_files_alone(runtime) -> None:
    made = [backup_database(runtime.engine, runtime.paths, FIXED_NOW + timedelta(days=n)).backup.path for n in range(4)]
    migration_copy = runtime.paths.backup_dir / "paa-0006_events-20261101T000000.db"
    migration_copy.write_bytes(made[0].read_bytes())
    result = backup_database(runtime.engine, runtime.paths, FIXED_NOW + timedelta(days=9), keep=2)
    assert set(result.removed) == set(made[:3])
    listed = list_backups(runtime.paths)
    assert [info.path for info in listed if info.kind == "backup"] == [made[3], result.backup.path]
    assert [info.kind for info in listed if info.path == migration_copy] == ["migration"]
    assert not manifest_path(made[0]).exists()


@pytest.mark.sqlite_only  # a SQLite file's backup; PostgreSQL's: test_backup_engines.py
def test_two_backups_in_one_second_get_two_names(runtime) -> None:
    first = backup_database(runtime.engine, runtime.paths, FIXED_NOW).backup.path
    second = backup_database(runtime.engine, runtime.paths, FIXED_NOW).backup.path
    assert first != second and second.name.endswith("-2.db")


@pytest.mark.sqlite_only  # a SQLite file's backup; PostgreSQL's: test_backup_engines.py
def test_a_newer_manifest_is_refused(runtime) -> None:
    path = backup_database(runtime.engine, runtime.paths, FIXED_NOW).backup.path
    manifest = json.loads(manifest_path(path).read_text())
    manifest_path(path).write_text(json.dumps({**manifest, "version": 99}))
    with pytest.raises(InvalidInput, match="newer paa"):
        read_backup(path)


def test_an_unreachable_postgresql_is_one_line_without_its_password(runtime) -> None:
    engine = create_db_engine("postgresql+psycopg://paa:hunter2@127.0.0.1:1/paa")
    try:
        with pytest.raises(StorageError, match="cannot reach the database") as refused:
            backup_database(engine, runtime.paths, FIXED_NOW)
    finally:
        engine.dispose()
    assert "hunter2" not in str(refused.value) and "\n" not in str(refused.value)
