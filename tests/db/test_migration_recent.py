"""Migrations 0012_idempotency, 0013_shared_vectors, 0014_bigint_ids and 0015_waiting_memories on both engines: each
goes down to the revision before it, taking its tables away (or its types back, or its index) and keeping every
other row, and up again. 0013 and 0014 change PostgreSQL only (SQLite keeps its vectors in a file beside the
database, and its ids are 64-bit), so on SQLite their downgrades have nothing to undo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text

from paa.db.migrate import current_revision, upgrade
from paa.db.revisions import HEAD
from tests.db.test_frozen_migrations import _migration
from tests.db.test_migrations import _schema_differences
from tests.db.test_migrations_engines import _downgrade
from tests.db.test_migrations_engines import empty_engine as empty_engine

VECTOR_TABLES = {"memory_vectors", "memory_vector_sets"}
BIGINT_IDS = _migration("0014_bigint_ids")
GROWING: tuple[str, ...] = BIGINT_IDS.GROWING
POINTERS: tuple[tuple[str, str], ...] = BIGINT_IDS.POINTERS


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


BEYOND_INTEGER = 2**31 + 7  # past PostgreSQL's INTEGER


def _id_types(engine: Engine) -> dict[str, str]:
    """The type of each growing table's id and of each column pointing at one, as the database reports it."""
    found = {}
    inspector = inspect(engine)
    for table, column in (*((table, "id") for table in GROWING), *POINTERS):
        if table in inspector.get_table_names():  # memory_vectors: PostgreSQL only; SQLite's memories_fts: FTS5
            for described in inspector.get_columns(table):
                if described["name"] == column:
                    found[f"{table}.{column}"] = str(described["type"])
    return found


def test_0014_makes_the_growing_ids_bigint_on_postgresql_and_goes_down_again(engine: Engine) -> None:
    upgrade(engine, "0013_shared_vectors")
    postgres = engine.dialect.name == "postgresql"
    assert set(_id_types(engine).values()) == {"INTEGER"} and len(_id_types(engine)) >= len(GROWING) + 1
    upgrade(engine, "0014_bigint_ids")
    assert set(_id_types(engine).values()) == ({"BIGINT"} if postgres else {"INTEGER"})  # SQLite's are 64-bit
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO conversations (id, user_id, title, created_at, updated_at) "
                          "VALUES (1, 1, 'trip', '2026-11-20 10:00:00', '2026-11-20 10:00:00')"))  # fmt: skip
        conn.execute(text("INSERT INTO messages (id, user_id, conversation_id, role, content, interrupted, created_at) "
                          f"VALUES ({BEYOND_INTEGER}, 1, 1, 'user', 'hi', FALSE, '2026-11-20 10:00:00')"))  # fmt: skip
        if postgres:  # the sequence numbers past INTEGER too
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('messages', 'id'), {BEYOND_INTEGER})"))
        new = "INSERT INTO messages (user_id, conversation_id, role, content, interrupted, created_at) VALUES "
        new += "(1, 1, 'assistant', 'hello', FALSE, '2026-11-20 10:00:01') RETURNING id"
        assert conn.execute(text(new)).scalar_one() == BEYOND_INTEGER + 1
    if postgres:  # an id past INTEGER's range keeps the downgrade from running, changing nothing
        with pytest.raises(Exception, match="out of range"):
            _downgrade(engine, "0013_shared_vectors")
        assert current_revision(engine) == "0014_bigint_ids" and set(_id_types(engine).values()) == {"BIGINT"}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM messages"))
        if postgres:  # nor may its sequence be past it
            conn.execute(text("SELECT setval(pg_get_serial_sequence('messages', 'id'), 1)"))
    _downgrade(engine, "0013_shared_vectors")
    assert current_revision(engine) == "0013_shared_vectors" and set(_id_types(engine).values()) == {"INTEGER"}
    upgrade(engine)
    assert current_revision(engine) == HEAD
    assert _schema_differences(engine) == []


def _indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("memories")}


def test_0015_indexes_the_waiting_memories_which_a_search_asks_for_and_goes_down_again(engine: Engine) -> None:
    upgrade(engine, "0014_bigint_ids")
    assert "ix_memories_waiting" not in _indexes(engine)
    upgrade(engine, "0015_waiting_memories")
    assert "ix_memories_waiting" in _indexes(engine) and _users(engine) == ["ann"]
    if engine.dialect.name == "sqlite":  # the question every `paa memory search` asks first is answered by it
        asked = "SELECT 1 FROM memories WHERE embedded_at IS NULL AND user_id = 1 LIMIT 1"
        with engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {asked}")))
        assert "ix_memories_waiting" in plan, plan
    _downgrade(engine, "0014_bigint_ids")
    assert "ix_memories_waiting" not in _indexes(engine) and _users(engine) == ["ann"]
    upgrade(engine)
    assert current_revision(engine) == HEAD and "ix_memories_waiting" in _indexes(engine)
