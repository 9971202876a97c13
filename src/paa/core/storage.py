"""Opening paa's database: its URL, a current schema, and files only their owner can read."""

from __future__ import annotations

import os
from collections.abc import Mapping

from sqlalchemy import URL, Engine

from paa.config import LoadedSettings, Paths
from paa.db.engine import create_db_engine, sqlite_url
from paa.db.errors import is_storage_failure, storage_failure
from paa.errors import StorageError


def database_url(paths: Paths, loaded: LoadedSettings) -> str:
    return loaded.settings.database_url or sqlite_url(paths.database_file)


def open_engine(paths: Paths, loaded: LoadedSettings, environ: Mapping[str, str] | None = None) -> Engine:
    """Create the engine and make sure the schema is current (migrating when it is behind).

    An existing SQLite file's revision is read first, read-only: a database from a newer paa is refused before any
    pragma or chmod could change it, and a damaged one is reported before anything else is tried. The engine gets
    the data key of sealed columns (`paa.core.encryption`), from the keyring named by `environ` or data.key; without
    `environ` (tests opening an engine by hand) the keyring is not consulted.
    """
    from paa.core.encryption import attach
    from paa.db.migrate import ensure_current
    from paa.db.revisions import HEAD

    url = database_url(paths, loaded)
    engine = create_db_engine(url)
    attach(engine, paths, environ)
    try:
        stored = _stored_revision(engine)
        if engine.dialect.name == "sqlite":
            _make_private_dir(paths.data_dir)
            _make_private_database(engine.url.database)
        if stored != HEAD:  # at HEAD already: the engine need not ask again
            ensure_current(engine, paths.backup_dir, paths.data_dir / ".migrate.lock")
    except Exception as exc:
        engine.dispose()
        if is_storage_failure(exc):
            raise storage_failure(exc, f"cannot open the database at {_shown(engine)}") from None
        raise
    return engine


def sqlite_file(url: URL) -> str | None:
    """The existing SQLite file a database URL names (not one in memory or given as a URI); None otherwise."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database if os.path.isfile(database) else None


def _stored_revision(engine: Engine) -> str | None:
    """The revision of an existing SQLite file (refused when unknown), without touching it; None otherwise."""
    from paa.db.migrate import refuse_unknown, stored_sqlite_revision

    database = sqlite_file(engine.url)
    if database is None:
        return None
    revision = stored_sqlite_revision(database)
    refuse_unknown(revision)
    return revision


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _make_private_dir(path: os.PathLike[str] | str) -> None:
    """Create the data folder 0700, or narrow an existing one to 0700 (it holds the database and secrets)."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        _narrow(path, 0o700)
    except OSError as exc:
        raise StorageError(f"cannot create the data folder {path}: {exc.strerror}") from None


def _narrow(path: os.PathLike[str] | str, mode: int) -> None:
    """Take group and other permissions off a file or folder we own (one stat when they are already off)."""
    current = os.stat(path).st_mode & 0o777
    if current & 0o077:
        os.chmod(path, current & mode)


def _make_private_database(database: str | None) -> None:
    """Create the SQLite file 0600 before SQLite does (its -wal and -shm files copy that mode); narrow an old one."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            for suffix in ("", "-wal", "-shm"):
                if suffix == "" or os.path.exists(database + suffix):
                    _narrow(database + suffix, 0o600)
        except OSError:
            return  # not ours to change (another owner): SQLite reports a real problem when it opens the file
    except OSError:
        return  # e.g. the folder is missing or read-only: SQLite gives the clear error
    else:
        os.close(fd)
