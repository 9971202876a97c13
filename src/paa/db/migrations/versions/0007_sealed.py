"""sealed: sensitive text encrypted at rest, and a word index of hashed words in place of the plain-text FTS5 index

Revision ID: 0007_sealed
Revises: 0006_events
Create Date: 2026-12-06

Values stored before are sealed here when paa opens the database (its data key is attached to the engine); a
connection without a key (a test's bare engine) leaves them as plain text, which still reads, and `paa auth
rotate-keys` seals later.

The hashed word index is written by code frozen below as paa.db.blind had it when this migration was made (December
2026), so a later change to paa.db.blind cannot change what this migration does.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3

import sqlalchemy as sa
from alembic import op

from paa.db.sealed import DIALECT_ATTRIBUTE, DataKeys, KeySet, seal_plain_values, unseal

revision = "0007_sealed"
down_revision = "0006_events"
branch_labels = None
depends_on = None

# The columns this revision seals (later revisions add more to paa.db.sealed.SEALED_COLUMNS, which do not exist yet).
COLUMNS = (
    ("messages", "content"),
    ("messages", "tool_calls"),
    ("conversations", "title"),
    ("conversations", "summary"),
    ("memories", "content"),
    ("daily_checkins", "answers"),
    ("daily_checkins", "reflection"),
    ("habit_logs", "note"),
    ("signing_keys", "secret"),
)
OLD_TRIGGERS = ("memories_fts_insert", "memories_fts_delete", "memories_fts_update")
OLD_FTS_STATEMENTS = (
    "CREATE VIRTUAL TABLE memories_fts USING fts5("
    "content, content='memories', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN "
    "INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
    "INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', old.id, old.content); END",
    "CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories BEGIN "
    "INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', old.id, old.content); "
    "INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content); END",
)

# ---- paa.db.blind as it was when this migration was made: the one-field index of hashed words (SQLite) ---------

TOKENIZER = "porter unicode61 remove_diacritics 2"
CREATE_INDEX = "CREATE VIRTUAL TABLE memories_fts USING fts5(terms, tokenize='unicode61')"
# A memory deleted in any way (a user's cascade included) leaves the index with it.
CREATE_DELETE_TRIGGER = (
    "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
    "DELETE FROM memories_fts WHERE rowid = old.id; END"
)


def _hashed_text(cutter: sqlite3.Connection, key: bytes, text: str) -> str:
    """The memory's terms as FTS5's tokenizer cuts them, each as the first 64 bits of its HMAC-SHA256."""
    with cutter:
        cutter.execute("INSERT INTO cut(rowid, t) VALUES (1, ?)", (text,))
        terms = [row[0] for row in cutter.execute("SELECT term FROM cut_terms ORDER BY offset")]
        cutter.execute("DELETE FROM cut")
    return " ".join("h" + hmac.new(key, term.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for term in terms)


def rebuild(bind: sa.Connection, keyset: KeySet) -> int:
    """Index every memory's hashed words (SQLite: the index has one field, `terms`); return how many."""
    key = hmac.new(keyset.key(keyset.current, "the word index"), b"paa blind word index v1", hashlib.sha256).digest()
    cutter = sqlite3.connect(":memory:")  # a private database: SQLite itself cuts the words
    try:
        cutter.execute(f"CREATE VIRTUAL TABLE cut USING fts5(t, tokenize='{TOKENIZER}')")
        cutter.execute("CREATE VIRTUAL TABLE cut_terms USING fts5vocab(cut, 'instance')")
        bind.exec_driver_sql("DELETE FROM memories_fts")
        rows = bind.exec_driver_sql("SELECT id, content FROM memories").all()
        for memory_id, content in rows:
            text = unseal(keyset, content, "memories", "content")
            bind.exec_driver_sql(
                "INSERT INTO memories_fts(rowid, terms) VALUES (?, ?)", (memory_id, _hashed_text(cutter, key, text))
            )
    finally:
        cutter.close()
    return len(rows)


# ---- the migration -----------------------------------------------------------------------------------------------


def _has_rows(bind: sa.Connection) -> bool:
    tables = ("messages", "conversations", "memories", "daily_checkins", "habit_logs", "signing_keys")
    return any(bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() for table in tables)


def upgrade() -> None:
    # A sealed value is longer than its text: the two bounded columns become unbounded (SQLite ignores lengths, but
    # PostgreSQL would refuse a sealed note of 2,000 characters).
    with op.batch_alter_table("habit_logs") as batch_op:
        batch_op.alter_column("note", type_=sa.String(), existing_type=sa.String(length=2000), existing_nullable=True)
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.alter_column("secret", type_=sa.String(), existing_type=sa.String(length=256), existing_nullable=False)
    if op.get_bind().dialect.name != "sqlite":  # SQLite would copy the table, and its messages go with it (cascade)
        op.alter_column("conversations", "title", type_=sa.String(), existing_type=sa.String(length=200))

    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for trigger in OLD_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS memories_fts")
        op.execute(CREATE_INDEX)
        op.execute(CREATE_DELETE_TRIGGER)
    provider = getattr(bind.dialect, DIALECT_ATTRIBUTE, None)
    if isinstance(provider, DataKeys) and _has_rows(bind):
        keyset = provider.keyset()
        seal_plain_values(bind, keyset, COLUMNS)
        if sqlite:
            rebuild(bind, keyset)


def downgrade() -> None:
    bind = op.get_bind()
    provider = getattr(bind.dialect, DIALECT_ATTRIBUTE, None)
    if isinstance(provider, DataKeys) and _has_rows(bind):  # back to plain text: the older paa cannot read sealed
        keyset = provider.keyset()
        for table, column in COLUMNS:
            rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} LIKE 'enc:v1:%'")).all()
            if rows:
                bind.execute(
                    sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                    [{"id": row[0], "value": unseal(keyset, row[1], table, column)} for row in rows],
                )
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS memories_fts_delete")
        op.execute("DROP TABLE IF EXISTS memories_fts")
        for statement in OLD_FTS_STATEMENTS:
            op.execute(statement)
        op.execute("INSERT INTO memories_fts(memories_fts) VALUES ('rebuild')")
    if bind.dialect.name != "sqlite":
        op.alter_column("conversations", "title", type_=sa.String(length=200), existing_type=sa.String())
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.alter_column("secret", type_=sa.String(length=256), existing_type=sa.String(), existing_nullable=False)
    with op.batch_alter_table("habit_logs") as batch_op:
        batch_op.alter_column("note", type_=sa.String(length=2000), existing_type=sa.String(), existing_nullable=True)
