"""The database engine: SQLite with WAL, a busy timeout and foreign keys; write transactions take the lock up front.

On PostgreSQL, transactions run side by side, and a read-then-write in core (adding 1 to today's log, numbering a
new habit) could lose an update or fail on a unique key where SQLite's single writer made it safe. A write
transaction there first takes an advisory lock on its user (`hold_user_writes`): one user's writes run one after
another, as they do on SQLite, while different users' writes still run at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from paa.errors import ConfigError

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "paa_write"
USER_WRITES_LOCK = 0x7061  # the first key of the two-key advisory lock on a user's writes (PostgreSQL)
SQLITE_POOL_SIZE = 40  # anyio's thread pool, where the server's routes run: 40 threads


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# Engines made before a fork, their pools empty, each for the first `create_db_engine` of its URL after it (the warm
# server's rehearsal: paa.cli.warm_rehearsal).
_HANDED_DOWN: dict[str, Engine] = {}


def hand_down(url: str, engine: Engine) -> None:
    """Keep `engine` (made by `create_db_engine(url)`, its connections all closed) for the next `create_db_engine`
    of `url` in this process or a fork of it. That one takes it, with the statements SQLAlchemy compiled and cached
    for it (the cache is the engine's, and its keys name the engine's dialect): a warm server's worker then compiles
    only what its command runs that the rehearsal did not (~7 ms of a `habit list`, ~20 ms of a chat). Taken once:
    a second engine of the URL is new, so no two runtimes, and no two processes, share one engine's connections."""
    _HANDED_DOWN[url] = engine


def create_db_engine(url: str) -> Engine:
    """Create an engine (or take the one handed down for `url`); for SQLite, set the pragmas paa relies on for safety
    under concurrency.

    A URL that cannot be read, or names a driver that is not installed, is a ConfigError: it comes from the settings.
    """
    handed_down = _HANDED_DOWN.pop(url, None)
    if handed_down is not None:
        return handed_down
    sqlite = url.startswith("sqlite")
    try:
        if not sqlite:
            return create_engine(url, pool_pre_ping=True)
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            # Keep as many connections as a server's thread pool runs requests at once: past the default 5, each
            # busy request opened a new connection (and ran the pragmas) and closed it after (bench/api.py).
            pool_size=SQLITE_POOL_SIZE,
        )
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise _url_problem(url, exc) from None
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _url_problem(url: str, exc: Exception) -> ConfigError:
    where = "set PAA_DB_URL (or database.url in config.toml)"
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return ConfigError(
            "the database URL cannot be read as a URL",
            hint=f"{where} to a URL such as postgresql+psycopg://paa@localhost/paa, or unset it to use SQLite",
        )
    if isinstance(exc, ImportError):
        module = exc.name or "its driver"
        return ConfigError(
            f"the database URL {shown} needs the Python module {module!r}, which is not installed",
            hint=f"install the package that provides it where paa is installed, or {where} to another URL",
        )
    return ConfigError(f"the database URL {shown} names a database SQLAlchemy does not know", hint=where)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    # A deferred transaction that later writes can fail at once with SQLITE_BUSY when another
    # process wrote in between; taking the write lock at BEGIN makes writers queue instead.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """Return a view of the engine whose transactions take SQLite's write lock when they begin."""
    return engine.execution_options(**{WRITE_OPTION: True})


def hold_user_writes(session: Any, user_id: int) -> None:
    """On PostgreSQL, wait for the user's other write transactions and hold off new ones until this one ends.

    Called on a Session at the start of a write transaction; on SQLite (one writer at a time already) it does nothing.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(:space, :user)")
        session.execute(lock, {"space": USER_WRITES_LOCK, "user": user_id})
