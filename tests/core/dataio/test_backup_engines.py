"""Backup and restore through paa on either engine; on PostgreSQL with pg_dump, or paa's logical copy without it."""

from __future__ import annotations

import gzip
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from paa.core.dataio import pg
from paa.core.dataio.backup import backup_database, list_backups, manifest_path
from paa.core.dataio.restore import restore, stage
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit
from paa.db.engine import create_db_engine
from paa.db.migrate import upgrade
from paa.db.models import Habit, HabitLog
from paa.db.revisions import HEAD
from paa.errors import InvalidInput
from tests.support import engines
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for

pytestmark = pytest.mark.e2e  # pg_dump and pg_restore are processes

PASSWORD = "se:cr\\et pw"  # a colon and a backslash: the password file's own escapes


def _add(make_ctx, name: str, note: str | None = None) -> None:
    with make_ctx(write=True) as ctx:
        habit = add_habit(ctx, HabitFields(name=name))
        log_habit(ctx, habit, ctx.today(), note=note)


def _habits(make_ctx) -> list[str]:
    with make_ctx() as ctx:
        return [habit.name for habit in ctx.session.exec(select(Habit).order_by(col(Habit.id))).all()]


def _backup() -> Path:
    with runtime_for() as runtime:
        return backup_database(runtime.engine, runtime.paths, FIXED_NOW).backup.path


def _restore(file: Path):  # type: ignore[no-untyped-def]
    with runtime_for() as runtime, stage(runtime.engine, runtime.paths, runtime.environ, file) as staged:
        plan = staged.plan
        result = restore(runtime.engine, runtime.paths, staged, FIXED_NOW)
    return plan, result


@pytest.fixture
def no_pg_dump(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No pg_dump on PATH nor in the PostgreSQL folders."""
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setattr(pg, "TOOL_FOLDERS", str(empty))
    monkeypatch.setenv("PATH", str(empty))


def test_a_backup_restores_on_either_engine(make_ctx, db_engine: str) -> None:
    _add(make_ctx, "Run", note="easy 5 km")
    path = _backup()
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["database"] == db_engine and manifest["revision"] == HEAD and manifest["encrypted"] is True
    assert manifest["content"] == ("sqlite" if db_engine == "sqlite" else "pg_dump")  # pg_dump is installed here
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _add(make_ctx, "Tea")
    plan, result = _restore(path)
    assert {change.table: (change.now, change.then) for change in plan.tables}["habits"] == (2, 1)
    assert plan.checksum == "ok" and plan.encrypted and not plan.migrated
    assert _habits(make_ctx) == ["Run"]
    with make_ctx() as ctx:  # the sealed note reads back with this data key
        assert [log.note for log in ctx.session.exec(select(HabitLog)).all()] == ["easy 5 km"]
    _add(make_ctx, "Walk")  # ids go on from where they were: no clash with a row restored
    assert _habits(make_ctx) == ["Run", "Walk"]
    with runtime_for() as runtime:
        assert [info.kind for info in list_backups(runtime.paths)] == ["backup", "before-restore"]
    _plan, _again = _restore(result.kept)  # the kept copy is itself a backup: the data it replaced comes back
    assert _habits(make_ctx) == ["Run", "Tea"]


@pytest.mark.usefixtures("no_pg_dump")
def test_without_pg_dump_postgresql_gets_the_logical_copy_and_is_told(make_ctx, db_engine: str) -> None:
    if db_engine != "postgresql":
        pytest.skip("pg_dump concerns PostgreSQL only")
    _add(make_ctx, "Run", note="knee fine")
    with runtime_for() as runtime:
        older = backup_database(runtime.engine, runtime.paths, FIXED_NOW - timedelta(days=1)).backup.path
        result = backup_database(runtime.engine, runtime.paths, FIXED_NOW, keep=1)
    assert result.removed == (older,) and not older.exists()  # backup.keep prunes these files too
    assert result.note is not None and "no pg_dump" in result.note and "postgresql-client-" in result.note
    assert result.backup.path.suffix == ".pgcopy" and result.backup.content == "pg_copy"
    with gzip.open(result.backup.path, "rb") as stream:
        header = json.loads(stream.readline())
        body = stream.read()
    assert header["format"] == "paa-pg-copy" and header["revision"] == HEAD and "habit_logs" in header["tables"]
    assert b"knee" not in body and b"enc:v1:" in body  # sealed values stay sealed
    _add(make_ctx, "Tea")
    plan, _result = _restore(result.backup.path)
    assert plan.encrypted and _habits(make_ctx) == ["Run"]


def test_the_password_reaches_pg_dump_in_a_private_file_only(
    make_ctx, db_engine: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if db_engine != "postgresql":
        pytest.skip("pg_dump concerns PostgreSQL only")
    real, _found = pg.find_tool("pg_dump")
    assert real is not None
    seen = tmp_path / "seen"
    wrapper_dir = tmp_path / "bin"
    wrapper_dir.mkdir()
    wrapper = wrapper_dir / "pg_dump"
    # A pg_dump that notes its arguments, its environment's password variables and its password file, then runs.
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "argv: $*" >> {seen}\n'
        f'echo "PGPASSWORD=${{PGPASSWORD:-}}" >> {seen}\n'
        f'if [ -n "${{PGPASSFILE:-}}" ]; then stat -c "mode %a" "$PGPASSFILE" >> {seen};'
        f' cat "$PGPASSFILE" >> {seen}; echo "file $PGPASSFILE" >> {seen}; fi\n'
        f'exec {real.path} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setattr(pg, "TOOL_FOLDERS", str(tmp_path / "none"))
    monkeypatch.setenv("PATH", f"{wrapper_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("PGPASSWORD", "inherited")  # never handed on
    url = make_url(os.environ["PAA_DB_URL"]).set(password=PASSWORD)
    monkeypatch.setenv("PAA_DB_URL", engines.as_setting(url))
    _add(make_ctx, "Run")
    path = _backup()
    record = seen.read_text()
    argv_lines = [line for line in record.splitlines() if line.startswith("argv:") and "--format" in line]
    assert len(argv_lines) == 1 and PASSWORD not in argv_lines[0] and "se:cr" not in argv_lines[0]
    assert "PGPASSWORD=\n" in record and "mode 600" in record
    assert "*:*:*:*:se\\:cr\\\\et pw" in record  # the trust cluster ignores it; the file is what libpq reads
    passfile = Path(record.split("file ", 1)[1].split()[0])
    assert not passfile.exists() and not passfile.parent.exists()  # removed with its folder
    assert json.loads(manifest_path(path).read_text())["content"] == "pg_dump"
    assert PASSWORD not in manifest_path(path).read_text()


def test_an_older_postgresql_backup_is_migrated_forward(make_ctx, db_engine: str) -> None:
    if db_engine != "postgresql":
        pytest.skip("the SQLite migration case is in test_restore.py")
    cluster = engines.pg_url()
    assert cluster is not None
    made = engines.create_database(cluster)
    engine = create_db_engine(engines.as_setting(made))
    try:
        upgrade(engine, "0006_events")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, role, is_active, created_at)"
                              " VALUES (1, 'local', 'member', true, '2026-11-01')"))  # fmt: skip
            conn.execute(text(
                "INSERT INTO habits (user_id, name, name_key, kind, target_type, schedule_type, weekdays, times,"
                " period_days, reminder_days, archived, position, created_at, updated_at) VALUES (1, 'Old run',"
                " 'old run', 'boolean', 'at_least', 'daily', 0, 1, 1, 0, false, 1, '2026-11-01', '2026-11-01')"
            ))  # fmt: skip
        with runtime_for() as runtime:
            old = backup_database(engine, runtime.paths, FIXED_NOW).backup.path
    finally:
        engine.dispose()
        engines.drop_database(made)
    _add(make_ctx, "Tea")
    plan, _result = _restore(old)
    assert plan.revision == "0006_events" and plan.migrated
    assert _habits(make_ctx) == ["Old run"]
    with runtime_for() as runtime, runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    _add(make_ctx, "Walk")
    assert _habits(make_ctx) == ["Old run", "Walk"]


def test_a_postgresql_backup_of_a_newer_paa_is_refused(make_ctx, db_engine: str, tmp_path: Path) -> None:
    if db_engine != "postgresql":
        pytest.skip("the SQLite case is in test_restore.py")
    _add(make_ctx, "Run")
    future = tmp_path / "future.pgcopy"
    with gzip.open(future, "wb") as stream:  # a hand-made copy without a manifest is checked all the same
        stream.write(json.dumps({"format": "paa-pg-copy", "version": 1, "revision": "9999_future"}).encode() + b"\n")
        data = b"9999_future\n"
        block = {"table": "alembic_version", "columns": ["version_num"], "rows": 1, "size": len(data)}
        stream.write(json.dumps(block).encode() + b"\n" + data)
    with pytest.raises(InvalidInput, match="newer than this paa"):
        _restore(future)
    assert _habits(make_ctx) == ["Run"]


def test_a_changed_byte_or_the_other_engine_s_backup_is_refused(make_ctx, db_engine: str, tmp_path: Path) -> None:
    _add(make_ctx, "Run")
    path = _backup()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="checksum"):
        _restore(path)
    other = tmp_path / "other.bin"
    other.write_bytes(b"PGDMP" + b"\0" * 64 if db_engine == "sqlite" else b"SQLite format 3\0" + b"\0" * 64)
    with pytest.raises(InvalidInput, match="PostgreSQL" if db_engine == "sqlite" else "SQLite"):
        _restore(other)
    assert _habits(make_ctx) == ["Run"]


def test_a_plain_pg_dump_archive_restores(make_ctx, db_engine: str, tmp_path: Path) -> None:
    """What the compose and Kubernetes jobs write (pg_dump's archive, no paa manifest) goes back with paa restore."""
    import subprocess

    if db_engine != "postgresql":
        pytest.skip("pg_dump concerns PostgreSQL only")
    tool, _found = pg.find_tool("pg_dump")
    assert tool is not None
    _add(make_ctx, "Run", note="kept sealed")
    url = make_url(os.environ["PAA_DB_URL"])
    dump = tmp_path / "paa-20261126T033000Z.dump"
    with pg.libpq_environment(url) as environ:
        subprocess.run(
            [str(tool.path), "--format=custom", f"--file={dump}", pg.libpq_target(url)], env=environ, check=True
        )
    _add(make_ctx, "Tea")
    plan, _result = _restore(dump)
    assert plan.checksum == "none" and plan.revision == HEAD and plan.encrypted
    assert _habits(make_ctx) == ["Run"]
    with make_ctx() as ctx:
        assert [log.note for log in ctx.session.exec(select(HabitLog)).all()] == ["kept sealed"]


def test_the_daemon_takes_the_daily_backup_on_either_engine(make_ctx, db_engine: str, monkeypatch) -> None:
    from paa.clock import FixedClock
    from paa.daemon.runner import Daemon

    _add(make_ctx, "Run")
    monkeypatch.setenv("PAA_BACKUP_KEEP", "1")

    def backup_at(hours: float) -> Path | None:
        with runtime_for(clock=FixedClock(FIXED_NOW + timedelta(hours=hours))) as runtime:
            return Daemon(runtime).backup_if_due()

    first = backup_at(0)
    assert first is not None and first.suffix == (".db" if db_engine == "sqlite" else ".dump")
    assert backup_at(23) is None  # the newest is not a day old yet
    second = backup_at(24)
    assert second is not None
    assert [info.path for info in list_backups(runtime_for().paths)] == [second]  # backup.keep = 1
