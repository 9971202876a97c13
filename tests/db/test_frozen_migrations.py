"""Migrations carry the code they run: none imports paa.db.blind (a later change there would change an old
migration), and what their frozen copies write is what paa.db.blind writes today, on both engines."""

from __future__ import annotations

import importlib.util
import re
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Connection

from paa.ai import memory
from paa.db import blind
from paa.db.migrate import MIGRATIONS_DIR
from paa.db.models import Conversation, Message
from paa.db.sealed import DIALECT_ATTRIBUTE, DataKeys
from tests.support.clock import FIXED_NOW

VERSIONS = MIGRATIONS_DIR / "versions"


@pytest.fixture(autouse=True)
def _words_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.MemoryService, "vector_index", lambda self: None)


def _migration(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"frozen_{name}", VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_migration_runs_live_code_of_the_word_index() -> None:
    live = re.compile(r"^\s*(from paa\.db import blind|from paa\.db\.blind import|import paa\.db\.blind)", re.M)
    users = [path.name for path in sorted(VERSIONS.glob("*.py")) if live.search(path.read_text())]
    assert users == []


def _memories(make_ctx) -> None:
    """Facts, and a conversation whose messages have neighbours and a speaker."""
    with make_ctx(write=True) as ctx:
        memory.remember(ctx, "My sister Anna lives in Lisbon and runs marathons")
        memory.remember(ctx, "Éclairs from the bakery on Rua Augusta")
        chat = Conversation(user_id=ctx.user_id, title="t", created_at=FIXED_NOW, updated_at=FIXED_NOW)
        ctx.session.add(chat)
        ctx.session.flush()
        turns = [("user", "How is the puppy doing?", None), ("assistant", "He's great, we named him Max", "Dana"),
                 ("user", "Max chewed my running shoes", None)]  # fmt: skip
        for number, (role, content, speaker) in enumerate(turns):
            row = Message(
                user_id=ctx.user_id, conversation_id=chat.id or 0, role=role, content=content, speaker=speaker,
                model="claude" if role == "assistant" else None, created_at=FIXED_NOW + timedelta(minutes=number),
            )  # fmt: skip
            ctx.session.add(row)
            ctx.session.flush()
            memory.index_message(ctx, row)


def _index(conn: Connection) -> list[tuple[Any, ...]]:
    if conn.dialect.name == "postgresql":
        query = "SELECT memory_id, terms::text FROM memories_fts ORDER BY memory_id"
    else:
        names = ", ".join(blind._columns(conn, "memories_fts"))
        query = f"SELECT rowid, {names} FROM memories_fts ORDER BY rowid"
    return [tuple(row) for row in conn.exec_driver_sql(query).all()]


def _compare(conn: Connection, frozen: Any) -> int:
    """Rebuild with today's paa.db.blind, then with the migration's copy: the same index, row for row."""
    provider = getattr(conn.dialect, DIALECT_ATTRIBUTE)
    assert isinstance(provider, DataKeys)
    keyset = provider.keyset()
    assert blind.rebuild(conn, keyset) == 5
    today = _index(conn)
    conn.exec_driver_sql("DELETE FROM memories_fts")
    assert frozen(conn, keyset) == 5
    assert _index(conn) == today and len(today) == 5
    return len(today)


def test_the_frozen_index_of_0011_writes_what_paa_db_blind_writes(make_ctx) -> None:
    _memories(make_ctx)
    with make_ctx(write=True) as ctx:
        _compare(ctx.session.connection(), _migration("0011_recall").rebuild)


def test_the_frozen_index_of_0008_writes_what_paa_db_blind_writes(make_ctx, db_engine: str) -> None:
    if db_engine != "postgresql":
        pytest.skip("0008 indexes on PostgreSQL only")
    _memories(make_ctx)
    with make_ctx(write=True) as ctx:
        _compare(ctx.session.connection(), _migration("0008_pg_words").rebuild)


def test_the_frozen_one_field_index_of_0007_writes_what_paa_db_blind_writes(make_ctx, db_engine: str) -> None:
    if db_engine != "sqlite":
        pytest.skip("0007 indexes on SQLite only")
    _memories(make_ctx)
    frozen = _migration("0007_sealed")
    with make_ctx(write=True) as ctx:
        conn = ctx.session.connection()
        inside = conn.begin_nested()  # 0007's one-field index for the comparison, then today's again
        conn.exec_driver_sql("DROP TABLE memories_fts")
        conn.exec_driver_sql(frozen.CREATE_INDEX)
        assert blind._columns(conn, "memories_fts") == {"terms"}
        _compare(conn, frozen.rebuild)
        inside.rollback()
        assert len(blind._columns(conn, "memories_fts")) == len(blind.FIELDS)
