"""pg_words: on PostgreSQL, the word index of memories as a tsvector of hashed words with a GIN index

Revision ID: 0008_pg_words
Revises: 0007_sealed
Create Date: 2026-12-06

SQLite keeps this index in FTS5 (0007); on PostgreSQL memory search read every sealed memory of the user until now.
The table holds the same keyed hashes of words (paa.db.blind), never a plain word. Nothing changes on SQLite.

The index is written by code frozen below as paa.db.blind had it when this migration was made (December 2026), so
a later change to paa.db.blind cannot change what this migration does.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3

import sqlalchemy as sa
from alembic import op

from paa.db.sealed import DIALECT_ATTRIBUTE, DataKeys, KeySet, unseal

revision = "0008_pg_words"
down_revision = "0007_sealed"
branch_labels = None
depends_on = None

# ---- paa.db.blind as it was when this migration was made: PostgreSQL's index of hashed words ---------------------

TOKENIZER = "porter unicode61 remove_diacritics 2"
# One row per memory, gone with it (the foreign key cascades).
PG_CREATE_INDEX = (
    "CREATE TABLE memories_fts (memory_id INTEGER PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE, "
    "terms TSVECTOR NOT NULL)",
    "CREATE INDEX ix_memories_fts_terms ON memories_fts USING GIN (terms)",
)


def _hashed_text(cutter: sqlite3.Connection, key: bytes, text: str) -> str:
    """The text's terms as SQLite's FTS5 tokenizer cuts them, each as the first 64 bits of its HMAC-SHA256."""
    if not text:
        return ""
    with cutter:
        cutter.execute("INSERT INTO cut(rowid, t) VALUES (1, ?)", (text,))
        terms = [row[0] for row in cutter.execute("SELECT term FROM cut_terms ORDER BY offset")]
        cutter.execute("DELETE FROM cut")
    return " ".join("h" + hmac.new(key, term.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for term in terms)


def _message_neighbours(bind: sa.Connection, keyset: KeySet) -> dict[int, tuple[str, str]]:
    """For each message: (the text of the turns before and after it in its conversation, its speaker)."""
    columns = {
        row[0]
        for row in bind.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'messages'"
        ).all()
    }
    speaker = "speaker" if "speaker" in columns else "NULL"
    rows = bind.exec_driver_sql(
        f"SELECT id, conversation_id, content, {speaker} FROM messages "
        "WHERE role IN ('user', 'assistant', 'other') ORDER BY conversation_id, id"
    ).all()
    found: dict[int, tuple[str, str]] = {}
    for number, (message_id, conversation_id, _content, who) in enumerate(rows):
        around = [
            unseal(keyset, rows[other][2], "messages", "content")
            for other in (number - 1, number + 1)
            if 0 <= other < len(rows) and rows[other][1] == conversation_id
        ]
        name = unseal(keyset, who, "messages", "speaker") if who else ""
        found[message_id] = (" ".join(around), name)
    return found


def rebuild(bind: sa.Connection, keyset: KeySet) -> int:
    """Index every memory (a message with its neighbouring turns and its speaker, weights A, D and B); return how
    many."""
    key = hmac.new(keyset.key(keyset.current, "the word index"), b"paa blind word index v1", hashlib.sha256).digest()
    cutter = sqlite3.connect(":memory:")  # a private database: SQLite itself cuts the words, as on SQLite
    try:
        cutter.execute(f"CREATE VIRTUAL TABLE cut USING fts5(t, tokenize='{TOKENIZER}')")
        cutter.execute("CREATE VIRTUAL TABLE cut_terms USING fts5vocab(cut, 'instance')")
        bind.exec_driver_sql("DELETE FROM memories_fts")
        rows = bind.exec_driver_sql("SELECT id, content, kind, source_id FROM memories").all()
        neighbours = _message_neighbours(bind, keyset) if any(row[2] == "message" for row in rows) else {}
        for memory_id, content, kind, source_id in rows:
            context, speaker = neighbours.get(source_id, ("", "")) if kind == "message" else ("", "")
            text = unseal(keyset, content, "memories", "content")
            bind.exec_driver_sql(
                "INSERT INTO memories_fts (memory_id, terms) VALUES (%(id)s, "
                "setweight(to_tsvector('simple', %(terms)s), 'A') || "
                "setweight(to_tsvector('simple', %(context)s), 'D') || "
                "setweight(to_tsvector('simple', %(speaker)s), 'B')) "
                "ON CONFLICT (memory_id) DO UPDATE SET terms = excluded.terms",
                {
                    "id": memory_id,
                    "terms": _hashed_text(cutter, key, text),
                    "context": _hashed_text(cutter, key, context),
                    "speaker": _hashed_text(cutter, key, speaker),
                },
            )
    finally:
        cutter.close()
    return len(rows)


# ---- the migration -----------------------------------------------------------------------------------------------


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in PG_CREATE_INDEX:
        op.execute(statement)
    provider = getattr(bind.dialect, DIALECT_ATTRIBUTE, None)
    if isinstance(provider, DataKeys) and bind.execute(sa.text("SELECT 1 FROM memories LIMIT 1")).first():
        rebuild(bind, provider.keyset())
    # A connection without a key (a test's bare engine) leaves the memories unindexed; `paa auth rotate-keys`
    # indexes every memory again.


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS memories_fts")
