"""Opening a database that cannot be used: refused untouched, reported with the storage code and the right hint."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paa.db.engine import create_db_engine, sqlite_url
from paa.db.errors import is_storage_failure, storage_failure
from paa.db.migrate import current_revision, ensure_current, upgrade
from paa.db.revisions import HEAD
from paa.errors import ExitCode

FUTURE = "0099_from_the_future"
LOCK_HINT = "another program may hold the database"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _database_file(paa_home: Path) -> Path:
    return paa_home / "paa.db"


def _newer_database(folder: Path, *, wal: bool) -> Path:
    """A database at a revision this paa does not know; with `wal`, its last write is still in an un-checkpointed -wal.

    The files are copied while the writer is open, as a newer paa that is still running would leave them.
    """
    scratch = folder.parent / "scratch"
    scratch.mkdir()
    engine = create_db_engine(sqlite_url(scratch / "paa.db"))
    ensure_current(engine, scratch / "backups")
    engine.dispose()
    with closing(sqlite3.connect(scratch / "paa.db", isolation_level=None)) as writer:
        writer.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute(f"UPDATE alembic_version SET version_num = '{FUTURE}'")
        folder.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal") if wal else ("",):
            shutil.copyfile(scratch / f"paa.db{suffix}", folder / f"paa.db{suffix}")
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder / "paa.db"


@pytest.mark.sqlite_only  # the SQLite file itself
@pytest.mark.parametrize("wal", [True, False], ids=["wal-with-frames", "rollback-journal"])
def test_a_database_from_a_newer_paa_is_refused_and_not_touched(cli, paa_home: Path, wal: bool) -> None:
    database = _newer_database(paa_home, wal=wal)
    files = [database, database.with_name("paa.db-wal")] if wal else [database]
    before = {path: (_digest(path), _mode(path)) for path in files}
    header = database.read_bytes()[18:20]  # 1,1: rollback journal; 2,2: WAL

    result = cli("habit", "list")

    assert result.code == ExitCode.STORAGE
    assert FUTURE in result.err and "not touched" in result.err
    assert {path: (_digest(path), _mode(path)) for path in files} == before
    assert database.read_bytes()[18:20] == header
    assert not (paa_home / "backups").exists()


@pytest.mark.sqlite_only  # the SQLite file itself
def test_a_damaged_database_is_a_storage_error_with_the_damage_hint(cli, paa_home: Path) -> None:
    paa_home.mkdir()
    _database_file(paa_home).write_bytes(b"this is not SQLite at all" * 200)

    result = cli("habit", "list")

    assert result.code == ExitCode.STORAGE
    assert "file is not a database" in result.err
    assert "damaged" in result.err and LOCK_HINT not in result.err
    assert "unexpected" not in result.err


@pytest.mark.sqlite_only  # the SQLite file itself
def test_a_truncated_database_is_a_storage_error(cli, paa_home: Path) -> None:
    assert cli("habit", "add", "Run").code == 0
    database = _database_file(paa_home)
    with closing(sqlite3.connect(database)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.write_bytes(database.read_bytes()[: 50 * 1024])

    result = cli("habit", "list")

    assert result.code == ExitCode.STORAGE, result.err
    assert "malformed" in result.err and "damaged" in result.err


@pytest.mark.sqlite_only  # the SQLite file itself
def test_doctor_reports_a_damaged_database_as_a_failed_check(cli, paa_home: Path) -> None:
    paa_home.mkdir()
    _database_file(paa_home).write_bytes(b"\x00garbage" * 1000)

    result = cli("doctor", "--json")

    assert result.code == ExitCode.STORAGE
    [database] = [check for check in json.loads(result.out) if check["name"] == "database"]
    assert database["status"] == "error" and "file is not a database" in database["detail"]
    assert "damaged" in database["advice"]
    assert result.err == ""


def _read_only_url(database: Path) -> str:
    # SQLite's own read-only mode: file permissions would not stop a test running as root.
    return f"sqlite:///file:{database}?mode=ro&uri=true"


@pytest.mark.sqlite_only  # the SQLite file itself
def test_doctor_fails_a_read_only_database(cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("habit", "add", "Run").code == 0
    monkeypatch.setenv("PAA_DB_URL", _read_only_url(_database_file(paa_home)))

    result = cli("doctor", "--json")

    assert result.code == ExitCode.STORAGE
    [database] = [check for check in json.loads(result.out) if check["name"] == "database"]
    assert database["status"] == "error" and "readonly database" in database["detail"]
    assert "read-only" in database["advice"] and LOCK_HINT not in database["advice"]


@pytest.mark.sqlite_only  # the SQLite file itself
def test_a_write_to_a_read_only_database_gets_the_read_only_hint(
    cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("habit", "add", "Run").code == 0
    monkeypatch.setenv("PAA_DB_URL", _read_only_url(_database_file(paa_home)))

    result = cli("habit", "log", "Run")

    assert result.code == ExitCode.STORAGE
    assert "readonly database" in result.err and "read-only" in result.err
    assert LOCK_HINT not in result.err


@pytest.mark.sqlite_only  # the SQLite file itself
def test_a_full_disk_gets_its_own_hint(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "small.db")) as raw:
        raw.execute("CREATE TABLE t (x TEXT)")
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
        raw.execute(f"PRAGMA max_page_count = {pages}")  # SQLite then fails a write as a full disk does
        with pytest.raises(sqlite3.OperationalError) as full:
            raw.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))

    assert is_storage_failure(full.value)
    failure = storage_failure(full.value)
    assert failure.exit_code == ExitCode.STORAGE
    assert "full" in failure.message
    assert "disk is full" in (failure.hint or "") and LOCK_HINT not in (failure.hint or "")


@pytest.mark.sqlite_only  # the SQLite file itself
def test_a_locked_database_keeps_the_lock_hint() -> None:
    failure = storage_failure(sqlite3.OperationalError("database is locked"))
    assert LOCK_HINT in (failure.hint or "")


@pytest.mark.sqlite_only  # the SQLite file itself
def test_a_bug_in_a_query_is_not_a_storage_failure(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "x.db")) as raw:
        raw.execute("CREATE TABLE t (x INTEGER UNIQUE)")
        raw.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.IntegrityError) as duplicate:
            raw.execute("INSERT INTO t VALUES (1)")
    assert not is_storage_failure(duplicate.value)


@pytest.mark.sqlite_only  # sets PAA_DB_URL itself
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("notaurl", "cannot be read as a URL"),
        ("mysql+mysqldb://paa:secret@localhost/paa", "not installed"),
        ("nosuchdatabase://paa@localhost/paa", "does not know"),
    ],
)
def test_a_bad_database_url_is_a_config_error(cli, monkeypatch: pytest.MonkeyPatch, url: str, words: str) -> None:
    if "mysqldb" in url:
        try:
            import MySQLdb  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("MySQLdb is installed here")
    monkeypatch.setenv("PAA_DB_URL", url)

    result = cli("habit", "list")

    assert result.code == ExitCode.CONFIG, result.err
    assert words in result.err and "PAA_DB_URL" in result.err
    assert "secret" not in result.err and "unexpected" not in result.err


@pytest.mark.sqlite_only  # the SQLite file itself
def test_a_migration_retried_within_the_same_second_gets_a_new_backup_name(tmp_path: Path) -> None:
    engine = create_db_engine(sqlite_url(tmp_path / "paa.db"))
    upgrade(engine, "0004_memory")
    backups = tmp_path / "backups"
    backups.mkdir()
    now = datetime.now(UTC)
    # Backups a first, failed attempt left this second (and the next two, should the clock tick meanwhile).
    for seconds in range(3):
        stamp = (now + timedelta(seconds=seconds)).strftime("%Y%m%dT%H%M%S")
        (backups / f"paa-0004_memory-{stamp}.db").write_bytes(b"earlier attempt")

    assert ensure_current(engine, backups) == HEAD

    assert current_revision(engine) == HEAD
    engine.dispose()
    fresh = [path for path in backups.iterdir() if path.read_bytes() != b"earlier attempt"]
    assert len(fresh) == 1 and fresh[0].name.endswith("-2.db")
    assert _mode(fresh[0]) == 0o600
    with closing(sqlite3.connect(fresh[0])) as copy:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004_memory",)
