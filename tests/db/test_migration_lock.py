"""Processes that share a PostgreSQL database but no data folder (a cluster's pods) migrate it one at a time.

The data folder's file lock cannot reach another machine; a PostgreSQL advisory lock does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from paa.db.engine import create_db_engine
from paa.db.migrate import MIGRATION_LOCK_KEY, current_revision, ensure_current
from paa.db.revisions import HEAD
from tests.support import engines
from tests.support.waiting import wait_until


@pytest.fixture
def fresh_database(db_engine: str) -> Iterator[URL]:
    """A new, empty PostgreSQL database of this test's own (dropped after it)."""
    if db_engine != "postgresql":
        pytest.skip("PostgreSQL's advisory lock: on SQLite the data folder's file lock is the whole story")
    cluster = engines.pg_url()
    assert cluster is not None
    made = engines.create_database(cluster)
    yield made
    engines.drop_database(made)


def _engine(url: URL) -> Engine:
    return create_db_engine(engines.as_setting(url))


def _waiting_for_the_lock(url: URL) -> bool:
    probe = create_engine(url, poolclass=NullPool)
    try:
        with probe.connect() as conn:
            query = (
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()"
            )
            return bool(conn.execute(text(query)).scalar())
    finally:
        probe.dispose()


def test_a_migration_waits_while_another_process_migrates(fresh_database: URL, tmp_path: Path) -> None:
    holder = create_engine(fresh_database, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    engine = _engine(fresh_database)
    results: list[object] = []
    try:
        with holder.connect() as other:  # another pod, migrating
            other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            worker = threading.Thread(target=lambda: results.append(ensure_current(engine, tmp_path / "backups")))
            worker.start()
            wait_until(lambda: _waiting_for_the_lock(fresh_database), what="the migration to wait for the lock")
            assert current_revision(engine) is None  # nothing migrated while the other holds the lock
            other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            worker.join(timeout=120)
        assert results == [HEAD]
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
        holder.dispose()


def test_two_processes_starting_together_on_an_empty_database_both_get_a_current_one(
    fresh_database: URL, tmp_path: Path
) -> None:
    made = [_engine(fresh_database) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[object] = []

    def open_it(engine: Engine, backups: Path) -> None:
        start.wait()
        try:
            results.append(ensure_current(engine, backups))  # no shared file lock: separate data folders
        except Exception as exc:  # the failure this guards against: both creating the same tables
            results.append(exc)

    workers = [
        threading.Thread(target=open_it, args=(engine, tmp_path / f"pod-{number}"))
        for number, engine in enumerate(made)
    ]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert results == [HEAD, HEAD]
    finally:
        for engine in made:
            engine.dispose()
