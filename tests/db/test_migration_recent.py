"""Migrations 0012_idempotency and 0013_shared_vectors on both engines: each goes down to the revision before it,
taking its tables away and keeping every other row, and up again. 0013 makes its tables on PostgreSQL only (SQLite
keeps its vectors in a file beside the database), so on SQLite its downgrade has nothing to take away."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text

from paa.db.migrate import current_revision, upgrade
from paa.db.revisions import HEAD
from tests.db.test_migrations import _schema_differences
from tests.db.test_migrations_engines import _downgrade
from tests.db.test_migrations_engines import empty_engine as empty_engine

VECTOR_TABLES = {"memory_vectors", "memory_vector_sets"}


@pytest.fixture
def engine(empty_engine: Engine) -> Iterator[Engine]:
    """An empty database of the test's engine at 0011, with a user."""
    upgrade(empty_engine, "0011_recall")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, username, role, is_active, created_at) "
                          "VALUES (1, 'ann', 'member', TRUE, '2026-11-01 00:00:00')"))  # fmt: skip
    yield empty_engine


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _users(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT username FROM users")).scalars())


def test_0012_goes_down_taking_the_idempotency_keys_and_up_again(engine: Engine) -> None:
    upgrade(engine, "0012_idempotency")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO idempotency_keys (user_id, key, operation, fingerprint, response, created_at) "
                          "VALUES (1, 'k-1', 'habit.log', 'f', '{}', '2026-11-20 10:00:00')"))  # fmt: skip
    _downgrade(engine, "0011_recall")
    assert current_revision(engine) == "0011_recall"
    assert "idempotency_keys" not in _tables(engine) and _users(engine) == ["ann"]
    upgrade(engine, "0012_idempotency")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one() == 0  # the keys went down


def test_0013_goes_down_taking_the_shared_vectors_and_up_again(engine: Engine) -> None:
    upgrade(engine, "0013_shared_vectors")
    postgres = engine.dialect.name == "postgresql"
    tables = _tables(engine)
    assert (tables >= VECTOR_TABLES) == postgres and bool(VECTOR_TABLES & tables) == postgres
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO memories (id, user_id, kind, content, derived, created_at) "
                          "VALUES (1, 1, 'fact', 'I swim on Sundays', FALSE, '2026-11-20 10:00:00')"))  # fmt: skip
        if postgres:
            conn.execute(text("INSERT INTO memory_vector_sets VALUES (1, 'local-minilm', 1, 'e')"))
            conn.execute(text("INSERT INTO memory_vectors VALUES (1, 1, 0.5, '\\x00ff')"))
    _downgrade(engine, "0012_idempotency")
    assert current_revision(engine) == "0012_idempotency"
    assert not VECTOR_TABLES & _tables(engine) and _users(engine) == ["ann"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT content FROM memories")).scalar_one() == "I swim on Sundays"
    upgrade(engine)
    assert current_revision(engine) == HEAD and _schema_differences(engine) == []
    assert (_tables(engine) >= VECTOR_TABLES) == postgres
