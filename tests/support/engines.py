"""The storage tests on both engines: SQLite (a file in the test's PAA_HOME) and PostgreSQL (a throwaway database).

`PAA_TEST_PG_URL` names a PostgreSQL cluster the tests may create and drop databases in, as a role with CREATEDB
(e.g. `postgresql+psycopg://paa:paa@127.0.0.1:5433/paa`; `.ci/run` starts one). Each test worker migrates a database
of its own once; each PostgreSQL test starts on it emptied (every row deleted, every id sequence restarted: a tenth
of a second, where copying a database takes a second), with PAA_DB_URL pointing at it, so everything that opens
paa's database the ordinary way (a runtime, a CLI command, a worker process) uses it. A test that leaves it at
another revision (a migration test) has it dropped and made again.

Without `PAA_TEST_PG_URL` the PostgreSQL variants are deselected, saying why; under CI they fail instead, so a CI
that lost its cluster cannot pass by running SQLite alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PG_URL_ENV = "PAA_TEST_PG_URL"
ENGINES = ("sqlite", "postgresql")
# Test folders and files whose tests run on both engines (relative to tests/).
STORAGE_TESTS = (
    "db/",
    "core/",
    "auth/",
    "daemon/",
    "api/",
    "ai/test_memory.py",
    "ai/test_history_import.py",
    "ai/test_recall_index.py",
    "security/test_search_limits.py",
    "e2e/test_concurrency.py",
    "e2e/test_queue.py",
)
# Read once, when the tests start: each test's environment is cleared of PAA_* variables (tests/conftest.py).
_GIVEN = os.environ.get(PG_URL_ENV, "").strip()
DESELECTED_WHY = f"{PG_URL_ENV} is not set: the PostgreSQL variants of the storage tests were deselected"
MISSING_IN_CI = (
    f"{PG_URL_ENV} is not set under CI: the storage tests must run on PostgreSQL there (.ci/run starts a cluster)"
)


def pg_url() -> URL | None:
    """The cluster the tests may use, with the psycopg driver; None when none is configured."""
    if not _GIVEN:
        return None
    return make_url(_GIVEN).set(drivername="postgresql+psycopg")


def required_in_ci() -> bool:
    return bool(os.environ.get("CI"))


@contextmanager
def _admin(url: URL) -> Iterator[Engine]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def create_database(url: URL, *, template: str | None = None) -> URL:
    """Create a new, uniquely named database on the cluster (a copy of `template` when given); return its URL."""
    name = f"paa_test_{uuid.uuid4().hex[:16]}"
    copy = f" TEMPLATE {template}" if template else ""
    with _admin(url) as admin, admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}{copy}"))
    return url.set(database=name)


def drop_database(url: URL) -> None:
    """Drop a test's database, closing whatever connection a test left open to it."""
    name = url.database
    admin_url = pg_url()
    if not name or admin_url is None:
        return
    with _admin(admin_url) as admin, admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def migrated_database() -> URL:
    """A new database at the newest revision."""
    from paa.db.engine import create_db_engine
    from paa.db.migrate import upgrade

    url = pg_url()
    assert url is not None
    made = create_database(url)
    engine = create_db_engine(as_setting(made))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return made


_EMPTYING: dict[str, str] = {}  # database name -> the statements that empty it (reflecting takes most of a second)


def empty(url: URL) -> bool:
    """Delete every row (children first) and restart every id sequence; False when the database is not at HEAD."""
    from paa.db.revisions import HEAD

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            known = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if known else None
            if revision != HEAD:
                return False
            statements = _EMPTYING.get(url.database or "")
            if statements is None:
                statements = _EMPTYING[url.database or ""] = _emptying(conn)
            conn.exec_driver_sql(statements)
    finally:
        engine.dispose()
    return True


def _emptying(conn: Connection) -> str:
    from sqlalchemy import MetaData

    tables = MetaData()
    tables.reflect(conn)
    sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences")).scalars().all()
    names = [table.name for table in reversed(tables.sorted_tables) if table.name != "alembic_version"]
    statements = [f"DELETE FROM {name}" for name in names] + [f"ALTER SEQUENCE {name} RESTART" for name in sequences]
    return "; ".join(statements)


def as_setting(url: URL) -> str:
    """The URL as PAA_DB_URL takes it (with its password: the variable is the test's own)."""
    return url.render_as_string(hide_password=False)
