"""Restoring a backup: checked before anything is touched, the current data kept first, replaced in one transaction.

The backup is first copied to a staging file in the backups folder and checked there: its checksum against the
manifest, that it is an intact SQLite database of paa, that its schema is one this paa knows (a newer one is refused),
and that the data keys its sealed values need are here. An older schema is migrated forward on the staging copy. Only
then is the live database touched: its write lock is taken (other processes' writes wait, and a write in progress
finishes first), a copy of it is kept in the backups folder, and every table is replaced by the backup's in that one
transaction. Readers see the old data or the new, never a mix.

On PostgreSQL the same checks are made on the backup's rows (pg_dump's archive read by pg_restore, or paa's logical
copy), and the swap is one transaction on the server: see paa.core.dataio.pg.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine

from paa.config import Paths
from paa.core.dataio.backup import (
    RESTORE_PREFIX,
    BackupInfo,
    backup_database,
    read_revision,
    sealed_key_ids,
    sqlite_file,
    verify_backup,
)
from paa.db.engine import BUSY_TIMEOUT_MS
from paa.db.revisions import HEAD, REVISIONS
from paa.errors import InvalidInput, StorageError
from paa.files import PRIVATE


@dataclass(frozen=True)
class TableChange:
    """A table's row count now and after the restore."""

    table: str
    now: int
    then: int

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "now": self.now, "after": self.then}


@dataclass(frozen=True)
class RestorePlan:
    """What restoring a backup would do: its schema, whether it is migrated forward, and each table's rows."""

    backup: BackupInfo
    revision: str
    migrated: bool
    checksum: str  # "ok", or "none" for a file without a manifest
    encrypted: bool
    tables: tuple[TableChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.backup.path),
            "revision": self.revision,
            "migrated_to": HEAD if self.migrated else None,
            "checksum": self.checksum,
            "encrypted": self.encrypted,
            "tables": [change.to_json() for change in self.tables],
            "kept": None,
            "restored": False,
        }


@dataclass(frozen=True)
class Staged:
    """A backup checked and brought to the current schema in a staging file, ready to restore."""

    plan: RestorePlan
    file: Path


@dataclass(frozen=True)
class RestoreResult:
    plan: RestorePlan
    kept: Path  # the copy of the database as it was before the restore

    def to_json(self) -> dict[str, Any]:
        return {**self.plan.to_json(), "kept": str(self.kept), "restored": True}


@contextmanager
def stage(engine: Engine, paths: Paths, environ: Mapping[str, str] | None, file: Path) -> Iterator[Staged]:
    """Check `file` and bring a copy of it to the current schema; the staging copy is removed after the block."""
    if engine.dialect.name == "postgresql":
        with _stage_pg(engine, paths, environ, file) as staged:
            yield staged
        return
    live = sqlite_file(engine)
    info = verify_backup(file)
    if content_of(file) in ("pg_dump", "pg_copy"):
        raise InvalidInput(
            f"{file} is a backup of a PostgreSQL database; this paa's database is a SQLite file",
            hint="restore it into a paa whose database.url is PostgreSQL, then move data with paa export/import",
            field="file",
        )
    paths.backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = paths.backup_dir / f".restore-{os.getpid()}.db"
    with suppress(FileNotFoundError):
        staging.unlink()
    try:
        os.close(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
        revision, key_ids = _copy_checked(file, staging)
        _check_keys(paths, environ, key_ids)
        migrated = revision != HEAD
        if migrated:
            _migrate(staging, paths, environ)
        tables = _changes(live, staging)
        checksum = "ok" if info.sha256 else "none"
        yield Staged(RestorePlan(info, revision, migrated, checksum, bool(key_ids), tables), staging)
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                os.unlink(f"{staging}{suffix}")


def content_of(file: Path) -> str:
    """What a backup file holds, from its first bytes: sqlite, pg_dump (custom archive), pg_copy, or unknown."""
    try:
        with open(file, "rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from None
    if head.startswith(b"SQLite format 3\0"):
        return "sqlite"
    if head.startswith(b"PGDMP"):
        return "pg_dump"
    if head.startswith(b"\x1f\x8b"):
        return "pg_copy"
    return "unknown"


@contextmanager
def _stage_pg(engine: Engine, paths: Paths, environ: Mapping[str, str] | None, file: Path) -> Iterator[Staged]:
    from paa.core.dataio import pg

    info = verify_backup(file)
    content = content_of(file)
    if content == "sqlite":
        raise InvalidInput(
            f"{file} is a backup of a SQLite database; this paa's database is PostgreSQL",
            hint="move data between them with paa export and paa import; nothing was changed",
            field="file",
        )
    if content not in ("pg_dump", "pg_copy"):
        raise InvalidInput(f"{file} is not a paa backup (neither a database file nor pg_dump's archive)", field="file")
    paths.backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = paths.backup_dir / f".restore-{os.getpid()}{pg.COPY_SUFFIX}"
    with suppress(FileNotFoundError):
        staging.unlink()
    try:
        os.close(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
        if content == "pg_dump":
            pg.archive_to_copy(file, staging)
        else:
            with open(file, "rb") as source, open(staging, "wb") as target:
                shutil.copyfileobj(source, target)
        revision, blocks, key_ids = pg.staged_revision(staging)
        if revision is None:
            raise InvalidInput(f"{file} is not a paa database: it has no schema revision", field="file")
        if revision not in REVISIONS:
            raise InvalidInput(
                f"{file} is at schema {revision!r}, newer than this paa understands",
                hint="upgrade paa to restore it; nothing was changed",
                field="file",
            )
        _check_keys(paths, environ, key_ids)
        now = pg.live_counts(engine)
        then = {block.table: block.rows for block in blocks}
        tables = tuple(
            TableChange(table, now.get(table, 0), then.get(table, 0))
            for table in sorted(set(now) | set(then))
            if table != "alembic_version"
        )
        checksum = "ok" if info.sha256 else "none"
        plan = RestorePlan(info, revision, revision != HEAD, checksum, bool(key_ids), tables)
        yield Staged(plan, staging)
    finally:
        with suppress(FileNotFoundError):
            staging.unlink()


def _copy_checked(file: Path, staging: Path) -> tuple[str, tuple[str, ...]]:
    """Copy the backup (read-only) to the staging file and check it there; return its revision and key ids."""
    uri = f"file:{quote(os.path.abspath(file))}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as src, closing(sqlite3.connect(staging)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            if dst.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise InvalidInput(f"{file} is damaged: its integrity check fails", field="file")
            revision = read_revision(dst)
            key_ids = sealed_key_ids(dst)
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{file} is not a paa backup: {exc}", field="file") from None
    if revision is None:
        raise InvalidInput(f"{file} is not a paa database: it has no schema revision", field="file")
    if revision not in REVISIONS:
        raise InvalidInput(
            f"{file} is at schema {revision!r}, newer than this paa understands",
            hint="upgrade paa to restore it; nothing was changed",
            field="file",
        )
    return revision, key_ids


def _check_keys(paths: Paths, environ: Mapping[str, str] | None, key_ids: tuple[str, ...]) -> None:
    """Refuse an encrypted backup whose data keys are not here: restored, its sealed values could not be read."""
    if not key_ids:
        return
    from paa.core.encryption import key_file, key_status, load_keys

    hint = (
        f"put the data key of the installation the backup came from in place first ({key_file(paths)} or its "
        "keyring entry); nothing was changed"
    )
    if key_status(paths, environ).where is None:
        raise StorageError("the backup is encrypted and there is no data key here", hint=hint)
    missing = sorted(set(key_ids) - set(load_keys(paths, environ).keys))
    if missing:
        raise StorageError(f"the backup is encrypted with data key(s) {', '.join(missing)}, not here", hint=hint)


def _migrate(staging: Path, paths: Paths, environ: Mapping[str, str] | None) -> None:
    from paa.core.encryption import attach
    from paa.db.engine import create_db_engine, sqlite_url
    from paa.db.migrate import upgrade

    engine = create_db_engine(sqlite_url(staging))
    try:
        attach(engine, paths, environ)
        upgrade(engine)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(staging)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")


def _tables(conn: sqlite3.Connection, schema: str = "main") -> tuple[list[str], list[str]]:
    """The ordinary tables (with sqlite_sequence) and the virtual tables of a schema; a virtual table's shadow
    tables are left out: they follow their table."""
    rows = conn.execute(f"SELECT name, sql FROM {schema}.sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    ordinary = [
        name
        for name, _sql in rows
        if name not in virtual
        and not any(name.startswith(f"{table}_") for table in virtual)
        and (name == "sqlite_sequence" or not name.startswith("sqlite_"))
    ]
    return sorted(ordinary), sorted(virtual)


def _count(conn: sqlite3.Connection, table: str, schema: str = "main") -> int:
    return int(conn.execute(f'SELECT COUNT(*) FROM {schema}."{table}"').fetchone()[0])


def _changes(live: Path, staging: Path) -> tuple[TableChange, ...]:
    with closing(_connect(live)) as conn:
        conn.execute("ATTACH DATABASE ? AS staged", (str(staging),))
        ordinary, _virtual = _tables(conn)
        staged = set(_tables(conn, "staged")[0])
        return tuple(
            TableChange(table, _count(conn, table), _count(conn, table, "staged") if table in staged else 0)
            for table in ordinary
            if table not in ("sqlite_sequence", "alembic_version")
        )


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def restore(engine: Engine, paths: Paths, staged: Staged, now: datetime) -> RestoreResult:
    """Replace the live database's contents with the staged backup's, keeping a copy of the current data first."""
    if engine.dialect.name == "postgresql":
        return _restore_pg(engine, paths, staged, now)
    live = sqlite_file(engine)
    engine.dispose()  # this process's pooled connections hold no snapshot across the swap
    with closing(_connect(live)) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")  # rows go in table by table; checked as a whole before commit
        conn.execute("ATTACH DATABASE ? AS staged", (str(staged.file),))
        conn.execute("BEGIN IMMEDIATE")  # the write lock: other writers wait until the restore is done
        try:
            # Another process cannot commit while the lock is held, so this copy is the data as it is replaced.
            kept = backup_database(engine, paths, now, prefix=RESTORE_PREFIX).backup.path
            _replace(conn)
            _announce(conn, now)
            problems = conn.execute("PRAGMA main.foreign_key_check").fetchall()
            if problems:
                raise StorageError(f"the backup's rows do not fit together ({len(problems)} broken references)")
            conn.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("DETACH DATABASE staged")
    return RestoreResult(staged.plan, kept)


def _announce(conn: sqlite3.Connection, now: datetime) -> None:
    """Tell every user's open clients (the browser app, WebSockets) that all their data changed."""
    from datetime import UTC

    from paa.core.changes import AREA_OF_TABLE, DATA_CHANGED

    data = json.dumps({"areas": sorted(set(AREA_OF_TABLE.values()))}, separators=(",", ":"))
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as the UTCDateTime column stores an instant
    conn.execute(
        "INSERT INTO main.events (user_id, type, data, created_at) SELECT id, ?, ?, ? FROM main.users ORDER BY id",
        (DATA_CHANGED, data, stamp),
    )


def _replace(conn: sqlite3.Connection) -> None:
    ordinary, virtual = _tables(conn)
    # Ids handed out before stay used: a client that saw change-feed event 900 must not miss the next events because
    # the backup's feed stopped at 800 (AUTOINCREMENT tables only go up).
    sequences = dict(conn.execute("SELECT name, seq FROM main.sqlite_sequence").fetchall())
    for table in ordinary + virtual:  # the virtual tables last: a trigger on a table may clear them
        conn.execute(f'DELETE FROM main."{table}"')
    staged_tables = set(_tables(conn, "staged")[0]) | set(_tables(conn, "staged")[1])
    for table in ordinary + virtual:
        if table not in staged_tables:
            continue
        columns = [row[1] for row in conn.execute(f'PRAGMA main.table_info("{table}")').fetchall()]
        names = ", ".join(f'"{column}"' for column in columns)
        if table in virtual:
            names = "rowid, " + names
        conn.execute(f'INSERT INTO main."{table}" ({names}) SELECT {names} FROM staged."{table}"')
    for name, seq in sequences.items():
        conn.execute("UPDATE main.sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name))


def _restore_pg(engine: Engine, paths: Paths, staged: Staged, now: datetime) -> RestoreResult:
    from datetime import UTC

    from paa import __version__
    from paa.core.dataio import pg
    from paa.core.dataio.backup import _manifest, file_digest, manifest_path, reserve
    from paa.files import write_private_json

    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = reserve(paths.backup_dir, f"{RESTORE_PREFIX}{stamp}", pg.COPY_SUFFIX)
    try:
        revision, key_ids = pg.replace(engine, staged.file, staged.plan.revision, kept, now)
    except BaseException:
        with suppress(FileNotFoundError):
            kept.unlink()  # rolled back: the data it holds is still the database's
        raise
    digest, size = file_digest(kept)
    created = now.astimezone(UTC)
    info = BackupInfo(kept, created, __version__, revision, bool(key_ids), key_ids, digest, size, "pg_copy")
    write_private_json(manifest_path(kept), _manifest(info), sort_keys=False)
    return RestoreResult(staged.plan, kept)
