"""Bring a database to the schema of this version: cheap when current, careful when not."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError

from paa.db.engine import BUSY_TIMEOUT_MS
from paa.db.revisions import HEAD, REVISIONS
from paa.errors import StorageError
from paa.files import file_lock

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def current_revision(engine: Engine) -> str | None:
    """Return the stored revision, or None for a database paa has never set up."""
    with engine.connect() as conn:
        try:
            # Asked of the database's catalogue, not by catching "no such table": the wording, and whether a
            # failed statement spoils the transaction (PostgreSQL), differ between engines.
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except OperationalError as exc:
            raise StorageError(f"cannot read the database: {exc.orig}") from None
    return row[0] if row else None


def stored_sqlite_revision(database: str, *, busy_ms: int = BUSY_TIMEOUT_MS) -> str | None:
    """The revision stored in an existing SQLite file, read without changing it: a read-only connection, no pragmas;
    waiting at most `busy_ms` for another process's lock.

    Opening it through the engine would switch it to WAL (and closing would checkpoint its -wal), so a database
    written by a newer paa is refused before that. A damaged file raises sqlite3.DatabaseError.
    """
    uri = f"file:{quote(os.path.abspath(database))}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=busy_ms / 1000)) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
    return row[0] if row else None


def ensure_current(engine: Engine, backup_dir: Path, lock_file: Path | None = None) -> str:
    """Upgrade the database to HEAD if it is behind; refuse one made by a newer paa."""
    revision = current_revision(engine)
    if revision == HEAD:
        return revision
    refuse_unknown(revision)
    with _exclusive(lock_file), _exclusive_on_server(engine):
        revision = current_revision(engine)  # another process may have upgraded meanwhile
        if revision == HEAD:
            return revision
        refuse_unknown(revision)
        if revision is not None and engine.url.get_backend_name() == "sqlite":
            backup_sqlite(engine, backup_dir, revision)
        upgrade(engine)
    return HEAD


def refuse_unknown(revision: str | None) -> None:
    """Raise StorageError for a revision this paa does not know: the database was written by a newer paa."""
    if revision is not None and revision not in REVISIONS:
        raise StorageError(
            f"the database is at schema {revision!r}, newer than this paa understands",
            hint="upgrade paa (pip install -U paa); the database was not touched",
        )


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run the Alembic migrations up to `target` on this engine."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def backup_sqlite(engine: Engine, backup_dir: Path, revision: str) -> Path:
    """Copy the SQLite file aside with the online backup API, so the copy is consistent."""
    source = engine.url.database
    if not source or source == ":memory:":
        raise StorageError("cannot back up an in-memory database")
    backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = _new_private_file(backup_dir, f"paa-{revision}-{stamp}")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def _new_private_file(folder: Path, stem: str) -> Path:
    """Create `stem.db` (or `stem-2.db`, ... when a migration retried within the same second left one) 0600, empty."""
    for attempt in range(1, 1000):
        target = folder / (f"{stem}.db" if attempt == 1 else f"{stem}-{attempt}.db")
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private before a byte is copied
        except FileExistsError:
            continue
        return target
    raise StorageError(f"cannot name a backup in {folder}: {stem}.db and 998 more exist", hint="remove old backups")


# PostgreSQL's advisory lock key for migrating (any fixed 64-bit number; these are the bytes of "paa:mig"): processes
# that share a database but no data folder, such as the pods of a cluster, take it to migrate one at a time.
MIGRATION_LOCK_KEY = 0x7061613A6D6967


@contextmanager
def _exclusive_on_server(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, hold the migration's advisory lock (on a connection of its own) while the caller migrates."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        conn.commit()  # a session lock outlives the transaction: do not sit idle in one while others migrate
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()


@contextmanager
def _exclusive(lock_file: Path | None) -> Iterator[None]:
    """Hold an inter-process lock so that only one process migrates at a time."""
    if lock_file is None:
        yield
        return
    with file_lock(lock_file):  # on Windows, where there is no flock, SQLite's own locking has to do
        yield
